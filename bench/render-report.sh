#!/bin/sh
# Renders a `fleet-deploy demo --report FILE.html` page to a PNG with headless Chromium, to check
# how it reads. Usage:
#   bench/render-report.sh demo-report.html [out.png]        # render an existing report
#   bench/render-report.sh --run [demo options...]            # run a small demo first, then render
# Needs Debian's chromium (apt-get install -y chromium). Offline: the page fetches nothing.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--run" ]; then
  shift
  report=$(mktemp --suffix=.html)
  "$here/fleet-deploy" demo --report "$report" "$@" || true
  set -- "$report"
fi
report=${1:?usage: render-report.sh REPORT.html [OUT.png]}
out=${2:-${report%.html}.png}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "render-report: chromium is not installed (apt-get install -y chromium)" >&2
  exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --screenshot="$out" \
  --window-size=1400,${HEIGHT:-1000} "file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")" >/dev/null 2>&1
echo "render-report: $out"
