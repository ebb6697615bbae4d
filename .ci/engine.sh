#!/usr/bin/env bash
# engine.sh: make sure a Docker engine answers `docker info`.
# Installs docker.io only when dockerd is missing, starts dockerd in the background
# (log: $DOCKERD_LOG) and waits up to 60 s for it. Never stops a running engine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="${DOCKERD_LOG:-/var/log/pipeline-designer-dockerd.log}"
WAIT_S=60

docker info >/dev/null 2>&1 && { echo "[engine] Docker engine is up"; exit 0; }

if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: 'docker info' fails and only root can install or start dockerd;" \
        "start the engine yourself or add your user to the 'docker' group" >&2
    docker info 2>&1 | tail -n 3 >&2 || true
    exit 1
fi
if ! command -v dockerd >/dev/null; then
    "$ROOT/.ci/packages.sh" docker.io
    # The package may have started the service, or DOCKER_HOST may name an engine elsewhere.
    docker info >/dev/null 2>&1 && { echo "[engine] Docker engine is up"; exit 0; }
fi

if pgrep -x dockerd >/dev/null; then
    echo "[engine] dockerd is already running; waiting for it"
elif [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then
    echo "[engine] started docker.service"
else
    echo "[engine] starting dockerd in the background (log: $LOG)"
    mkdir -p "$(dirname "$LOG")"
    # setsid: the engine must outlive this make run and its terminal.
    setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq $((WAIT_S * 2))); do
    docker info >/dev/null 2>&1 && { echo "[engine] Docker engine is up"; exit 0; }
    sleep 0.5
done
echo "engine.sh: ERROR: the Docker engine did not answer within ${WAIT_S} s." >&2
echo "---- last lines of $LOG ----" >&2
tail -n 25 "$LOG" >&2 2>/dev/null || echo "(no log)" >&2
exit 1
