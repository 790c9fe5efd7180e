#!/usr/bin/env bash
# Records one observed data set from the real testbed: PostgreSQL, Redis,
# Prometheus and testbed-service on loopback, driven by testbed-load's
# open-loop ladder. Writes testbed/observed/<label>/ and stops everything it
# started, on success, failure or Ctrl-C. See testbed/README.md.
#
#   testbed/run.sh                      # full ladder, 60 s steps
#   testbed/run.sh --quick              # 10 s steps, for a check
#   testbed/run.sh --capacity 250 --label quiet-box
set -euo pipefail

usage() {
    cat <<'EOF'
usage: testbed/run.sh [options]
  --label NAME          output folder testbed/observed/NAME (default: UTC date and time)
  --note TEXT           a note kept in meta.json (e.g. what else ran on the machine)
  --capacity RPS        skip the capacity probe and take this many requests/s as 100 %
  --fractions LIST      ladder steps as fractions of capacity (default 0.1,0.2,0.35,0.5,0.6,0.7,0.8,0.9,1.0,1.1)
  --step-secs N         length of each step (default 60)
  --quick               10 s steps and a 5 s probe, for a check (not a recording to compare with)
  --keys N              projects in the table (default 100000)
  --tenants N           tenants (default 2000)
  --seed N              seed of the load plan and the service's CPU draws (default 42)
  --service-cpu N       core the service is pinned to (default 0)
  --other-cpus LIST     cores for the load generator and the databases (default 1)
  --nice N              scheduling niceness of everything started (default -19: ahead of other work)
  --pg-port N, --redis-port N, --service-port N, --prometheus-port N
                        loopback ports (defaults 55432, 56379, 58080, 59090); a port in use is an error
  --no-install          do not apt-get install missing packages
Extra PostgreSQL settings may be passed in TESTBED_PG_ARGS (e.g. "-c shared_buffers=256MB").
EOF
}

die() {
    echo "run.sh: $*" >&2
    exit 2
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LABEL=$(date -u +%Y-%m-%dT%H%MZ)
NOTE=""
CAPACITY=""
FRACTIONS="0.1,0.2,0.35,0.5,0.6,0.7,0.8,0.9,1.0,1.1"
STEP_SECS=60
PROBE_SECS=20
PROBE_RATE=40
KEYS=100000
TENANTS=2000
SEED=42
SERVICE_CPU=0
OTHER_CPUS=1
NICE=-19
PG_PORT=55432
REDIS_PORT=56379
SERVICE_PORT=58080
PROM_PORT=59090
INSTALL=1
QUICK=0

while [ $# -gt 0 ]; do
    case "$1" in
    --label) LABEL=${2:?--label needs a value}; shift 2 ;;
    --note) NOTE=${2:?--note needs a value}; shift 2 ;;
    --capacity) CAPACITY=${2:?--capacity needs a value}; shift 2 ;;
    --fractions) FRACTIONS=${2:?--fractions needs a value}; shift 2 ;;
    --step-secs) STEP_SECS=${2:?--step-secs needs a value}; shift 2 ;;
    --quick) QUICK=1; STEP_SECS=10; PROBE_SECS=5; shift ;;
    --keys) KEYS=${2:?--keys needs a value}; shift 2 ;;
    --tenants) TENANTS=${2:?--tenants needs a value}; shift 2 ;;
    --seed) SEED=${2:?--seed needs a value}; shift 2 ;;
    --service-cpu) SERVICE_CPU=${2:?--service-cpu needs a value}; shift 2 ;;
    --other-cpus) OTHER_CPUS=${2:?--other-cpus needs a value}; shift 2 ;;
    --nice) NICE=${2:?--nice needs a value}; shift 2 ;;
    --pg-port) PG_PORT=${2:?--pg-port needs a value}; shift 2 ;;
    --redis-port) REDIS_PORT=${2:?--redis-port needs a value}; shift 2 ;;
    --service-port) SERVICE_PORT=${2:?--service-port needs a value}; shift 2 ;;
    --prometheus-port) PROM_PORT=${2:?--prometheus-port needs a value}; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
    esac
done

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in STEP_SECS KEYS TENANTS SEED SERVICE_CPU PG_PORT REDIS_PORT SERVICE_PORT PROM_PORT; do
    is_uint "${!v}" || die "$v=${!v}: expected a whole number"
done
[[ $NICE =~ ^-?[0-9]+$ ]] && [ "$NICE" -ge -20 ] && [ "$NICE" -le 19 ] || die "--nice $NICE: expected -20 to 19"
[ "$STEP_SECS" -ge 1 ] || die "--step-secs must be at least 1"
[[ $LABEL =~ ^[A-Za-z0-9._-]+$ ]] || die "--label $LABEL: use letters, digits, '.', '_' and '-' only"
[[ $FRACTIONS =~ ^[0-9.]+(,[0-9.]+)*$ ]] || die "--fractions $FRACTIONS: expected numbers separated by commas"
[ -z "$CAPACITY" ] || [[ $CAPACITY =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--capacity $CAPACITY: expected a number of requests/s"
OUT="$HERE/observed/$LABEL"
[ ! -e "$OUT" ] || die "$OUT already exists: pick another --label"

# ---------------------------------------------------------------- install
PKG_FOR=(postgresql:postgresql redis-server:redis-server prometheus:prometheus jq:jq curl:curl gzip:gzip)
have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; }
missing=()
for pair in "${PKG_FOR[@]}"; do
    cmd=${pair%%:*}
    pkg=${pair##*:}
    if [ "$cmd" = postgresql ]; then have_postgres && continue; else command -v "$cmd" >/dev/null && continue; fi
    missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$INSTALL" = 1 ] || die "missing: ${missing[*]} (run without --no-install, or apt-get install them)"
    echo "run.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
command -v taskset >/dev/null || die "taskset (util-linux) is missing"
command -v setpriv >/dev/null || die "setpriv (util-linux) is missing"
id postgres >/dev/null 2>&1 || die "there is no postgres user (it comes with the postgresql package)"

# ---------------------------------------------------------------- ports
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for pair in "PostgreSQL:$PG_PORT:--pg-port" "Redis:$REDIS_PORT:--redis-port" \
    "testbed-service:$SERVICE_PORT:--service-port" "Prometheus:$PROM_PORT:--prometheus-port"; do
    IFS=: read -r what port flag <<<"$pair"
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 (for $what) is in use: stop what listens there or pass $flag with a free port"
    fi
done
[ "$(printf '%s\n' "$PG_PORT" "$REDIS_PORT" "$SERVICE_PORT" "$PROM_PORT" | sort -u | wc -l)" = 4 ] ||
    die "the four ports must differ"

# ---------------------------------------------------------------- build
echo "run.sh: building testbed-service and testbed-load" >&2
cargo build --release --locked --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release"

# ---------------------------------------------------------------- processes
WORK=$(mktemp -d /tmp/scaletwin-testbed.XXXXXX)
STARTED=() # "name pid signal", in start order
RESULT=fail

# started NAME PID SIGNAL COMMAND: remembers a background process (stopped
# with SIGNAL at exit) once its pid is checked to run COMMAND itself.
started() {
    STARTED+=("$1 $2 $3")
    local comm="" n
    for ((n = 0; n < 40; n++)); do # the exec chain (taskset, nice, setpriv) takes a moment
        comm=$(cat "/proc/$2/comm" 2>/dev/null) || return 0 # gone already: its waiter reports it
        [ "$comm" = "${4:0:15}" ] && return 0
        sleep 0.05
    done
    echo "run.sh: internal error: pid $2 runs $comm, not $4" >&2
    exit 1
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    local i name pid sig n
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        read -r name pid sig <<<"${STARTED[i]}"
        kill -0 "$pid" 2>/dev/null || continue
        kill "-$sig" "$pid" 2>/dev/null
        for ((n = 0; n < 150; n++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "run.sh: $name ($pid) did not stop in 15 s: killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    if [ "$RESULT" = ok ]; then
        rm -rf "$WORK"
    else
        echo "run.sh: stopped everything it started; logs kept in $WORK" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT
trap 'echo "run.sh: terminated" >&2; exit 143' TERM

# wait_until SECONDS PID WHAT COMMAND...: polls COMMAND until it succeeds;
# fails if PID dies or time runs out.
wait_until() {
    local secs=$1 pid=$2 what=$3 n
    shift 3
    for ((n = 0; n < secs * 10; n++)); do
        "$@" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || {
            echo "run.sh: $what exited while starting; its log ($WORK/$what.log) ends with:" >&2
            tail -n 15 "$WORK/$what.log" >&2
            exit 1
        }
        sleep 0.1
    done
    echo "run.sh: $what did not become ready in $secs s; its log ends with:" >&2
    tail -n 15 "$WORK/$what.log" >&2
    exit 1
}

# Prefixes that exec (no shell function or subshell in between), so that $!
# of a backgrounded command is the server's own pid.
ON_SERVICE_CPU=(taskset -c "$SERVICE_CPU" nice -n "$NICE")
ON_OTHERS=(taskset -c "$OTHER_CPUS" nice -n "$NICE")

echo "run.sh: starting PostgreSQL on 127.0.0.1:$PG_PORT" >&2
mkdir -p "$WORK/pg" "$WORK/pgsock"
chown postgres: "$WORK" "$WORK/pg" "$WORK/pgsock"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
as_postgres "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync >"$WORK/initdb.log" 2>&1 ||
    { tail -n 15 "$WORK/initdb.log" >&2; exit 1; }
# shellcheck disable=SC2086 # TESTBED_PG_ARGS is split on purpose
"${ON_OTHERS[@]}" setpriv --reuid=postgres --regid=postgres --init-groups -- "$PG_BIN/postgres" -D "$WORK/pg" \
    -c listen_addresses=127.0.0.1 -p "$PG_PORT" -c unix_socket_directories="$WORK/pgsock" \
    -c max_connections=60 -c shared_buffers=256MB ${TESTBED_PG_ARGS:-} >"$WORK/postgres.log" 2>&1 &
started postgres $! INT postgres # SIGINT: PostgreSQL's fast shutdown
wait_until 30 $! postgres pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT")

echo "run.sh: loading $KEYS projects of $TENANTS tenants" >&2
"${PSQL[@]}" -U postgres -d postgres -c "CREATE ROLE testbed LOGIN" -c "CREATE DATABASE testbed OWNER testbed"
"${PSQL[@]}" -U testbed -d testbed -v keys="$KEYS" -v tenants="$TENANTS" -f "$HERE/schema.sql"

echo "run.sh: starting Redis on 127.0.0.1:$REDIS_PORT" >&2
mkdir -p "$WORK/redis"
"${ON_OTHERS[@]}" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$WORK/redis" --save '' \
    --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru >"$WORK/redis.log" 2>&1 &
started redis $! TERM redis-server
wait_until 30 $! redis bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT"

SERVICE_ARGS=(--listen "127.0.0.1:$SERVICE_PORT"
    --postgres "host=127.0.0.1 port=$PG_PORT user=testbed dbname=testbed"
    --redis "redis://127.0.0.1:$REDIS_PORT" --pool-size 20 --slots 16 --queue-limit 200
    --l1-capacity 10000 --l1-ttl-ms 10000 --redis-ttl-s 300 --seed "$SEED")
echo "run.sh: starting testbed-service on 127.0.0.1:$SERVICE_PORT, pinned to CPU $SERVICE_CPU" >&2
"${ON_SERVICE_CPU[@]}" "$BIN/testbed-service" "${SERVICE_ARGS[@]}" >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
started service $SERVICE_PID TERM testbed-service
wait_until 60 $SERVICE_PID service curl -sf "http://127.0.0.1:$SERVICE_PORT/healthz"

echo "run.sh: starting Prometheus on 127.0.0.1:$PROM_PORT (1 s scrapes)" >&2
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: testbed
    static_configs:
      - targets: ["127.0.0.1:$SERVICE_PORT"]
EOF
"${ON_OTHERS[@]}" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1d >"$WORK/prometheus.log" 2>&1 &
started prometheus $! TERM prometheus
PROM="http://127.0.0.1:$PROM_PORT"
wait_until 60 $! prometheus curl -sf "$PROM/-/ready"

# run_load LOG SUMMARY RATES STEP_SECS: the load generator on the other
# cores, in the background so that a signal reaches this script at once.
run_load() {
    "${ON_OTHERS[@]}" "$BIN/testbed-load" --url "http://127.0.0.1:$SERVICE_PORT" --out "$1" --rates "$3" \
        --step-secs "$4" --seed "$SEED" --keys "$KEYS" --tenants "$TENANTS" >"$2" &
    started load $! TERM testbed-load
    wait $!
}

service_cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SERVICE_PID/stat"; }

mkdir -p "$WORK/out/prometheus"
if [ -z "$CAPACITY" ]; then
    # 1. CPU cost: a light step (it also warms the caches); one core's worth
    #    of the service's CPU time per request bounds its throughput.
    echo "run.sh: probing capacity: $PROBE_RATE req/s for $PROBE_SECS s" >&2
    cpu0=$(service_cpu_s)
    run_load "$WORK/probe-light.csv" "$WORK/probe-light.jsonl" "$PROBE_RATE" "$PROBE_SECS"
    cpu1=$(service_cpu_s)
    ok=$(jq -s '.[0].ok' "$WORK/probe-light.jsonl")
    CPU_PER_REQ_MS=$(awk -v ok="$ok" -v a="$cpu0" -v b="$cpu1" 'BEGIN { if (ok == 0) exit 1; printf "%.3f", (b - a) * 1000 / ok }') ||
        die "the capacity probe got no answer; see $WORK/service.log"
    CPU_BOUND=$(awk -v c="$CPU_PER_REQ_MS" 'BEGIN { printf "%.1f", 1000 / c }')
    # 2. Throughput: a closed loop of as many clients as the service has
    #    slots keeps it busy without a queue or a refusal: its completions
    #    per second are what the service can do on this machine now.
    echo "run.sh: ${CPU_PER_REQ_MS} ms of CPU per request (at most $CPU_BOUND req/s); closed loop of 16 clients for $PROBE_SECS s" >&2
    "${ON_OTHERS[@]}" "$BIN/testbed-load" --url "http://127.0.0.1:$SERVICE_PORT" --out "$WORK/probe-closed.csv" \
        --closed-clients 16 --step-secs "$PROBE_SECS" --seed "$SEED" --keys "$KEYS" --tenants "$TENANTS" \
        >"$WORK/probe-closed.jsonl" &
    started load $! TERM testbed-load
    wait $!
    CAPACITY=$(jq -s '.[0].ok_per_s * 10 | round / 10' "$WORK/probe-closed.jsonl")
    awk -v c="$CAPACITY" 'BEGIN { exit !(c > 0) }' || die "the closed-loop probe completed nothing; see $WORK/service.log"
    CAPACITY_SOURCE="probe: ${CPU_PER_REQ_MS} ms of service CPU per request at $PROBE_RATE req/s (bound $CPU_BOUND req/s); $CAPACITY req/s completed by 16 closed-loop clients"
    jq -s -c --argjson cpu_ms "$CPU_PER_REQ_MS" --argjson capacity "$CAPACITY" \
        '{light: .[0], closed_loop: .[1], cpu_ms_per_request: $cpu_ms, capacity_rps: $capacity}' \
        "$WORK/probe-light.jsonl" "$WORK/probe-closed.jsonl" >"$WORK/out/probe.json"
    echo "run.sh: capacity ~ $CAPACITY req/s" >&2
    sleep 2
else
    CAPACITY_SOURCE="given with --capacity"
fi
RATES=$(awk -v c="$CAPACITY" -v f="$FRACTIONS" \
    'BEGIN { n = split(f, a, ","); for (i = 1; i <= n; i++) printf "%s%.1f", (i > 1 ? "," : ""), a[i] * c }')

echo "run.sh: ladder of $STEP_SECS s steps at $RATES req/s" >&2
START_UNIX=$(date -u +%s)
START_ISO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
run_load "$WORK/out/requests.csv" "$WORK/out/steps.jsonl" "$RATES" "$STEP_SECS"
jq -r '"step \(.step): offered \(.rate)/s, ok \(.ok_per_s)/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, 503 \(.rejected), timeouts \(.timeouts), cores busy \(.cores_busy)"' \
    "$WORK/out/steps.jsonl" >&2
sleep 3 # one more scrape after the last response
for entry in "${STARTED[@]}"; do
    read -r name pid _ <<<"$entry"
    [ "$name" = load ] || kill -0 "$pid" 2>/dev/null ||
        { echo "run.sh: $name exited during the ladder (see $WORK/$name.log): nothing recorded" >&2; exit 1; }
done
END_UNIX=$(date -u +%s)
LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)

echo "run.sh: exporting Prometheus series" >&2
curl -sfG "$PROM/api/v1/label/__name__/values" --data-urlencode 'match[]={job="testbed"}' |
    jq -r '.data[]' >"$WORK/series.txt"
while read -r name; do
    curl -sfG "$PROM/api/v1/query_range" --data-urlencode "query={__name__=\"$name\",job=\"testbed\"}" \
        --data-urlencode "start=$START_UNIX" --data-urlencode "end=$END_UNIX" --data-urlencode step=1 \
        >"$WORK/out/prometheus/$name.json"
done <"$WORK/series.txt"
[ -s "$WORK/series.txt" ] || die "Prometheus holds no series of the service"

gzip -9 "$WORK/out/requests.csv" "$WORK/out"/prometheus/*.json

jq -n \
    --arg lbl "$LABEL" --arg note "$NOTE" --arg start_iso "$START_ISO" --arg end_iso "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson start_unix "$START_UNIX" --argjson end_unix "$END_UNIX" \
    --arg host "$(hostname)" --arg kernel "$(uname -srm)" --argjson cpus "$(nproc)" \
    --arg cpu_model "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
    --arg mem "$(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)" \
    --arg loadavg_start "$LOADAVG_START" --arg loadavg_end "$LOADAVG_END" \
    --arg postgres "$("$PG_BIN/postgres" --version)" --arg redis "$(redis-server --version)" \
    --arg prometheus "$(prometheus --version 2>&1 | head -n 1)" --arg rustc "$(rustc --version)" \
    --arg commit "$(git -C "$HERE" rev-parse HEAD 2>/dev/null || echo unknown)" \
    --argjson capacity "$CAPACITY" --arg capacity_source "$CAPACITY_SOURCE" \
    --arg fractions "$FRACTIONS" --arg rates "$RATES" --argjson step_secs "$STEP_SECS" --argjson quick "$QUICK" \
    --argjson keys "$KEYS" --argjson tenants "$TENANTS" --argjson seed "$SEED" \
    --arg service_cpu "$SERVICE_CPU" --arg other_cpus "$OTHER_CPUS" --argjson nice "$NICE" \
    --arg service_args "${SERVICE_ARGS[*]}" --arg pg_args "${TESTBED_PG_ARGS:-}" \
    '{
      "label": $lbl, "note": $note, "recorded": {"start": $start_iso, "end": $end_iso, "start_unix": $start_unix, "end_unix": $end_unix},
      "machine": {"host": $host, "kernel": $kernel, "cpus": $cpus, "cpu_model": $cpu_model, "memory": $mem,
                "loadavg_start": $loadavg_start, "loadavg_end": $loadavg_end},
      "software": {"postgres": $postgres, "redis": $redis, "prometheus": $prometheus, "rustc": $rustc, "commit": $commit},
      "pinning": {"service_cpu": $service_cpu, "other_cpus": $other_cpus, "nice": $nice},
      "capacity": {"rps": $capacity, "source": $capacity_source},
      "ladder": {"fractions": ($fractions | split(",") | map(tonumber)), "rates": ($rates | split(",") | map(tonumber)),
               "step_secs": $step_secs, "quick": ($quick == 1)},
      "workload": {"mix": {"list_projects": 0.70, "get_project": 0.20, "update_project": 0.10},
                 "keys": $keys, "key_zipf": 0.9, "tenants": $tenants, "tenant_zipf": 1.1, "seed": $seed,
                 "client_timeout_ms": 5000, "open_loop": true, "arrivals": "Poisson"},
      "service": {"pool_size": 20, "slots": 16, "queue_limit": 200, "l1_capacity": 10000, "l1_ttl_ms": 10000, "redis_ttl_s": 300,
                "compute_ms": {"list_projects": 4, "get_project": 2, "update_project": 6}, "compute_law": "Exp",
                "worker_threads": 1, "args": $service_args},
      "postgres": {"max_connections": 60, "shared_buffers": "256MB", "extra_args": $pg_args},
      "files": {"requests.csv.gz": "one line per planned request: intended_ns (from the start of the ladder), step, endpoint, tenant, key, status (HTTP code, timeout, error, skipped), latency_ns (intended send time to end of response)",
              "steps.jsonl": "testbed-load summary per step (start_unix_ms aligns with Prometheus; cores_busy and loadavg_1m show what else the machine did)",
              "prometheus/*.json.gz": "query_range answers, 1 s step, one file per metric name",
              "probe.json": "the capacity probe (absent with --capacity)"}
    }' >"$WORK/out/meta.json"

mkdir -p "$HERE/observed"
mv "$WORK/out" "$OUT"
RESULT=ok
echo "run.sh: recorded $OUT ($(du -sh "$OUT" | cut -f1))" >&2
