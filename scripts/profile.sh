#!/usr/bin/env bash
# Where a request's time goes: each service's instructions per request under callgrind, which
# counts instructions rather than seconds, so the figures repeat on a busy machine and a change
# shows up as a number. Builds the `profiling` profile (release with symbols) and writes one
# callgrind file per row to target/profile/ for `callgrind_annotate --inclusive=yes FILE`.
#
#   ./scripts/profile.sh            # 1000 keep-alive requests per row
#   ./scripts/profile.sh 200        # fewer, faster
#
# The driver is sequential, so productpage's default row opens a connection per backend call (as
# a person refreshing would); under concurrent load its calls take the pooled row's path, read
# against the pooled page's empty graph (empty-productpage-pooled). With few requests (200), the
# routes' lazily built regex DFA adds a few thousand instructions per request to every service row
# (the empty graphs have no routes); 1000 amortises it.
# The service under measurement runs under valgrind; the services it calls run natively. Logs at
# warn and no span export, as in the benchmark. The last rows are the benchmark's empty graphs
# (bench/src/bin/ceiling.rs): the same calls made by a server that does nothing else. memset inside actix-http's header parser is
# counted per byte by valgrind (a `rep stosb`), so it looks bigger here than it is on a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt.sh
apt_install valgrind python3 >/dev/null

requests="${1:-1000}"
# Only the rows whose label matches this extended regex (default: every row), e.g.
# PROFILE_ROWS='productpage-pooled|reviews-v3|empty' ./scripts/profile.sh 200
only="${PROFILE_ROWS:-.}"
bin=target/profiling
out=target/profile
mkdir -p "${out}"
# Two commands: `--bin ceiling` in the same one would build only that binary of every package.
cargo build --profile profiling --locked -p productpage -p details -p reviews -p ratings
cargo build --profile profiling --locked -p bookinfo-bench --bin ceiling

children=()
cleanup() {
  for pid in "${children[@]}"; do kill "${pid}" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# drive PORT PATH COUNT: waits for /health, then COUNT GETs of PATH on one keep-alive connection.
drive() {
  python3 - "$@" <<'PY'
import http.client, sys, time
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 120
while True:
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        probe.request("GET", "/health")
        probe.getresponse().read()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"port {port} never answered /health")
        time.sleep(0.1)
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(count):
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"{path} answered {response.status}")
PY
}

# start_native NAME PORT [ARGS...]: a dependency, outside valgrind, with ARGS (NAME=VALUE words
# for the services, URLs for the ceiling) after the port.
start_native() {
  local name="$1" port="$2"
  shift 2
  if [ "${name}" = ceiling ]; then
    "${bin}/${name}" "${port}" "$@" >/dev/null 2>&1 &
  else
    env -i RUST_LOG=warn "$@" "${bin}/${name}" "${port}" >/dev/null 2>&1 &
  fi
  children+=("$!")
  drive "${port}" /health 0
}

# instructions BINARY PATH COUNT LABEL ARGS [ENV...]: total instructions for COUNT requests;
# ARGS (words) follow the port on the command line.
instructions() {
  local binary="$1" path="$2" count="$3" label="$4" args_words="$5"
  shift 5
  local port file args
  read -r -a args <<<"${args_words}"
  port="$(free_port)"
  file="${out}/${label}.${count}.callgrind"
  env -i RUST_LOG=warn "$@" valgrind --tool=callgrind --callgrind-out-file="${file}" \
    "${bin}/${binary}" "${port}" "${args[@]}" >/dev/null 2>"${out}/${label}.valgrind.log" &
  local pid=$!
  drive "${port}" "${path}" "${count}"
  kill -INT "${pid}"
  wait "${pid}" || true
  awk '/^(summary|totals):/ { print $2; exit }' "${file}"
}

details_port="$(free_port)"
ratings_port="$(free_port)"
reviews_port="$(free_port)"
start_native details "${details_port}"
start_native ratings "${ratings_port}"
start_native reviews "${reviews_port}" SERVICE_VERSION=v3 \
  RATINGS_HOSTNAME=127.0.0.1 RATINGS_SERVICE_PORT="${ratings_port}"
leaf_port="$(free_port)"
empty_reviews_port="$(free_port)"
start_native ceiling "${leaf_port}"
leaf="http://127.0.0.1:${leaf_port}/"
start_native ceiling "${empty_reviews_port}" --pooled "${leaf}"

to_ratings=(RATINGS_HOSTNAME=127.0.0.1 RATINGS_SERVICE_PORT="${ratings_port}")
to_backends=(DETAILS_HOSTNAME=127.0.0.1 DETAILS_SERVICE_PORT="${details_port}"
  REVIEWS_HOSTNAME=127.0.0.1 REVIEWS_SERVICE_PORT="${reviews_port}" "${to_ratings[@]}")

# binary|path|label|arguments|environment
rows=(
  "ratings|/ratings/0|ratings||"
  "details|/details/0|details||"
  "reviews|/reviews/0|reviews-v1||SERVICE_VERSION=v1"
  "reviews|/reviews/0|reviews-v3||SERVICE_VERSION=v3 ${to_ratings[*]}"
  "productpage|/productpage|productpage||${to_backends[*]}"
  "productpage|/productpage|productpage-pooled||${to_backends[*]} BACKEND_CONNECTION_POOLING=true"
  "ceiling|/|empty-leaf||"
  "ceiling|/|empty-reviews-v3|--pooled ${leaf}|"
  "ceiling|/|empty-productpage|${leaf} http://127.0.0.1:${empty_reviews_port}/|"
  "ceiling|/|empty-productpage-pooled|--pooled ${leaf} http://127.0.0.1:${empty_reviews_port}/|"
)

printf '\n| service | path | instructions per request |\n|---|---|---:|\n'
for row in "${rows[@]}"; do
  IFS='|' read -r binary path label args_words env_words <<<"${row}"
  [[ "${label}" =~ ${only} ]] || continue
  read -r -a env_pairs <<<"${env_words:-}"
  idle="$(instructions "${binary}" "${path}" 0 "${label}" "${args_words}" "${env_pairs[@]}")"
  loaded="$(instructions "${binary}" "${path}" "${requests}" "${label}" "${args_words}" \
    "${env_pairs[@]}")"
  printf '| %s | `%s` | %d |\n' "${label}" "${path}" $(((loaded - idle) / requests))
done
printf '\ncallgrind files: %s/*.%s.callgrind\n' "${out}" "${requests}"
