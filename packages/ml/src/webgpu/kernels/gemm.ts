/**
 * A tiled GEMM in WGSL whose operands are read through functions, so one program serves every
 * convolution as an implicit GEMM (no im2col buffer): C[g][m][n] = Σ_k A(g,m,k)·B(g,k,n) for each
 * channel group g. Each workgroup of 256 threads computes a TM×TN tile, each thread RM×RN values
 * strided over the tile (so shared-memory reads do not collide), staging TK-deep slices of A and
 * B in workgroup memory.
 *
 * Split-K: when M×N has too few tiles to fill the GPU (a filter gradient: a few hundred weights
 * summed over batch × output pixels), K is cut into `splits` chunks computed by separate
 * workgroups into a [splits, …] buffer that `SplitSumProgram` adds up.
 */
import { env, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { FlatProgram, LINEAR_WORKGROUP, WORKGROUP, ceilDiv, type Uniforms } from './program.ts';

/** Workgroups a GEMM aims to keep busy (split-K below it); the backend start sets it per adapter. */
export const GEMM_PARALLELISM_FLAG = 'DIGITS_WEBGPU_GEMM_PARALLELISM';
env().registerFlag(GEMM_PARALLELISM_FLAG, () => 1024);

/**
 * Tile shape: TM×TN outputs per workgroup, TK-deep shared slices, the 256 threads laid out
 * WX wide × 256/WX high, so each thread holds (TM·WX/256) × (TN/WX) sums.
 */
export interface GemmTile {
  tm: number;
  tn: number;
  tk: number;
  wx: number;
}

/** Sizes of one implicit GEMM (per group). */
export interface GemmSize {
  m: number;
  n: number;
  k: number;
  groups: number;
}

/** The WGSL that defines a GEMM's operands and where its results go. */
export interface GemmOperands {
  /** Part of the shader key: names the reader functions' kind and any constants baked in. */
  key: string;
  /** Bindings, in the order the inputs are passed. */
  variableNames: string[];
  /** The kind's own uniforms (convolution geometry). */
  uniforms: Uniforms;
  /**
   * WGSL defining `fn rowA(g : i32, m : i32) -> vec4<i32>` (what `readA` needs of row m, computed
   * once per thread), `fn readA(row : vec4<i32>, k : i32) -> f32`, `fn readB(g : i32, k : i32, n : i32) -> f32`
   * (called only with m < M, n < N, k < K) and `fn writeC(g : i32, split : i32, m : i32, n : i32, v : f32)`.
   */
  code: string;
  /** Which index varies fastest in memory for A (m or k) and B (k or n): loads follow it. */
  aFast: 'm' | 'k';
  bFast: 'k' | 'n';
}

/**
 * Tile for a problem: as narrow as N (a first layer's input gradient has N = 1 channel, where a
 * 32-wide tile would do 32 times the work), 64 wide at most; TM gives each thread 4 rows (8 for
 * large M and N), and TK stays within 16 KiB of workgroup memory.
 */
export function chooseTile(size: GemmSize): GemmTile {
  const tn = size.n <= 4 ? 4 : size.n <= 8 ? 8 : Math.min(64, Math.ceil(size.n / 16) * 16);
  const wx = Math.min(16, tn);
  const rows = (WORKGROUP / wx) * (tn === 64 && size.m >= 8192 ? 8 : 4);
  const tm = Math.min(rows, Math.max(WORKGROUP / wx, 2 ** Math.ceil(Math.log2(Math.max(1, size.m)))));
  const tk = size.k <= 8 ? 8 : tm * 32 + 32 * tn <= 4096 ? 32 : tm * 16 + 16 * tn <= 4096 ? 16 : 8;
  return { tm, tn, tk, wx };
}

/**
 * K chunks for a problem: enough workgroups to occupy `parallelism` (about twice the GPU's
 * resident workgroups), each chunk at least 8 slices deep so the partial sums stay cheap.
 */
export function chooseSplits(size: GemmSize, tile: GemmTile, parallelism: number): number {
  const tiles = ceilDiv(size.m, tile.tm) * ceilDiv(size.n, tile.tn) * size.groups;
  if (tiles >= parallelism) return 1;
  const slices = ceilDiv(size.k, tile.tk);
  const wanted = Math.max(1, Math.min(ceilDiv(parallelism, tiles), Math.floor(slices / 8)));
  // chunks of whole slices: rounding can leave the last wanted chunk empty
  return ceilDiv(slices, ceilDiv(slices, wanted));
}

/** The tiled implicit GEMM; `writeC` gets one call per output value. */
export class GemmProgram extends FlatProgram {
  readonly variableNames: string[];
  shaderKey: string;

  /** `splits` as `chooseSplits` gives it: every chunk holds at least one slice of K. */
  constructor(outputShape: number[], readonly size: GemmSize, readonly operands: GemmOperands, readonly tile: GemmTile, splits: number) {
    const tilesM = ceilDiv(size.m, tile.tm);
    const tilesN = ceilDiv(size.n, tile.tn);
    const slicesPerSplit = ceilDiv(ceilDiv(size.k, tile.tk), splits);
    super(outputShape, tilesM * tilesN * size.groups * splits, [
      ['M', 'int32', size.m], ['N', 'int32', size.n], ['K', 'int32', size.k], ['groups', 'int32', size.groups],
      ['splits', 'int32', splits], ['slicesPerSplit', 'int32', slicesPerSplit], ['tilesM', 'int32', tilesM], ['tilesN', 'int32', tilesN],
      ...operands.uniforms,
    ]);
    this.variableNames = operands.variableNames;
    this.shaderKey = `gemm_${operands.key}_${tile.tm}x${tile.tn}x${tile.tk}w${tile.wx}_${operands.aFast}${operands.bFast}`;
  }

  getUserCode(): string {
    const { tm, tn, tk, wx } = this.tile;
    const wy = WORKGROUP / wx;
    const rm = tm / wy;
    const rn = tn / wx;
    const { aFast, bFast } = this.operands;
    // which tile coordinate a load index e maps to, following the operand's contiguous axis
    const aIndex = aFast === 'm' ? 'let mm = e % TM; let kk = e / TM;' : 'let kk = e % TK; let mm = e / TK;';
    const bIndex = bFast === 'n' ? 'let nn = e % TN; let kk = e / TN;' : 'let kk = e % TK; let nn = e / TK;';
    return `
      const TM = ${tm}; const TN = ${tn}; const TK = ${tk};
      const RM = ${rm}; const RN = ${rn};
      const WX = ${wx}; const WY = ${wy}; const THREADS = ${WORKGROUP};
      const SA = ${Math.ceil((tm * tk) / WORKGROUP)};
      var<workgroup> As : array<f32, ${tm * tk}>;
      var<workgroup> Bs : array<f32, ${tk * tn}>;

      ${this.operands.code}

      fn main(index : i32) {
        let wg = ${LINEAR_WORKGROUP};
        let tn = wg % uniforms.tilesN;
        let tm = (wg / uniforms.tilesN) % uniforms.tilesM;
        let z = wg / (uniforms.tilesN * uniforms.tilesM);
        let split = z % uniforms.splits;
        let g = z / uniforms.splits;
        // a folded dispatch can run a few workgroups past the end: they load nothing, write nothing
        let live = g < uniforms.groups;
        let m0 = tm * TM;
        let n0 = tn * TN;
        let kBegin = split * uniforms.slicesPerSplit * TK;
        let kEnd = select(0, min(uniforms.K, kBegin + uniforms.slicesPerSplit * TK), live);
        let tid = i32(localIndex);
        let tx = tid % WX;
        let ty = tid / WX;
        // each thread loads the same rows of A in every slice: their index math is done once
        var aRow : array<vec4<i32>, SA>;
        var aOk : array<bool, SA>;
        for (var i = 0; i < SA; i++) {
          let e = tid + i * THREADS;
          ${aIndex}
          let m = m0 + mm;
          aOk[i] = m < uniforms.M && e < TM * TK;
          if (aOk[i]) { aRow[i] = rowA(g, m); }
        }
        var acc : array<f32, ${rm * rn}>;
        for (var t = 0; t < uniforms.slicesPerSplit; t++) {
          let k0 = kBegin + t * TK;
          for (var i = 0; i < SA; i++) {
            let e = tid + i * THREADS;
            ${aIndex}
            let k = k0 + kk;
            var v = 0.0;
            if (aOk[i] && k < kEnd) { v = readA(aRow[i], k); }
            ${(tm * tk) % WORKGROUP === 0 ? '' : 'if (e < TM * TK) '}{ As[kk * TM + mm] = v; }
          }
          for (var i = 0; i < ${Math.ceil((tk * tn) / WORKGROUP)}; i++) {
            let e = tid + i * THREADS;
            ${bIndex}
            let n = n0 + nn;
            let k = k0 + kk;
            var v = 0.0;
            if (n < uniforms.N && k < kEnd && e < TK * TN) { v = readB(g, k, n); }
            ${(tk * tn) % WORKGROUP === 0 ? '' : 'if (e < TK * TN) '}{ Bs[kk * TN + nn] = v; }
          }
          workgroupBarrier();
          for (var kk = 0; kk < TK; kk++) {
            var a : array<f32, RM>;
            var b : array<f32, RN>;
            for (var r = 0; r < RM; r++) { a[r] = As[kk * TM + ty + r * WY]; }
            for (var c = 0; c < RN; c++) { b[c] = Bs[kk * TN + tx + c * WX]; }
            for (var r = 0; r < RM; r++) {
              for (var c = 0; c < RN; c++) { acc[r * RN + c] = fma(a[r], b[c], acc[r * RN + c]); }
            }
          }
          workgroupBarrier();
        }
        if (!live) { return; }
        for (var r = 0; r < RM; r++) {
          let m = m0 + ty + r * WY;
          for (var c = 0; c < RN; c++) {
            let n = n0 + tx + c * WX;
            if (m < uniforms.M && n < uniforms.N) { writeC(g, split, m, n, acc[r * RN + c]); }
          }
        }
      }
    `;
  }
}

/**
 * out[i] = act(Σ_s partials[s·size + i] + bias[i mod channels]): the split-K sum, with a
 * convolution's bias and activation when the GEMM could not apply them to partial sums.
 */
export class SplitSumProgram extends FlatProgram {
  readonly variableNames: string[];
  shaderKey: string;

  constructor(outputShape: number[], splits: number, readonly epilogue: { bias: boolean; relu: boolean }) {
    const size = outputShape.reduce((a, b) => a * b, 1);
    super(outputShape, ceilDiv(size, WORKGROUP), [['total', 'int32', size], ['parts', 'int32', splits], ['channels', 'int32', outputShape[outputShape.length - 1]!]]);
    this.variableNames = epilogue.bias ? ['partials', 'bias'] : ['partials'];
    this.shaderKey = `splitsum_${epilogue.bias}_${epilogue.relu}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        let i = index;
        if (i >= uniforms.total) { return; }
        var s = 0.0;
        for (var p = 0; p < uniforms.parts; p++) { s += partials[p * uniforms.total + i]; }
        ${this.epilogue.bias ? 's += bias[i % uniforms.channels];' : ''}
        ${this.epilogue.relu ? 's = max(s, 0.0);' : ''}
        result[i] = s;
      }
    `;
  }
}

/** Widest N `DirectGemmProgram` serves. */
export const DIRECT_MAX_N = 4;

/**
 * The same product without tiles, one thread per row m holding all N ≤ 4 sums: for the input
 * gradient of a first layer (N = 1 or 3 channels) a tiled GEMM would stage whole slices to use
 * one column of them.
 */
export class DirectGemmProgram extends FlatProgram {
  readonly variableNames: string[];
  shaderKey: string;

  constructor(outputShape: number[], readonly size: GemmSize, readonly operands: GemmOperands) {
    super(outputShape, ceilDiv(size.m * size.groups, WORKGROUP), [
      ['M', 'int32', size.m], ['N', 'int32', size.n], ['K', 'int32', size.k], ['groups', 'int32', size.groups], ...operands.uniforms,
    ]);
    if (size.n > DIRECT_MAX_N) throw new Error(`Expected at most ${DIRECT_MAX_N} columns for a direct GEMM but received ${size.n}`);
    this.variableNames = operands.variableNames;
    this.shaderKey = `direct_${operands.key}_${size.n}`;
  }

  getUserCode(): string {
    const n = this.size.n;
    return `
      ${this.operands.code}

      fn main(index : i32) {
        if (index >= uniforms.M * uniforms.groups) { return; }
        let g = index / uniforms.M;
        let m = index % uniforms.M;
        let row = rowA(g, m);
        var acc : array<f32, ${n}>;
        for (var k = 0; k < uniforms.K; k++) {
          let a = readA(row, k);
          for (var c = 0; c < ${n}; c++) { acc[c] = fma(a, readB(g, k, c), acc[c]); }
        }
        for (var c = 0; c < ${n}; c++) { writeC(g, 0, m, c, acc[c]); }
      }
    `;
  }
}

/** A per-column bias (of N values) and ReLU applied to whole sums, when given. */
export interface GemmEpilogue {
  bias: TensorInfo | null;
  relu: boolean;
}

/**
 * Runs one GEMM of `size` into a new tensor of `outShape`: direct for N ≤ 4, tiled when the tiles
 * fill the GPU, else split over K into partial copies (`operandsFor(true)` stores at
 * `uniforms.partSize` strides) that one more dispatch sums, applying the epilogue there.
 */
export function runGemm(
  backend: WebGPUBackend, outShape: number[], size: GemmSize, inputs: TensorInfo[],
  operandsFor: (split: boolean) => GemmOperands, epilogue: GemmEpilogue = { bias: null, relu: false },
): TensorInfo {
  const tile = chooseTile(size);
  const splits = chooseSplits(size, tile, env().getNumber(GEMM_PARALLELISM_FLAG));
  if (size.n <= DIRECT_MAX_N && splits === 1 && !epilogue.bias && !epilogue.relu) return new DirectGemmProgram(outShape, size, operandsFor(false)).run(backend, inputs);
  if (splits === 1) {
    const operands = operandsFor(false);
    const extra = operands.variableNames.includes('bias') ? [epilogue.bias!] : [];
    return new GemmProgram(outShape, size, operands, tile, 1).run(backend, [...inputs, ...extra]);
  }
  const outSize = outShape.reduce((a, b) => a * b, 1);
  const base = operandsFor(true);
  const operands = { ...base, uniforms: [...base.uniforms, ['partSize', 'int32', outSize]] as Uniforms };
  const partials = new GemmProgram([splits, ...outShape], size, operands, tile, splits).run(backend, inputs);
  const sum = new SplitSumProgram(outShape, splits, { bias: epilogue.bias !== null, relu: epilogue.relu });
  const out = sum.run(backend, epilogue.bias ? [partials, epilogue.bias] : [partials]);
  backend.disposeData(partials.dataId);
  return out;
}
