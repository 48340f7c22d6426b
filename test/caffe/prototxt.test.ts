// Caffe prototxt without TF.js: the text-format grammar, NetParameter reading, Caffe's stage
// rules (StateMeetsRule / FilterNet), the prototxt detector and the drawing graph.
import t from 'tap';
import {
  DIGITS_STATES, filterNet, layerIncluded, looksLikePrototxt, parseCaffeNet, parsePrototxt,
  PrototxtSyntaxError, stateMeetsRule, type NetStateRule, type PrototxtMessage, type PrototxtValue,
} from '@digits-ts/caffe';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { caffeNetworkGraph } from '@digits-ts/ml';

const standardNetworkPrototxt = (name: 'lenet' | 'alexnet' | 'googlenet') => standardNetworkText(name, 'caffe');

/** The plain values of a parsed message, for comparisons: scalars by value, blocks as objects. */
function plain(message: PrototxtMessage): Record<string, unknown[]> {
  const value = (v: PrototxtValue): unknown => (v.kind === 'message' ? plain(v) : v.kind === 'identifier' ? `#${v.value}` : v.value);
  return Object.fromEntries([...message.fields].map(([name, values]) => [name, values.map(value)]));
}

/** The syntax error `text` raises. */
function syntaxError(text: string): PrototxtSyntaxError {
  try {
    parsePrototxt(text);
  } catch (err) {
    if (err instanceof PrototxtSyntaxError) return err;
    throw err;
  }
  throw new Error(`Expected a syntax error for ${JSON.stringify(text)}`);
}

t.test('fields, blocks in every spelling, separators and comments', async (t) => {
  const text = [
    '# a comment line',
    'name: "LeNet"  # trailing comment',
    'layer { name: "a" type: "Data" }',
    'layer: { name: "b"; top: "x", top: "y" }',
    'layer < name: "c" >',
    'layer: < >',
    'state { phase: TRAIN stage: "s" }',
  ].join('\n');
  t.same(plain(parsePrototxt(text)), {
    name: ['LeNet'],
    layer: [{ name: ['a'], type: ['Data'] }, { name: ['b'], top: ['x', 'y'] }, { name: ['c'] }, {}],
    state: [{ phase: ['#TRAIN'], stage: ['s'] }],
  });
  t.same(plain(parsePrototxt('')), {}, 'empty text is an empty message');
  t.same(plain(parsePrototxt('  # only a comment')), {});
  const nested = parsePrototxt('a { b { c { d: 1 } } }');
  t.same(plain(nested), { a: [{ b: [{ c: [{ d: [1] }] }] }] }, 'nesting');
  const first = nested.fields.get('a')![0]!;
  t.same(first.at, { line: 1, column: 3 }, 'values carry their position');
});

t.test('repeated fields keep every value in order, also as [lists]', async (t) => {
  const m = parsePrototxt('top: "a"\nbottom: "x"\ntop: "b"\ndim: [1, 3, 224, 224]\nshape [{ dim: 1 }, { dim: 2 }]\nempty: []');
  t.same(plain(m), { top: ['a', 'b'], bottom: ['x'], dim: [1, 3, 224, 224], shape: [{ dim: [1] }, { dim: [2] }], empty: [] });
  t.same([...m.fields.keys()], ['top', 'bottom', 'dim', 'shape', 'empty'], 'field order is first appearance');
});

t.test('numbers, identifiers and strings', async (t) => {
  const m = parsePrototxt([
    'a: 3 b: -3 c: 0.0125 d: 1e-4 e: -2.5E+3 f: .5 g: 5. h: 0x1F i: 1.5f',
    'j: inf k: -inf l: nan m: Infinity n: true o: false p: MAX',
    "s: 'single' t: \"dou\" 'ble' \"s\" u: \"\"",
    String.raw`v: "\n\t\\\"\'\x41\101\u00e9\U0001F600\?"`,
  ].join('\n'));
  const v = plain(m);
  t.same([v.a, v.b, v.c, v.d, v.e, v.f, v.g, v.h, v.i], [[3], [-3], [0.0125], [1e-4], [-2500], [0.5], [5], [31], [1.5]]);
  t.equal(v.j![0], Infinity);
  t.equal(v.k![0], -Infinity);
  t.ok(Number.isNaN(v.l![0]), 'nan');
  t.equal(v.m![0], Infinity);
  t.same([v.n, v.o, v.p], [['#true'], ['#false'], ['#MAX']], 'identifiers stay identifiers');
  t.same([v.s, v.t, v.u], [['single'], ['doubles'], ['']], 'quotes and adjacent-string concatenation');
  t.same(v.v, ['\n\t\\"\'AA\u00e9\u{1F600}?'], 'C escapes');
  const number = m.fields.get('d')![0]!;
  t.same(number.kind === 'number' ? number.text : null, '1e-4', 'numbers keep their text');
});

t.test('syntax errors say where and what', async (t) => {
  const cases: [string, number, number, string][] = [
    ['layer {\n  name: "x"\n', 3, 1, 'expected "}" but found end of input'],
    ['a: }', 1, 4, 'expected a value but found "}"'],
    ['name "x"', 1, 6, 'expected ":" or "{" after field name "name" but found string "x"'],
    ['}', 1, 1, 'expected a field name but found "}"'],
    ['a < b: 1 }', 1, 10, 'expected a field name or ">" but found "}"'],
    ['a: [1 2]', 1, 7, 'expected "," but found "2"'],
    ['a [1]', 1, 4, 'expected "{" but found "1"'],
    ['a: -b', 1, 5, 'expected a number after "-" but found "b"'],
    ['a: 12abc', 1, 4, 'invalid number "12abc"'],
    ['a: 1.2.3', 1, 4, 'invalid number "1.2.3"'],
    ['a: 1\n  b: @', 2, 6, 'unexpected character "@"'],
    ['a: "open\nb: 1', 1, 4, 'unterminated string'],
    ['a: "open', 1, 4, 'unterminated string'],
    [String.raw`a: "bad \q escape"`, 1, 9, String.raw`unknown escape "\\q"`],
    [String.raw`a: "\xZZ"`, 1, 5, String.raw`invalid escape "\\xZ"`],
    ['a: 1\nb {\n  c: [1,\n', 4, 1, 'expected a value but found end of input'],
  ];
  for (const [text, line, column, reason] of cases) {
    const err = syntaxError(text);
    t.same([err.line, err.column, err.reason], [line, column, reason], JSON.stringify(text));
    t.equal(err.message, `line ${line}, column ${column}: ${reason}`);
  }
});

t.test('NetParameter: layers with their common fields', async (t) => {
  const net = parseCaffeNet(`
    name: "tiny"
    input: "data"
    input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }
    layer {
      name: "conv" type: "Convolution" bottom: "data" top: "conv"
      param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
      convolution_param { num_output: 4 kernel_size: 3 }
      include { phase: TRAIN stage: "a" stage: "b" not_stage: "c" min_level: 1 max_level: 3 }
    }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv" bottom: "label" top: "loss" loss_weight: 0.5 exclude { stage: "deploy" } }
    layer { type: "ReLU" }
  `);
  t.equal(net.name, 'tiny');
  t.same(net.inputs, ['data']);
  t.same(net.layers.map((l) => [l.index, l.name, l.type, l.bottom, l.top]), [
    [0, 'conv', 'Convolution', ['data'], ['conv']],
    [1, 'loss', 'SoftmaxWithLoss', ['conv', 'label'], ['loss']],
    [2, '', 'ReLU', [], []],
  ]);
  t.same(net.layers[0]!.include, [{ phase: 'TRAIN', stage: ['a', 'b'], notStage: ['c'], minLevel: 1, maxLevel: 3 }]);
  t.same(net.layers[0]!.specs, [{ lrMult: 1, decayMult: 1 }, { lrMult: 2, decayMult: 0 }]);
  t.same(net.layers[1]!.exclude, [{ stage: ['deploy'], notStage: [] }]);
  t.same(net.layers[1]!.lossWeight, [0.5]);
  t.equal(net.layers[0]!.param('convolution_param', ['num_output', 'kernel_size']).int('num_output', 0), 4);
  t.equal(net.layers[2]!.where, 'layer #3', 'unnamed layers are numbered');
});

t.test('NetParameter problems are NETWORK_INVALID with a plain message', async (t) => {
  const bad = (text: string, message: RegExp) => t.throws(() => parseCaffeNet(text), { code: 'NETWORK_INVALID', statusCode: 400, message }, message.source);
  bad('layer {\n  name: "a"\n  type: "ReLU" bottom: \n}', /^Bad network: line 4, column 1: expected a value but found "}"$/);
  bad('name: "old"\nlayers { name: "conv1" type: CONVOLUTION }', /^Bad network: line 2: this is the legacy V1 network format .*upgrade_net_proto_text/);
  bad('layer { name: "conv1" type: CONVOLUTION }', /layer "conv1" \(line 1\) has type CONVOLUTION without quotes.*upgrade_net_proto_text/);
  bad('layer { name: "x" }', /layer "x" \(line 1\) has no type/);
  bad('layer { name: "x" type: "ReLU" include { stage: "a" } exclude { stage: "b" } }', /both include and exclude rules/);
  bad('layer { name: "x" type: "ReLU" botom: "a" }', /layer "x" \(line 1\) has no field "botom"/);
  bad('layer { name: "x" type: "ReLU" include { phase: TRAINING } }', /expected one of TRAIN, TEST for phase but found TRAINING/);
  bad('layer { name: "x" type: "ReLU" param { name: "shared" } }', /names a shared parameter, which is not supported/);
  bad('layer { name: "x" name: "y" type: "ReLU" }', /gives name 2 times/);
  bad('layer { name: "x" type: "ReLU" loss_weight: "one" }', /expected a number for loss_weight but found "one"/);
  bad('nme: "typo"', /the network \(line 1\) has no field "nme"/);
  bad('layer: 3', /expected a \{ … \} block for layer/);
  t.doesNotThrow(() => parseCaffeNet('layer { name: "x" type: "ReLU" some_future_param { anything: 1 } }'), 'unknown *_param blocks are left to the layer');
});

t.test('StateMeetsRule: phase, levels, stages and not-stages', async (t) => {
  const state = { phase: 'TEST' as const, level: 2, stage: ['val', 'extra'] };
  const rule = (r: Partial<NetStateRule>): NetStateRule => ({ stage: [], notStage: [], ...r });
  const cases: [Partial<NetStateRule>, boolean][] = [
    [{}, true],
    [{ phase: 'TEST' }, true],
    [{ phase: 'TRAIN' }, false],
    [{ minLevel: 2 }, true],
    [{ minLevel: 3 }, false],
    [{ maxLevel: 2 }, true],
    [{ maxLevel: 1 }, false],
    [{ stage: ['val'] }, true],
    [{ stage: ['val', 'extra'] }, true],
    [{ stage: ['val', 'other'] }, false],
    [{ notStage: ['deploy'] }, true],
    [{ notStage: ['extra'] }, false],
    [{ phase: 'TEST', stage: ['val'], notStage: ['train'], minLevel: 0, maxLevel: 5 }, true],
  ];
  for (const [r, expected] of cases) t.equal(stateMeetsRule(state, rule(r)), expected, JSON.stringify(r));
});

t.test('FilterNet: include keeps on any met rule, exclude drops on any met rule', async (t) => {
  const net = parseCaffeNet(`
    layer { name: "always" type: "ReLU" }
    layer { name: "train-only" type: "ReLU" include { phase: TRAIN } }
    layer { name: "val-or-deploy" type: "ReLU" include { stage: "val" } include { stage: "deploy" } }
    layer { name: "not-deploy" type: "ReLU" exclude { stage: "deploy" } }
    layer { name: "test-not-val" type: "ReLU" include { phase: TEST not_stage: "val" } }
    layer { name: "not-train-phase-or-val" type: "ReLU" exclude { phase: TRAIN } exclude { stage: "val" } }
    layer { name: "high-level" type: "ReLU" include { min_level: 1 } }
  `);
  const names = (stage: keyof typeof DIGITS_STATES) => filterNet(net, DIGITS_STATES[stage]).map((l) => l.name);
  t.same(names('train'), ['always', 'train-only', 'not-deploy']);
  t.same(names('val'), ['always', 'val-or-deploy', 'not-deploy']);
  t.same(names('deploy'), ['always', 'val-or-deploy', 'test-not-val', 'not-train-phase-or-val']);
  t.equal(layerIncluded(net.layers[6]!, { phase: 'TRAIN', level: 1, stage: [] }), true, 'levels count');
  t.same(DIGITS_STATES, {
    train: { phase: 'TRAIN', level: 0, stage: ['train'] },
    val: { phase: 'TEST', level: 0, stage: ['val'] },
    deploy: { phase: 'TEST', level: 0, stage: ['deploy'] },
  });
});

t.test('looksLikePrototxt tells prototxt from JSON and code', async (t) => {
  for (const text of ['name: "x"', '# comment\n\nlayer {', 'layer{}', '  input: "data"', 'layer < >']) t.ok(looksLikePrototxt(text), text);
  for (const text of ['{"class_name": "Sequential"}', '[1]', 'import tensorflow as tf', 'local net = nn.Sequential()', 'return function(p) end', '', '# only']) {
    t.notOk(looksLikePrototxt(text), text);
  }
  t.ok(looksLikePrototxt((await standardNetworkPrototxt('googlenet'))));
});

t.test('the drawing graph lists every layer with a few details', async (t) => {
  const graph = caffeNetworkGraph((await standardNetworkPrototxt('lenet')));
  t.equal(graph.name, 'LeNet');
  t.same(graph.layers.map((l) => l.name), ['train-data', 'val-data', 'scale', 'conv1', 'pool1', 'conv2', 'pool2', 'ip1', 'relu1', 'ip2', 'accuracy', 'loss', 'softmax']);
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  t.same(byName.get('train-data'), { name: 'train-data', type: 'Data', detail: ['batch 64', 'only stage train'], bottoms: [], tops: ['data', 'label'] });
  t.same(byName.get('conv1')!.detail, ['20 outputs', 'kernel 5×5 stride 1']);
  t.same(byName.get('pool1')!.detail, ['MAX kernel 2×2 stride 2']);
  t.same(byName.get('ip2')!.detail, ['outputs: #classes']);
  t.same(byName.get('loss')!.detail, ['not in stage deploy']);
  t.same(byName.get('scale')!.detail, ['(0 + 0.0125·x)^1']);
  const deployStyle = caffeNetworkGraph('input: "data"\nlayer { name: "py" type: "Python" bottom: "data" top: "out" python_param { module: "m" } }');
  t.same(deployStyle.layers.map((l) => [l.name, l.type, l.tops]), [['data', 'Input', ['data']], ['py', 'Python', ['out']]], 'unsupported types are drawn too');
  t.same(caffeNetworkGraph((await standardNetworkPrototxt('alexnet'))).layers.find((l) => l.name === 'conv2')!.detail, ['256 outputs', 'kernel 5×5 stride 1 pad 2', 'group 2']);
  t.throws(() => caffeNetworkGraph('layer {'), { code: 'NETWORK_INVALID' });
});
