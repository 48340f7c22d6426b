#!/usr/bin/env bash
# bench/train-gpu on a borrowed GPU machine that has a GPU driver and python3 with torch, but no
# Node, no Vulkan loader and no network, and takes at most 64 MiB of files per call.
#
#   bash bench/train-gpu/device.sh prepare      # here: bundle everything into .device/ (~50 MiB)
#   bash bench/train-gpu/device.sh run [args]   # there, from the repository root: the gradient
#                                               # check, then every case with GPU timestamps;
#                                               # log and JSON to $OUT (or .device/out)
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
  cp bench/train-gpu/torch_bench.py "$D/"
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
  du -sh "$D"
}

run() {
  local out="${OUT:-$D/out}" tmp
  tmp="$(mktemp -d)"
  mkdir -p "$out"
  xz -d -c "$D/node.xz" > "$tmp/node" && chmod +x "$tmp/node"
  [ -d "$D/node_modules" ] || tar -C "$D" -xJf "$D/modules.tar.xz"
  if ! ldconfig -p | grep -q libvulkan.so.1; then dpkg -x "$D"/libvulkan1_*.deb / && ldconfig; fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
  gunzip -c "$D/mnist.bin.gz" > "$tmp/mnist.bin"
  (nvidia-smi --query-gpu=index,pci.bus_id,name,driver_version --format=csv,noheader || true) | tee "$out/gpus.txt"
  "$tmp/node" "$D/bench.mjs" --check --profile --mnist "$tmp/mnist.bin" --json "$out/train-gpu.json" "$@" 2>&1 | tee "$out/train-gpu.log"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare | run [bench args]" >&2; exit 2 ;;
esac
