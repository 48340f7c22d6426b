/**
 * Caffe's weight fillers as TF.js initializers, a seed sequence for deterministic builds, and
 * the (de)serialisation custom layers need to keep their initializers in `model.toJSON()`.
 */
import { tf, tfl } from '../tf.ts';

/** A TF.js layers initializer instance. */
export type Initializer = ReturnType<typeof tfl.initializers.constant>;

/**
 * Hands out one seed per initializer: `base`, `base + 1`, … so a seeded build is reproducible
 * while layers of equal shape still get different weights; without a base every seed is random.
 */
export class Seeds {
  private next: number | undefined;

  constructor(base?: number) {
    this.next = base;
  }

  take(): number | undefined {
    if (this.next === undefined) return undefined;
    return this.next++;
  }
}

/**
 * Caffe's `xavier` filler: uniform in ±sqrt(3 / fan_in) (variance_norm FAN_IN), where fan_in
 * counts the kernel window times the input channels one group sees.
 */
export function xavier(seeds: Seeds): Initializer {
  return tfl.initializers.varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'uniform', seed: seeds.take() });
}

/** Caffe's `gaussian` filler (untruncated normal, mean 0). */
export function gaussian(std: number, seeds: Seeds): Initializer {
  return tfl.initializers.randomNormal({ mean: 0, stddev: std, seed: seeds.take() });
}

/** Caffe's `constant` filler. */
export function constant(value: number): Initializer {
  return tfl.initializers.constant({ value });
}

/** `{className, config}` form of an initializer, as TF.js layers store it in their config. */
export function serializeInitializer(init: Initializer): tf.serialization.ConfigDict {
  return { className: init.getClassName(), config: init.getConfig() };
}

/** Rebuilds an initializer from `serializeInitializer`'s output (after a JSON round trip). */
export function deserializeInitializer(value: unknown, fallback: Initializer): Initializer {
  if (value === null || typeof value !== 'object') return fallback;
  if (typeof (value as Partial<Initializer>).apply === 'function') return value as Initializer;
  const { className, config } = value as { className?: string; config?: tf.serialization.ConfigDict };
  const entry = className ? tf.serialization.SerializationMap.getMap().classNameMap[className] : undefined;
  if (!entry) throw new Error(`Expected a registered initializer class but received ${String(className)}`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config ?? {}) as Initializer;
}
