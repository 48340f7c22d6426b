#!/usr/bin/env bash
# compose-smoke.sh: builds DIGITS-TS's images and runs its docker-compose deployment for real
# (redis, gateway, two worker-cpu replicas), then drives DIGITS' walkthrough through it over HTTP,
# checks the worker-gpu image without a GPU, stops the stack within its shutdown timeout and
# removes everything it started.
#
#   sudo bash scripts/compose-smoke.sh          (from a checkout with `npm ci` done)
#
# Needs root, Debian's apt (docker.io, docker-compose and debootstrap are installed when missing)
# and the npm registry (the images' `npm ci`). Where Docker Hub answers, the real node and redis
# images are pulled; where it does not, stand-ins are built under the same tags: Debian bookworm
# from debootstrap (cached in $CACHE), Node 22 (scripts/node22.sh), Debian's redis-server. So the
# Dockerfile and docker-compose.yml are used unchanged.
#
# dockerd runs with its own socket and state under $W and --iptables=false --ip-forward=false
# (builds use the host network; containers talk over the compose network; port 5000 is published
# by docker-proxy), so no firewall rule or sysctl of the host changes. On exit every container,
# network, volume, mount and process it started is removed (KEEP=1 leaves the stack up).
# Prints one line per step with its time; the last line is "compose smoke: passed in N s", or
# "compose smoke: FAILED …" (exit status 1), or "compose smoke: cannot run here: <why>" (exit
# status 3: not root, no Docker engine installable or startable).
set -Eeuo pipefail
# (pipelines read their input to the end: `grep -q` or `head` closing early would kill the writer
# with SIGPIPE, which pipefail turns into a failure)

SRC=$(cd "$(dirname "$0")/.." && pwd)
# a tsconfig another run exported (scripts/test.sh does) may point into a removed checkout
unset TSX_TSCONFIG_PATH
W=${W:-/tmp/digits-compose-smoke}
CACHE=${CACHE:-$HOME/.cache/digits-ts/compose-smoke}
KEEP=${KEEP:-0}
PROJECT=${PROJECT:-digitssmoke}
export DOCKER_HOST=unix://$W/docker.sock
DOCKER=/usr/bin/docker   # Debian's CLI; another docker on PATH may insist on buildx
HTTP=http://127.0.0.1:5000
GRACE_S=40               # docker-compose.yml's stop_grace_period for the workers

t0=$(date +%s); tstep=$t0
declare -A took=()
step() { local now; now=$(date +%s); [ -n "${current:-}" ] && took[$current]=$((now - tstep)); printf '\n== [%4ss] %s\n' $((now - t0)) "$*"; tstep=$now; current=$1; }
die() { echo "compose smoke: FAILED: $*" >&2; exit 1; }
# exit status 3: this machine cannot run Docker at all (.ci/run reports the smoke as skipped)
unable() { echo "compose smoke: cannot run here: $*" >&2; exit 3; }
compose() { (cd "$W/proj" && docker-compose -p "$PROJECT" -f docker-compose.yml -f "$W/compose.smoke.yml" --profile cpu "$@"); }

[ "$(id -u)" = 0 ] || unable "needs root (dockerd, apt-get)"

DOCKERD_PID=
cleanup() {
  local rc=$?
  trap - EXIT
  if [ "$KEEP" = 1 ]; then echo "KEEP=1: dockerd (pid $DOCKERD_PID) and the stack stay up; DOCKER_HOST=$DOCKER_HOST"; exit $rc; fi
  if [ $rc -ne 0 ] && [ -S "$W/docker.sock" ] && [ -d "$W/proj" ]; then compose logs --tail=40 2>/dev/null | tail -120 || true; fi
  if [ -S "$W/docker.sock" ]; then
    [ -d "$W/proj" ] && { compose down -v --remove-orphans >/dev/null 2>&1 || true; }
    $DOCKER ps -aq | xargs -r $DOCKER rm -f >/dev/null 2>&1 || true
  fi
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill "$DOCKERD_PID"
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  # dockerd leaves its network namespaces and overlay mounts bind-mounted under its roots
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  ip link delete docker0 2>/dev/null || true
  rm -rf "$W"
  local left; left=$(pgrep -f "containerd-shim.*$W|dockerd.*$W" || true)
  [ -z "$left" ] || { echo "compose smoke: processes left behind: $left" >&2; rc=1; }
  case $rc in
    0) echo "compose smoke: passed in $(( $(date +%s) - t0 )) s" ;;
    3) ;;
    *) echo "compose smoke: FAILED (exit status $rc)" ;;
  esac
  exit $rc
}
trap cleanup EXIT

step install "docker.io, docker-compose, debootstrap (Debian's, when missing)"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || unable "apt-get could not install ${missing[*]}"
fi
$DOCKER --version; docker-compose --version

step dockerd "start dockerd (own socket and state under $W, no iptables)"
rm -rf "$W"; mkdir -p "$W" "$CACHE"
dockerd --data-root "$W/data-root" --exec-root "$W/exec-root" -H "$DOCKER_HOST" --pidfile "$W/dockerd.pid" \
  --iptables=false --ip-forward=false >"$W/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 120); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.5; done
$DOCKER info --format 'storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}, server {{.ServerVersion}}' || unable "dockerd did not start: $(tail -5 "$W/dockerd.log")"

step bases "base images node:22-bookworm-slim and redis:7.4"
if timeout 30 $DOCKER pull -q node:22-bookworm-slim >/dev/null 2>&1 && timeout 60 $DOCKER pull -q redis:7.4 >/dev/null 2>&1; then
  echo "pulled from Docker Hub"
else
  echo "Docker Hub unreachable: building stand-ins under the same tags"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  if [ ! -s "$CACHE/debian-bookworm.tar" ]; then
    debootstrap --variant=minbase --include=ca-certificates bookworm "$W/rootfs" "$mirror" >"$W/debootstrap.log" 2>&1 \
      || die "debootstrap: $(tail -5 "$W/debootstrap.log")"
    rm -rf "$W"/rootfs/var/cache/apt/archives/*.deb "$W"/rootfs/var/lib/apt/lists/*
    tar -C "$W/rootfs" -cf "$CACHE/debian-bookworm.tar.part" . && mv "$CACHE/debian-bookworm.tar.part" "$CACHE/debian-bookworm.tar"
    rm -rf "$W/rootfs"
  fi
  $DOCKER import -c 'CMD ["bash"]' "$CACHE/debian-bookworm.tar" local/debian:bookworm >/dev/null

  mkdir -p "$W/img/node" "$W/img/redis"
  nodebin=$(bash "$SRC/scripts/node22.sh") || die "no Node 22"
  cp "${nodebin:-$(dirname "$(command -v node)")}/node" "$W/img/node/node"
  cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$W/img/node/npm"
  # this host's CA bundle: it holds any TLS-intercepting egress CA the npm registry is reached through
  cp /etc/ssl/certs/ca-certificates.crt "$W/img/node/ca-certificates.crt"
  cat >"$W/img/node/Dockerfile" <<'EOF'
FROM local/debian:bookworm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
EOF
  $DOCKER build -q -t node:22-bookworm-slim "$W/img/node" >/dev/null

  cat >"$W/img/redis/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# as the official image: redis-server runs as user redis, protected mode off (private network)
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift; set -- redis-server "$@" --protected-mode no
  if [ "$(id -u)" = 0 ]; then chown -R redis:redis /data; exec setpriv --reuid=redis --regid=redis --init-groups "$@"; fi
fi
exec "$@"
EOF
  chmod 755 "$W/img/redis/docker-entrypoint.sh"
  cat >"$W/img/redis/Dockerfile" <<'EOF'
FROM local/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
COPY docker-entrypoint.sh /usr/local/bin/
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
EOF
  $DOCKER build -q --network host -t redis:7.4 "$W/img/redis" >/dev/null
fi
$DOCKER run --rm node:22-bookworm-slim node --version

step project "project copy, MNIST subset in ./data, compose override"
mkdir -p "$W/proj"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -C "$W/proj" -xf -
(cd "$SRC" && node --import tsx scripts/data.ts mnist "$W/proj/data/mnist" --per-class 40)
# builds on the host network (npm, apt): the only change to docker-compose.yml
cat >"$W/compose.smoke.yml" <<EOF
services:
  gateway:
    build: { network: host }
  worker-cpu:
    build: { network: host }
  worker:
    build: { network: host }
EOF

step build "docker-compose build gateway worker-cpu worker (the GPU image)"
compose build gateway worker-cpu worker >"$W/build.log" 2>&1 || { tail -40 "$W/build.log"; die "image build"; }
! grep -m3 'EBADENGINE' "$W/build.log" || die "npm ci warned about unsupported engines in an image"
$DOCKER images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^${PROJECT}_"

step up "docker-compose up gateway and worker-cpu ×2"
compose up -d --no-build --scale worker-cpu=2 gateway worker-cpu
gateway=${PROJECT}_gateway_1
for _ in $(seq 120); do [ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$gateway")" = healthy ] && break; sleep 1; done
[ "$($DOCKER inspect -f '{{.State.Health.Status}}' "$gateway")" = healthy ] || die "the gateway is not healthy"
json() { node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); const f = new Function("v", "return " + process.argv[1]); process.stdout.write(String(f(v)))' "$1"; }
for _ in $(seq 120); do [ "$(curl -fsS "$HTTP/workers.json" | json 'v.workers.length')" = 2 ] && break; sleep 1; done
curl -fsS "$HTTP/workers.json" | json 'v.workers.map((w) => `worker ${w.id} on ${w.host}: ${w.queues.join(",")}, ${w.backend.name} ${w.backend.version}`).join("\n")'; echo
[ "$(curl -fsS "$HTTP/workers.json" | json 'v.workers.length')" = 2 ] || die "two workers did not register"
for c in 1 2; do $DOCKER logs "${PROJECT}_worker-cpu_$c" 2>&1 | grep 'GPU check: no GPU adapter found' >/dev/null || die "worker-cpu_$c printed no GPU check"; done

step walkthrough "login, dataset, LeNet 1 epoch on each replica, classify_one, download"
jar=$W/cookie
curl -fsS -c "$jar" -o /dev/null -XPOST -F username=smoke "$HTTP/login"
wait_done() { # $1 = datasets|models, $2 = id
  local s=
  for _ in $(seq 300); do
    s=$(curl -fsS "$HTTP/$1/$2/status" | json 'v.status')
    case $s in Done) echo "$1/$2 Done"; return 0;; Error|Aborted) curl -fsS "$HTTP/$1/$2.json" | head -c 1500; die "$1/$2 $s";; esac
    sleep 1
  done
  die "$1/$2 still $s after 300 s"
}
ds=$(curl -fsS -b "$jar" -XPOST "$HTTP/datasets/images/classification.json" -F dataset_name=mnist-subset -F folder_train=/data/mnist/train \
  -F resize_channels=1 -F resize_width=28 -F resize_height=28 -F encoding=png -F backend=lmdb | json 'v.id')
wait_done datasets "$ds"
curl -fsS "$HTTP/datasets/$ds.json" | json 'v.CreateDbTasks.map((t) => `${t.name}: ${t.entries} entries`).join(", ")'; echo
# two trainings at once: one worker trains one model at a time, so each replica takes one
models=()
for name in lenet-a lenet-b; do
  models+=("$(curl -fsS -b "$jar" -XPOST "$HTTP/models/images/classification.json" -F model_name=$name -F dataset="$ds" \
    -F framework=tensorflow -F method=standard -F standard_networks=lenet -F train_epochs=1 -F shuffle=true | json 'v.id')")
done
for md in "${models[@]}"; do wait_done models "$md"; done
md=${models[0]}
ran_on() { local c; for c in 1 2; do $DOCKER logs "${PROJECT}_worker-cpu_$c" 2>&1 | grep '"msg":"training started"' | grep -F "\"jobId\":\"$1\"" >/dev/null && echo "$c"; done; return 0; }
a=$(ran_on "${models[0]}"); b=$(ran_on "${models[1]}")
echo "${models[0]} trained on worker-cpu_${a:-?}, ${models[1]} on worker-cpu_${b:-?}"
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || die "the two trainings did not run on both replicas"
sevens=("$W"/proj/data/mnist/train/7/*.png); image=${sevens[0]}
answer=$(curl -fsS -XPOST "$HTTP/models/images/classification/classify_one.json" -F job_id="$md" -F image_file=@"$image")
echo "classify_one (a 7): $(json 'JSON.stringify(v.predictions.slice(0, 3))' <<<"$answer")"
[ -n "$(json 'v.predictions[0][0]' <<<"$answer")" ] || die "classify_one gave no prediction"
curl -fsS -o "$W/model.tar.gz" "$HTTP/models/$md/download"
files=$(tar -tzf "$W/model.tar.gz") || die "the download is not a .tar.gz"
echo "download: $(wc -c <"$W/model.tar.gz") bytes, $(wc -l <<<"$files") files: $(tr '\n' ' ' <<<"$files" | head -c 200)"

step gpu-image "worker-gpu image without a GPU: auto falls back to wasm, webgpu refuses"
gpu_image=${PROJECT}_worker
net=${PROJECT}_default
gpu_env=(-e REDIS_URL=redis://redis:6379 -e JOBS_DIR=/jobs -e WORKER_QUEUES=train)
$DOCKER run -d --init --name smoke-gpu-auto --network "$net" "${gpu_env[@]}" -e TF_BACKEND=auto "$gpu_image" >/dev/null
for _ in $(seq 60); do $DOCKER logs smoke-gpu-auto 2>&1 | grep 'GPU check' >/dev/null && break; sleep 1; done
$DOCKER logs smoke-gpu-auto 2>&1 | grep -E 'gpu-entrypoint|GPU check' | sed 's/^/  /' | cut -c1-400
$DOCKER logs smoke-gpu-auto 2>&1 | grep 'gpu-entrypoint: no GPU adapter' >/dev/null || die "the GPU entrypoint did not say there is no GPU"
$DOCKER logs smoke-gpu-auto 2>&1 | grep 'GPU check: no GPU adapter found.*training on wasm' >/dev/null || die "the GPU image's worker did not fall back to wasm"
$DOCKER stop -t 20 smoke-gpu-auto >/dev/null && $DOCKER rm smoke-gpu-auto >/dev/null
set +e
refused=$($DOCKER run --rm --init --network "$net" "${gpu_env[@]}" -e TF_BACKEND=webgpu "$gpu_image" 2>&1)
status=$?
set -e
echo "TF_BACKEND=webgpu: exit status $status"; grep -o -m1 'Expected TF_BACKEND=webgpu[^"]*' <<<"$refused" | sed 's/^/  /' || true
[ "$status" -ne 0 ] && grep -q 'Expected TF_BACKEND=webgpu to load but it is not available' <<<"$refused" || die "TF_BACKEND=webgpu without a GPU did not stop with a clear error"

step stop "docker-compose stop (SIGTERM through init; workers' grace ${GRACE_S} s)"
stop_start=$(date +%s)
compose stop
stopped_in=$(( $(date +%s) - stop_start ))
codes=$($DOCKER ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}' | while read -r c; do echo "$c=$($DOCKER inspect -f '{{.State.ExitCode}}' "$c")"; done | sort | tr '\n' ' ')
echo "stopped in ${stopped_in} s; exit codes: $codes"
[ "$stopped_in" -lt "$GRACE_S" ] || die "stopping took ${stopped_in} s, not under the ${GRACE_S} s grace"
grep -qE '=(137|143)( |$)' <<<"$codes" && die "a container was killed instead of stopping by itself"

step down "docker-compose down -v, dockerd stopped, state removed"
compose down -v --remove-orphans 2>&1 | tail -2
[ -z "$($DOCKER ps -aq)" ] || die "containers left"
summary=""
for k in install dockerd bases project build up walkthrough gpu-image stop; do summary+="$k ${took[$k]:-?} s, "; done
echo "step times: ${summary%, }"
