#!/usr/bin/env bash
# bench/train-gpu on a borrowed GPU machine that has a GPU driver and python3 with torch, but no
# Node, no Vulkan loader and no network, and takes at most 64 MiB of files per call.
#
#   bash bench/train-gpu/device.sh prepare      # here: bundle everything into .device/ (~50 MiB)
#   bash bench/train-gpu/device.sh run [args]   # there, from the repository root: the gradient
#                                               # check, then every case with GPU timestamps;
#                                               # log and JSON to $OUT (or .device/out)
#   bash bench/train-gpu/device.sh run-multigpu [args]   # there: bench/train-multigpu, LeNet on
#                                               # 1 vs every GPU (one Dawn device per GPU, chosen
#                                               # by PCI address through Mesa's device-select
#                                               # layer, which travels too) beside DataParallel
#
# prepare: the bench and everything it imports as one ES module (esbuild), except `webgpu` (its
# dawn.node) and `sharp` (libvips), which travel as files beside it; this machine's node binary
# (xz), Debian's libvulkan1, MNIST as a raw file, and the PyTorch anchor.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=.device

prepare() {
  rm -rf "$D"
  mkdir -p "$D/node_modules/webgpu/dist/linux-x64" "$D/node_modules/@tensorflow/tfjs-backend-webgpu" "$D/node_modules/@img"
  # --ignore-annotations: the tfjs packages list their side-effect files for browsers' bundles; their Node entries register the backends
  npx esbuild bench/train-gpu/run.ts --bundle --platform=node --format=esm --target=node20 --log-level=error --ignore-annotations \
    --outfile="$D/bench.mjs" --external:webgpu --external:sharp \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
  # bench/train-multigpu and the replica thread it starts per further GPU (the trainer finds
  # replica-bootstrap.mjs beside the bundle; this one loads the bundled thread, no tsx)
  npx esbuild bench/train-multigpu/run.ts --bundle --platform=node --format=esm --target=node20 --log-level=error --ignore-annotations \
    --outfile="$D/multigpu.mjs" --external:webgpu --external:sharp \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
  npx esbuild packages/ml/src/train/replica-thread.ts --bundle --platform=node --format=esm --target=node20 --log-level=error --ignore-annotations \
    --outfile="$D/replica-thread.mjs" --external:webgpu --external:sharp \
    --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
  printf '%s\n' "import { workerData } from 'node:worker_threads';" "await import(workerData.entry.replace(/\\.ts\$/, '.mjs'));" > "$D/replica-bootstrap.mjs"
  cp bench/train-gpu/torch_bench.py bench/train-multigpu/torch_dp.py "$D/"
  # Mesa's device-select Vulkan layer (from the lavapipe prefix) and the libraries it links, so
  # each replica thread's Dawn instance sees only its GPU (DRI_PRIME=pci-…, see webgpu/dawn.ts)
  local layer lib
  layer="$(dirname "$(bash scripts/setup-lavapipe.sh)")/root/usr/lib/x86_64-linux-gnu/libVkLayer_MESA_device_select.so"
  mkdir -p "$D/vklayer"
  cp "$layer" "$D/vklayer/"
  for lib in $(ldd "$layer" | awk '/=> \// { print $3 }' | grep -v -E '/(libc|libpthread|libm|libdl|ld-linux)[.-]'); do cp -L "$lib" "$D/vklayer/"; done
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$D/node_modules/webgpu/"
  cp node_modules/webgpu/dist/linux-x64/dawn.node "$D/node_modules/webgpu/dist/linux-x64/"
  cp node_modules/@tensorflow/tfjs-backend-webgpu/package.json "$D/node_modules/@tensorflow/tfjs-backend-webgpu/"
  for pkg in sharp detect-libc semver @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64; do cp -r "node_modules/$pkg" "$D/node_modules/$pkg"; done
  node --input-type=module -e "
    import { readMnist } from './scripts/mnist.ts';
    import fs from 'node:fs';
    const m = await readMnist('train');
    fs.writeFileSync('$D/mnist.bin', Buffer.concat([m.images, m.labels]));" --import tsx
  gzip -9 "$D/mnist.bin"
  xz -T0 -6 -c "$(command -v node)" > "$D/node.xz"
  (cd "$D" && apt-get download -qq libvulkan1 2>/dev/null)
  # dawn.node and libvips are most of the bytes: they travel compressed
  tar -C "$D" -cJf "$D/modules.tar.xz" node_modules && rm -rf "$D/node_modules"
  xz -T0 -9 "$D/bench.mjs" "$D/multigpu.mjs" "$D/replica-thread.mjs"
  du -sh "$D"
}

# the bundles travel compressed
unpack() {
  local f
  for f in "$D"/*.mjs.xz; do [ -f "${f%.xz}" ] || xz -d -k "$f"; done
  [ -d "$D/node_modules" ] || tar -C "$D" -xJf "$D/modules.tar.xz"
}

# what both runs do first: set the caller's `out` (made) and `tmp`, unpack node and the
# bundles, install the Vulkan loader if missing and point it at the NVIDIA driver's ICD
start_run() {
  out="${OUT:-$D/out}"
  tmp="$(mktemp -d)"
  mkdir -p "$out"
  xz -d -c "$D/node.xz" > "$tmp/node" && chmod +x "$tmp/node"
  unpack
  if ! ldconfig -p | grep -q libvulkan.so.1; then dpkg -x "$D"/libvulkan1_*.deb / && ldconfig; fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
}

run() {
  local out tmp
  start_run
  gunzip -c "$D/mnist.bin.gz" > "$tmp/mnist.bin"
  (nvidia-smi --query-gpu=index,pci.bus_id,name,driver_version --format=csv,noheader || true) | tee "$out/gpus.txt"
  "$tmp/node" "$D/bench.mjs" --check --profile --mnist "$tmp/mnist.bin" --json "$out/train-gpu.json" "$@" 2>&1 | tee "$out/train-gpu.log"
}

# bench/train-multigpu on every GPU the machine has (LeNet, 1 vs N devices, speed-up, PyTorch DataParallel)
run_multigpu() {
  local out tmp
  start_run
  # the device-select layer as an implicit layer of this run only
  mkdir -p "$tmp/share/vulkan/implicit_layer.d"
  cat > "$tmp/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json" <<JSON
{ "file_format_version": "1.0.0", "layer": { "name": "VK_LAYER_MESA_device_select", "type": "GLOBAL",
  "library_path": "$(cd "$D/vklayer" && pwd)/libVkLayer_MESA_device_select.so", "api_version": "1.3.0", "implementation_version": "1",
  "description": "Linux device selection layer", "functions": { "vkNegotiateLoaderLayerInterfaceVersion": "vkNegotiateLoaderLayerInterfaceVersion" },
  "disable_environment": { "NODEVICE_SELECT": "1" } } }
JSON
  export XDG_DATA_DIRS="$tmp/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  export LD_LIBRARY_PATH="$(cd "$D/vklayer" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  gunzip -c "$D/mnist.bin.gz" > "$tmp/mnist.bin"
  (nvidia-smi --query-gpu=index,pci.bus_id,name,driver_version --format=csv,noheader || true) | tee "$out/gpus.txt"
  "$tmp/node" "$D/multigpu.mjs" --mnist "$tmp/mnist.bin" --json "$out/train-multigpu.json" "$@" 2>&1 | grep -v 'artificially reduced' | tee "$out/train-multigpu.log"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  run-multigpu) shift; run_multigpu "$@" ;;
  *) echo "usage: $0 prepare | run [bench args] | run-multigpu [bench args]" >&2; exit 2 ;;
esac
