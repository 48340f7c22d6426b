/**
 * Adadelta as Zeiler (2012), Caffe and TensorFlow define it. TF.js 4.22's AdadeltaOptimizer
 * divides by the accumulated squared gradient from *before* this step, so its first update is
 * the raw gradient times the learning rate and LeNet diverges at Adadelta's usual rate of 1.
 */
import { tf } from '../tf.ts';

/** tfjs-core's NamedTensor (not re-exported from its entry). */
type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slots { grad: tf.Variable; update: tf.Variable }

export class AdadeltaOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'Adadelta';
  }

  private readonly slots = new Map<string, Slots>();

  constructor(public learningRate: number, private readonly rho: number, private readonly epsilon: number) {
    super();
  }

  private slotsFor(name: string, value: tf.Variable): Slots {
    let slots = this.slots.get(name);
    if (!slots) {
      slots = { grad: tf.tidy(() => tf.zerosLike(value).variable(false)), update: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      this.slots.set(name, slots);
    }
    return slots;
  }

  override applyGradients(gradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries = Array.isArray(gradients) ? gradients.map((g) => [g.name, g.tensor] as const) : Object.entries(gradients);
    for (const [name, gradient] of entries) {
      const value = tf.engine().registeredVariables[name]!;
      const { grad, update } = this.slotsFor(name, value);
      tf.tidy(() => {
        const newGrad = tf.add(tf.mul(grad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
        const step = tf.mul(tf.div(tf.sqrt(tf.add(update, this.epsilon)), tf.sqrt(tf.add(newGrad, this.epsilon))), gradient);
        update.assign(tf.add(tf.mul(update, this.rho), tf.mul(tf.square(step), 1 - this.rho)));
        grad.assign(newGrad);
        value.assign(tf.sub(value, tf.mul(step, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const { grad, update } of this.slots.values()) tf.dispose([grad, update]);
    this.slots.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.slots.entries()].flatMap(([name, s]) => [{ name: `${name}/accum_grad`, tensor: s.grad }, { name: `${name}/accum_var`, tensor: s.update }]);
    return [await this.saveIterations(), ...slots];
  }

  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weights);
    this.dispose();
    for (let i = 0; i + 1 < rest.length; i += 2) {
      const name = rest[i]!.name.replace(/\/accum_grad$/, '');
      this.slots.set(name, { grad: rest[i]!.tensor.variable(false), update: rest[i + 1]!.tensor.variable(false) });
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
}
