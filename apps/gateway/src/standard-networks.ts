/**
 * The standard networks as definition texts (`POST /models/customize`, §11.5): DIGITS' Caffe
 * prototxt files, and TF.js layers JSON of the same networks (DIGITS served Python and Lua there,
 * which we never run). Plain files in apps/gateway/standard-networks/, so the gateway serves them
 * without loading TF.js. They live in the gateway because it is the one that reads and serves
 * them (contracts does no I/O, and the gateway may not import ml); ml's tests and
 * scripts/standard-networks.ts, which writes the JSON ones from ml's builders, reach them here.
 */
import fs from 'node:fs/promises';
import type { STANDARD_NETWORK_NAMES } from '@digits-ts/contracts';

type StandardNetwork = (typeof STANDARD_NETWORK_NAMES)[number];

export type DefinitionFormat = 'caffe' | 'tensorflow';

const FILE_EXTENSIONS: Record<DefinitionFormat, string> = { caffe: 'prototxt', tensorflow: 'json' };

/** Where `name`'s definition lives in apps/gateway/standard-networks/. */
export function standardNetworkFile(name: StandardNetwork, format: DefinitionFormat): URL {
  return new URL(`../standard-networks/${format}/${name}.${FILE_EXTENSIONS[format]}`, import.meta.url);
}

/** `name`'s definition in `format`. */
export function standardNetworkText(name: StandardNetwork, format: DefinitionFormat): Promise<string> {
  return fs.readFile(standardNetworkFile(name, format), 'utf8');
}
