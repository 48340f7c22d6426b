// parseModelForm: the image-model form of contract §8.1, sweeps (§8.2) and WTForms semantics (§1.3–1.4).
import t from 'tap';
import { compileChecker, TrainModelOptions } from '@digits-ts/contracts';
import { MODEL_FORM, parseModelForm, REQUIRED, type FormErrors, type FormFields, type ParsedModelForm } from '../../../apps/gateway/src/forms/index.ts';

/** A subtest's `t`. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];
type Lists = Record<string, readonly string[]>;

const optionsChecker = compileChecker(TrainModelOptions);

/** Parses and insists on success; every job's options must satisfy the worker's schema. */
function ok(t: Test, fields: FormFields, lists: Lists = {}, uploads: readonly string[] = []): ParsedModelForm {
  const result = parseModelForm(fields, lists, new Set(uploads));
  if ('errors' in result) {
    t.fail(`unexpected errors ${JSON.stringify(result.errors)}`);
    throw new Error('form did not parse');
  }
  for (const job of result.form.jobs) t.ok(optionsChecker.check(job.options), `${job.name}: options satisfy TrainModelOptions`);
  return result.form;
}

/** Parses and insists on failure. */
function errorsOf(t: Test, fields: FormFields, lists: Lists = {}, uploads: readonly string[] = []): FormErrors {
  const result = parseModelForm(fields, lists, new Set(uploads));
  if (!('errors' in result)) {
    t.fail(`expected errors, got ${JSON.stringify(result.form.jobs.map((j) => j.options))}`);
    return {};
  }
  return result.errors;
}

/** The fields a client must send for a standard network. */
const BASE = { model_name: 'lenet-1', dataset: '20240102-030405-abcd', framework: 'tensorflow', standard_networks: 'lenet' };
const FRAMEWORK_MESSAGE = 'The framework you choose is not currently supported.';
const PYTHON_MESSAGE = 'Python layers are code; DIGITS-TS never runs uploaded code';

t.test('defaults when only the required fields are sent', async (t) => {
  const form = ok(t, BASE);
  t.equal(form.group, '');
  t.equal(form.datasetId, BASE.dataset);
  t.equal(form.jobs.length, 1);
  t.equal(form.jobs[0]!.name, 'lenet-1');
  t.same(form.jobs[0]!.options, {
    task: 'classification',
    framework: 'tensorflow',
    network: { method: 'standard', name: 'lenet' },
    trainEpochs: 30,
    snapshotInterval: 1,
    valInterval: 1,
    randomSeed: null,
    batchSize: null,
    batchAccumulation: null,
    solver: 'SGD',
    rmsDecay: 0.99,
    learningRate: 0.01,
    lrPolicy: { policy: 'step', stepSize: 33, gamma: 0.1, stepValues: [], power: 0 },
    useMean: 'image',
    cropSize: null,
    shuffle: false,
    augmentation: { flip: 'none', quadRot: 'none', rot: 0, scale: 0, noise: 0, contrast: 0, whitening: false, hsv: null },
    gpus: { list: [], count: 1 },
  });
});

t.test('the parsed values are saved under form.<field>.data for cloning', async (t) => {
  const form = ok(t, { ...BASE, train_epochs: '5', group_name: 'g' });
  t.same(Object.keys(form.saved).sort(), Object.keys(MODEL_FORM).map((f) => `form.${f}.data`).sort());
  t.match(form.saved, {
    'form.model_name.data': 'lenet-1', 'form.train_epochs.data': 5, 'form.learning_rate.data': [0.01], 'form.lr_policy.data': 'step',
    'form.shuffle.data': false, 'form.group_name.data': 'g', 'form.batch_size.data': null, 'form.lr_multistep_values.data': '',
  });
});

t.test('sent values reach the options; strings are trimmed', async (t) => {
  const form = ok(t, {
    ...BASE, model_name: '  spaced  ', group_name: ' team ', framework: 'caffe', standard_networks: 'alexnet',
    train_epochs: '3', snapshot_interval: '0.5', val_interval: '0', random_seed: '42', batch_size: '31.9', batch_accumulation: '2',
    solver_type: 'ADAM', rms_decay: '0.9', learning_rate: '0.1', use_mean: 'pixel', crop_size: '24',
    aug_flip: 'fliplrud', aug_quad_rot: 'rotall', aug_rot: '180', aug_scale: '1', aug_noise: '0.5', aug_contrast: '5', aug_whitening: 'y',
    aug_hsv_use: 'on', aug_hsv_h: '0.5', aug_hsv_s: '0', aug_hsv_v: '0.1',
  });
  t.equal(form.group, 'team');
  t.equal(form.jobs[0]!.name, 'spaced');
  t.match(form.jobs[0]!.options, {
    framework: 'caffe', network: { method: 'standard', name: 'alexnet' }, trainEpochs: 3, snapshotInterval: 0.5, valInterval: 0,
    randomSeed: 42, batchSize: 31, batchAccumulation: 2, solver: 'ADAM', rmsDecay: 0.9, learningRate: 0.1, useMean: 'pixel', cropSize: 24,
    augmentation: { flip: 'fliplrud', quadRot: 'rotall', rot: 180, scale: 1, noise: 0.5, contrast: 5, whitening: true, hsv: { h: 0.5, s: 0, v: 0.1 } },
  });
});

t.test('each learning-rate policy takes its own fields, defaults and sent values', async (t) => {
  const cases: Array<[FormFields, object]> = [
    [{ lr_policy: 'fixed' }, { policy: 'fixed', stepValues: [] }],
    [{ lr_policy: 'step' }, { policy: 'step', stepSize: 33, gamma: 0.1, stepValues: [] }],
    [{ lr_policy: 'step', lr_step_size: '10', lr_step_gamma: '0.5' }, { policy: 'step', stepSize: 10, gamma: 0.5 }],
    [{ lr_policy: 'multistep', lr_multistep_values: '50,85' }, { policy: 'multistep', gamma: 0.5, stepValues: [50, 85] }],
    [{ lr_policy: 'multistep', lr_multistep_values: ' 10, 20.5 ,30 ', lr_multistep_gamma: '0.1' }, { policy: 'multistep', gamma: 0.1, stepValues: [10, 20.5, 30] }],
    [{ lr_policy: 'exp' }, { policy: 'exp', gamma: 0.95 }],
    [{ lr_policy: 'exp', lr_exp_gamma: '0.9' }, { policy: 'exp', gamma: 0.9 }],
    [{ lr_policy: 'inv' }, { policy: 'inv', gamma: 0.1, power: 0.5 }],
    [{ lr_policy: 'inv', lr_inv_gamma: '0.2', lr_inv_power: '0.75' }, { policy: 'inv', gamma: 0.2, power: 0.75 }],
    [{ lr_policy: 'poly' }, { policy: 'poly', power: 3 }],
    [{ lr_policy: 'poly', lr_poly_power: '0' }, { policy: 'poly', power: 0 }],
    [{ lr_policy: 'sigmoid' }, { policy: 'sigmoid', stepSize: 50, gamma: 0.1 }],
    [{ lr_policy: 'sigmoid', lr_sigmoid_step: '70', lr_sigmoid_gamma: '-0.2' }, { policy: 'sigmoid', stepSize: 70, gamma: -0.2 }],
    // multistep values are only read (and checked) for multistep
    [{ lr_policy: 'step', lr_multistep_values: 'garbage' }, { policy: 'step', stepValues: [] }],
  ];
  for (const [fields, lrPolicy] of cases) t.match(ok(t, { ...BASE, ...fields }).jobs[0]!.options.lrPolicy, lrPolicy, JSON.stringify(fields));
});

t.test('booleans: absent, "" and "false" are false; anything else is true', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false], ['', false], ['false', false], ['y', true], ['True', true], ['on', true], ['1', true], ['False', true], ['0', true],
  ];
  for (const [raw, expected] of cases) {
    const fields = raw === undefined ? BASE : { ...BASE, shuffle: raw, aug_whitening: raw, aug_hsv_use: raw };
    const options = ok(t, fields).jobs[0]!.options;
    t.equal(options.shuffle, expected, `shuffle ${String(raw)}`);
    t.equal(options.augmentation.whitening, expected, `aug_whitening ${String(raw)}`);
    t.same(options.augmentation.hsv, expected ? { h: 0.02, s: 0.04, v: 0.06 } : null, `aug_hsv_use ${String(raw)}`);
  }
});

t.test('blank optional numbers mean "not set"', async (t) => {
  const options = ok(t, { ...BASE, random_seed: '', batch_size: '', batch_accumulation: '', crop_size: ' ' }).jobs[0]!.options;
  t.match(options, { randomSeed: null, batchSize: null, batchAccumulation: null, cropSize: null });
});

t.test('required fields', async (t) => {
  const cases: Array<[string, FormFields, FormErrors]> = [
    ['nothing sent', {}, { model_name: [REQUIRED], dataset: [REQUIRED], framework: [FRAMEWORK_MESSAGE], standard_networks: [REQUIRED] }],
    ['blank strings', { model_name: ' ', dataset: '', framework: '', standard_networks: ' ' }, { model_name: [REQUIRED], dataset: [REQUIRED], framework: [FRAMEWORK_MESSAGE], standard_networks: [REQUIRED] }],
    ['framework omitted (hidden field: must be sent)', { ...BASE, framework: undefined }, { framework: [FRAMEWORK_MESSAGE] }],
    ['framework not enabled', { ...BASE, framework: 'keras' }, { framework: [FRAMEWORK_MESSAGE] }],
    ['standard without a network', { ...BASE, method: 'standard', standard_networks: undefined }, { standard_networks: [REQUIRED] }],
    ['previous without a model', { ...BASE, method: 'previous' }, { previous_networks: [REQUIRED] }],
    ['custom without a network', { ...BASE, method: 'custom' }, { custom_network: [REQUIRED] }],
  ];
  for (const [label, fields, errors] of cases) t.same(errorsOf(t, fields), errors, label);
});

t.test('each method requires only its own network field', async (t) => {
  const noNetworks = { model_name: 'm', dataset: 'd', framework: 'torch' };
  t.same(ok(t, { ...noNetworks, method: 'custom', custom_network: '{"class_name": "Sequential", "config": {"layers": []}}' }).jobs[0]!.options.network, { method: 'custom', definition: '{"class_name": "Sequential", "config": {"layers": []}}' });
  t.same(ok(t, { ...noNetworks, method: 'previous', previous_networks: 'job-1', 'job-1-snapshot': '3' }).jobs[0]!.options.network, { method: 'previous', jobId: 'job-1', epoch: 3 });
  t.same(ok(t, { ...noNetworks, standard_networks: 'googlenet' }).jobs[0]!.options.network, { method: 'standard', name: 'googlenet' });
});

t.test('selects reject values outside their choices', async (t) => {
  const cases: Array<[FormFields, FormErrors]> = [
    [{ method: 'bogus' }, { method: ['Not a valid choice'] }],
    [{ standard_networks: 'resnet' }, { standard_networks: ['Not a valid choice'] }],
    [{ solver_type: 'LBFGS' }, { solver_type: ['Not a valid choice'] }],
    [{ solver_type: 'sgd' }, { solver_type: ['Not a valid choice'] }],
    [{ lr_policy: 'cosine' }, { lr_policy: ['Not a valid choice'] }],
    [{ use_mean: 'mean' }, { use_mean: ['Not a valid choice'] }],
    [{ aug_flip: 'flip' }, { aug_flip: ['Not a valid choice'] }],
    [{ aug_quad_rot: 'rot45' }, { aug_quad_rot: ['Not a valid choice'] }],
    [{ select_gpus_list: '0,x' }, { select_gpus: ['Not a valid choice'] }],
  ];
  for (const [fields, errors] of cases) t.same(errorsOf(t, { ...BASE, ...fields }), errors, JSON.stringify(fields));
});

t.test('method=pretrained requires pretrained_networks and names that job', async (t) => {
  t.same(errorsOf(t, { ...BASE, method: 'pretrained' }), { pretrained_networks: ['This field is required.'] });
  const parsed = parseModelForm({ ...BASE, method: 'pretrained', pretrained_networks: 'p1' }, {}, new Set());
  t.ok('form' in parsed && parsed.form.jobs[0]!.options.network.method === 'pretrained');
  t.same('form' in parsed && parsed.form.jobs[0]!.options.network, { method: 'pretrained', jobId: 'p1' });
});

t.test('numbers: type and range messages', async (t) => {
  const cases: Array<[FormFields, FormErrors]> = [
    [{ train_epochs: '0' }, { train_epochs: ['Number must be at least 1.'] }],
    [{ train_epochs: 'ten' }, { train_epochs: ['Not a valid integer value'] }],
    [{ train_epochs: '2.5' }, { train_epochs: ['Not a valid integer value'] }],
    [{ snapshot_interval: '-1' }, { snapshot_interval: ['Number must be at least 0.'] }],
    [{ val_interval: 'often' }, { val_interval: ['Not a valid float value'] }],
    [{ traces_interval: '-1' }, { traces_interval: ['Number must be at least 0.'] }],
    [{ random_seed: '-1' }, { random_seed: ['Number must be at least 0.'] }],
    [{ batch_size: '0' }, { batch_size: ['Number must be at least 1.'] }],
    [{ batch_size: '32,big' }, { batch_size: ['Not a valid integer value'] }],
    [{ batch_accumulation: '0' }, { batch_accumulation: ['Number must be at least 1.'] }],
    [{ rms_decay: '-0.5' }, { rms_decay: ['Number must be at least 0.'] }],
    [{ learning_rate: '-0.1' }, { learning_rate: ['Number must be at least 0.'] }],
    [{ learning_rate: '0.01,fast' }, { learning_rate: ['Not a valid float value'] }],
    [{ crop_size: '0' }, { crop_size: ['Number must be at least 1.'] }],
    [{ select_gpu_count: '0' }, { select_gpu_count: ['Number must be at least 1.'] }],
    [{ aug_rot: '181' }, { aug_rot: ['Number must be between 0 and 180.'] }],
    [{ aug_scale: '1.5' }, { aug_scale: ['Number must be between 0 and 1.'] }],
    [{ aug_noise: '-0.1' }, { aug_noise: ['Number must be between 0 and 1.'] }],
    [{ aug_contrast: '6' }, { aug_contrast: ['Number must be between 0 and 5.'] }],
    [{ aug_hsv_h: '0.6' }, { aug_hsv_h: ['Number must be between 0 and 0.5.'] }],
    [{ lr_step_gamma: 'half' }, { lr_step_gamma: ['Not a valid float value'] }],
    [{ lr_policy: 'step', lr_step_size: '0' }, { lr_step_size: ['Number must be greater than 0.'] }],
  ];
  for (const [fields, errors] of cases) t.same(errorsOf(t, { ...BASE, ...fields }), errors, JSON.stringify(fields));
});

t.test('multistep values: required and each a number when the policy is multistep', async (t) => {
  const cases: Array<string | undefined> = [undefined, '', '  ', '50,abc', '50,,85', 'fifty', '50;85', '-'];
  for (const values of cases) {
    t.same(errorsOf(t, { ...BASE, lr_policy: 'multistep', lr_multistep_values: values }), { lr_multistep_values: ['invalid value'] }, JSON.stringify(values));
  }
});

t.test('sweeps: one job per batch size × learning rate, batch size the outer loop', async (t) => {
  const cases: Array<[string, FormFields, Array<[string, number, number | null]>]> = [
    ['2 × 2', { learning_rate: '0.01,0.001', batch_size: '32,64' }, [
      ['lenet-1 learning_rate:0.01 batch_size:32', 0.01, 32],
      ['lenet-1 learning_rate:0.001 batch_size:32', 0.001, 32],
      ['lenet-1 learning_rate:0.01 batch_size:64', 0.01, 64],
      ['lenet-1 learning_rate:0.001 batch_size:64', 0.001, 64],
    ]],
    ['brackets stripped', { learning_rate: '[0.01, 0.001]', batch_size: '[32, 64]' }, [
      ['lenet-1 learning_rate:0.01 batch_size:32', 0.01, 32],
      ['lenet-1 learning_rate:0.001 batch_size:32', 0.001, 32],
      ['lenet-1 learning_rate:0.01 batch_size:64', 0.01, 64],
      ['lenet-1 learning_rate:0.001 batch_size:64', 0.001, 64],
    ]],
    ['learning rate only', { learning_rate: '0.1,0.05,0.02' }, [
      ['lenet-1 learning_rate:0.1', 0.1, null],
      ['lenet-1 learning_rate:0.05', 0.05, null],
      ['lenet-1 learning_rate:0.02', 0.02, null],
    ]],
    ['learning rate swept, one batch size: no batch suffix', { learning_rate: '0.1,0.05', batch_size: '16' }, [
      ['lenet-1 learning_rate:0.1', 0.1, 16],
      ['lenet-1 learning_rate:0.05', 0.05, 16],
    ]],
    ['batch size only (floats truncated)', { batch_size: '8,16.7' }, [
      ['lenet-1 batch_size:8', 0.01, 8],
      ['lenet-1 batch_size:16', 0.01, 16],
    ]],
    ['one value each: no suffix', { learning_rate: '[0.5]', batch_size: '[10]' }, [['lenet-1', 0.5, 10]]],
  ];
  for (const [label, fields, expected] of cases) {
    const form = ok(t, { ...BASE, ...fields });
    t.same(form.jobs.map((j) => [j.name, j.options.learningRate, j.options.batchSize]), expected, label);
    t.ok(form.jobs.every((j) => j.options.trainEpochs === 30 && j.options.network.method === 'standard'), `${label}: the other options are shared`);
  }
});

t.test('python layers and custom snapshots are refused', async (t) => {
  const cases: Array<[FormFields, string[], FormErrors]> = [
    [{ python_layer_from_client: 'y' }, [], { python_layer_client_file: [PYTHON_MESSAGE] }],
    [{}, ['python_layer_client_file'], { python_layer_client_file: [PYTHON_MESSAGE] }],
    [{ python_layer_server_file: '/data/layers.py' }, [], { python_layer_server_file: [PYTHON_MESSAGE] }],
    [{ python_layer_from_client: 'y', python_layer_server_file: '/data/layers.py' }, ['python_layer_client_file'], { python_layer_client_file: [PYTHON_MESSAGE], python_layer_server_file: [PYTHON_MESSAGE] }],
    [{ custom_network_snapshot: '/data/w.caffemodel' }, [], { custom_network_snapshot: ['custom_network_snapshot is not supported; fine-tune with method=previous instead'] }],
  ];
  for (const [fields, uploads, errors] of cases) t.same(errorsOf(t, { ...BASE, ...fields }, {}, uploads), errors, JSON.stringify([fields, uploads]));
  t.equal(ok(t, { ...BASE, python_layer_from_client: '', python_layer_server_file: ' ' }).jobs.length, 1, 'blank python fields are fine');
});

t.test('previous: the epoch comes from <job id>-snapshot', async (t) => {
  const previous = { ...BASE, method: 'previous', previous_networks: '20240101-000000-beef' };
  const epochs: Array<[string, number]> = [['5', 5], ['-1', -1], ['0', 0], ['2.5', 2.5], [' 7 ', 7]];
  for (const [raw, epoch] of epochs) {
    t.same(ok(t, { ...previous, '20240101-000000-beef-snapshot': raw }).jobs[0]!.options.network, { method: 'previous', jobId: '20240101-000000-beef', epoch }, raw);
  }
  for (const raw of [undefined, '', 'latest']) {
    t.same(errorsOf(t, { ...previous, '20240101-000000-beef-snapshot': raw }), { previous_networks: ['20240101-000000-beef-snapshot: This field is required.'] }, String(raw));
  }
  t.same(errorsOf(t, { ...previous, 'other-snapshot': '5' }), { previous_networks: ['20240101-000000-beef-snapshot: This field is required.'] }, "another job's snapshot field is not read");
});

t.test('GPU choice', async (t) => {
  const cases: Array<[FormFields, Lists, { list: number[]; count: number }]> = [
    [{}, {}, { list: [], count: 1 }],
    [{ select_gpu: 'next' }, {}, { list: [], count: 1 }],
    [{ select_gpu: '1' }, {}, { list: [1], count: 1 }],
    [{ select_gpu_count: '2' }, {}, { list: [], count: 2 }],
    [{}, { select_gpus: ['0', '2'] }, { list: [0, 2], count: 2 }],
    [{ select_gpus_list: '3, 1' }, { select_gpus: ['0'] }, { list: [3, 1], count: 2 }],
  ];
  for (const [fields, lists, gpus] of cases) t.same(ok(t, { ...BASE, ...fields }, lists).jobs[0]!.options.gpus, gpus, JSON.stringify([fields, lists]));
});

t.test('custom_network: a layers JSON or a Caffe prototxt; code and broken texts are refused by name', async (t) => {
  const base = { model_name: 'm', dataset: 'd', framework: 'tensorflow', method: 'custom' };
  const refused: [string, RegExp][] = [
    ['local net = nn.Sequential()', /^Bad network: Lua \(Torch\) network definitions are code/],
    ["require 'nn'\nreturn function(p) end", /^Bad network: Lua/],
    ['def build_model(): pass', /^Bad network: Python network definitions are code/],
    ['from model import Tower\nclass UserModel(Tower):\n    pass', /^Bad network: Python/],
    ['layer { type: "Convolution" ', /^Bad network: line 1, column \d+: /],
    ['layer { name: "py" type: "Python" top: "x" }', /^Bad network: layer "py" has type "Python", which is not supported/],
    ['layers { name: "c" type: CONVOLUTION }', /^Bad network: .*upgrade_net_proto_text/],
    ['just some words', /^Bad network: the network is neither JSON nor a Caffe prototxt/],
    ['{"layers": []}', /^Bad network: expected a TF.js layers model topology/],
    ['[1, 2]', /^Bad network: /],
  ];
  for (const [text, message] of refused) {
    const parsed = parseModelForm({ ...base, custom_network: text }, {}, new Set());
    t.match('errors' in parsed ? parsed.errors.custom_network : null, [message], `refused: ${text}`);
  }
  const json = parseModelForm({ ...base, custom_network: '{"class_name": "Sequential", "config": {"layers": []}}' }, {}, new Set());
  t.ok('form' in json, 'a layers topology passes the form (the worker builds it)');
  const prototxt = parseModelForm({ ...base, framework: 'caffe', custom_network: '# a comment\nlayer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 } }' }, {}, new Set());
  t.ok('form' in prototxt, 'a prototxt of supported layers passes the form');
});

t.test('generic model forms have no standard networks', async (t) => {
  const parsed = parseModelForm({ model_name: 'm', dataset: 'd', framework: 'tensorflow', method: 'standard', standard_networks: 'lenet' }, {}, new Set(), { task: 'generic' });
  t.same('errors' in parsed && parsed.errors.standard_networks, ['Not a valid choice']);
  const custom = parseModelForm({ model_name: 'm', dataset: 'd', framework: 'tensorflow', method: 'custom', custom_network: '{"class_name": "Sequential", "config": {"layers": []}}' }, {}, new Set(), { task: 'generic' });
  t.equal('form' in custom && custom.form.jobs[0]!.options.task, 'generic');
});
