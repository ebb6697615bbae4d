#!/usr/bin/env bash
# packages.sh PKG...: install the Debian packages that are not installed yet.
# `apt-get update` runs only when something is missing, and then at most once an hour
# (a stamp under .cache/, trusted only while apt's package lists are really there).
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
if [ -z "$(find "$STAMP" -mmin -60 2>/dev/null)" ] || ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    echo "[setup] apt-get update (needed for: ${missing[*]})"
    apt-get update -qq
    touch "$STAMP"
fi
echo "[setup] apt-get install ${missing[*]}"
install() { apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
if ! install; then
    echo "[setup] apt-get install failed; refreshing the package lists and retrying once"
    apt-get update -qq && touch "$STAMP"
    install
fi
