#!/usr/bin/env bash
# Refresh the vendored Leaflet (the directory's map) from the npm registry: run by a developer,
# never at build or run time; the result is committed under src/vrkit/web/static/vendor/leaflet/
# with its licence. The map draws the borough boundaries the portal serves itself: no tiles, no
# remote request (see ../shared/STACK.md, "leaflet (npm)").
# Usage: scripts/vendor_leaflet.sh [LEAFLET_VERSION]
set -euo pipefail
LEAFLET=${1:-1.9.4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "leaflet@$LEAFLET" >/dev/null
SRC=node_modules/leaflet
DST="$ROOT/src/vrkit/web/static/vendor/leaflet"
rm -rf "$DST"
mkdir -p "$DST"
cp "$SRC/dist/leaflet.js" "$SRC/dist/leaflet.css" "$SRC/LICENSE" "$DST/"
cp -r "$SRC/dist/images" "$DST/images"
echo "$LEAFLET" > "$DST/VERSION"
echo "vendored leaflet $LEAFLET into $DST"
