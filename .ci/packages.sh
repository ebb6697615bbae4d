#!/usr/bin/env bash
# packages.sh PKG...: install the Debian packages that are not installed yet.
# `apt-get update` runs at most once an hour (a stamp under .cache/), and only when
# something is missing, so a machine that has everything never touches the network.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAMP="$ROOT/.cache/apt-updated"

if ! command -v dpkg-query >/dev/null; then
    echo "packages.sh: not a Debian system; make sure these are installed: $*" >&2
    exit 0
fi
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" != 0 ]; then
    echo "packages.sh: missing Debian packages: ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$(dirname "$STAMP")"
if [ -z "$(find "$STAMP" -mmin -60 2>/dev/null)" ]; then
    echo "[setup] apt-get update (needed for: ${missing[*]})"
    apt-get update -qq
    touch "$STAMP"
fi
echo "[setup] apt-get install ${missing[*]}"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
