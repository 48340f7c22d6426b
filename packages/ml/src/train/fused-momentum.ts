/**
 * TF.js' momentum optimizer with each variable's update (and Caffe's weight decay) done by the
 * fused `DigitsMomentumUpdate` op where the backend has it. Its state is the parent's
 * (accumulations, iterations), so checkpoints read and write it the same way.
 */
import { momentumUpdate } from '../ops/momentum-update.ts';
import { tf } from '../tf.ts';

export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  /** tfjs optimizers answer `instanceof` by duck typing (any momentum optimizer passes): test this. */
  readonly fusedUpdate = true;
  /** Weight decay per variable name (Caffe: base_lr / 100 on decayed weights, 0 elsewhere). */
  decayOf: (name: string) => number = () => 0;

  override applyGradients(variableGradients: Parameters<tf.MomentumOptimizer["applyGradients"]>[0]): void {
    const named = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const state = this as unknown as { accumulations: { originalName: string; variable: tf.Variable }[]; momentum: number; useNesterov: boolean };
    named.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name]!;
      state.accumulations[i] ??= { originalName: `${name}/momentum`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      const accumulation = state.accumulations[i]!.variable;
      const [next, updated] = momentumUpdate(value, accumulation, gradient, { lr: this.learningRate, momentum: state.momentum, decay: this.decayOf(name), nesterov: state.useNesterov });
      accumulation.assign(next);
      value.assign(updated);
      tf.dispose([next, updated]);
    });
    this.incrementIterations();
  }
}

/** Whether `optimizer` is ours (not a plain momentum optimizer, which `instanceof` also accepts). */
export function isFusedMomentum(optimizer: tf.Optimizer): optimizer is FusedMomentumOptimizer {
  return (optimizer as { fusedUpdate?: boolean }).fusedUpdate === true;
}
