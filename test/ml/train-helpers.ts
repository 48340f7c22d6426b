/** Small in-memory training inputs for ml tests: MNIST subsets and generated colour classes. */
import { createRandom } from '@digits-ts/dataset';
import { type TrainModelOptions } from '@digits-ts/contracts';
import { parseModelForm } from '../../apps/gateway/src/forms/index.ts';
import type { BuiltNetwork, Samples, Split, TrainSetup } from '@digits-ts/ml';
import { readMnist } from '../../scripts/mnist.ts';

/** `count` MNIST training images starting at `start`, as trainer samples. */
export async function mnistSamples(start: number, count: number): Promise<Samples> {
  const m = await readMnist('train');
  return { height: 28, width: 28, channels: 1, count, pixels: new Uint8Array(m.images.subarray(start * 784, (start + count) * 784)), labels: Int32Array.from(m.labels.subarray(start, start + count)) };
}

/**
 * `perClass` noisy images per class, `classes` classes of size×size×3: each class is a distinct
 * colour with a bright square at a class-specific corner, so a network can learn them quickly.
 */
export function colourSamples(classes: number, perClass: number, size: number, seed = 1): Samples {
  const random = createRandom(seed);
  const count = classes * perClass;
  const pixels = new Uint8Array(count * size * size * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels[i] = label;
    const colour = [(label * 97) % 256, (label * 57 + 80) % 256, (label * 151 + 30) % 256];
    const [qy, qx] = [label & 1, (label >> 1) & 1];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inSquare = Math.floor((y * 2) / size) === qy && Math.floor((x * 2) / size) === qx;
        for (let c = 0; c < 3; c++) pixels[((i * size + y) * size + x) * 3 + c] = Math.min(255, Math.max(0, (inSquare ? 255 : colour[c]!) + Math.round((random() - 0.5) * 60)));
      }
    }
  }
  return { height: size, width: size, channels: 3, count, pixels, labels };
}

/** Training options as the form gives them, with `fields` overriding the defaults. */
export function formOptions(fields: Record<string, string>): TrainModelOptions {
  const parsed = parseModelForm({ model_name: 'm', dataset: 'd', framework: 'tensorflow', standard_networks: 'lenet', shuffle: 'true', lr_multistep_values: '50,85', ...fields }, {}, new Set());
  if ('errors' in parsed) throw new Error(`bad test form: ${JSON.stringify(parsed.errors)}`);
  return parsed.form.jobs[0]!.options;
}

/** A TrainSetup with the network's defaults and no mean. */
export function setupFor(network: BuiltNetwork, train: Split, val: Split | null, options: TrainModelOptions, jobDir: string, overrides: Partial<TrainSetup> = {}): TrainSetup {
  return {
    network, train, val, options,
    batchSize: options.batchSize ?? network.defaults.batchSize,
    valBatchSize: options.batchSize ?? network.defaults.valBatchSize,
    crop: options.cropSize, mirror: network.defaults.mirror, mean: null, jobDir, metadata: {}, random: createRandom(options.randomSeed ?? 1),
    ...overrides,
  };
}
