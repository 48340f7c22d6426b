// appendOutputs: DIGITS' §9.1 series bookkeeping — epoch rows, null padding, immutability.
import t from 'tap';
import { appendOutputs, lastOutput, outputsUpTo, type Outputs } from '@digits-ts/contracts';

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

t.test('outputsUpTo keeps the rows up to a resumed checkpoint\'s epoch', async (t) => {
  let outputs = appendOutputs({}, 0.5, { loss: { kind: 'SoftmaxWithLoss', value: 2 } });
  outputs = appendOutputs(outputs, 1, { loss: { kind: 'SoftmaxWithLoss', value: 1 } });
  outputs = appendOutputs(outputs, 1.5, { loss: { kind: 'SoftmaxWithLoss', value: 0.5 }, accuracy: { kind: 'Accuracy', value: 0.9 } });
  const cut = outputsUpTo(outputs, 1);
  t.same(cut.epoch!.values, [0.5, 1]);
  t.same(cut.loss!.values, [2, 1]);
  t.same(cut.accuracy!.values, [null, null], 'a series that began later keeps its padding');
  t.same(outputsUpTo(outputs, 0.2).epoch!.values, []);
  t.same(outputs.epoch!.values, [0.5, 1, 1.5], 'the input is unchanged');
});
