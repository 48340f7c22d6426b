// Job ids and fresh job records (new-job.ts): one id format and pattern, one record constructor.
import t from 'tap';
import { compileChecker, formatJobId, isJobId, JobRecord, JOBS, newJobRecord } from '@digits-ts/contracts';

const recordChecker = compileChecker(JobRecord);

t.test('job ids: DIGITS\' timestamp form, and nothing else passes for one', async (t) => {
  const id = formatJobId(new Date(2024, 0, 2, 3, 4, 5), 'a1f0');
  t.equal(id, '20240102-030405-a1f0');
  t.ok(isJobId(id));
  for (const bad of ['', '../20240102-030405-a1f0', '20240102-030405-A1F0', '20240102-030405-a1f0/..', '2024012-030405-a1f0', '20240102-030405-a1f0\n']) {
    t.notOk(isJobId(bad), JSON.stringify(bad));
  }
});

t.test('a new record is valid, with its kind and queue entry from the catalogue', async (t) => {
  const base = { id: '20240102-030405-a1f0', type: 'T', name: 'n', group: '', username: 'alice', form: { 'form.x.data': 1 }, params: { a: 1 }, created: 1_704_164_645.5 };
  const dataset = newJobRecord({ ...base, job: 'build-dataset' });
  t.ok(recordChecker.check(dataset), 'passes the JobRecord schema');
  t.match(dataset, { v: 1, rev: 0, kind: 'dataset', status: 'I', statusHistory: [['I', base.created]], progress: 0, error: null, notes: null, datasetId: null, dataset: null, params: { a: 1 } });
  t.same(dataset.queueJob, { queue: JOBS['build-dataset'].queue, id: 'build-dataset-20240102-030405-a1f0' });
  t.notOk('model' in dataset, 'a dataset has no model state');

  const model = newJobRecord({ ...base, job: 'train-model', datasetId: '20240101-000000-0000', status: 'W' });
  t.ok(recordChecker.check(model), 'passes the JobRecord schema');
  t.match(model, { kind: 'model', status: 'W', statusHistory: [['W', base.created]], datasetId: '20240101-000000-0000', model: null, queueJob: { queue: 'train' } });

  const generic = newJobRecord({ ...base, job: 'build-generic-dataset', state: { generic: null } });
  t.ok(recordChecker.check(generic));
  t.equal(generic.generic, null, 'the kind\'s empty state');
});
