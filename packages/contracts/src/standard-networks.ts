/**
 * The standard networks as definition texts (`POST /models/customize`, §11.5): DIGITS' Caffe
 * prototxt files, and TF.js layers JSON of the same networks (DIGITS served Python and Lua there,
 * which we never run). Plain files in packages/contracts/standard-networks/, so the gateway
 * serves them without loading TF.js; scripts/standard-networks.ts writes the JSON ones.
 */
import fs from 'node:fs/promises';
import type { STANDARD_NETWORK_NAMES } from './model-options.ts';

type StandardNetwork = (typeof STANDARD_NETWORK_NAMES)[number];

export type DefinitionFormat = 'caffe' | 'tensorflow';

const FILE_EXTENSIONS: Record<DefinitionFormat, string> = { caffe: 'prototxt', tensorflow: 'json' };

/** Where `name`'s definition lives in the package. */
export function standardNetworkFile(name: StandardNetwork, format: DefinitionFormat): URL {
  return new URL(`../standard-networks/${format}/${name}.${FILE_EXTENSIONS[format]}`, import.meta.url);
}

/** `name`'s definition in `format`. */
export function standardNetworkText(name: StandardNetwork, format: DefinitionFormat): Promise<string> {
  return fs.readFile(standardNetworkFile(name, format), 'utf8');
}

/** The input each standard network's JSON is written for: its usual (cropped) input and 1000 / 10 classes. */
export const STANDARD_JSON_SHAPES: Record<StandardNetwork, { inputShape: [number, number, number]; classes: number }> = {
  lenet: { inputShape: [28, 28, 1], classes: 10 },
  alexnet: { inputShape: [227, 227, 3], classes: 1000 },
  googlenet: { inputShape: [224, 224, 3], classes: 1000 },
};
