/**
 * 2-D convolutions (NHWC, HWIO filters, channel groups) as implicit GEMMs on `GemmProgram`:
 * - forward:        y[(b,oy,ox), o]  = Σ_(i,j,c) x[b, oy·s+i·d−p, ox·s+j·d−p, c] · W[(i,j,c), o]
 * - filter gradient: dW[(i,j,c), o]  = Σ_(b,oy,ox) x[b, oy·s+i·d−p, ox·s+j·d−p, c] · dy[(b,oy,ox), o]
 * - input gradient: dx[(b,y,x), c]   = Σ_(i,j,o) dy[b, (y+p−i·d)/s, (x+p−j·d)/s, o] · W[i,j,c,o]
 *   (terms whose division is inexact or out of range are zero).
 * With groups, group g reads input channels [g·cg, (g+1)·cg) and writes outputs [g·og, (g+1)·og).
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { runGemm, type GemmOperands } from './gemm.ts';

/** A convolution's geometry: tfjs' Conv2DInfo plus channel groups. */
export interface ConvGeometry {
  info: backend_util.Conv2DInfo;
  groups: number;
}

/**
 * The geometry as WGSL constants (all but the batch size, which varies between training and
 * validation batches): divisions by them compile to multiplies, and the shader key names them.
 */
function geometryConstants({ info, groups }: ConvGeometry): { key: string; code: string } {
  const values = {
    IH: info.inHeight, IW: info.inWidth, IC: info.inChannels, CG: info.inChannels / groups,
    OH: info.outHeight, OW: info.outWidth, OC: info.outChannels, OG: info.outChannels / groups,
    KH: info.filterHeight, KW: info.filterWidth, SH: info.strideHeight, SW: info.strideWidth,
    DH: info.dilationHeight, DW: info.dilationWidth, PT: info.padInfo.top, PL: info.padInfo.left,
  };
  return {
    key: Object.values(values).join('_'),
    code: Object.entries(values).map(([name, value]) => `const ${name} = ${value};`).join(' '),
  };
}

/** Stores C[m][n] of group g: at `index` of the output, or of split `split`'s partial copy. */
const store = (split: boolean, index: string) => (split ? `result[split * uniforms.partSize + ${index}] = v;` : `result[${index}] = v;`);

/** The forward pass's row m is an output position (b, oy, ox); k is a filter tap (i, j, c). */
const FORWARD_A = `
  fn rowA(g : i32, m : i32) -> vec4<i32> {
    let ox = m % OW;
    let boy = m / OW;
    return vec4<i32>((boy / OH) * IH * IW * IC + g * CG, (boy % OH) * SH - PT, ox * SW - PL, 0);
  }
  fn readA(r : vec4<i32>, k : i32) -> f32 {
    let c = k % CG;
    let ij = k / CG;
    let iy = r.y + (ij / KW) * DH;
    let ix = r.z + (ij % KW) * DW;
    if (iy < 0 || iy >= IH || ix < 0 || ix >= IW) { return 0.0; }
    return x[r.x + (iy * IW + ix) * IC + c];
  }`;

/** The filter gradient's row m is a filter tap (i, j, c); k is an output position (b, oy, ox). */
const FILTER_GRAD_A = `
  fn rowA(g : i32, m : i32) -> vec4<i32> {
    let ij = m / CG;
    return vec4<i32>(g * CG + m % CG, (ij / KW) * DH - PT, (ij % KW) * DW - PL, 0);
  }
  fn readA(r : vec4<i32>, k : i32) -> f32 {
    let ox = k % OW;
    let boy = k / OW;
    let iy = (boy % OH) * SH + r.y;
    let ix = ox * SW + r.z;
    if (iy < 0 || iy >= IH || ix < 0 || ix >= IW) { return 0.0; }
    return x[(((boy / OH) * IH + iy) * IW + ix) * IC + r.x];
  }`;

/** The input gradient's row m is an input pixel (b, y, x); k is a tap (i, j, o) it reached dy through. */
const INPUT_GRAD_A = `
  fn rowA(g : i32, m : i32) -> vec4<i32> {
    let xx = m % IW;
    let by = m / IW;
    return vec4<i32>((by / IH) * OH * OW * OC + g * OG, by % IH + PT, xx + PL, 0);
  }
  fn readA(r : vec4<i32>, k : i32) -> f32 {
    let o = k % OG;
    let ij = k / OG;
    let ny = r.y - (ij / KW) * DH;
    let nx = r.z - (ij % KW) * DW;
    if (ny < 0 || nx < 0) { return 0.0; }
    let oy = ny / SH;
    let ox = nx / SW;
    if (oy * SH != ny || ox * SW != nx || oy >= OH || ox >= OW) { return 0.0; }
    return dy[r.x + (oy * OW + ox) * OC + o];
  }`;

function forwardOperands(geometry: ConvGeometry, split: boolean, epilogue: { bias: boolean; relu: boolean }): GemmOperands {
  // bias and activation apply to whole sums: here without splits, in SplitSumProgram with them
  const fused = !split && (epilogue.bias || epilogue.relu);
  const constants = geometryConstants(geometry);
  return {
    key: `fwd_${split}_${fused && epilogue.bias}_${fused && epilogue.relu}_${constants.key}`,
    variableNames: fused && epilogue.bias ? ['x', 'w', 'bias'] : ['x', 'w'],
    uniforms: [],
    aFast: 'k',
    bFast: 'n',
    code: `${constants.code}
      ${FORWARD_A}
      fn readB(g : i32, k : i32, n : i32) -> f32 { return w[k * OC + g * OG + n]; }
      fn writeC(g : i32, split : i32, m : i32, n : i32, value : f32) {
        let o = g * OG + n;
        var v = value;
        ${fused && epilogue.bias ? 'v += bias[o];' : ''}
        ${fused && epilogue.relu ? 'v = max(v, 0.0);' : ''}
        ${store(split, 'm * OC + o')}
      }`,
  };
}

function filterGradOperands(geometry: ConvGeometry, split: boolean): GemmOperands {
  const constants = geometryConstants(geometry);
  return {
    key: `dw_${split}_${constants.key}`,
    variableNames: ['x', 'dy'],
    uniforms: [],
    aFast: 'm',
    bFast: 'n',
    code: `${constants.code}
      ${FILTER_GRAD_A}
      fn readB(g : i32, k : i32, n : i32) -> f32 { return dy[k * OC + g * OG + n]; }
      fn writeC(g : i32, split : i32, m : i32, n : i32, v : f32) { ${store(split, 'm * OC + g * OG + n')} }`,
  };
}

function inputGradOperands(geometry: ConvGeometry, split: boolean): GemmOperands {
  const constants = geometryConstants(geometry);
  return {
    key: `dx_${split}_${constants.key}`,
    variableNames: ['dy', 'w'],
    uniforms: [],
    aFast: 'k',
    bFast: 'k',
    code: `${constants.code}
      ${INPUT_GRAD_A}
      fn readB(g : i32, k : i32, n : i32) -> f32 { return w[((k / OG) * CG + n) * OC + g * OG + k % OG]; }
      fn writeC(g : i32, split : i32, m : i32, n : i32, v : f32) { ${store(split, 'm * IC + g * CG + n')} }`,
  };
}

/** Forward convolution, with an optional per-channel bias and ReLU applied in the same pass. */
export function convForward(backend: WebGPUBackend, x: TensorInfo, w: TensorInfo, geometry: ConvGeometry, bias: TensorInfo | null = null, relu = false): TensorInfo {
  const { info, groups } = geometry;
  const size = { m: info.batchSize * info.outHeight * info.outWidth, n: info.outChannels / groups, k: info.filterHeight * info.filterWidth * (info.inChannels / groups), groups };
  return runGemm(backend, [...info.outShape], size, [x, w], (split) => forwardOperands(geometry, split, { bias: bias !== null, relu }), { bias, relu });
}

/** dW of a convolution: [kh, kw, cin/groups, cout]. */
export function convFilterGrad(backend: WebGPUBackend, x: TensorInfo, dy: TensorInfo, geometry: ConvGeometry): TensorInfo {
  const { info, groups } = geometry;
  const cg = info.inChannels / groups;
  const size = { m: info.filterHeight * info.filterWidth * cg, n: info.outChannels / groups, k: info.batchSize * info.outHeight * info.outWidth, groups };
  return runGemm(backend, [info.filterHeight, info.filterWidth, cg, info.outChannels], size, [x, dy], (split) => filterGradOperands(geometry, split));
}

/** dx of a convolution: the input's shape. */
export function convInputGrad(backend: WebGPUBackend, dy: TensorInfo, w: TensorInfo, geometry: ConvGeometry): TensorInfo {
  const { info, groups } = geometry;
  const size = { m: info.batchSize * info.inHeight * info.inWidth, n: info.inChannels / groups, k: info.filterHeight * info.filterWidth * (info.outChannels / groups), groups };
  return runGemm(backend, [...info.inShape], size, [dy, w], (split) => inputGradOperands(geometry, split));
}
