#!/usr/bin/env bash
# Starts the whole stack on this machine: Redis (only when none answers at REDIS_URL),
# one worker and the gateway, then says where to open it. Ctrl-C stops everything it started.
# It refuses a Redis whose key prefix (QUEUE_PREFIX) holds another install's queues, one whose
# gateway serves another JOBS_DIR, unless DIGITS_SHARE_REDIS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
# Node 22, fetched from the npm registry when this machine's node is older (scripts/node22.sh)
node22=$(bash scripts/node22.sh) || exit 1
[[ -n "$node22" ]] && export PATH="$node22:$PATH"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export JOBS_DIR="${JOBS_DIR:-$PWD/.data/jobs}"
export HTTP_HOST="${HTTP_HOST:-127.0.0.1}" HTTP_PORT="${HTTP_PORT:-5000}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${redis_pidfile:-}" && -f "$redis_pidfile" ]]; then kill "$(cat "$redis_pidfile")" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

if ! node scripts/redis-ping.mjs "$REDIS_URL"; then
  if ! command -v redis-server >/dev/null; then
    echo "No Redis answers at $REDIS_URL and redis-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install -y redis-server), or point REDIS_URL at a Redis 6.2+ server." >&2
    exit 1
  fi
  port=$(node -e 'console.log(new URL(process.argv[1]).port || 6379)' "$REDIS_URL")
  mkdir -p .data/redis
  redis_pidfile="$PWD/.data/redis/redis.pid"
  echo "No Redis at $REDIS_URL: starting a local redis-server on port $port (data in .data/redis)"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$redis_pidfile" --dir "$PWD/.data/redis" \
    --appendonly yes --maxmemory-policy noeviction --logfile "$PWD/.data/redis/redis.log"
  for _ in $(seq 50); do node scripts/redis-ping.mjs "$REDIS_URL" && break; sleep 0.1; done
fi

share=()
if [[ "${DIGITS_SHARE_REDIS:-}" == 1 ]]; then share=(--share); fi
# `node --import tsx`, not `npx tsx`: npx and the tsx CLI would each start one more Node per process
node --import tsx apps/gateway/src/claim-redis.ts "${share[@]}"

# the worker's libuv threadpool sized for its dataset image threads, as in the worker images
sh docker/worker-entrypoint.sh node --import tsx apps/worker/src/main.ts & pids+=($!)
node --import tsx apps/gateway/src/server.ts & pids+=($!)
# a wildcard address is opened as loopback; an IPv6 literal goes in brackets
case "$HTTP_HOST" in
  0.0.0.0) open_host=127.0.0.1 ;;
  ::) open_host='[::1]' ;;
  *:*) open_host="[$HTTP_HOST]" ;;
  *) open_host="$HTTP_HOST" ;;
esac
url="http://$open_host:$HTTP_PORT/"
if node scripts/wait-ready.mjs "$url" "${pids[@]}"; then echo "DIGITS-TS is running: open $url"; fi
wait -n "${pids[@]}"
