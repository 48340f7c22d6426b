#!/bin/sh
# Entrypoint of the worker-gpu image: claims one GPU for this container, then runs the command.
# Compose hands every replica of a scaled service the same GPU reservation (it cannot give
# replicas different GPUs), so the worker service reserves all GPUs and each replica takes a lock
# on "$GPU_LOCK_DIR/gpu<index>.lock" (default /gpu-locks, a volume the replicas share) and sets
# CUDA_VISIBLE_DEVICES to that nvidia-smi index (the image sets CUDA_DEVICE_ORDER=PCI_BUS_ID, so
# CUDA counts GPUs the same way). The lock is held through file descriptor 9, which the command
# inherits, until the container stops. A CUDA_VISIBLE_DEVICES set beforehand is kept as it is;
# without any GPU the command still runs (see without_gpu).
set -eu

if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  exec "$@"
fi

lock_dir="${GPU_LOCK_DIR:-/gpu-locks}"
# No GPU: the worker still starts, and its start-up line says so; TF_BACKEND=auto then trains on
# wasm (CPU), and TF_BACKEND=webgpu stops at start, naming what is missing.
without_gpu() {
  echo "gpu-entrypoint: no GPU adapter: $1; starting the worker without a GPU (TF_BACKEND=auto falls back to wasm on the CPU; TF_BACKEND=webgpu refuses to start)" >&2
  shift
  exec "$@"
}
if ! command -v nvidia-smi >/dev/null 2>&1; then
  without_gpu "nvidia-smi not found (no GPU reserved for this container, or no NVIDIA Container Toolkit on the host)" "$@"
fi
if ! listed=$(nvidia-smi --query-gpu=index --format=csv,noheader); then
  without_gpu "nvidia-smi could not list the GPUs" "$@"
fi
indices=$(printf '%s\n' "$listed" | tr -d ' \r')
if [ -z "$indices" ]; then
  without_gpu "nvidia-smi lists no GPU in this container" "$@"
fi
mkdir -p "$lock_dir"

count=0
for index in $indices; do
  count=$((count + 1))
  exec 9>"$lock_dir/gpu$index.lock"
  if flock -n 9; then
    echo "gpu-entrypoint: this worker trains on GPU $index" >&2
    CUDA_VISIBLE_DEVICES="$index"
    export CUDA_VISIBLE_DEVICES
    exec "$@"
  fi
  exec 9>&-
done
echo "gpu-entrypoint: all $count GPUs are held by other worker containers; scale the worker service to at most $count" >&2
exit 1
