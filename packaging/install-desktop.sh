#!/usr/bin/env sh
# Register Pipeline Designer with the Linux desktop for this user: menu entry, icon, AppStream data.
# Run after `pipx install .` (or with the bundle's folder on PATH). Undo with --uninstall.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
ID=io.github.pipelinedesigner.PipelineDesigner
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$DATA/applications/$ID.desktop" "$DATA/metainfo/$ID.metainfo.xml" \
        "$DATA/icons/hicolor/scalable/apps/pipeline-designer.svg" "$DATA"/icons/hicolor/*/apps/pipeline-designer.png
    exit 0
fi
install -Dm644 "$HERE/$ID.desktop" "$DATA/applications/$ID.desktop"
install -Dm644 "$HERE/$ID.metainfo.xml" "$DATA/metainfo/$ID.metainfo.xml"
install -Dm644 "$HERE/icons/pipeline-designer.svg" "$DATA/icons/hicolor/scalable/apps/pipeline-designer.svg"
for png in "$HERE"/icons/png/*.png; do
    size=$(basename "$png" .png)
    install -Dm644 "$png" "$DATA/icons/hicolor/${size}x${size}/apps/pipeline-designer.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
echo "installed the menu entry $ID for $(id -un)"
