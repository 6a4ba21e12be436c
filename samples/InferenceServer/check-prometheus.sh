#!/usr/bin/env bash
# A real Prometheus server is the judge of the exposition: starts two demo instances on free loopback ports and a
# Prometheus server (native histograms on, 1 s scrapes, its own temporary storage) scraping both, twice: job "native"
# negotiates the protobuf format (native histograms), job "classic" asks for text (?format=text, classic buckets).
# The instances differ as a fleet's may: the first records at HistogramScale 5 (set through configuration, the
# environment variable BatchStats__demo__HistogramScale), the second at the default 3, so the native sums merge
# schemas 5 and 3 (Prometheus reduces to the coarser, 3; the bounds below are for it).
# After about 20 s it queries the HTTP API and fails unless:
#   - all four targets are up with no scrape error;
#   - resets() is 0 over every counter, histogram _bucket/_count/_sum, summary _count/_sum and native histogram;
#   - histogram_quantile(0.99, ...) over the native and over the classic histograms is finite and lies between the
#     instances' window median of processing time and the upper edge of the highest non-empty bucket;
#   - the histograms' count rate agrees with rate(batch_batches_total) to within 5 %.
# Kills only the processes it started and removes its temporary folder on every exit path.
# Usage: bash samples/InferenceServer/check-prometheus.sh   (needs Debian's prometheus; .ci/run installs it)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v prometheus >/dev/null || { echo "check-prometheus: install Debian's prometheus first"; exit 2; }
command -v curl >/dev/null || { echo "check-prometheus: needs curl"; exit 2; }
py=$(command -v python3 || true)
[ -n "$py" ] || { echo "check-prometheus: needs python3 (for JSON)"; exit 2; }
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "check-prometheus: FAILED: $*"; exit 1; }

dotnet build -c Release samples/InferenceServer -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
demo_dll=samples/InferenceServer/bin/Release/net10.0/InferenceServer.dll
ports=()
for i in 1 2; do
  scale=$([ "$i" = 1 ] && echo 5 || echo 3)
  BatchStats__demo__HistogramScale=$scale dotnet "$demo_dll" --port 0 --serve --rate 1200 >"$work/demo$i.log" 2>&1 &
  pids+=("$!")
done
for i in 1 2; do
  for _ in $(seq 1 60); do
    port=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/demo$i.log" | head -1 | grep -o '[0-9]*/$' | tr -d / || true)
    [ -n "$port" ] && break
    sleep 0.5
  done
  [ -n "$port" ] || { cat "$work/demo$i.log"; fail "demo $i did not start"; }
  ports+=("$port")
done
prom_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 19090)
targets="['127.0.0.1:${ports[0]}', '127.0.0.1:${ports[1]}']"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: native
    static_configs: [{targets: $targets}]
  - job_name: classic
    params: {format: [text]}
    static_configs: [{targets: $targets}]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --web.listen-address="127.0.0.1:$prom_port" \
  --enable-feature=native-histograms >"$work/prometheus.log" 2>&1 &
pids+=("$!")
api="http://127.0.0.1:$prom_port/api/v1"
for _ in $(seq 1 60); do curl -sf "$api/status/buildinfo" >/dev/null && break; sleep 0.5; done
echo "check-prometheus: demos on ports ${ports[*]}, Prometheus on $prom_port; scraping for 22 s"
sleep 22

# One number from an instant query ("" when the result is empty; the error when the query fails).
query() {
  curl -s --get "$api/query" --data-urlencode "query=$1" |
    "$py" -c 'import json,sys; d=json.load(sys.stdin); r=d.get("data",{}).get("result",[]); print(r[0]["value"][1] if r else d.get("error",""))'
}
check() { # $1 = description, $2 = python boolean expression over v
  "$py" -c "import math,sys; v=float(sys.argv[1]) if sys.argv[1] else float('nan'); sys.exit(0 if ($2) else 1)" "$3" \
    && echo "  ok: $1 ($3)" || fail "$1 ($3)"
}

targets_json=$(curl -sf "$api/targets")
"$py" - "$targets_json" <<'PY' || fail "targets not all up"
import json, sys
active = json.loads(sys.argv[1])["data"]["activeTargets"]
bad = [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in active if t["health"] != "up" or t["lastError"]]
print(f"  targets: {len(active)} active, {len(bad)} not up")
sys.exit(0 if len(active) == 4 and not bad else 1)
PY

# resets() drops the metric name, so each name is queried on its own.
names=$(curl -sf "$api/label/__name__/values" | "$py" -c 'import json,sys; print(" ".join(n for n in json.load(sys.stdin)["data"] if n.startswith("batch_")))')
counted=0
for name in $names; do
  case "$name" in
    *_total|*_bucket|*_count|*_sum) selector="$name" ;;
    *_duration_seconds) selector="$name{job=\"native\"}" ;;
    *) continue ;;
  esac
  value=$(query "max(resets($selector[5m]))")
  "$py" -c "import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) == 0 else 1)" "$value" || fail "resets($name) = '$value'"
  counted=$((counted + 1))
done
check "resets() == 0 over every counter, _bucket, _count, _sum and native histogram (families checked)" "v >= 20" "$counted"
check "native histogram series were ingested" "v >= 6" \
  "$(query 'count({__name__=~"batch_.*_duration_seconds", job="native"})')"

# Bounds for the p99 estimates over the last 15 s: the instances' window median at the end below, and above, the upper
# edge of the highest non-empty classic bucket (an estimate interpolates inside the bucket that holds the quantile,
# so it can exceed the largest value recorded, but not that edge); a native bucket (scale 3) spans a factor 2^(1/8).
low=1e9; edge=0
for port in "${ports[@]}"; do
  p50=$(curl -sf "http://127.0.0.1:$port/stats" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["stats"]["median_processing_time"])')
  top=$(curl -sf "http://127.0.0.1:$port/metrics?format=text" | "$py" -c '
import re, sys
buckets, count = [], None
for line in sys.stdin:
    m = re.match(r"batch_processing_duration_seconds_bucket\{.*le=\"([^\"]+)\".*\} (\S+)", line)
    if m:
        buckets.append((float(m.group(1)), float(m.group(2))))
    elif line.startswith("batch_processing_duration_seconds_count"):
        count = float(line.split()[-1])
print(min(le for le, c in buckets if c >= count))')
  low=$("$py" -c "print(min($low, $p50))"); edge=$("$py" -c "print(max($edge, $top))")
done
# Each instance records at its own scale (the ratio of a bucket's bounds is 2^(2^-scale)).
scales=""
for port in "${ports[@]}"; do
  scales="$scales $(curl -sf "http://127.0.0.1:$port/distribution" | "$py" -c '
import json, math, sys
b = json.load(sys.stdin)[0]
print(round(-math.log2(math.log2(b["upper"] / b["lower"]))))')"
done
[ "$scales" = " 5 3" ] || fail "the instances' histogram scales are$scales, not 5 3"
echo "  ok: the instances record at scales$scales"
native_high=$("$py" -c "print($edge * 2 ** (1 / 8))")
echo "  instances: window p50 >= $low; highest non-empty classic bucket edge $edge"
native_p99=$(query 'histogram_quantile(0.99, sum(rate(batch_processing_duration_seconds{job="native"}[15s])))')
classic_p99=$(query 'histogram_quantile(0.99, sum by (le) (rate(batch_processing_duration_seconds_bucket{job="classic"}[15s])))')
check "native p99 within p50 .. the top bucket's edge" "math.isfinite(v) and $low <= v <= $native_high" "$native_p99"
check "classic p99 within p50 .. the top bucket's edge" "math.isfinite(v) and $low <= v <= $edge" "$classic_p99"
# The same distribution through both encodings: the estimates agree within a classic bucket's width (a factor of 2).
check "native and classic p99 agree within a factor of 2" "v <= 1" \
  "$("$py" -c "import math; print(abs(math.log2(float('$native_p99') / float('$classic_p99'))))" 2>/dev/null || echo nan)"
check "classic rate(_count) / rate(batches_total) within 5 %" "abs(v - 1) <= 0.05" \
  "$(query 'sum(rate(batch_processing_duration_seconds_count{job="classic"}[15s])) / sum(rate(batch_batches_total{job="classic"}[15s]))')"
check "native histogram_count(rate) / rate(batches_total) within 5 %" "abs(v - 1) <= 0.05" \
  "$(query 'sum(histogram_count(rate(batch_processing_duration_seconds{job="native"}[15s]))) / sum(rate(batch_batches_total{job="native"}[15s]))')"
echo "check-prometheus: OK"
