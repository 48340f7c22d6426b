// Caffe prototxt → TF.js networks (wasm backend): DIGITS' standard networks against the
// hand-built ones, stage rules, input scaling, training, regression heads, errors, and the JSON
// round trip the training threads and snapshots rely on (each layer's mapping: caffe-layers).
import { tf, tfl } from '../../packages/ml/src/tf.ts';
import { buildStandardNetwork, type BuiltNetwork, type HeadInfo } from '../../packages/ml/src/networks/index.ts';
import { standardNetworkText } from '../../apps/gateway/src/standard-networks.ts';
import { buildCaffeNetwork } from '../../packages/ml/src/networks/caffe/index.ts';
import { type Shape3, close, dispose, flat, probe, test } from './caffe-helpers.ts';

test('the standard networks as prototxt equal the hand-built ones', async (t) => {
  const cases = [['lenet', [28, 28, 1], 10, 431_080], ['alexnet', [227, 227, 3], 1000, 60_965_224], ['googlenet', [224, 224, 3], 1000, 13_378_280]] as const;
  const byLoss = (heads: HeadInfo[]) => heads.map(({ kind: _kind, ...h }) => h).sort((a, b) => a.loss.localeCompare(b.loss));
  for (const [name, shape, classes, params] of cases) {
    const caffe = buildCaffeNetwork((await standardNetworkText(name, 'caffe')), { inputShape: [...shape], classes, seed: 1 });
    const hand = buildStandardNetwork(name, { inputShape: [...shape], classes, seed: 1 });
    t.equal(caffe.model.countParams(), params, `${name} parameters`);
    t.equal(hand.model.countParams(), params);
    t.same(caffe.model.outputs.map((o) => o.shape), hand.model.outputs.map((o) => o.shape), `${name} output shapes`);
    t.same(byLoss(caffe.heads), byLoss(hand.heads), `${name} heads`);
    t.ok(caffe.heads.every((h) => h.kind === 'softmax'));
    t.same(caffe.defaults, hand.defaults, `${name} defaults`);
    t.same([...caffe.decayed].sort(), [...hand.decayed].sort(), `${name} decayed layers`);
    const weighted = (n: BuiltNetwork) => n.model.layers.filter((l) => l.weights.length > 0).map((l) => `${l.name} ${l.countParams()}`).sort();
    t.same(weighted(caffe), weighted(hand), `${name} weighted layers by name and size`);
    t.same(caffe.outputs, ['softmax']);
    t.same(caffe.deploy.outputs.map((o) => o.shape), [[null, classes]]);
    t.equal(caffe.deploy.countParams(), hand.deploy.countParams(), `${name} deploy parameters`);
    t.ok(caffe.deploy.layers.every((l) => l.inboundNodes.length === 1), 'deploy shares the training nodes');
    dispose(caffe);
    dispose(hand);
  }
  const goog = buildCaffeNetwork((await standardNetworkText('googlenet', 'caffe')), { inputShape: [224, 224, 3], classes: 3 });
  t.same(goog.heads.map((h) => h.loss), ['loss1/loss', 'loss2/loss', 'loss'], 'prototxt order');
  t.notOk(goog.heads.some((h) => h.accuracyTop5), 'top-5 Accuracy dropped below 5 classes, as DIGITS does');
  t.same(goog.model.outputNames, ['loss1_classifier', 'loss2_classifier', 'loss3_classifier']);
  dispose(goog);
});

test('stage rules pick the train and deploy graphs', async (t) => {
  const text = `
    name: "staged"
    layer { name: "train-data" type: "Data" top: "data" top: "label" include { stage: "train" } data_param { batch_size: 24 } transform_param { mirror: true crop_size: 20 } }
    layer { name: "val-data" type: "Data" top: "data" top: "label" include { stage: "val" } data_param { batch_size: 8 } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "msra" } } param { decay_mult: 0 } }
    layer { name: "noise" type: "Dropout" bottom: "conv" top: "conv" include { phase: TRAIN } }
    layer { name: "high" type: "ReLU" bottom: "conv" top: "conv" include { min_level: 1 } }
    layer { name: "not-val" type: "TanH" bottom: "conv" top: "conv" exclude { stage: "val" } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" param { lr_mult: 0 } param { lr_mult: 0 } inner_product_param { weight_filler { type: "uniform" } } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" exclude { stage: "deploy" } }
    layer { name: "top1" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" include { stage: "val" } }
    layer { name: "top3" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc3" include { stage: "val" } accuracy_param { top_k: 3 } }
    layer { name: "top5" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc5" include { stage: "val" } accuracy_param { top_k: 5 } }
  `;
  const net = buildCaffeNetwork(text, { inputShape: [6, 6, 1], classes: 2 });
  t.same(net.model.layers.map((l) => l.name), ['data', 'conv', 'noise', 'not-val', 'ip_flatten', 'ip']);
  t.same(net.deploy.layers.map((l) => l.name), ['data', 'conv', 'not-val', 'ip_flatten', 'ip', 'softmax'], 'a softmax is added for classification');
  t.same(net.outputs, ['softmax']);
  t.same(net.heads, [{ loss: 'loss', weight: 1, kind: 'softmax', accuracy: 'acc' }], 'top-3 and top-5 beyond 2 classes are dropped');
  t.same(net.defaults, { batchSize: 24, valBatchSize: 8, mirror: true, cropSize: 20 });
  t.same(net.decayed, ['ip'], 'decay_mult 0 keeps conv out of weight decay');
  t.notOk(net.model.getLayer('ip').trainable, 'lr_mult 0 freezes a layer');
  const sums = tf.tidy(() => tf.sum(net.deploy.predict(tf.ones([2, 6, 6, 1])) as tf.Tensor, 1).arraySync());
  close(t, sums, [1, 1], 'deploy rows sum to 1');
  dispose(net);
  t.throws(() => buildCaffeNetwork(text, { inputShape: [6, 6, 1], classes: 10 }), { message: /layer "top3" \(Accuracy, line \d+\) has top_k 3; DIGITS reports top-1 and top-5/ });
  const withInput = buildCaffeNetwork(`layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 6 dim: 6 } } }\n${text}`, { inputShape: [6, 6, 1], classes: 2 });
  t.same(withInput.model.layers.map((l) => l.name), ['data', 'conv', 'noise', 'not-val', 'ip_flatten', 'ip'], 'an Input layer beside Data layers is ignored, as DIGITS does');
  dispose(withInput);

  const defaults = buildCaffeNetwork('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }\nlayer { name: "l" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }', { inputShape: [2, 2, 1], classes: 3 });
  t.same(defaults.defaults, { batchSize: 16, valBatchSize: 16, mirror: false }, 'no Data layer: DIGITS\' data/label blobs and batch size 16');
  t.same(defaults.heads, [{ loss: 'l', weight: 1, kind: 'softmax' }], 'a loss without top reports under its layer name');
  t.same(defaults.outputs, ['softmax']);
  dispose(defaults);
});

test('input scaling: transform_param.scale in training, a Power layer when deployed', async (t) => {
  const text = (await standardNetworkText('lenet', 'caffe'))
    .replace(/layer \{\n {2}name: "train-data"[\s\S]*?\n\}\nlayer \{\n {2}name: "val-data"[\s\S]*?\n\}\n/, `
      layer { name: "train-data" type: "Data" top: "scaled" top: "label" transform_param { scale: 0.0125 } include { stage: "train" } }
      layer { name: "val-data" type: "Data" top: "scaled" top: "label" transform_param { scale: 0.0125 } include { stage: "val" } }
    `)
    .replace('  name: "scale"', '  name: "scale"\n  include { stage: "deploy" }');
  const net = buildCaffeNetwork(text, { inputShape: [28, 28, 1], classes: 10, seed: 5 });
  t.equal(net.model.getLayer('train-data_scale').getClassName(), 'Rescaling');
  t.ok(net.deploy.layers.some((l) => l.name === 'scale') && !net.model.layers.some((l) => l.name === 'scale'));
  const [logits, probs] = tf.tidy(() => {
    const x = tf.randomUniform([2, 28, 28, 1], 0, 255, 'float32', 1);
    return [tf.softmax(net.model.predict(x) as tf.Tensor).arraySync(), (net.deploy.predict(x) as tf.Tensor).arraySync()];
  });
  close(t, probs, logits, 'deploy = softmax of the trained logits');
  dispose(net);
  t.throws(() => buildCaffeNetwork(text.replace('scale: 0.0125 } include { stage: "val"', 'scale: 0.5 } include { stage: "val"'), { inputShape: [28, 28, 1], classes: 10 }),
    { message: /train and val data layers scale the images differently/ });
});

test('a DIGITS-style LeNet learns: a few SGD steps lower the loss', async (t) => {
  const net = buildCaffeNetwork((await standardNetworkText('lenet', 'caffe')), { inputShape: [28, 28, 1], classes: 10, seed: 42 });
  const x = tf.randomUniform([16, 28, 28, 1], 0, 255, 'float32', 9);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10));
  const optimizer = tf.train.sgd(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, net.model.apply(x, { training: true }) as tf.Tensor), true) as tf.Scalar;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  t.ok(losses.at(-1)! < losses[0]! * 0.8, `loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
  optimizer.dispose();
  tf.dispose([x, y]);
  dispose(net);
});

test('regression: EuclideanLoss heads, deploy outputs by blob name', async (t) => {
  const text = `
    input: "data"
    input_shape { dim: 1 dim: 1 dim: 4 dim: 4 }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "xavier" variance_norm: AVERAGE } } }
    layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 } }
    layer { name: "side" type: "Sigmoid" bottom: "conv" top: "side" }
    layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" loss_weight: 2 }
    layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
  `;
  const net = buildCaffeNetwork(text, { inputShape: [4, 4, 1], classes: null });
  t.same(net.heads, [{ loss: 'loss', weight: 2, kind: 'euclidean' }], 'no accuracy for a regression head');
  t.same(net.model.outputs.map((o) => o.shape), [[null, 3]]);
  t.same(net.outputs, ['ip', 'side'], 'blobs produced and never consumed, in order');
  t.same(net.deploy.outputs.map((o) => o.shape), [[null, 3], [null, 2, 2, 2]]);
  dispose(net);
  t.throws(() => buildCaffeNetwork(text.replace(' inner_product_param { num_output: 3 }', ''), { inputShape: [4, 4, 1], classes: null }),
    { code: 'NETWORK_INVALID', message: /layer "ip" \(InnerProduct, line \d+\) needs inner_product_param.num_output/ });

  const inputLayer = text.replace(/input: "data"\n\s*input_shape \{[^}]*\}/, 'layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }')
    .replace('top: "loss" loss_weight: 2 }', 'top: "loss" loss_weight: 2 }\nlayer { name: "loss2" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "l2" }');
  const two = buildCaffeNetwork(inputLayer, { inputShape: [4, 4, 1], classes: null });
  t.same(two.heads.map((h) => h.loss), ['loss', 'l2'], 'an Input layer feeds the image; two losses read one blob');
  t.same(two.model.outputs.map((o) => o.shape), [[null, 3], [null, 3]]);
  dispose(two);
});

test('the training graph survives a JSON round trip', async (t) => {
  const body = `
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 pad: 1 group: 2 weight_filler { type: "gaussian" std: 0.3 } } }
    layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
    layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true filler { type: "uniform" min: 0.5 max: 2 } } }
    layer { name: "norm" type: "LRN" bottom: "conv" top: "norm" lrn_param { local_size: 3 } }
    layer { name: "pool" type: "Pooling" bottom: "norm" top: "pool" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
    layer { name: "pow" type: "Power" bottom: "pool" top: "pow" power_param { power: 2 shift: 1 } }
    layer { name: "sc2" type: "Scale" bottom: "pool" top: "sc2" }
    layer { name: "sum" type: "Eltwise" bottom: "pow" bottom: "sc2" top: "sum" eltwise_param { coeff: 0.5 coeff: 2 } }
    layer { name: "ip" type: "InnerProduct" bottom: "sum" top: "ip" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
  `;
  const net = probe(body, 'ip', [6, 6, 2]);
  const classes = net.model.layers.map((l) => l.getClassName());
  for (const name of ['GroupConv2D', 'CaffeBatchNorm', 'LRN', 'CaffePooling2D', 'CaffePower', 'CaffeScale', 'CaffeEltwise']) t.ok(classes.includes(name), name);
  const copy = await tfl.models.modelFromJSON(net.model.toJSON(null, false) as never);
  copy.setWeights(net.model.getWeights());
  const [a, b] = tf.tidy(() => {
    const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 4);
    return [(net.model.predict(x) as tf.Tensor).arraySync(), (copy.predict(x) as tf.Tensor).arraySync()];
  });
  close(t, b, a, 'same outputs after modelFromJSON', 1e-6);
  t.same(copy.layers.map((l) => l.name), net.model.layers.map((l) => l.name));
  copy.dispose();
  dispose(net);
});

test('one name used twice in a stage gives two layers; across stages, one shared layer', async (t) => {
  const net = probe('layer { name: "relu" type: "ReLU" bottom: "data" top: "a" }\nlayer { name: "relu" type: "ReLU" bottom: "a" top: "b" }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "train" } }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "deploy" } }\n'
    + 'layer { name: "ip" type: "InnerProduct" bottom: "b" top: "out" inner_product_param { num_output: 2 } include { stage: "val" } }', 'out', [2, 2, 1]);
  t.same(net.model.layers.map((l) => l.name), ['data', 'relu', 'relu_1', 'ip_flatten', 'ip']);
  t.same(net.deploy.layers.map((l) => l.name), ['data', 'relu', 'relu_1', 'ip_flatten', 'ip']);
  t.equal(net.deploy.getLayer('ip'), net.model.getLayer('ip'), 'the deploy definition uses the trained weights');
  dispose(net);
});

test('bad networks fail with NETWORK_INVALID naming the problem, and free what they built', async (t) => {
  const shape: Shape3 = [8, 8, 1];
  const bad = (body: string, message: RegExp, inputShape = shape) => {
    t.throws(() => probe(body, 'out', inputShape), { code: 'NETWORK_INVALID', statusCode: 400, message }, message.source);
  };
  bad('layer { name: "out" type: "ReLU" bottom: "nope" top: "out" }', /^Bad network: layer "out" \(ReLU, line 2\) reads blob "nope", which no earlier layer produces in the train stage/);
  bad('layer { name: "t" type: "ReLU" bottom: "data" top: "t" include { stage: "train" } }\nlayer { name: "out" type: "ReLU" bottom: "t" top: "out" }',
    /layer "out" \(ReLU, line 3\) reads blob "t", which no earlier layer produces in the val stage/);
  bad('layer { name: "py" type: "Python" bottom: "data" top: "out" python_param { module: "evil" layer: "Run" } }',
    /^Bad network: layer "py" has type "Python", which is not supported \(supported: Data, HDF5Data, Input, Convolution, .*Accuracy, L1Loss, DetectNetTransformation, ScoreDetections, ClusterDetections\)$/);
  bad('layer { name: "out" type: "Deconvolution" bottom: "data" top: "out" }', /layer "out" \(Deconvolution, line 2\) needs convolution_param.num_output/);
  bad('layer { name: "out" type: "Crop" bottom: "data" top: "out" }', /layer "out" \(Crop, line 2\) needs 2 bottoms but has 1/);
  bad('layer { name: "out" type: "LRN" bottom: "data" top: "out" lrn_param { norm_region: WITHIN_CHANNEL } }', /uses norm_region WITHIN_CHANNEL, which is not supported/);
  bad('layer { name: "out" type: "Pooling" bottom: "data" top: "out" pooling_param { pool: STOCHASTIC kernel_size: 2 } }', /STOCHASTIC pooling, which is not supported/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_size: 9 } }', /layer "out" \(Convolution, line 2\) gives an empty/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { kernel_size: 3 } }', /needs convolution_param.num_output/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_sise: 3 } }', /convolution_param \(line 2\) has no field "kernel_sise"/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 3 kernel_size: 1 group: 2 } }', /divisible by group 2/);
  bad('layer { name: "out" type: "Convolution" bottom: "data" top: "out" convolution_param { num_output: 2 kernel_size: 3 weight_filler { type: "bilinear" } } }', /filler type "bilinear", which is not supported/);
  bad('layer { name: "out" type: "Eltwise" bottom: "data" bottom: "data" top: "out" eltwise_param { operation: PROD coeff: 1 coeff: 2 } }', /only with operation SUM/);
  bad('layer { name: "a" type: "InnerProduct" bottom: "data" top: "a" inner_product_param { num_output: 3 } }\nlayer { name: "out" type: "Eltwise" bottom: "data" bottom: "a" top: "out" }',
    /layer "out" \(Eltwise, line 3\) needs bottoms of one shape but has 8×8×1, 3/);
  bad('layer { name: "out" type: "ReLU" bottom: "label" top: "out" }', /reads the label blob "label"; only SoftmaxWithLoss, EuclideanLoss, Accuracy, L1Loss, DetectNetTransformation, ScoreDetections layers may/);
  bad('layer { name: "out" type: "Dropout" bottom: "data" top: "out" dropout_param { dropout_ratio: 1 } }', /needs dropout_ratio in \[0, 1\) but has 1/);
  bad('layer { name: "out" type: "ReLU" bottom: "data" top: "out" top: "extra" }', /needs exactly one top but has 2/);
  bad('layer { name: "t" type: "ReLU" bottom: "data" top: "t" exclude { stage: "deploy" } }\nlayer { name: "out" type: "ReLU" bottom: "t" top: "out" }',
    /layer "out" \(ReLU, line 3\) reads blob "t", which no earlier layer produces in the deploy stage/);
  const twice = 'layer { name: "out" type: "ReLU" bottom: "data" top: "out" include { stage: "train" } }\n'
    + 'layer { name: "out" type: "ReLU" bottom: "data" top: "out" relu_param { negative_slope: 0.2 } exclude { stage: "train" } }';
  bad(twice, /layer "out" \(ReLU, line 3\) is defined again with different settings/);
  bad('layer { name: "w" type: "InnerProduct" bottom: "data" top: "out" inner_product_param { num_output: 2 } include { stage: "deploy" } }\n'
    + 'layer { name: "t" type: "InnerProduct" bottom: "data" top: "out" inner_product_param { num_output: 2 } exclude { stage: "deploy" } }',
  /layer "w" has weights but runs only in the deploy stage/);

  const text = (s: string) => () => buildCaffeNetwork(s, { inputShape: shape, classes: 10 });
  t.throws(text('name: "x"\nlayer {\n  name: = "conv1"\n}'), { code: 'NETWORK_INVALID', message: 'Bad network: line 3, column 9: unexpected character "="' });
  t.throws(text('layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1" }'), { message: /legacy V1 network format.*upgrade_net_proto_text/ });
  t.throws(text('{"class_name": "Sequential"}'), { message: /^Bad network: line 1, column 1: expected a field name but found "\{"/ });
  t.throws(text('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }'), { message: /the train stage has no loss layer/ });
  t.throws(text('layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }\nlayer { name: "l" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }'),
    { message: /layer "l" \(SoftmaxWithLoss, line 2\) reads 4 scores per image from "ip" but the dataset has 10 classes/ });
  t.throws(text('layer { name: "l" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" softmax_param { axis: 2 } }'), { message: /layer "l" \(SoftmaxWithLoss, line 1\) supports only softmax over axis 1/ });
  // a 4-D blob is a per-pixel (segmentation) head rather than an error
  const pixel = text('layer { name: "s" type: "Convolution" bottom: "data" top: "s" convolution_param { num_output: 3 kernel_size: 1 } }\nlayer { name: "l" type: "SoftmaxWithLoss" bottom: "s" bottom: "label" }')();
  t.same(pixel.heads, [{ loss: 'l', weight: 1, kind: 'pixel-softmax', accuracy: 'pixel_accuracy', meanIou: 'mean_iou' }], 'SoftmaxWithLoss on an image-shaped blob scores every pixel');
  pixel.model.dispose();
  t.throws(text('layer { name: "l" type: "SoftmaxWithLoss" bottom: "data" bottom: "data" }'), { message: /needs two bottoms: the prediction and the label blob "label"/ });
  t.throws(() => buildCaffeNetwork('', { inputShape: [0, 8, 1], classes: 10 }), /Expected inputShape \[height, width, channels\] of positive integers/);
});
