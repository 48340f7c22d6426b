/**
 * DIGITS' LeNet as the bench trains it: Rescaling(0.0125) → conv 20@5×5 → maxpool 2/2 →
 * conv 50@5×5 → maxpool 2/2 → flatten → dense 500 relu → dense 10 (logits).
 */
import { tfl } from '../../packages/ml/src/tf.ts';

/** A fresh LeNet; `seed` makes the initial weights the same in every process that passes it. */
export function buildLenet(seed = 1): tfl.Sequential {
  const kernelInitializer = () => tfl.initializers.glorotUniform({ seed: seed++ });
  return tfl.sequential({
    layers: [
      tfl.layers.rescaling({ inputShape: [28, 28, 1], scale: 0.0125 }),
      tfl.layers.conv2d({ filters: 20, kernelSize: 5, kernelInitializer: kernelInitializer() }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ filters: 50, kernelSize: 5, kernelInitializer: kernelInitializer() }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 500, activation: 'relu', kernelInitializer: kernelInitializer() }),
      tfl.layers.dense({ units: 10, kernelInitializer: kernelInitializer() }),
    ],
  });
}
