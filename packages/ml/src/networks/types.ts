/** Types shared by the standard-network builders. */
import type { STANDARD_NETWORK_NAMES } from '@digits-ts/contracts';
import type { tfl } from '../tf.ts';
import type { NetBuilder } from './blocks.ts';
import type { SpatialOp } from './geometry.ts';
import type { DetectionTarget } from '../detection/targets.ts';
import type { DetectionSpec } from '../detection/spec.ts';

/** Constructor arguments every TF.js layer accepts (name, trainable, …). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** The standard networks DIGITS offers for image classification. */
export { STANDARD_NETWORK_NAMES as STANDARD_NETWORKS } from '@digits-ts/contracts';
export type StandardNetwork = (typeof STANDARD_NETWORK_NAMES)[number];

/** What a builder needs to know about the data. */
export interface BuildOptions {
  /** [height, width, channels] actually fed to the network (after any crop). */
  inputShape: [number, number, number];
  /** Number of classes: the width of every classifier. */
  classes: number;
  /** Base seed for the weight initializers; omitted → random weights. */
  seed?: number;
}

/**
 * How a head's output is compared with the labels:
 * - `softmax`: softmax cross-entropy against the integer class label (Caffe SoftmaxWithLoss);
 * - `euclidean`: Caffe EuclideanLoss, Σ‖output − target‖² / (2·N), against the float label vector;
 * - `mse`: mean squared error over every value (Keras `meanSquaredError`), against the label vector;
 * - `l1`: Caffe L1Loss, Σ|output − target| / N (DetectNet's box loss);
 * - `pixel-softmax`: Caffe's SoftmaxWithLoss on an N×H×W×C blob, a softmax over the channels of every pixel (segmentation).
 */
export type LossKind = 'softmax' | 'euclidean' | 'mse' | 'pixel-softmax' | 'l1';

/** The layer type each loss kind reports under in the train/val outputs (§9.1). */
export const LOSS_LAYER_TYPES: Record<LossKind, string> = { softmax: 'SoftmaxWithLoss', euclidean: 'EuclideanLoss', mse: 'MeanSquaredError', 'pixel-softmax': 'SoftmaxWithLoss', l1: 'L1Loss' };

/** One training output of a network and the DIGITS series it reports under (spec §9.1). */
export interface HeadInfo {
  /** Loss series name, e.g. `loss` or `loss1/loss`. */
  loss: string;
  /** Weight of this head's loss in the total loss. */
  weight: number;
  /** Default `softmax`. */
  kind?: LossKind;
  /** Top-1 accuracy series name (validation), e.g. `accuracy` or `loss1/accuracy`; classification heads only. */
  accuracy?: string;
  /** Top-5 accuracy series name where the network reports one (and there are ≥ 5 classes). */
  accuracyTop5?: string;
  /** SoftmaxWithLoss `loss_param.ignore_label`: pixels (or samples) of this label add no loss and no accuracy. */
  ignoreLabel?: number;
  /** SoftmaxWithLoss `loss_param.normalization` (`normalize: false` is BATCH_SIZE); default VALID. */
  normalization?: 'FULL' | 'VALID' | 'BATCH_SIZE' | 'NONE';
  /** Mean intersection over union series name (validation), for `pixel-softmax` heads. */
  meanIou?: string;
  /** The label grid a detection head is compared with (a DetectNetTransformation top), instead of the raw label. */
  target?: DetectionTarget;
}

/** DIGITS' per-network data defaults (spec §13). */
export interface NetworkDefaults {
  batchSize: number;
  valBatchSize: number;
  /** Random (train) / centre (val) crop side, when the network crops. */
  cropSize?: number;
  /** Random horizontal flips during training. */
  mirror: boolean;
}

/** A standard network ready to compile and train. */
export interface BuiltNetwork {
  /** Training graph: one output per loss head, each emitting LOGITS (no softmax). */
  model: tfl.LayersModel;
  /** Per output of `model`, in order: DIGITS series names and loss weight. */
  heads: HeadInfo[];
  /**
   * Inference graph sharing `model`'s layers and weights: input → main head logits → softmax.
   * Dispose `model` (or call `disposeNetwork`) to free the weights, not `deploy`.
   */
  deploy: tfl.LayersModel;
  /** Layer names whose kernels get L2 weight decay (conv and dense kernels, not biases). */
  decayed: string[];
  /** DIGITS' defaults for this network. */
  defaults: NetworkDefaults;
  /**
   * Names of `deploy`'s outputs in order, as inference reports them (§10.5: Caffe blob names,
   * e.g. `softmax`); omitted → the deploy model's output layer names.
   */
  outputs?: string[];
  /** DetectNet post-processing and validation metrics, when the network declares them. */
  detection?: DetectionSpec;
}

/** How index.ts builds one standard network (internal to networks/). */
export interface NetworkDefinition {
  /** Main-path (and auxiliary-path) spatial steps, to reject too-small inputs up front. */
  plans: SpatialOp[][];
  defaults: NetworkDefaults;
  /** Adds the layers after the (already scaled) input; logits per head, main head first. */
  build(b: NetBuilder, input: tfl.SymbolicTensor, classes: number): { logits: tfl.SymbolicTensor[]; heads: HeadInfo[] };
}
