#!/usr/bin/env bash
# Build the local test images without any registry pull:
#   pipeline-designer-test/busybox:1  static busybox from Debian's busybox-static, docker-imported
#   pipeline-designer-test/python:1   debootstrap minbase + python3 + numpy + valohai-utils
# A tag that already exists and passes its check is kept unless --force is given. The
# debootstrap tree is cached under .cache/images/ so a rebuild does not download again.
#
# Usage: tests/images/build.sh [--force] [busybox|python ...]
# Env:   DEBIAN_MIRROR (default: read from this machine's apt sources), PIP (pip command)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="$ROOT/.cache/images"
BUSYBOX_TAG="pipeline-designer-test/busybox:1"
PYTHON_TAG="pipeline-designer-test/python:1"
SUITE="bookworm"
# Debian packages brought by debootstrap: numpy for user code, and the compiled or
# Debian-provided runtime dependencies of valohai-utils / valohai-yaml.
DEB_PACKAGES="python3,python3-numpy,python3-requests,python3-yaml,python3-jsonschema,ca-certificates"
# Pure-python wheels copied into the image's site-packages (--no-deps: their other
# dependencies come from the Debian packages above).
PIP_PACKAGES=(valohai-utils==0.8.0 valohai-yaml==0.61.0 valohai-papi==0.1.3 leval==1.4.0)
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

FORCE=0
WANTED=()
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        busybox | python) WANTED+=("$arg") ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown argument '$arg' (expected --force, busybox, python)" >&2; exit 2 ;;
    esac
done
[ ${#WANTED[@]} -gt 0 ] || WANTED=(busybox python)

die() { echo "build.sh: ERROR: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# phase NAME CMD...: run CMD and print how long it took.
phase() {
    local name="$1" start
    shift
    start=$(now_ms)
    "$@"
    local ms=$(($(now_ms) - start))
    printf '[images] %-30s %4d.%d s\n' "$name" $((ms / 1000)) $((ms % 1000 / 100))
}

command -v docker >/dev/null || die "docker CLI not found (run 'make engine')"
docker info >/dev/null 2>&1 || die "Docker engine unreachable (run 'make engine')"
mkdir -p "$CACHE"
# Two builds at once (two terminals, two test sessions) would fight over the cache.
exec 9>"$CACHE/build.lock"
flock 9

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pd-images.XXXXXX")"
cleanup() {
    # debootstrap may leave /proc or /sys mounted inside the target after a failure.
    for m in proc sys dev/pts dev; do umount -l "$WORK/python/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

rootfs_import() { # DIR TAG CHANGES...: tar a rootfs into docker import
    local dir="$1" tag="$2"
    shift 2
    local changes=()
    for c in "$@"; do changes+=(--change "$c"); done
    tar --numeric-owner -C "$dir" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -cf - . |
        docker import "${changes[@]}" - "$tag" >/dev/null
}

# ---------------------------------------------------------------- busybox
busybox_rootfs() {
    local dir="$WORK/busybox" bb=/bin/busybox
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" ||
        die "busybox-static is not installed (apt-get install -y busybox-static)"
    dpkg-query -S "$bb" 2>/dev/null | grep -q '^busybox-static:' || die "$bb does not come from busybox-static"
    mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,tmp}
    chmod 1777 "$dir/tmp"
    cp "$bb" "$dir/bin/busybox"
    # Same links as `busybox --install -s`, made from the applet list so no chroot is needed.
    local applet
    while read -r applet; do
        [ "$applet" = "bin/busybox" ] || [ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
    done < <("$bb" --list-full)
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

build_busybox() {
    phase "busybox: rootfs" busybox_rootfs
    phase "busybox: docker import" rootfs_import "$WORK/busybox" "$BUSYBOX_TAG" 'CMD ["/bin/sh"]' "ENV $PATH_ENV"
}

# ---------------------------------------------------------------- python
pip_cmd() {
    if [ -n "${PIP:-}" ]; then
        echo "$PIP"
    elif [ -x "$ROOT/.venv/bin/python" ]; then
        echo "$ROOT/.venv/bin/python -m pip"
    else
        echo "python3 -m pip"
    fi
}

debootstrap_rootfs() {
    # The cache holds the finished debootstrap tree (not its .debs): restoring it is a tar
    # extraction, with no mirror needed. Its key covers everything that shapes the tree.
    local dir="$WORK/python" key mirror tarball
    key="$(echo "$SUITE minbase $DEB_PACKAGES $(dpkg --print-architecture)" | sha256sum | cut -c1-12)"
    tarball="$CACHE/debootstrap-$SUITE-minbase-$key.tar.gz"
    mkdir -p "$dir"
    if [ -s "$tarball" ]; then
        echo "[images] restoring the cached debootstrap tree ${tarball#"$ROOT"/}"
        tar --numeric-owner -xzf "$tarball" -C "$dir"
        return 0
    fi
    command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"
    mirror="${DEBIAN_MIRROR:-$(python3 "$HERE/apt_mirror.py" "$SUITE")}" || die "no Debian mirror in the apt config"
    debootstrap --variant=minbase --include="$DEB_PACKAGES" "$SUITE" "$dir" "$mirror" \
        >"$WORK/debootstrap.log" 2>&1 || {
        grep -v '^I: ' "$WORK/debootstrap.log" | tail -n 20 >&2
        tail -n 20 "$dir/debootstrap/debootstrap.log" >&2 2>/dev/null || true
        die "debootstrap failed (full log above)"
    }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
        "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
    tar --numeric-owner -C "$dir" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
        -cf - . | gzip -1 >"$tarball.part"
    mv "$tarball.part" "$tarball"
    # Older cache entries (other package lists) are dead weight.
    find "$CACHE" -name "debootstrap-*.tar.gz" ! -name "${tarball##*/}" -delete
}

pip_into_rootfs() {
    local site="$WORK/python/usr/lib/python3/dist-packages"
    # shellcheck disable=SC2046
    $(pip_cmd) install --quiet --disable-pip-version-check --no-deps --no-compile \
        --target "$site" "${PIP_PACKAGES[@]}" 2> >(grep -v "^WARNING: Location .* is ignored" >&2) || die "pip could not install ${PIP_PACKAGES[*]}"
    rm -rf "$site/bin"
    # Step commands say `python ...` (as in the python:3.x images); Debian names it python3.
    ln -sf python3 "$WORK/python/usr/bin/python"
    # Byte-compile with the image's own python: containers run with PYTHONDONTWRITEBYTECODE=1,
    # so without this every step would recompile valohai-utils on import.
    chroot "$WORK/python" python3 -m compileall -q /usr/lib/python3/dist-packages >/dev/null ||
        die "compileall failed in the python rootfs"
    chroot "$WORK/python" python3 -c "import numpy, valohai, valohai_yaml, yaml, requests, jsonschema" ||
        die "the python rootfs cannot import its packages"
}

build_python() {
    phase "python: debootstrap" debootstrap_rootfs
    phase "python: pip valohai-utils" pip_into_rootfs
    phase "python: docker import" rootfs_import "$WORK/python" "$PYTHON_TAG" \
        'CMD ["/bin/sh"]' "ENV $PATH_ENV" "ENV LANG=C.UTF-8" "ENV PYTHONDONTWRITEBYTECODE=1"
}

# ---------------------------------------------------------------- main
check() { # TAG EXPECTED CMD...: run CMD in a throwaway container, compare its output
    local tag="$1" expected="$2" got
    shift 2
    got="$(docker run --rm --network none "$tag" "$@" 2>&1)" || { echo "'$*' failed: $got"; return 1; }
    [ "$got" = "$expected" ] || { echo "'$*' printed '$got', expected '$expected'"; return 1; }
}
check_image() { # NAME: what every test relies on
    case "$1" in
        busybox) check "$BUSYBOX_TAG" ok sh -c 'echo ok' ;;
        python) check "$PYTHON_TAG" ok python -c 'import numpy, valohai; print("ok")' ;;
    esac
}
tag_of() { [ "$1" = busybox ] && echo "$BUSYBOX_TAG" || echo "$PYTHON_TAG"; }

for name in "${WANTED[@]}"; do
    tag="$(tag_of "$name")"
    old_id="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
    if [ -n "$old_id" ] && [ "$FORCE" = 0 ]; then
        # An image from an older build.sh may lack something; rebuild it rather than fail tests.
        if why="$(check_image "$name")"; then
            echo "[images] $tag exists (use --force to rebuild)"
            continue
        fi
        echo "[images] $tag exists but fails its check ($why); rebuilding"
    fi
    phase "$name: total" "build_$name"
    # A rebuild leaves the previous image dangling; drop it unless a container uses it.
    [ -z "$old_id" ] || docker rmi "$old_id" >/dev/null 2>&1 || true
    why="$(check_image "$name")" || die "$tag: $why"
    echo "[images] $tag built and checked"
done
echo "[images] ready: $(for n in "${WANTED[@]}"; do printf '%s ' "$(tag_of "$n")"; done)"
