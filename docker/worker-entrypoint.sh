#!/bin/sh
# Runs a worker with libuv's threadpool sized for its dataset builds: sharp runs every image
# pipeline on that pool, which is sized once, at process start (4 unless set), and each of the
# DATASET_THREADS image threads (default: one per CPU) keeps two images in flight; +4 for libuv's
# own file and DNS work. An explicit UV_THREADPOOL_SIZE is kept. Used by the worker images and
# scripts/start-stack.sh.
set -eu
threads=${DATASET_THREADS:-$(nproc)}
UV_THREADPOOL_SIZE=${UV_THREADPOOL_SIZE:-$((2 * threads + 4))}
export UV_THREADPOOL_SIZE
exec "$@"
