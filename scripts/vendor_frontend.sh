#!/usr/bin/env bash
# Refresh the vendored front-end assets from the npm registry (run by a developer, never at
# build or run time; the results are committed):
#   - GOV.UK Frontend (built CSS/JS, fonts, images) -> src/vrkit/web/static/govuk/
#   - axe-core (accessibility checks in the browser tests) -> tests/web/vendor/
# Usage: scripts/vendor_frontend.sh [GOVUK_VERSION] [AXE_VERSION]
set -euo pipefail
GOVUK=${1:-6.6.0}
AXE=${2:-4.14.1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "govuk-frontend@$GOVUK" "axe-core@$AXE" >/dev/null
SRC=node_modules/govuk-frontend
DST="$ROOT/src/vrkit/web/static/govuk"
rm -rf "$DST"
mkdir -p "$DST"
cp "$SRC/dist/govuk/govuk-frontend.min.css" "$SRC/dist/govuk/govuk-frontend.min.js" "$DST/"
cp -r "$SRC/dist/govuk/assets" "$DST/assets"
cp "$SRC/package.json" "$DST/package.json"
{
  echo "GOV.UK Frontend $GOVUK (npm package govuk-frontend), vendored by scripts/vendor_frontend.sh."
  echo
  sed -n '/^## Licence/,/^## /p' "$SRC/README.md" | sed '$d'
  echo
  echo "MIT License"
  echo
  echo "Copyright (c) 2018 Crown Copyright (Government Digital Service)"
  echo
  cat <<'MIT'
Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
  echo
  echo "The GDS Transport font and the GOV.UK crown are restricted to services on GOV.UK: the"
  echo "portal's own stylesheet (static/vrkit.css) sets Arial and its header carries no crown."
} > "$DST/LICENSE.txt"
echo "$GOVUK" > "$DST/VERSION"
ADST="$ROOT/tests/web/vendor"
mkdir -p "$ADST"
cp node_modules/axe-core/axe.min.js "$ADST/axe.min.js"
cp node_modules/axe-core/LICENSE "$ADST/axe-core-LICENSE.txt"
echo "$AXE" > "$ADST/axe-core-VERSION"
echo "vendored govuk-frontend $GOVUK into $DST and axe-core $AXE into $ADST"
