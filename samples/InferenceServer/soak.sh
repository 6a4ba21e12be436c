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
tag=soak
source samples/InferenceServer/prometheus-common.sh

build_demo
start_demo "$work/demo.log"
start_prometheus "127.0.0.1:$demo_port"
(
  while kill -0 "$demo_pid" 2>/dev/null; do
    for path in stats history distribution; do curl -s -o /dev/null "http://127.0.0.1:$demo_port/$path" || true; done
    sleep 0.3
  done
) &
pids+=("$!")
start=$(date +%s)
echo "soak: demo on port $demo_port, Prometheus on $prom_port, $minutes min"

rss=()
samples=$((minutes * 2))
for i in $(seq 1 "$samples"); do
  sleep 30
  kill -0 "$demo_pid" 2>/dev/null || { tail -20 "$work/demo.log"; fail "the demo exited early"; }
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$demo_pid/status")
  rss+=("$kb")
  printf '  %5d s  resident %6.1f MiB\n' $((i * 30)) "$("$py" -c "print($kb / 1024)")"
done
end=$(date +%s)
due=$((end - start - 5)) # seconds every query covers: the whole run but its first seconds
span="${due}s"
for job in native classic; do
  check "$job: scrapes, at least 90 % of the $due due" "v >= 0.9 * $due" "$(query "count_over_time(up{job=\"$job\"}[$span])" "$end")"
  check "$job: every scrape succeeded" "v == 1" "$(query "min_over_time(up{job=\"$job\"}[$span])" "$end")"
done
check_no_resets "$span" "$end"
check "batches recorded over the run" "v > 0" "$(query "sum(increase(batch_batches_total{job=\"native\"}[$span]))" "$end")"
growth=$("$py" -c "
import sys
rss = [int(x) for x in sys.argv[1:]]
t = len(rss) // 3
print(max(rss[2 * t:]) / max(rss[t:2 * t]) if t else 1.0)  # under three samples: nothing to compare" "${rss[@]}")
check "resident memory: last third's peak / middle third's peak <= 1.25" "v <= 1.25" "$growth"

kill -TERM "$demo_pid"
stopped=$(date +%s%N)
code=0
wait "$demo_pid" || code=$?
ms=$(( ($(date +%s%N) - stopped) / 1000000 ))
[ "$code" -eq 0 ] || fail "the demo exited $code after SIGTERM"
[ "$ms" -le 10000 ] || fail "the demo took $ms ms to stop"
echo "  ok: SIGTERM: exit 0 in $ms ms"
tail -4 "$work/demo.log" | sed 's/^/  demo: /'
echo "soak: OK"
