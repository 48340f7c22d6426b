#!/bin/sh
# Image build step of worker-cpu and worker-gpu (Dockerfile, build argument ENGINE):
#   install-engine.sh wasm                     nothing: wasm (and webgpu) come with npm ci
#   install-engine.sh tensorflow [--gpu]       TF.js' native TensorFlow engine, as
#                                              `npm run engine -- tensorflow` does (scripts/engine.ts)
# then removes in the same layer what only the build needed: pip, g++, make, the C API headers.
set -eu
engine=$1
shift
case "$engine" in
  wasm) exit 0 ;;
  tensorflow) ;;
  *) echo "ENGINE is wasm or tensorflow, not $engine" >&2; exit 1 ;;
esac
apt-get update
apt-get install -y --no-install-recommends python3-pip g++ make
# the image holds production dependencies only: npm adds the engine's package without the dev ones
NPM_CONFIG_OMIT=dev npm run engine -- tensorflow "$@"
rm -rf .engines/*/site/tensorflow/include
apt-get purge -y --auto-remove python3-pip g++ make
rm -rf /var/lib/apt/lists/* /root/.cache /root/.npm
