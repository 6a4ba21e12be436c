#!/usr/bin/env bash
# Loads the demo's dashboard page in headless Chromium (Debian package "chromium") after some seconds of load and
# checks, on the page as rendered and on a screenshot of it, that the charts were drawn at once from the server's
# history (more than a handful of points right after load) and from real numbers, that each alert is shown once, and
# that the trends card gives each trend's word and the span it compares. Keeps its files in one temporary
# folder and stops its demo by PID on every exit path. Not part of CI.
# Usage: bash samples/InferenceServer/check-dashboard.sh [seconds of load before opening the page, default 12]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null || { echo "install Debian's chromium first (apt-get install chromium)"; exit 2; }
work="$(mktemp -d)"
demo=""
cleanup() {
  if [ -n "$demo" ]; then kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
dotnet build -c Release samples/InferenceServer -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet samples/InferenceServer/bin/Release/net10.0/InferenceServer.dll --port 0 --serve >"$work/demo.log" 2>&1 &
demo=$!
url=""
for _ in $(seq 1 60); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/demo.log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.5
done
[ -n "$url" ] || { cat "$work/demo.log"; echo "the demo did not start"; exit 1; }
sleep "${1:-12}"
chrome() { chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$work/profile" --window-size=1280,900 "$@" 2>/dev/null; }
dom=$(chrome --virtual-time-budget=1500 --dump-dom "$url")
chrome --virtual-time-budget=1500 --screenshot="$work/dashboard.png" "$url" >/dev/null
points=$(grep -o 'id="c-throughput"[^>]*data-points="[0-9]*"' <<<"$dom" | grep -o '[0-9]*"$' | tr -d '"' || true)
throughput=$(grep -o '<b id="throughput">[0-9.k]*</b>' <<<"$dom" | sed 's/<[^>]*>//g' | head -1 || true)
# The alert list: "none", or each alert's message once, ending with its severity (no "critical: " in front of it).
alerts=$(tr -d '\n' <<<"$dom" | grep -o '<ul id="alerts">.*</ul>' | grep -o '<li[^>]*>[^<]*</li>' | sed 's/<[^>]*>//g' || true)
# The trends card: each trend's word, and the span it compares (the window's batches, not the charts' minutes).
trend=$(grep -o '<b id="trend"[^>]*>[^<]*</b><span id="trend-span">[^<]*</span>' <<<"$dom" | sed 's/<[^>]*>/|/g; s/||*/|/g; s/^|//; s/|$//' || true)
word='(stable|improving|degrading)'
trend_ok=$(grep -E "^processing time $word, throughput $word, errors $word\|newer vs older half of the window's [0-9,]+ batches$" <<<"$trend" || true)
echo "trends shown: ${trend:-none}"
echo "chart points right after load: ${points:-none}, throughput shown: ${throughput:-none}, screenshot: $(stat -c %s "$work/dashboard.png" 2>/dev/null || echo 0) bytes"
echo "alerts shown: ${alerts:-no list}"
bad_alert=$(grep -Ev '^none$|\((critical|warning)\)$' <<<"$alerts" || true; grep -E '^(critical|warning): ' <<<"$alerts" || true)
[ -n "${KEEP_SCREENSHOT:-}" ] && cp "$work/dashboard.png" "$KEEP_SCREENSHOT"
if [ -n "$points" ] && [ "$points" -gt 5 ] && [ -n "$throughput" ] && [ -s "$work/dashboard.png" ] && [ -n "$alerts" ] && [ -z "$bad_alert" ] && [ -n "$trend_ok" ]; then
  echo "dashboard OK"
else
  echo "dashboard did not render its history, its alerts or its trends"; exit 1
fi
