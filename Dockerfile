# syntax=docker/dockerfile:1
# DIGITS-TS images, one target per docker-compose.yml service:
#   gateway     node:20-bookworm-slim + Debian's bzip2, production dependencies, no install scripts
#   worker-cpu  node:20-bookworm-slim + @tensorflow/tfjs-node (libtensorflow, CPU)
#   worker-gpu  CUDA 11.2 + cuDNN 8 runtime (Ubuntu 20.04) + Node 20 + @tensorflow/tfjs-node-gpu
# The worker's TF_BACKEND=auto finds the native package (packages/ml/src/tf.ts).
# The tfjs-node install scripts download libtensorflow and their binding from
# storage.googleapis.com, so building the worker images needs that host.
# No Docker engine runs on our build machines: test/deploy/compose.test.ts checks this file's
# targets against docker-compose.yml, but these images have not been built here.

ARG NODE_IMAGE=node:20-bookworm-slim
# libtensorflow 2.9.1, which tfjs-node-gpu 4.22.0 downloads, is built against CUDA 11.2 and cuDNN 8.1.
# Docker Hub keeps only the last patch release of old CUDA minors, hence 11.2.2.
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ARG TFJS_VERSION=4.22.0

FROM ${NODE_IMAGE} AS node-base

# Only the npm manifests, so the dependency stages below stay cached until a package.json or
# the lockfile changes (BuildKit keys COPY --from on file contents).
FROM node-base AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete

# ---- gateway ----------------------------------------------------------------------------------
FROM node-base AS gateway-deps
WORKDIR /app
COPY --from=manifests /src ./
# sharp and esbuild (tsx) ship prebuilt platform packages, so no install script is needed
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node-base AS gateway
# bzip2 for model downloads as .tar.bz2 (streamed through it); the slim image lacks it
RUN apt-get update \
 && apt-get install -y --no-install-recommends bzip2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=gateway-deps /app ./
COPY . .
RUN mkdir -p /jobs && chown node:node /jobs
USER node
EXPOSE 5000
CMD ["node", "--import", "tsx", "apps/gateway/src/server.ts"]

# ---- worker-cpu -------------------------------------------------------------------------------
FROM node-base AS worker-cpu-deps
ARG TFJS_VERSION
# compilers only for node-pre-gyp's fallback build of the tfjs binding; they stay in this stage
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=manifests /src ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# added beside the lockfile's tree (--no-save), then its install script alone runs (rebuild)
RUN npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@${TFJS_VERSION}" \
 && npm rebuild --foreground-scripts @tensorflow/tfjs-node \
 && npm cache clean --force

FROM node-base AS worker-cpu
WORKDIR /app
COPY --from=worker-cpu-deps /app ./
COPY . .
RUN mkdir -p /jobs && chown node:node /jobs
USER node
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

# ---- worker-gpu -------------------------------------------------------------------------------
# Node 20 from the official image (its binary needs glibc 2.28; Ubuntu 20.04 has 2.31)
FROM ${CUDA_IMAGE} AS cuda-node
COPY --from=node-base /usr/local/bin/node /usr/local/bin/node
COPY --from=node-base /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version

FROM cuda-node AS worker-gpu-deps
ARG TFJS_VERSION
# Ubuntu's archive is all this stage needs; the image's CUDA apt source may carry a retired key
RUN rm -f /etc/apt/sources.list.d/cuda*.list /etc/apt/sources.list.d/nvidia-ml*.list \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=manifests /src ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
RUN npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node-gpu@${TFJS_VERSION}" \
 && npm rebuild --foreground-scripts @tensorflow/tfjs-node-gpu \
 && npm cache clean --force

FROM cuda-node AS worker-gpu
WORKDIR /app
COPY --from=worker-gpu-deps /app ./
COPY . .
COPY --chmod=755 docker/gpu-entrypoint.sh /usr/local/bin/gpu-entrypoint
# CUDA numbers GPUs as nvidia-smi does, so CUDA_VISIBLE_DEVICES (set by gpu-entrypoint) and the
# GPU indices the worker reports (apps/worker/src/gpus.ts) name the same device
ENV CUDA_DEVICE_ORDER=PCI_BUS_ID
# /gpu-locks: the compose file's shared gpu-locks volume, where each replica claims its GPU
RUN mkdir -p /jobs /gpu-locks && chown node:node /jobs /gpu-locks
USER node
ENTRYPOINT ["gpu-entrypoint"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
