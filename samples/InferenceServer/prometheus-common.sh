# Shared by check-prometheus.sh and soak.sh (sourced, not run): prerequisites, a temporary folder and the processes
# started, both removed on every exit path; the demo and a real Prometheus server started on free loopback ports;
# instant queries and checks against the server's HTTP API.
# The sourcing script sets `tag` (its name in messages) and runs from the repository root.

command -v prometheus >/dev/null || { echo "$tag: install Debian's prometheus first"; exit 2; }
command -v curl >/dev/null || { echo "$tag: needs curl"; exit 2; }
py=$(command -v python3 || true)
[ -n "$py" ] || { echo "$tag: needs python3 (for JSON)"; exit 2; }
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "$tag: FAILED: $*"; exit 1; }

build_demo() {
  dotnet build -c Release samples/InferenceServer -v q -nologo >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
}

# Starts the built demo with --port 0 --serve and waits for its port. $1 = log file, then VAR=VALUE settings for its
# environment, then (after --) more demo options. Sets demo_pid and demo_port.
start_demo() {
  local log="$1" settings=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do settings+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  env "${settings[@]}" dotnet samples/InferenceServer/bin/Release/net10.0/InferenceServer.dll --port 0 --serve "$@" >"$log" 2>&1 &
  demo_pid=$!
  pids+=("$demo_pid")
  demo_port=""
  for _ in $(seq 1 60); do
    demo_port=$(grep -o 'http://127.0.0.1:[0-9]*/' "$log" | head -1 | grep -o '[0-9]*/$' | tr -d / || true)
    [ -n "$demo_port" ] && return
    sleep 0.5
  done
  cat "$log"
  fail "the demo ($log) did not start"
}

# Starts Prometheus (native histograms on, 1 s scrapes, storage in the temporary folder) with two jobs over the
# given "host:port" targets: "native" negotiates protobuf (native histograms), "classic" asks for text (?format=text,
# classic buckets). Sets prom_port and api, and returns once the server answers.
start_prometheus() {
  local targets
  targets=$(printf "'%s', " "$@")
  prom_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: native
    static_configs: [{targets: [${targets%, }]}]
  - job_name: classic
    params: {format: [text]}
    static_configs: [{targets: [${targets%, }]}]
EOF
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" --web.listen-address="127.0.0.1:$prom_port" \
    --enable-feature=native-histograms >"$work/prometheus.log" 2>&1 &
  pids+=("$!")
  api="http://127.0.0.1:$prom_port/api/v1"
  for _ in $(seq 1 60); do curl -sf "$api/status/buildinfo" >/dev/null && return; sleep 0.5; done
  cat "$work/prometheus.log"
  fail "Prometheus did not start"
}

# One number from an instant query, at time $2 if given ("" when the result is empty; the error when the query fails).
query() {
  local at=()
  [ $# -ge 2 ] && at=(--data-urlencode "time=$2")
  curl -s --get "$api/query" --data-urlencode "query=$1" "${at[@]}" |
    "$py" -c 'import json,sys; d=json.load(sys.stdin); r=d.get("data",{}).get("result",[]); print(r[0]["value"][1] if r else d.get("error",""))'
}

check() { # $1 = description, $2 = python boolean expression over v, $3 = the value
  "$py" -c "import math,sys; v=float(sys.argv[1]) if sys.argv[1] else float('nan'); sys.exit(0 if ($2) else 1)" "$3" \
    && echo "  ok: $1 ($3)" || fail "$1 ($3)"
}

# resets() over range $1 (at time $2 if given) is 0 for every counter, histogram _bucket/_count/_sum, summary
# _count/_sum and native histogram (job "native"), and there are at least 20 such families. resets() drops the metric
# name, so each name is queried on its own.
check_no_resets() {
  local names name selector value counted=0
  names=$(curl -sf "$api/label/__name__/values" | "$py" -c 'import json,sys; print(" ".join(n for n in json.load(sys.stdin)["data"] if n.startswith("batch_")))')
  for name in $names; do
    case "$name" in
      *_total|*_bucket|*_count|*_sum) selector="$name" ;;
      *_duration_seconds) selector="$name{job=\"native\"}" ;;
      *) continue ;;
    esac
    value=$(query "max(resets($selector[$1]))" "${@:2}")
    "$py" -c "import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) == 0 else 1)" "$value" || fail "resets($name[$1]) = '$value'"
    counted=$((counted + 1))
  done
  check "resets() == 0 over $1 for every counter, _bucket, _count, _sum and native histogram (families checked)" "v >= 20" "$counted"
}
