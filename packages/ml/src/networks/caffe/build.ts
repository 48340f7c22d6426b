/**
 * A Caffe network description (prototxt, as DIGITS users write it) → a trainable TF.js network:
 * the train stage's graph with one output per loss layer, and the deploy stage's graph sharing its
 * layers and weights. Nothing in the text is executed; every problem is a NETWORK_INVALID error.
 */
import { AppError } from '@digits-ts/contracts';
import { badNetwork, type CaffeLayer, layerError, parseCaffeNet, type PrototxtValue } from '@digits-ts/caffe';
import { tfl } from '../../tf.ts';
import { Seeds } from '../init.ts';
import { builtLayerName } from '../naming.ts';
import type { BuiltNetwork } from '../types.ts';
import { LAYER_FACTORIES, type Apply, type MapContext, type Unit } from './mapping.ts';
import { planNet, type ImageBinding, type NetPlan, type StagePlan, type Step } from './plan.ts';

type Sym = tfl.SymbolicTensor;
type Layer = tfl.layers.Layer;

/** What `buildCaffeNetwork` needs to know about the data. */
export interface CaffeBuildOptions {
  /** [height, width, channels] fed to the network (after any crop). */
  inputShape: [number, number, number];
  /** Classes of a classification dataset (the width of an InnerProduct without num_output); null otherwise. */
  classes: number | null;
  /** Base seed for the random fillers, one per filler in prototxt order; omitted → random weights. */
  seed?: number;
}

/** Schema-free canonical text of a prototxt value, to compare two definitions of one layer. */
function canonical(value: PrototxtValue, skip: readonly string[] = []): string {
  if (value.kind !== 'message') return `${value.kind}:${String(value.value)}`;
  const entries = [...value.fields].filter(([name]) => !skip.includes(name)).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([name, values]) => `${name}=[${values.map((v) => canonical(v)).join(',')}]`).join(';')}}`;
}

/** What must agree when one layer name appears in several stages (Caffe shares weights by name). */
function fingerprint(step: Step): string {
  const { layer, fusedScale } = step;
  // BatchNorm layers are often defined per stage just to differ in use_global_stats
  const settings = (l: CaffeLayer) => canonical(l.message, ['name', 'bottom', 'top', 'include', 'exclude', 'phase', 'loss_weight', 'batch_norm_param'])
    + (l.message.fields.get('batch_norm_param') ?? []).map((m) => canonical(m, ['use_global_stats'])).join(',');
  return `${settings(layer)}|${fusedScale ? settings(fusedScale) : ''}`;
}

/** Runs `make`, turning a TF.js failure into an error naming the layer. */
function guarded<T>(layer: CaffeLayer, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw layerError(layer, `cannot be built: ${(err as Error).message}`);
  }
}

/** Builds the TF.js layers of a planned net, sharing them between stages. */
class GraphBuilder implements MapContext {
  readonly seeds: Seeds;
  readonly classes: number | null;
  private readonly names = new Set<string>();
  private readonly units = new Map<number, Unit>();
  private readonly byName = new Map<string, { index: number; unit: Unit; fingerprint: string }>();
  private readonly applied = new Map<Layer, { inputs: Sym[]; output: Sym }[]>();
  private readonly scalers = new Map<CaffeLayer, Layer>();
  readonly created: Layer[] = [];
  /** The Caffe layer each TF.js layer was made for. */
  readonly owners = new Map<Layer, CaffeLayer>();

  constructor(options: CaffeBuildOptions) {
    this.seeds = new Seeds(options.seed);
    this.classes = options.classes;
  }

  tfName(caffeName: string, suffix = ''): string {
    const base = builtLayerName(caffeName, suffix);
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Applies `layer` once per distinct input, so stages that agree share graph nodes too. */
  readonly apply: Apply = (layer, inputs) => {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const seen = this.applied.get(layer) ?? [];
    const hit = seen.find((a) => a.inputs.length === list.length && a.inputs.every((x, i) => x === list[i]));
    if (hit) return hit.output;
    const output = layer.apply(inputs) as Sym;
    this.applied.set(layer, [...seen, { inputs: list, output }]);
    return output;
  };

  private scaled(input: Sym, binding: ImageBinding): Sym {
    if (!binding.scale) return input;
    const { layer, factor } = binding.scale;
    let scaler = this.scalers.get(layer);
    if (!scaler) {
      scaler = tfl.layers.rescaling({ name: this.tfName(layer.name, '_scale'), scale: factor, offset: 0 });
      this.scalers.set(layer, scaler);
      this.created.push(scaler);
    }
    return this.apply(scaler, input);
  }

  /** The unit built for the layer at `index`, if any. */
  unitOf(index: number): Unit | undefined {
    return this.units.get(index);
  }

  /** The layer's unit: built once, and shared with a same-named layer of another stage (Caffe shares by name). */
  private unitFor(step: Step, inputs: Sym[], stage: ReadonlySet<number>): Unit {
    const { layer } = step;
    const known = this.units.get(layer.index);
    if (known) return known;
    const print = fingerprint(step);
    const entry = layer.name === '' ? undefined : this.byName.get(layer.name);
    // two layers of one stage with one name are two layers (a sloppy but common duplicate name)
    const named = entry && !stage.has(entry.index) ? entry : undefined;
    if (named && named.fingerprint !== print) {
      throw layerError(layer, 'is defined again with different settings; Caffe shares weights by layer name, so the definitions must agree');
    }
    const unit = named?.unit ?? guarded(layer, () => LAYER_FACTORIES[layer.type]!.make(layer, inputs, this, step.fusedScale));
    if (!named) {
      this.created.push(...unit.layers);
      for (const made of unit.layers) this.owners.set(made, layer);
      if (layer.name !== '' && !entry) this.byName.set(layer.name, { index: layer.index, unit, fingerprint: print });
    }
    this.units.set(layer.index, unit);
    return unit;
  }

  /** The TF.js graph of one stage: blob bindings at the end, and what each loss layer reads. */
  run(plan: StagePlan, input: Sym): { blobs: Map<string, Sym>; lossInputs: Map<number, Sym> } {
    const blobs = new Map<string, Sym>(plan.images.map((binding) => [binding.blob, this.scaled(input, binding)]));
    const lossInputs = new Map<number, Sym>();
    const stage = new Set(plan.steps.map((s) => s.layer.index));
    for (const step of plan.steps) {
      const { layer } = step;
      const spec = LAYER_FACTORIES[layer.type];
      const inputs = layer.bottom.map((b) => blobs.get(b)!);
      if (!spec) {
        if (inputs[0]) lossInputs.set(layer.index, inputs[0]);
        continue;
      }
      if (step.fused) {
        blobs.set(layer.top[0]!, inputs[0]!);
        continue;
      }
      const [min, max] = spec.bottoms;
      if (inputs.length < min || inputs.length > max) {
        throw layerError(layer, `needs ${min === max ? min : `${min} or more`} bottom${max === 1 ? '' : 's'} but has ${inputs.length}`);
      }
      if (layer.top.length !== 1) throw layerError(layer, `needs exactly one top but has ${layer.top.length}`);
      const unit = this.unitFor(step, inputs, stage);
      const output = guarded(layer, () => unit.run(inputs, this.apply));
      if (!output.shape.slice(1).every((d) => typeof d === 'number' && d >= 1)) {
        const from = inputs.map((x) => x.shape.slice(1).join('×')).join(', ');
        throw layerError(layer, `gives an empty ${output.shape.slice(1).join('×')} blob from ${from}; the input is too small for this network`);
      }
      blobs.set(layer.top[0]!, output);
    }
    return { blobs, lossInputs };
  }

  /**
   * TF.js counts a reference per application of a layer and frees its weights when a model's
   * dispose() brings the count to 0; a layer applied in both stages' graphs belongs to `model`
   * alone, so it must count once for `model.dispose()` to free it.
   */
  countOnce(): void {
    for (const layer of this.created) {
      const counted = layer as unknown as { _refCount: number | null };
      if (counted._refCount !== null && counted._refCount > 1) counted._refCount = 1;
    }
  }

  /** Frees the weights of every layer built so far that `keep` does not hold. */
  disposeExcept(keep: ReadonlySet<Layer>): void {
    this.countOnce();
    for (const layer of this.created) {
      if (!keep.has(layer) && layer.built && layer.weights.length > 0) layer.dispose();
    }
  }
}

function checkOptions(options: CaffeBuildOptions): void {
  const shape = options?.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`Expected inputShape [height, width, channels] of positive integers but received ${JSON.stringify(shape)}`);
  }
  const { classes } = options;
  if (classes !== null && !(Number.isInteger(classes) && classes >= 1)) {
    throw new Error(`Expected a positive integer or null for classes but received ${String(classes)} of type ${typeof classes}`);
  }
}

/** The training outputs: what each loss layer reads, checked against its kind. */
function headOutputs(plan: NetPlan, lossInputs: Map<number, Sym>, classes: number | null, builder: GraphBuilder): Sym[] {
  const used = new Set<Sym>();
  return plan.heads.map(({ layer, info }) => {
    let x = lossInputs.get(layer.index)!;
    if (info.kind === 'softmax' && x.shape.length === 4) {
      // per-pixel softmax over the channels (FCN): N×H×W×C scores against an H×W class map
      info.kind = 'pixel-softmax';
      const prefix = info.loss.includes('/') ? info.loss.slice(0, info.loss.lastIndexOf('/') + 1) : '';
      info.accuracy ??= `${prefix}pixel_accuracy`;
      info.meanIou = `${prefix}mean_iou`;
      delete info.accuracyTop5;
    } else if (info.kind === 'softmax') {
      const [, width, ...rest] = x.shape;
      if (rest.length > 0 || typeof width !== 'number') {
        throw layerError(layer, `needs a flat N×classes blob (or an N×C×H×W score map) but ${JSON.stringify(layer.bottom[0])} is ${x.shape.slice(1).join('×')}; add an InnerProduct before it`);
      }
      if (classes !== null && width < classes) {
        throw layerError(layer, `reads ${width} scores per image from ${JSON.stringify(layer.bottom[0])} but the dataset has ${classes} classes`);
      }
    }
    if (info.target) {
      const channels = info.target.part === 'coverage' ? 1 : 4;
      if (x.shape.length !== 4 || x.shape[3] !== channels) {
        throw layerError(layer, `compares a ${info.target.part} grid, so ${JSON.stringify(layer.bottom[0])} must be H×W×${channels} but is ${x.shape.slice(1).join('×')}`);
      }
    }
    // a model lists each output tensor once; a second loss on the same blob gets an identity copy
    if (used.has(x)) x = builder.apply(tfl.layers.activation({ name: builder.tfName(layer.name, '_input'), activation: 'linear' }), x);
    used.add(x);
    return x;
  });
}

/** The deploy outputs (blob names and tensors), with a softmax added for classifiers that lack one. */
function deployOutputs(plan: NetPlan, blobs: Map<string, Sym>, classes: number | null, builder: GraphBuilder): { names: string[]; tensors: Sym[] } {
  const names = [...plan.deploy.outputs];
  const cluster = plan.detection?.cluster;
  if (cluster) {
    // the box list is computed after the graph (ClusterDetections): the graph outputs what it reads
    for (const blob of [cluster.coverage, cluster.boxes]) if (!blobs.has(blob)) throw badNetwork(`ClusterDetections reads ${JSON.stringify(blob)}, which the deploy stage does not produce`);
    names.splice(0, names.length, ...names.filter((n) => n !== cluster.top && n !== cluster.coverage && n !== cluster.boxes), cluster.coverage, cluster.boxes);
  }
  if (classes !== null && !plan.deploy.steps.some((s) => s.layer.type === 'Softmax')) {
    // on the main head: the softmax head of the largest loss weight (the first of equals)
    const head = plan.heads.filter((h) => h.info.kind === 'softmax' && blobs.has(h.blob)).sort((a, b) => b.info.weight - a.info.weight)[0];
    const target = head?.blob ?? names[0];
    if (target !== undefined) {
      const softmax = tfl.layers.softmax({ name: builder.tfName('softmax') });
      builder.created.push(softmax);
      blobs.set('softmax', builder.apply(softmax, blobs.get(target)!));
      names.splice(0, names.length, ...names.filter((n) => n !== target && n !== 'softmax'), 'softmax');
    }
  }
  if (names.length === 0) throw badNetwork('the deploy stage produces no output blob');
  return { names, tensors: names.map((n) => blobs.get(n)!) };
}

function assemble(plan: NetPlan, netName: string, options: CaffeBuildOptions, builder: GraphBuilder): BuiltNetwork {
  const input = tfl.input({ shape: [...options.inputShape], name: builder.tfName('data') });
  const train = builder.run(plan.train, input);
  const modelName = builder.tfName(netName === '' ? 'caffe' : netName, '_net');
  const model = tfl.model({ name: modelName, inputs: input, outputs: headOutputs(plan, train.lossInputs, options.classes, builder) });
  const deployBlobs = builder.run(plan.deploy, input).blobs;
  const { names, tensors } = deployOutputs(plan, deployBlobs, options.classes, builder);
  const deploy = tfl.model({ name: `${modelName}_deploy`, inputs: input, outputs: tensors });
  const trained = new Set(model.layers);
  const untrained = deploy.layers.find((l) => !trained.has(l) && l.weights.length > 0);
  if (untrained) {
    const owner = builder.owners.get(untrained);
    throw badNetwork(`layer ${JSON.stringify(owner?.name ?? untrained.name)} has weights but runs only in the deploy stage, so training would never set them`);
  }
  builder.disposeExcept(new Set([...model.layers, ...deploy.layers]));
  const inModel = new Set(model.layers.map((l) => l.name));
  const decayed = [...new Set(plan.train.steps.map((s) => builder.unitOf(s.layer.index)?.decayed))]
    .filter((name): name is string => typeof name === 'string' && inModel.has(name));
  return { model, heads: plan.heads.map((h) => ({ ...h.info })), deploy, decayed, defaults: plan.defaults, outputs: names, ...(plan.detection ? { detection: plan.detection } : {}) };
}

/**
 * Builds a Caffe network description for a dataset of `inputShape` images:
 * - `model`: the train stage, input → the blob each loss layer reads (logits for SoftmaxWithLoss,
 *   predictions for EuclideanLoss), one output per loss layer in prototxt order;
 * - `heads`: per loss layer its top name, `loss_weight`, kind, and the val stage's Accuracy tops;
 * - `deploy`: the deploy stage on the same layers and weights, input → its output blobs
 *   (`outputs`), with a softmax named `softmax` added for classification when it has none;
 * - `decayed`: the Convolution / InnerProduct layers (without `decay_mult: 0`);
 * - `defaults`: the Data layers' batch sizes (DIGITS' 16 when unset), mirror and crop size.
 * Throws NETWORK_INVALID (`Bad network: …`) for anything it cannot build.
 */
export function buildCaffeNetwork(text: string, options: CaffeBuildOptions): BuiltNetwork {
  if (typeof text !== 'string') throw new Error(`Expected a string for text but received ${String(text)} of type ${typeof text}`);
  checkOptions(options);
  const net = parseCaffeNet(text);
  const plan = planNet(net, options.classes);
  const builder = new GraphBuilder(options);
  try {
    return assemble(plan, net.name, options, builder);
  } catch (err) {
    builder.disposeExcept(new Set());
    if (err instanceof AppError) throw err;
    throw badNetwork(`the network cannot be built: ${(err as Error).message}`, err);
  }
}
