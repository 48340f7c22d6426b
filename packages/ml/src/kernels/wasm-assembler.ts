/**
 * A tiny WebAssembly assembler for loops over the tfjs wasm heap. Some training kernels are
 * scatter/gather loops no tfjs kernel provides; in JS they cost 1.5–3 ns per element, compiled to
 * wasm (sharing the backend's memory, so no copies) about a tenth of that. No compiler for wasm
 * ships in the project's toolchain, so kernels are written as expression trees of opcodes here.
 *
 * Every value is an i32 unless an op says otherwise; memory addresses are byte offsets.
 */

/** Encoded instructions. */
export type Code = number[];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const binary = (opcode: number) => (a: Code, b: Code): Code => [...a, ...b, opcode];
const simd = (opcode: number) => [0xfd, ...uleb(opcode)];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** i32 and control-flow instructions. */
export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n | 0)],
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)],
  add: binary(0x6a),
  sub: binary(0x6b),
  mul: binary(0x6c),
  divS: binary(0x6d),
  eq: binary(0x46),
  ltS: binary(0x48),
  geS: binary(0x4e),
  gtS: binary(0x4a),
  leS: binary(0x4c),
  and: binary(0x71),
  or: binary(0x72),
  /** `cond ? a : b` on i32 or f32 operands, without a branch. */
  select: (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, 0x1b],
  /** Byte address of float element `index` of the buffer at byte offset `base`. */
  f32Address: (base: Code, index: Code): Code => [...base, ...index, ...i32Const2, 0x74, 0x6a],
};
const i32Const2 = [0x41, 2];

/** f32 scalar instructions. */
export const f32 = {
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)],
  const: (x: number): Code => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)],
  load: (address: Code): Code => [...address, 0x2a, 2, 0],
  store: (address: Code, value: Code): Code => [...address, ...value, 0x38, 2, 0],
  add: binary(0x92),
  gt: binary(0x5e),
};

/** 128-bit SIMD: four floats (or four i32 lanes) at a time. */
export const f32x4 = {
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)],
  load: (address: Code): Code => [...address, ...simd(0x00), 2, 0],
  store: (address: Code, value: Code): Code => [...address, ...value, ...simd(0x0b), 2, 0],
  splat: (value: Code): Code => [...value, ...simd(0x13)],
  add: (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)],
  /** Lane mask: all ones where a > b. */
  gt: (a: Code, b: Code): Code => [...a, ...b, ...simd(0x44)],
  /** Per bit: mask ? a : b. */
  bitselect: (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)],
  i32Splat: (value: Code): Code => [...value, ...simd(0x11)],
  i32Add: (a: Code, b: Code): Code => [...a, ...b, ...simd(0xae)],
  i32Lane: (vector: Code, lane: number): Code => [...vector, ...simd(0x1b), lane],
  /** The i32 lanes 0, 1, 2, 3. */
  i32Iota: (): Code => [...simd(0x0c), ...new Uint8Array(new Int32Array([0, 1, 2, 3]).buffer)],
};

/** Structured control flow. */
export const flow = {
  block: (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b],
  /** Runs `body` while `local` < `end`, adding `step` after each pass (`local` starts where the caller set it). */
  whileLess: (local: number, end: Code, step: number, ...body: Code[]): Code => [
    0x02, 0x40, 0x03, 0x40,
    ...i32.geS(i32.get(local), end), 0x0d, 1,
    ...body.flat(),
    ...i32.set(local, i32.add(i32.get(local), i32.const(step))),
    0x0c, 0, 0x0b, 0x0b,
  ],
  /** for (local = from; local < to; local += 1) body */
  forRange: (local: number, from: Code, to: Code, ...body: Code[]): Code => [...i32.set(local, from), ...flow.whileLess(local, to, 1, ...body)],
  when: (cond: Code, ...body: Code[]): Code => [...cond, 0x04, 0x40, ...body.flat(), 0x0b],
  /** Leaves the innermost enclosing `flow.block` when `cond` holds (`depth` counts blocks and loops between). */
  breakIf: (cond: Code, depth: number): Code => [...cond, 0x0d, ...uleb(depth)],
};

/** One exported function: `params` i32 parameters, then locals of each type, then the body. */
export interface WasmFunction {
  name: string;
  params: number;
  locals: { i32?: number; f32?: number; v128?: number };
  body: Code;
}

/** The module's bytes: imports `env.memory` (shared or not, to match the heap) and exports `functions`. */
export function assemble(functions: readonly WasmFunction[], sharedMemory: boolean): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const memoryLimits = sharedMemory ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const bodies = functions.map((f) => {
    const groups = [[f.locals.i32 ?? 0, I32], [f.locals.f32 ?? 0, F32], [f.locals.v128 ?? 0, V128]].filter(([n]) => n! > 0);
    const body = [...vec(groups.map(([n, type]) => [...uleb(n!), type!])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
