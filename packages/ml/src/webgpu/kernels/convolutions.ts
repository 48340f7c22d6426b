/**
 * TF.js' convolution kernels on webgpu as our implicit GEMMs (`conv-gemm.ts`). The package's own
 * filter gradient runs one thread per weight looping over batch × pixels (82–98 % of a training
 * step on an H200), and its input gradient is the naive gather. The package keeps the cases we do
 * not handle: NCHW, 1×1 stride-1 forward convolutions (already a plain matmul there), and fused
 * activations other than ReLU.
 */
import {
  backend_util, Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, FusedConv2D,
  type Conv2DAttrs, type Conv2DBackpropFilterAttrs, type Conv2DBackpropInputAttrs, type FusedConv2DAttrs,
  type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { callStock } from './program.ts';
import { GROUP_CONV, type GroupConvAttrs } from '../../ops/group-conv.ts';
import { convFilterGrad, convForward, convInputGrad } from './conv-gemm.ts';

type Shape4D = [number, number, number, number];

/** A 1×1, stride-1, undilated forward convolution: the package runs it as one matmul. */
const isPointwise = (info: backend_util.Conv2DInfo) =>
  info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0;

function conv2d(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: WebGPUBackend; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, filter.shape as Shape4D, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  if (info.dataFormat !== 'channelsLast' || isPointwise(info)) return callStock(Conv2D, { x, filter }, backend, attrs);
  return convForward(backend, x, filter, { info, groups: 1 });
}

/** A bias that is one value per output channel (what a Dense or Conv2D layer adds). */
const isChannelBias = (bias: TensorInfo | undefined, channels: number) => !bias || bias.shape.reduce((a, b) => a * b, 1) === channels;

function fusedConv2d(args: { inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo }; backend: WebGPUBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias } = inputs;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, filter.shape as Shape4D, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  const activation = attrs.activation ?? 'linear';
  const ours = info.dataFormat === 'channelsLast' && !isPointwise(info) && (activation === 'linear' || activation === 'relu') && !inputs.preluActivationWeights && isChannelBias(bias, info.outChannels);
  if (!ours) return callStock(FusedConv2D, inputs as Record<string, TensorInfo>, backend, attrs);
  return convForward(backend, x, filter, { info, groups: 1 }, bias ?? null, activation === 'relu');
}

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WebGPUBackend; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4D, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  if (info.dataFormat !== 'channelsLast') return callStock(Conv2DBackpropFilter, { x, dy }, backend, attrs);
  return convFilterGrad(backend, x, dy, { info, groups: 1 });
}

function conv2dBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WebGPUBackend; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const info = backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as Shape4D, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
  if (info.dataFormat !== 'channelsLast') return callStock(Conv2DBackpropInput, { dy, filter }, backend, attrs);
  return convInputGrad(backend, dy, filter, { info, groups: 1 });
}

const config = (kernelName: string, kernelFunc: unknown): KernelConfig => ({ kernelName, backendName: 'webgpu', kernelFunc: kernelFunc as KernelFunc });

/** Our convolution kernels, by the kernel name they replace. */
export const CONVOLUTION_KERNELS = {
  Conv2D: config(Conv2D, conv2d),
  FusedConv2D: config(FusedConv2D, fusedConv2d),
  Conv2DBackpropFilter: config(Conv2DBackpropFilter, conv2dBackpropFilter),
  Conv2DBackpropInput: config(Conv2DBackpropInput, conv2dBackpropInput),
} as const;

/** Geometry of a grouped convolution of `inShape` by a [kh, kw, cin/groups, cout] filter. */
function groupGeometry(inShape: number[], filterShape: number[], attrs: GroupConvAttrs) {
  const [kh, kw, , co] = filterShape as Shape4D;
  const info = backend_util.computeConv2DInfo(inShape as Shape4D, [kh, kw, inShape[3]!, co], attrs.strides, 1, attrs.pad);
  return { info, groups: attrs.groups };
}

function groupConv(args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: WebGPUBackend; attrs: GroupConvAttrs }): TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  return convForward(backend, x, filter, groupGeometry(x.shape, filter.shape, attrs));
}

function groupConvInputGrad(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WebGPUBackend; attrs: GroupConvAttrs & { inputShape: number[] } }): TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  return convInputGrad(backend, dy, filter, groupGeometry(attrs.inputShape, filter.shape, attrs));
}

function groupConvFilterGrad(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WebGPUBackend; attrs: GroupConvAttrs & { filterShape: number[] } }): TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  return convFilterGrad(backend, x, dy, groupGeometry(x.shape, attrs.filterShape, attrs));
}

/** The grouped convolution kernels (new names: registered, not replacing anything). */
export const GROUP_CONV_KERNELS = {
  [GROUP_CONV.forward]: config(GROUP_CONV.forward, groupConv),
  [GROUP_CONV.inputGrad]: config(GROUP_CONV.inputGrad, groupConvInputGrad),
  [GROUP_CONV.filterGrad]: config(GROUP_CONV.filterGrad, groupConvFilterGrad),
} as const;
