#!/usr/bin/env bash
# A long run as a service lives: the demo serves its ONNX model under its load profile (a spike every 30 s) for the
# given minutes while a Prometheus server scrapes it every second (job "native": protobuf with native histograms;
# job "classic": text) and a poller requests /stats, /history and /distribution about three times a second, as an
# open dashboard page does. Prints the demo's resident memory every 30 s, then fails unless:
#   - every scrape of both jobs succeeded (up was 1 at every scrape, and there were at least 90 % of the scrapes due);
#   - resets() over the whole run is 0 for every counter, histogram _bucket/_count/_sum, summary _count/_sum and
#     native histogram (the windows rolled hundreds of times meanwhile);
#   - resident memory did not grow: the last third's peak is at most 1.25 x the middle third's (the first third is
#     warm-up: JIT, ONNX Runtime's arenas, the GC finding its budget; a run under 2 minutes has no thirds to compare);
#   - SIGTERM stops the demo within 10 s with exit code 0.
# Kills only the processes it started and removes its temporary folder on every exit path.
# Usage: bash samples/InferenceServer/soak.sh [minutes, default 30]   (needs Debian's prometheus, curl and python3)
# Not run by .ci/run (too long); its results are in perf-results/soak.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes="${1:-30}"
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "soak: minutes must be a positive whole number, not '$minutes'"; exit 2; }
command -v prometheus >/dev/null || { echo "soak: install Debian's prometheus first"; exit 2; }
command -v curl >/dev/null || { echo "soak: needs curl"; exit 2; }
py=$(command -v python3 || true)
[ -n "$py" ] || { echo "soak: needs python3 (for JSON)"; exit 2; }
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "soak: FAILED: $*"; exit 1; }

dotnet build -c Release samples/InferenceServer -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
dotnet samples/InferenceServer/bin/Release/net10.0/InferenceServer.dll --port 0 --serve >"$work/demo.log" 2>&1 &
demo=$!
pids+=("$demo")
port=""
for _ in $(seq 1 60); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/demo.log" | head -1 | grep -o '[0-9]*/$' | tr -d / || true)
  [ -n "$port" ] && break
  sleep 0.5
done
[ -n "$port" ] || { cat "$work/demo.log"; fail "the demo did not start"; }
prom_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: native
    static_configs: [{targets: ['127.0.0.1:$port']}]
  - job_name: classic
    params: {format: [text]}
    static_configs: [{targets: ['127.0.0.1:$port']}]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --web.listen-address="127.0.0.1:$prom_port" \
  --enable-feature=native-histograms >"$work/prometheus.log" 2>&1 &
pids+=("$!")
api="http://127.0.0.1:$prom_port/api/v1"
for _ in $(seq 1 60); do curl -sf "$api/status/buildinfo" >/dev/null && break; sleep 0.5; done
(
  while kill -0 "$demo" 2>/dev/null; do
    for path in stats history distribution; do curl -s -o /dev/null "http://127.0.0.1:$port/$path" || true; done
    sleep 0.3
  done
) &
pids+=("$!")
start=$(date +%s)
echo "soak: demo on port $port, Prometheus on $prom_port, $minutes min"

rss=()
samples=$((minutes * 2))
for i in $(seq 1 "$samples"); do
  sleep 30
  kill -0 "$demo" 2>/dev/null || { tail -20 "$work/demo.log"; fail "the demo exited early"; }
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$demo/status")
  rss+=("$kb")
  printf '  %5d s  resident %6.1f MiB\n' $((i * 30)) "$("$py" -c "print($kb / 1024)")"
done
end=$(date +%s)
span="$((end - start - 5))s" # the range every query covers: the whole run but its first seconds

query() {
  curl -s --get "$api/query" --data-urlencode "query=$1" --data-urlencode "time=$end" |
    "$py" -c 'import json,sys; d=json.load(sys.stdin); r=d.get("data",{}).get("result",[]); print(r[0]["value"][1] if r else d.get("error",""))'
}
check() { # $1 = description, $2 = python boolean expression over v, $3 = the value
  "$py" -c "import math,sys; v=float(sys.argv[1]) if sys.argv[1] else float('nan'); sys.exit(0 if ($2) else 1)" "$3" \
    && echo "  ok: $1 ($3)" || fail "$1 ($3)"
}

due=$((end - start - 5))
for job in native classic; do
  check "$job: scrapes, at least 90 % of the $due due" "v >= 0.9 * $due" "$(query "count_over_time(up{job=\"$job\"}[$span])")"
  check "$job: every scrape succeeded" "v == 1" "$(query "min_over_time(up{job=\"$job\"}[$span])")"
done
names=$(curl -sf "$api/label/__name__/values" | "$py" -c 'import json,sys; print(" ".join(n for n in json.load(sys.stdin)["data"] if n.startswith("batch_")))')
counted=0
for name in $names; do
  case "$name" in
    *_total|*_bucket|*_count|*_sum|*_duration_seconds) ;;
    *) continue ;;
  esac
  value=$(query "max(resets($name[$span]))")
  "$py" -c "import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) == 0 else 1)" "$value" || fail "resets($name) over $span = '$value'"
  counted=$((counted + 1))
done
check "resets() == 0 over the whole run (families checked)" "v >= 20" "$counted"
check "batches recorded over the run" "v > 0" "$(query "sum(increase(batch_batches_total{job=\"native\"}[$span]))")"
growth=$("$py" -c "
import sys
rss = [int(x) for x in sys.argv[1:]]
t = len(rss) // 3
print(max(rss[2 * t:]) / max(rss[t:2 * t]) if t else 1.0)  # under three samples: nothing to compare" "${rss[@]}")
check "resident memory: last third's peak / middle third's peak <= 1.25" "v <= 1.25" "$growth"

kill -TERM "$demo"
stopped=$(date +%s%N)
code=0
wait "$demo" || code=$?
ms=$(( ($(date +%s%N) - stopped) / 1000000 ))
[ "$code" -eq 0 ] || fail "the demo exited $code after SIGTERM"
[ "$ms" -le 10000 ] || fail "the demo took $ms ms to stop"
echo "  ok: SIGTERM: exit 0 in $ms ms"
tail -4 "$work/demo.log" | sed 's/^/  demo: /'
echo "soak: OK"
