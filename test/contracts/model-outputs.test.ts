// appendOutputs: DIGITS' §9.1 series bookkeeping — epoch rows, null padding, immutability.
import t from 'tap';
import { appendOutputs, lastOutput, type Outputs } from '@digits-ts/contracts';

t.test('a new epoch opens a row; values at the same epoch fill it; gaps are null', async (t) => {
  let o: Outputs = {};
  o = appendOutputs(o, 0.5, { loss: { kind: 'SoftmaxWithLoss', value: 2 }, learning_rate: { kind: 'LearningRate', value: 0.01 } });
  o = appendOutputs(o, 1, { loss: { kind: 'SoftmaxWithLoss', value: 1 } });
  o = appendOutputs(o, 1, { accuracy: { kind: 'Accuracy', value: 0.9 } });
  t.same(o, {
    epoch: { kind: 'Epoch', values: [0.5, 1] },
    loss: { kind: 'SoftmaxWithLoss', values: [2, 1] },
    learning_rate: { kind: 'LearningRate', values: [0.01, null] },
    accuracy: { kind: 'Accuracy', values: [null, 0.9] },
  });
  t.equal(lastOutput(o, 'learning_rate'), 0.01);
  t.equal(lastOutput(o, 'missing'), null);
});

t.test('the input map is not changed', async (t) => {
  const first = appendOutputs({}, 1, { loss: { kind: 'SoftmaxWithLoss', value: 3 } });
  const copy = JSON.parse(JSON.stringify(first));
  appendOutputs(first, 2, { loss: { kind: 'SoftmaxWithLoss', value: 2 } });
  t.same(first, copy);
});
