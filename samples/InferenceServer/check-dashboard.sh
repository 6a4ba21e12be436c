#!/usr/bin/env bash
# Loads the demo's dashboard page in headless Chromium (Debian package "chromium") and checks that the charts were
# drawn from real numbers. Not part of CI. Usage: bash samples/InferenceServer/check-dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${PORT:-5099}
command -v chromium >/dev/null || { echo "install Debian's chromium first (apt-get install chromium)"; exit 2; }
dotnet run -c Release --project samples/InferenceServer -- --duration 15 --port "$port" >/tmp/batchstats-demo.log 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/stats" >/dev/null && break; sleep 1; done
sleep 4
dom=$(chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$(mktemp -d)" --virtual-time-budget=4000 --dump-dom "http://127.0.0.1:$port/")
points=$(grep -o 'id="c-throughput"[^>]*data-points="[0-9]*"' <<<"$dom" | grep -o '[0-9]*"$' | tr -d '"' || true)
throughput=$(grep -o '<b id="throughput">[0-9.]*</b>' <<<"$dom" | grep -o '[0-9.]*' | head -1 || true)
echo "chart points: ${points:-none}, throughput shown: ${throughput:-none}"
if [ -n "$points" ] && [ "$points" -gt 0 ] && [ -n "$throughput" ] && awk "BEGIN{exit !($throughput > 0)}"; then
  echo "dashboard OK"
else
  echo "dashboard did not render numbers"; exit 1
fi
