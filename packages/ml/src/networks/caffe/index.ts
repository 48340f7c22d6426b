/**
 * Caffe networks (prototxt, DIGITS' `custom_network` for the Caffe framework) as TF.js networks:
 * the builder, its custom layers and a picture-ready graph. The text grammar, NetParameter
 * reading and stage rules are in @digits-ts/caffe (the gateway checks forms with them).
 */
export { buildCaffeNetwork, type CaffeBuildOptions } from './build.ts';
export { caffeNetworkGraph } from './describe.ts';
export { CaffeBatchNorm, CaffeEltwise, CaffePower, CaffeScale, type EltwiseOperation } from './layers.ts';
export { LAYER_FACTORIES } from './mapping.ts';
