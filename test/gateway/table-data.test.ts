// The table dict's arithmetic on hand-built records (contract §5.2): output keys with Python 2's
// min/max over gaps, series read up to their last reported value, the sparkline's stride,
// accuracy ×100 and "none" gaps, elapsed over a history with a resume, progress rounding.
import t from 'tap';
import type { JobRecord, ModelState } from '@digits-ts/contracts';
import { runSpan, sparkline, tableDict } from '../../apps/gateway/src/table-data.ts';
import { makeRecord } from '../queue/job-store-fixtures.ts';

const MODEL: ModelState = {
  engine: null, snapshots: [], trainOutputs: {}, valOutputs: {}, epoch: 0, imagesPerSecond: null, inputShape: [8, 8, 1], batchSize: null, replicas: null,
};

function model(overrides: Partial<JobRecord>, state: Partial<ModelState>): JobRecord {
  return makeRecord('20240102-030405-aaaa', { kind: 'model', type: 'Image Classification Model', dataset: null, datasetId: '20240102-030400-bbbb', params: { framework: 'tensorflow' }, model: { ...MODEL, ...state }, ...overrides });
}

t.test('output keys: last, min (a gap is the min), max; a row opened for other series is not a gap', async (t) => {
  const fields = new Set<string>();
  const dict = tableDict(model({}, {
    trainOutputs: {
      epoch: { kind: 'Epoch', values: [1, 2, 3] },
      loss: { kind: 'SoftmaxWithLoss', values: [2, null, 1.5] },
      extra: { kind: 'Loss', values: [0.3, 0.1, null] },
      never: { kind: 'Loss', values: [null, null, null] },
    },
    valOutputs: { epoch: { kind: 'Epoch', values: [1] }, accuracy: { kind: 'Accuracy', values: [0.5] } },
  }), null, fields, 0);
  t.match(dict, { 'loss (train) last': 1.5, 'loss (train) min': null, 'loss (train) max': 2 });
  t.match(dict, { 'extra (train) last': 0.1, 'extra (train) min': 0.1, 'extra (train) max': 0.3 });
  t.notOk('never (train) last' in dict, 'a series without a value has no keys');
  t.match(dict, { 'accuracy (val) last': 0.5, 'epoch (val) max': 1, 'epoch (train) min': 1 });
  t.same([...fields].sort(), ['accuracy (val) last', 'accuracy (val) max', 'accuracy (val) min', 'epoch (train) last', 'epoch (train) max', 'epoch (train) min',
    'epoch (val) last', 'epoch (val) max', 'epoch (val) min', 'extra (train) last', 'extra (train) max', 'extra (train) min', 'loss (train) last', 'loss (train) max', 'loss (train) min']);
  t.same(dict.sparkline, [2, 'none', 1.5], 'the first train series, gaps as "none"');
});

t.test('sparkline: every k-th value with k = ⌊n/100⌋, accuracy ×100, none without a plotted series', async (t) => {
  const n = 250;
  const epochs = Array.from({ length: n }, (_, i) => i + 1);
  const acc = epochs.map((e) => e / 1000);
  const line = sparkline({ epoch: { kind: 'Epoch', values: epochs }, learning_rate: { kind: 'LearningRate', values: epochs.map(() => 0.01) }, top1: { kind: 'Accuracy', values: acc } })!;
  t.equal(line.length, 125, 'k = 2');
  t.same(line.slice(0, 3), [acc[0]! * 100, acc[2]! * 100, acc[4]! * 100], 'every 2nd value, ×100');
  t.equal(sparkline({ epoch: { kind: 'Epoch', values: [1] }, learning_rate: { kind: 'LearningRate', values: [0.1] } }), null, 'epoch and learning_rate are not plotted');
  t.equal(sparkline({}), null);
  t.notOk('sparkline' in tableDict(model({}, {}), null, new Set(), 0), 'an untrained model has no sparkline');
});

t.test('elapsed: first Running to the latest stop, to now while running, 0 if it never ran; progress rounds', async (t) => {
  const history = (...h: [JobRecord['status'], number][]) => ({ statusHistory: h, status: h.at(-1)![0] });
  t.equal(tableDict(makeRecord('20240102-030405-cccc', history(['I', 10], ['R', 12], ['D', 20])), null, new Set(), 100).elapsed, 8);
  t.equal(tableDict(makeRecord('20240102-030405-cccc', history(['I', 10], ['R', 12])), null, new Set(), 100).elapsed, 88);
  t.equal(tableDict(makeRecord('20240102-030405-cccc', history(['I', 10], ['A', 11])), null, new Set(), 100).elapsed, 0);
  // resumed after an abort: DIGITS keeps measuring to the latest stop
  t.same(runSpan(makeRecord('20240102-030405-cccc', history(['I', 10], ['R', 12], ['A', 15], ['W', 30], ['R', 31]))), { start: 12, stop: 15 });
  t.match(tableDict(makeRecord('20240102-030405-cccc', { progress: 0.125 }), null, new Set(), 0), { progress: 13, submitted: 1_704_164_645.25, status: 'Initialized', status_css: 'warning' });
  t.match(tableDict(makeRecord('20240102-030405-cccc', { progress: 0.124 }), null, new Set(), 0), { progress: 12 });
});
