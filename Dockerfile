# DIGITS-TS images, one target per docker-compose.yml service, all on Node 22 (Debian bookworm):
#   gateway     production dependencies + Debian's bzip2 (model downloads as .tar.bz2)
#   worker-cpu  the worker on the wasm backend with our training kernels
#   worker-gpu  the worker on the webgpu engine (Dawn over Vulkan): Debian's Vulkan loader and
#               Mesa's device-select layer; NVIDIA's driver and its Vulkan ICD come from the NVIDIA
#               container runtime (graphics capability)
# Nothing is downloaded but npm packages and Debian packages: no install script runs (sharp,
# esbuild and webgpu ship prebuilt binaries), and no CUDA base image is needed.
# Build argument ENGINE (worker-cpu, worker-gpu): wasm, the default, adds nothing. tensorflow also
# installs TF.js' native TensorFlow engine as `npm run engine -- tensorflow` does
# (docker/install-engine.sh): PyPI's TensorFlow wheel through pip — with worker-gpu the CUDA wheels
# too, unverified — and the npm package's addon built against it; the build tools go again:
#   docker build --target worker-cpu --build-arg ENGINE=tensorflow .
# Plain Dockerfile syntax, so the classic builder (docker-compose 1.29) builds it as BuildKit does.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS node-base

# Only the npm manifests, so the dependency stage below stays cached until a package.json or
# the lockfile changes.
FROM node-base AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete

# One production install serves every target: the workspaces share one lockfile.
FROM node-base AS deps
WORKDIR /app
COPY --from=manifests /src ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- gateway ----------------------------------------------------------------------------------
FROM node-base AS gateway
# bzip2 for model downloads as .tar.bz2 (streamed through it); the slim image lacks it
RUN apt-get update \
 && apt-get install -y --no-install-recommends bzip2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app ./
COPY . .
RUN mkdir -p /jobs && chown node:node /jobs
USER node
EXPOSE 5000
CMD ["node", "--import", "tsx", "apps/gateway/src/server.ts"]

# ---- worker-cpu -------------------------------------------------------------------------------
FROM node-base AS worker-cpu
WORKDIR /app
COPY --from=deps /app ./
# ENGINE=tensorflow: the native TensorFlow engine (see the top); before `COPY . .`, so a source
# change does not rebuild it
ARG ENGINE=wasm
COPY scripts/engine.ts scripts/engine.ts
COPY docker/install-engine.sh docker/install-engine.sh
RUN docker/install-engine.sh "$ENGINE"
COPY . .
RUN mkdir -p /jobs && chown node:node /jobs
USER node
# sizes libuv's threadpool for the dataset build's image threads, then runs the command
ENTRYPOINT ["/app/docker/worker-entrypoint.sh"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

# ---- worker-gpu -------------------------------------------------------------------------------
FROM node-base AS worker-gpu
# libvulkan1: the Vulkan loader Dawn opens. mesa-vulkan-drivers: only for Mesa's device-select
# layer, which lets a worker that sees several GPUs show Vulkan its own one (packages/ml's
# webgpu/dawn.ts); its software and non-NVIDIA drivers are removed, so webgpu never falls back to
# a CPU "GPU". util-linux: flock for the entrypoint.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers util-linux \
 && rm -rf /var/lib/apt/lists/* /usr/share/vulkan/icd.d/* \
 && test -f /usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json
WORKDIR /app
COPY --from=deps /app ./
# ENGINE=tensorflow: the native TensorFlow engine (see the top); before `COPY . .`, so a source
# change does not rebuild it
ARG ENGINE=wasm
COPY scripts/engine.ts scripts/engine.ts
COPY docker/install-engine.sh docker/install-engine.sh
RUN docker/install-engine.sh "$ENGINE" --gpu
COPY . .
# the NVIDIA container runtime mounts the driver's parts per these: utility (nvidia-smi), compute,
# graphics (libGLX_nvidia and nvidia_icd.json: the Vulkan driver Dawn needs). Which GPUs: the
# container's GPU request (compose's `count: all`, `docker run --gpus`). CUDA numbers GPUs as
# nvidia-smi does, so CUDA_VISIBLE_DEVICES and the worker's GPU indices name the same device.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    CUDA_DEVICE_ORDER=PCI_BUS_ID
# /gpu-locks: the compose file's shared gpu-locks volume, where each replica claims its GPU
# (the docker/ scripts are executable in git; COPY keeps the mode)
RUN mkdir -p /jobs /gpu-locks && chown node:node /jobs /gpu-locks \
 && ln -s /app/docker/gpu-entrypoint.sh /usr/local/bin/gpu-entrypoint
USER node
# claims a GPU, then sizes libuv's threadpool as worker-cpu does
ENTRYPOINT ["gpu-entrypoint", "/app/docker/worker-entrypoint.sh"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
