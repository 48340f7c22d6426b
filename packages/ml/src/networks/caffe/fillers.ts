/** Caffe's FillerParameter (weight_filler, bias_filler, scale filler) as TF.js initializers. */
import { tfl } from '../../tf.ts';
import { constant, type Initializer, type Seeds } from '../init.ts';
import type { ParamReader } from '@digits-ts/caffe';

/** Fan-in and fan-out of a weight blob, counted as Caffe counts them. */
export interface Fans {
  in: number;
  out: number;
}

/** Filler types we map (Caffe also has positive_unitball and bilinear). */
export const FILLER_TYPES = ['constant', 'gaussian', 'uniform', 'xavier', 'msra'] as const;
const VARIANCE_NORMS = ['FAN_IN', 'FAN_OUT', 'AVERAGE'] as const;

function fanOf(filler: ParamReader, fans: Fans): number {
  const norm = filler.enumValue('variance_norm', VARIANCE_NORMS, 'FAN_IN');
  if (norm === 'FAN_OUT') return fans.out;
  return norm === 'AVERAGE' ? (fans.in + fans.out) / 2 : fans.in;
}

/**
 * The initializer for a Caffe filler message. Caffe's defaults apply: an absent filler is
 * `constant` with `absentValue` (0 for weights and biases, 1 for a Scale's multiplier), a
 * `constant` without value is 0, `gaussian` has mean 0 and std 1, `uniform` spans [0, 1], and
 * `xavier` / `msra` scale by the fan-in unless `variance_norm` says otherwise. Random fillers take
 * the next seed of `seeds`.
 */
export function fillerInitializer(filler: ParamReader, fans: Fans, seeds: Seeds, absentValue = 0): Initializer {
  if (filler.message === null) return constant(absentValue);
  const type = filler.string('type', 'constant');
  switch (type) {
    case 'constant':
      return constant(filler.number('value', 0));
    case 'gaussian': {
      if (filler.int('sparse', -1) >= 0) filler.fail(null, 'uses a sparse gaussian filler, which is not supported');
      const std = filler.number('std', 1);
      return tfl.initializers.randomNormal({ mean: filler.number('mean', 0), stddev: std, seed: seeds.take() });
    }
    case 'uniform':
      return tfl.initializers.randomUniform({ minval: filler.number('min', 0), maxval: filler.number('max', 1), seed: seeds.take() });
    case 'xavier': {
      const limit = Math.sqrt(3 / fanOf(filler, fans));
      return tfl.initializers.randomUniform({ minval: -limit, maxval: limit, seed: seeds.take() });
    }
    case 'msra':
      return tfl.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOf(filler, fans)), seed: seeds.take() });
    default:
      return filler.fail(filler.message.at, `has filler type ${JSON.stringify(type)}, which is not supported (supported: ${FILLER_TYPES.join(', ')})`);
  }
}
