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
tag=check-prometheus
source samples/InferenceServer/prometheus-common.sh

build_demo
ports=()
start_demo "$work/demo1.log" BatchStats__demo__HistogramScale=5 -- --rate 1200
ports+=("$demo_port")
start_demo "$work/demo2.log" BatchStats__demo__HistogramScale=3 -- --rate 1200
ports+=("$demo_port")
start_prometheus "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}"
echo "check-prometheus: demos on ports ${ports[*]}, Prometheus on $prom_port; scraping for 22 s"
sleep 22

targets_json=$(curl -sf "$api/targets")
"$py" - "$targets_json" <<'PY' || fail "targets not all up"
import json, sys
active = json.loads(sys.argv[1])["data"]["activeTargets"]
bad = [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in active if t["health"] != "up" or t["lastError"]]
print(f"  targets: {len(active)} active, {len(bad)} not up")
sys.exit(0 if len(active) == 4 and not bad else 1)
PY

check_no_resets 5m
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
