/** Whether `npm run engine -- tensorflow` installed the native TensorFlow engine here. */
import fs from 'node:fs';
import { createRequire } from 'node:module';

// resolved as packages/ml resolves it (tf.ts tries the GPU package first)
const require = createRequire(new URL('../../packages/ml/src/tf.ts', import.meta.url));

/**
 * Null when a tfjs-node package with its built addon is installed, else why not, for tap's
 * `skip`. Checks files only: importing the package would register its backend in this process.
 */
export function tensorflowEngineMissing(): string | null {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    let manifest: string;
    try {
      manifest = require.resolve(`${pkg}/package.json`);
    } catch {
      continue;
    }
    const preGyp = createRequire(manifest)('@mapbox/node-pre-gyp') as { find: (packageJson: string) => string };
    const addon = preGyp.find(manifest);
    return fs.existsSync(addon) ? null : `${pkg} is installed without its addon (${addon}): run npm run engine -- tensorflow`;
  }
  return 'the tensorflow engine is not installed (no @tensorflow/tfjs-node in node_modules): npm run engine -- tensorflow installs it';
}
