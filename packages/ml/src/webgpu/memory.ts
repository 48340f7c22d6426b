/**
 * GPU memory between jobs. The webgpu backend keeps every buffer a disposed tensor had, keyed by
 * size, for reuse; a worker that trains one network after another would hold the buffers of all
 * of them. After a training it gives the cached ones back (the device keeps any still in use by
 * queued work until that work is done).
 */
import * as tf from '@tensorflow/tfjs-core';

interface BufferCache {
  bufferManager: { freeBuffers: Map<string, GPUBuffer[]>; numFreeBuffers: number; numBytesAllocated: number };
}

/** Destroys the backend's cached free GPU buffers; returns the bytes given back (0 off webgpu). */
export function releaseCachedBuffers(): number {
  if (tf.getBackend() !== 'webgpu') return 0;
  const manager = (tf.backend() as unknown as BufferCache).bufferManager;
  let bytes = 0;
  for (const buffers of manager.freeBuffers.values()) {
    for (const buffer of buffers) {
      bytes += buffer.size;
      buffer.destroy();
    }
    buffers.length = 0;
  }
  manager.numFreeBuffers = 0;
  manager.numBytesAllocated -= bytes;
  return bytes;
}
