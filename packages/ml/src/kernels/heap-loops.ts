/**
 * The scatter/gather loops of our kernels, compiled to wasm (see wasm-assembler.ts) and run on the
 * tfjs heap in place: col2im (input gradient of a convolution), transposed im2col (filter
 * gradient) and the max-pool gradient. All take byte offsets of tensors and NHWC geometry.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { PatchGeometry } from './patch-geometry.ts';
import { assemble, f32, f32x4, flow, i32, type Code, type WasmFunction } from './wasm-assembler.ts';

/** Names the parameters and locals of one function, in order, as i32 local indices. */
function scope<P extends string, L extends string>(params: readonly P[], locals: readonly L[]) {
  const index = new Map<string, number>([...params, ...locals].map((n, i) => [n, i]));
  const id = (n: P | L) => index.get(n)!;
  return {
    id,
    get: (n: P | L): Code => i32.get(id(n)),
    set: (n: P | L, value: Code): Code => i32.set(id(n), value),
    params: params.length,
    i32Locals: locals.length,
  };
}

const max0 = (x: Code): Code => i32.select(x, i32.const(0), i32.gtS(x, i32.const(0)));
const min = (a: Code, b: Code): Code => i32.select(a, b, i32.ltS(a, b));

/** PatchGeometry's fields, in the order the loops take them. */
const GEOMETRY = ['inHeight', 'inWidth', 'channels', 'outHeight', 'outWidth', 'filterHeight', 'filterWidth', 'strideHeight', 'strideWidth', 'padTop', 'padLeft'] as const satisfies ReadonlyArray<keyof PatchGeometry>;

/** dx[…] += cols[…] for every patch row; runs of one filter row are contiguous in both, so 4 floats at a time. */
function col2imAdd(): WasmFunction {
  const s = scope(['cols', 'dx', 'images', 'firstImage', ...GEOMETRY], ['n', 'oy', 'ox', 'i', 't', 'top', 'left', 'iEnd', 'runStart', 'runEnd', 'row', 'src', 'dst', 'lineLength', 'tapRowLength', 'imageBase']);
  const addAt = (width: 'one' | 'four'): Code => {
    const target = i32.f32Address(s.get('dx'), i32.add(s.get('dst'), s.get('t')));
    const source = i32.f32Address(s.get('cols'), i32.add(s.get('src'), s.get('t')));
    return width === 'four'
      ? f32x4.store(target, f32x4.add(f32x4.load(target), f32x4.load(source)))
      : f32.store(target, f32.add(f32.load(target), f32.load(source)));
  };
  const body = [
    s.set('lineLength', i32.mul(s.get('inWidth'), s.get('channels'))),
    s.set('tapRowLength', i32.mul(s.get('filterWidth'), s.get('channels'))),
    s.set('row', i32.const(0)),
    flow.forRange(s.id('n'), i32.const(0), s.get('images'),
      s.set('imageBase', i32.mul(i32.mul(i32.add(s.get('firstImage'), s.get('n')), s.get('inHeight')), s.get('lineLength'))),
      flow.forRange(s.id('oy'), i32.const(0), s.get('outHeight'),
        s.set('top', i32.sub(i32.mul(s.get('oy'), s.get('strideHeight')), s.get('padTop'))),
        s.set('iEnd', min(s.get('filterHeight'), i32.sub(s.get('inHeight'), s.get('top')))),
        flow.forRange(s.id('ox'), i32.const(0), s.get('outWidth'),
          s.set('left', i32.sub(i32.mul(s.get('ox'), s.get('strideWidth')), s.get('padLeft'))),
          s.set('runStart', i32.mul(max0(i32.sub(i32.const(0), s.get('left'))), s.get('channels'))),
          s.set('runEnd', i32.mul(min(s.get('filterWidth'), i32.sub(s.get('inWidth'), s.get('left'))), s.get('channels'))),
          flow.forRange(s.id('i'), max0(i32.sub(i32.const(0), s.get('top'))), s.get('iEnd'),
            s.set('src', i32.add(s.get('row'), i32.mul(s.get('i'), s.get('tapRowLength')))),
            s.set('dst', i32.add(i32.add(s.get('imageBase'), i32.mul(i32.add(s.get('top'), s.get('i')), s.get('lineLength'))), i32.mul(s.get('left'), s.get('channels')))),
            s.set('t', s.get('runStart')),
            flow.whileLess(s.id('t'), i32.sub(s.get('runEnd'), i32.const(3)), 4, addAt('four')),
            flow.whileLess(s.id('t'), s.get('runEnd'), 1, addAt('one')),
          ),
          s.set('row', i32.add(s.get('row'), i32.mul(s.get('filterHeight'), s.get('tapRowLength')))),
        ),
      ),
    ),
  ];
  return { name: 'col2imAdd', params: s.params, locals: { i32: s.i32Locals }, body: body.flat() };
}

/**
 * colsT[k][m] = x at patch element k = (i, j, c) of output pixel m, 0 outside the image: the
 * left operand of the filter gradient dW = colsT · dy, for `images` images from `firstImage`.
 * Each output row splits into left padding, pixels read `strideWidth·channels` apart (contiguous,
 * so 4 at a time, for one channel at stride 1), and right padding.
 */
function im2colTransposed(): WasmFunction {
  const s = scope(['x', 'colsT', 'images', 'firstImage', ...GEOMETRY], ['i', 'j', 'c', 'n', 'oy', 'ox', 'y', 'lo', 'hi', 'out', 'src', 'step', 'lineLength']);
  const ceilDiv = (a: Code, b: Code): Code => i32.divS(i32.add(a, i32.sub(b, i32.const(1))), b);
  const inside = i32.and(i32.geS(s.get('y'), i32.const(0)), i32.ltS(s.get('y'), s.get('inHeight')));
  const colsAt = (): Code => i32.f32Address(s.get('colsT'), s.get('out'));
  const zerosUntil = (end: Code): Code => flow.whileLess(s.id('ox'), end, 1, f32.store(colsAt(), f32.const(0)), s.set('out', i32.add(s.get('out'), i32.const(1))));
  const body = [
    s.set('lineLength', i32.mul(s.get('inWidth'), s.get('channels'))),
    s.set('step', i32.mul(s.get('strideWidth'), s.get('channels'))),
    s.set('out', i32.const(0)),
    flow.forRange(s.id('i'), i32.const(0), s.get('filterHeight'),
      flow.forRange(s.id('j'), i32.const(0), s.get('filterWidth'),
        flow.forRange(s.id('c'), i32.const(0), s.get('channels'),
          flow.forRange(s.id('n'), i32.const(0), s.get('images'),
            flow.forRange(s.id('oy'), i32.const(0), s.get('outHeight'),
              s.set('y', i32.add(i32.sub(i32.mul(s.get('oy'), s.get('strideHeight')), s.get('padTop')), s.get('i'))),
              // [lo, hi): the output columns whose input column lies inside the image (none on a padding row).
              s.set('lo', min(s.get('outWidth'), max0(ceilDiv(i32.sub(s.get('padLeft'), s.get('j')), s.get('strideWidth'))))),
              s.set('hi', min(s.get('outWidth'), max0(ceilDiv(i32.sub(i32.add(s.get('inWidth'), s.get('padLeft')), s.get('j')), s.get('strideWidth'))))),
              s.set('hi', i32.select(s.get('hi'), s.get('lo'), i32.gtS(s.get('hi'), s.get('lo')))),
              s.set('lo', i32.select(s.get('lo'), s.get('outWidth'), inside)),
              s.set('hi', i32.select(s.get('hi'), s.get('outWidth'), inside)),
              s.set('src', i32.add(
                i32.mul(i32.add(i32.mul(i32.add(s.get('firstImage'), s.get('n')), s.get('inHeight')), s.get('y')), s.get('lineLength')),
                i32.add(i32.mul(i32.add(i32.sub(i32.mul(s.get('lo'), s.get('strideWidth')), s.get('padLeft')), s.get('j')), s.get('channels')), s.get('c')),
              )),
              s.set('ox', i32.const(0)),
              zerosUntil(s.get('lo')),
              flow.when(i32.eq(s.get('step'), i32.const(1)),
                flow.whileLess(s.id('ox'), i32.sub(s.get('hi'), i32.const(3)), 4,
                  f32x4.store(colsAt(), f32x4.load(i32.f32Address(s.get('x'), s.get('src')))),
                  s.set('out', i32.add(s.get('out'), i32.const(4))),
                  s.set('src', i32.add(s.get('src'), i32.const(4))),
                ),
              ),
              flow.whileLess(s.id('ox'), s.get('hi'), 1,
                f32.store(colsAt(), f32.load(i32.f32Address(s.get('x'), s.get('src')))),
                s.set('out', i32.add(s.get('out'), i32.const(1))),
                s.set('src', i32.add(s.get('src'), s.get('step'))),
              ),
              zerosUntil(s.get('outWidth')),
            ),
          ),
        ),
      ),
    ),
  ];
  return { name: 'im2colTransposed', params: s.params, locals: { i32: s.i32Locals }, body: body.flat() };
}

/**
 * dx[argmax of each window and channel] += dy; dx must be zeroed. Ties go to the first pixel.
 * Channels go 4 at a time (lane-wise compare and select of value and position), the rest one by one.
 */
function maxPoolGradAdd(): WasmFunction {
  const s = scope(['x', 'dy', 'dx', 'images', ...GEOMETRY], ['n', 'oy', 'ox', 'c', 'y', 'xx', 'yStart', 'yEnd', 'xStart', 'xEnd', 'top', 'left', 'rowStride', 'windowBase', 'row', 'at', 'bestAt', 'gAt', 'better']);
  const best = s.params + s.i32Locals;
  const value = best + 1;
  const bestV = s.params + s.i32Locals + 2;
  const bestI = bestV + 1;
  const v = bestV + 2;
  const mask = bestV + 3;
  /** Visits the window's pixels with `at` on channel `c` of each; `visit` sees `at`. */
  const overWindow = (...visit: Code[]): Code[] => [
    s.set('row', i32.add(s.get('windowBase'), s.get('c'))),
    s.set('y', s.get('yStart')),
    flow.whileLess(s.id('y'), s.get('yEnd'), 1,
      s.set('at', s.get('row')),
      s.set('xx', s.get('xStart')),
      flow.whileLess(s.id('xx'), s.get('xEnd'), 1, ...visit, s.set('at', i32.add(s.get('at'), s.get('channels')))),
      s.set('row', i32.add(s.get('row'), s.get('rowStride'))),
    ),
  ];
  const addGradient = (position: Code, channel: Code): Code => flow.when(i32.geS(position, i32.const(0)),
    s.set('bestAt', position),
    f32.store(
      i32.f32Address(s.get('dx'), s.get('bestAt')),
      f32.add(f32.load(i32.f32Address(s.get('dx'), s.get('bestAt'))), f32.load(i32.f32Address(s.get('dy'), i32.add(s.get('gAt'), channel)))),
    ),
  );
  const body = [
    s.set('rowStride', i32.mul(s.get('inWidth'), s.get('channels'))),
    s.set('gAt', i32.const(0)),
    flow.forRange(s.id('n'), i32.const(0), s.get('images'),
      flow.forRange(s.id('oy'), i32.const(0), s.get('outHeight'),
        s.set('top', i32.sub(i32.mul(s.get('oy'), s.get('strideHeight')), s.get('padTop'))),
        s.set('yStart', max0(s.get('top'))),
        s.set('yEnd', min(i32.add(s.get('top'), s.get('filterHeight')), s.get('inHeight'))),
        flow.forRange(s.id('ox'), i32.const(0), s.get('outWidth'),
          s.set('left', i32.sub(i32.mul(s.get('ox'), s.get('strideWidth')), s.get('padLeft'))),
          s.set('xStart', max0(s.get('left'))),
          s.set('xEnd', min(i32.add(s.get('left'), s.get('filterWidth')), s.get('inWidth'))),
          s.set('windowBase', i32.add(
            i32.mul(i32.add(i32.mul(s.get('n'), s.get('inHeight')), s.get('yStart')), s.get('rowStride')),
            i32.mul(s.get('xStart'), s.get('channels')),
          )),
          s.set('c', i32.const(0)),
          flow.whileLess(s.id('c'), i32.sub(s.get('channels'), i32.const(3)), 4,
            f32x4.set(bestV, f32x4.splat(f32.const(-Infinity))),
            f32x4.set(bestI, f32x4.i32Splat(i32.const(-1))),
            ...overWindow(
              f32x4.set(v, f32x4.load(i32.f32Address(s.get('x'), s.get('at')))),
              f32x4.set(mask, f32x4.gt(f32x4.get(v), f32x4.get(bestV))),
              f32x4.set(bestV, f32x4.bitselect(f32x4.get(v), f32x4.get(bestV), f32x4.get(mask))),
              f32x4.set(bestI, f32x4.bitselect(f32x4.i32Add(f32x4.i32Splat(s.get('at')), f32x4.i32Iota()), f32x4.get(bestI), f32x4.get(mask))),
            ),
            ...[0, 1, 2, 3].map((lane) => addGradient(f32x4.i32Lane(f32x4.get(bestI), lane), i32.add(s.get('c'), i32.const(lane)))),
          ),
          flow.whileLess(s.id('c'), s.get('channels'), 1,
            f32.set(best, f32.const(-Infinity)),
            s.set('bestAt', i32.const(-1)),
            ...overWindow(
              f32.set(value, f32.load(i32.f32Address(s.get('x'), s.get('at')))),
              s.set('better', f32.gt(f32.get(value), f32.get(best))),
              s.set('bestAt', i32.select(s.get('at'), s.get('bestAt'), s.get('better'))),
              f32.set(best, i32.select(f32.get(value), f32.get(best), s.get('better'))),
            ),
            addGradient(s.get('bestAt'), s.get('c')),
          ),
          s.set('gAt', i32.add(s.get('gAt'), s.get('channels'))),
        ),
      ),
    ),
  ];
  return { name: 'maxPoolGradAdd', params: s.params, locals: { i32: s.i32Locals, f32: 2, v128: 4 }, body: body.flat() };
}

type Loop = (...args: number[]) => void;
/** The compiled loops; pointers are byte offsets on the backend's heap. */
export interface HeapLoops {
  col2imAdd(cols: number, dx: number, images: number, firstImage: number, g: PatchGeometry): void;
  im2colTransposed(x: number, colsT: number, images: number, firstImage: number, g: PatchGeometry): void;
  maxPoolGradAdd(x: number, dy: number, dx: number, images: number, g: PatchGeometry): void;
}

const geometryArgs = (g: PatchGeometry) => GEOMETRY.map((k) => g[k]);

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory { buffer: ArrayBuffer | SharedArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, Loop> };
}
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };
const compiled = new WeakMap<object, HeapLoops>();

/** The loops compiled against `backend`'s heap (once per backend). */
export function heapLoops(backend: BackendWasm): HeapLoops {
  const wasm = backend.wasm as unknown as { asm?: { memory?: WasmMemory }; wasmMemory?: WasmMemory };
  const memory = wasm.asm?.memory ?? wasm.wasmMemory;
  if (!memory) throw new Error('Expected the wasm backend to expose its memory but it does not');
  let loops = compiled.get(memory);
  if (!loops) {
    const bytes = assemble([col2imAdd(), im2colTransposed(), maxPoolGradAdd()], memory.buffer instanceof SharedArrayBuffer);
    const { exports } = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
    loops = {
      col2imAdd: (cols, dx, images, firstImage, g) => exports.col2imAdd!(cols, dx, images, firstImage, ...geometryArgs(g)),
      im2colTransposed: (x, colsT, images, firstImage, g) => exports.im2colTransposed!(x, colsT, images, firstImage, ...geometryArgs(g)),
      maxPoolGradAdd: (x, dy, dx, images, g) => exports.maxPoolGradAdd!(x, dy, dx, images, ...geometryArgs(g)),
    };
    compiled.set(memory, loops);
  }
  return loops;
}
