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
 */
function im2colTransposed(): WasmFunction {
  const s = scope(['x', 'colsT', 'images', 'firstImage', ...GEOMETRY], ['i', 'j', 'c', 'n', 'oy', 'ox', 'y', 'xx', 'out', 'rowBase', 'lineLength', 'inside']);
  const clampedX = min(max0(s.get('xx')), i32.sub(s.get('inWidth'), i32.const(1)));
  const body = [
    s.set('lineLength', i32.mul(s.get('inWidth'), s.get('channels'))),
    s.set('out', i32.const(0)),
    flow.forRange(s.id('i'), i32.const(0), s.get('filterHeight'),
      flow.forRange(s.id('j'), i32.const(0), s.get('filterWidth'),
        flow.forRange(s.id('c'), i32.const(0), s.get('channels'),
          flow.forRange(s.id('n'), i32.const(0), s.get('images'),
            flow.forRange(s.id('oy'), i32.const(0), s.get('outHeight'),
              s.set('y', i32.add(i32.sub(i32.mul(s.get('oy'), s.get('strideHeight')), s.get('padTop')), s.get('i'))),
              s.set('inside', i32.and(i32.geS(s.get('y'), i32.const(0)), i32.ltS(s.get('y'), s.get('inHeight')))),
              // Rows outside the image read row 0 and are then zeroed by `inside`: no branch, no stray read.
              s.set('rowBase', i32.add(
                i32.mul(i32.add(i32.mul(i32.add(s.get('firstImage'), s.get('n')), s.get('inHeight')), i32.select(s.get('y'), i32.const(0), s.get('inside'))), s.get('lineLength')),
                s.get('c'),
              )),
              flow.forRange(s.id('ox'), i32.const(0), s.get('outWidth'),
                s.set('xx', i32.add(i32.sub(i32.mul(s.get('ox'), s.get('strideWidth')), s.get('padLeft')), s.get('j'))),
                f32.store(
                  i32.f32Address(s.get('colsT'), s.get('out')),
                  i32.select(
                    f32.load(i32.f32Address(s.get('x'), i32.add(s.get('rowBase'), i32.mul(clampedX, s.get('channels'))))),
                    f32.const(0),
                    i32.and(s.get('inside'), i32.and(i32.geS(s.get('xx'), i32.const(0)), i32.ltS(s.get('xx'), s.get('inWidth')))),
                  ),
                ),
                s.set('out', i32.add(s.get('out'), i32.const(1))),
              ),
            ),
          ),
        ),
      ),
    ),
  ];
  return { name: 'im2colTransposed', params: s.params, locals: { i32: s.i32Locals }, body: body.flat() };
}

/** dx[argmax of each window and channel] += dy; dx must be zeroed. Ties go to the first pixel. */
function maxPoolGradAdd(): WasmFunction {
  const s = scope(['x', 'dy', 'dx', 'images', ...GEOMETRY], ['n', 'oy', 'ox', 'c', 'y', 'xx', 'yStart', 'yEnd', 'xStart', 'xEnd', 'top', 'left', 'rowStride', 'windowBase', 'row', 'at', 'bestAt', 'gAt', 'better']);
  const best = s.params + s.i32Locals;
  const value = best + 1;
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
          flow.forRange(s.id('c'), i32.const(0), s.get('channels'),
            f32.set(best, f32.const(-Infinity)),
            s.set('bestAt', i32.const(-1)),
            s.set('row', i32.add(s.get('windowBase'), s.get('c'))),
            s.set('y', s.get('yStart')),
            flow.whileLess(s.id('y'), s.get('yEnd'), 1,
              s.set('at', s.get('row')),
              s.set('xx', s.get('xStart')),
              flow.whileLess(s.id('xx'), s.get('xEnd'), 1,
                f32.set(value, f32.load(i32.f32Address(s.get('x'), s.get('at')))),
                s.set('better', f32.gt(f32.get(value), f32.get(best))),
                s.set('bestAt', i32.select(s.get('at'), s.get('bestAt'), s.get('better'))),
                f32.set(best, i32.select(f32.get(value), f32.get(best), s.get('better'))),
                s.set('at', i32.add(s.get('at'), s.get('channels'))),
              ),
              s.set('row', i32.add(s.get('row'), s.get('rowStride'))),
            ),
            flow.when(i32.geS(s.get('bestAt'), i32.const(0)),
              f32.store(
                i32.f32Address(s.get('dx'), s.get('bestAt')),
                f32.add(f32.load(i32.f32Address(s.get('dx'), s.get('bestAt'))), f32.load(i32.f32Address(s.get('dy'), i32.add(s.get('gAt'), s.get('c'))))),
              ),
            ),
          ),
          s.set('gAt', i32.add(s.get('gAt'), s.get('channels'))),
        ),
      ),
    ),
  ];
  return { name: 'maxPoolGradAdd', params: s.params, locals: { i32: s.i32Locals, f32: 2 }, body: body.flat() };
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
