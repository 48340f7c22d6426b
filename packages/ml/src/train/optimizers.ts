/** DIGITS' solver types (contract §8.7) as TF.js optimizers whose rate changes per iteration. */
import type { TrainModelOptions } from '@digits-ts/contracts';
import { tf } from '../tf.ts';
import { hasMomentumUpdate } from '../ops/momentum-update.ts';
import { AdadeltaOptimizer } from './adadelta.ts';
import { FusedMomentumOptimizer } from './fused-momentum.ts';

export type SolverType = TrainModelOptions['solver'];

/** Caffe's solver constants as DIGITS writes them (§8.4): momentum 0.9, delta 1e-8. */
const MOMENTUM = 0.9;
const EPSILON = 1e-8;
/** Adadelta's decay; Caffe reuses `momentum` for it, TF defaults to 0.95. */
const ADADELTA_RHO = 0.95;

/**
 * A fresh optimizer for `solver`, starting at rate `lr`. The SGD family runs each variable's
 * update (weight decay included) as one fused op where the backend has it (webgpu).
 */
export function createOptimizer(solver: SolverType, lr: number, rmsDecay: number): tf.Optimizer {
  const momentum = (nesterov: boolean) => (hasMomentumUpdate() ? new FusedMomentumOptimizer(lr, MOMENTUM, nesterov) : tf.train.momentum(lr, MOMENTUM, nesterov));
  switch (solver) {
    case 'SGD':
    case 'MOMENTUM': return momentum(false);
    case 'NESTEROV': return momentum(true);
    case 'ADAGRAD': return tf.train.adagrad(lr);
    case 'RMSPROP': return tf.train.rmsprop(lr, rmsDecay, 0, EPSILON);
    case 'ADADELTA': return new AdadeltaOptimizer(lr, ADADELTA_RHO, EPSILON);
    case 'ADAM': return tf.train.adam(lr, 0.9, 0.999, EPSILON);
    default: throw new Error(`Expected a solver type but received ${String(solver)}`);
  }
}

/**
 * Sets the rate used by the next update. SGD-family optimizers cache it as a tensor behind
 * `setLearningRate`; the others read their `learningRate` field on every update.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  // tfjs optimizers answer `instanceof` by duck typing, so ask for the method itself
  if ('setLearningRate' in optimizer && typeof optimizer.setLearningRate === 'function') (optimizer as tf.SGDOptimizer).setLearningRate(lr);
  else (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** Disposes an optimizer and its state; MomentumOptimizer.dispose forgets its cached rate tensor. */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer.getClassName() === 'Momentum') (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
}
