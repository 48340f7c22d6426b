// readCaffeModel: a .caffemodel's layers and blobs (V2 and legacy V1, BlobShape and legacy dims,
// float and double data), and the CHECKPOINT_INVALID errors for what is not a usable one.
import t from 'tap';
import { readCaffeModel } from '@digits-ts/ml';
import { writeCaffeModel, writeV1CaffeModel } from '../helpers/caffemodel-writer.ts';

const f32 = (values: number[]) => Float32Array.from(values);

t.test('V2 layers: names, types and blobs in order, shapes as written, layers without blobs kept', async (t) => {
  const bytes = writeCaffeModel('Tiny', [
    { name: 'data', type: 'Input' },
    { name: 'conv1', type: 'Convolution', blobs: [{ shape: [2, 1, 1, 2], data: [1, 2, 3, 4.5] }, { shape: [2], data: [-1, 0.25] }] },
    { name: 'ip1', type: 'InnerProduct', blobs: [{ shape: [1, 3], doubleData: [0.1, 0.2, 0.3] }] },
  ]);
  const model = readCaffeModel(bytes);
  t.equal(model.name, 'Tiny');
  t.same(model.layers.map((l) => [l.name, l.type, l.blobs.length]), [['data', 'Input', 0], ['conv1', 'Convolution', 2], ['ip1', 'InnerProduct', 1]]);
  t.same(model.layers[1]!.blobs, [{ shape: [2, 1, 1, 2], data: f32([1, 2, 3, 4.5]) }, { shape: [2], data: f32([-1, 0.25]) }]);
  t.same(model.layers[2]!.blobs[0], { shape: [1, 3], data: f32([0.1, 0.2, 0.3]) }, 'double_data when data is empty');
});

t.test('legacy V1 layers: the type enum as V2 names, num/channels/height/width as the shape', async (t) => {
  const bytes = writeV1CaffeModel('Old', [
    { name: 'conv1', type: 4, blobs: [{ dims: [1, 1, 1, 2], data: [5, 6] }] },
    { name: 'ip', type: 14, blobs: [{ dims: [1, 1, 2, 1], data: [7, 8] }] },
    { name: 'relu', type: 18 },
    { name: 'odd', type: 99 },
  ]);
  const model = readCaffeModel(bytes);
  t.same(model.layers.map((l) => l.type), ['Convolution', 'InnerProduct', 'ReLU', 'V1 type 99']);
  t.same(model.layers[1]!.blobs[0], { shape: [1, 1, 2, 1], data: f32([7, 8]) });
});

t.test('what is not a usable .caffemodel is CHECKPOINT_INVALID saying why', async (t) => {
  const good = writeCaffeModel('N', [{ name: 'conv1', type: 'Convolution', blobs: [{ shape: [4, 1, 3, 3], data: new Array(36).fill(0.5) }] }]);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /the file is empty/],
    ['a prototxt', new TextEncoder().encode('name: "LeNet"\nlayer { name: "conv1" type: "Convolution" }\n'), /is text \(a prototxt\?\)/],
    ['truncated inside a blob', good.subarray(0, good.length - 20), /not a Caffe NetParameter \(truncated or another format\)/],
    ['random bytes', Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 200) % 256), /not a Caffe NetParameter/],
    ['a PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /not a Caffe NetParameter/],
    ['no layers', writeCaffeModel('N', []), /it has no layers/],
    ['no blobs', writeCaffeModel('N', [{ name: 'relu', type: 'ReLU' }]), /holds no learned blobs/],
    ['data shorter than the shape', writeCaffeModel('N', [{ name: 'conv1', type: 'Convolution', blobs: [{ shape: [4, 1, 3, 3], data: new Array(35).fill(1) }] }]),
      /layer "conv1" blob 0 has shape \[4, 1, 3, 3\] \(36 values\) but holds 35 values/],
    ['legacy dims and no data', writeV1CaffeModel('N', [{ name: 'ip', type: 14, blobs: [{ dims: [1, 1, 2, 3] }] }]), /layer "ip" blob 0 .* \(6 values\) but holds 0 values/],
    ['blobs without a name', writeCaffeModel('N', [{ type: 'InnerProduct', blobs: [{ shape: [1], data: [1] }] }]), /layer 0 \(InnerProduct\) has blobs but no name/],
  ];
  for (const [what, bytes, message] of cases) {
    t.throws(() => readCaffeModel(bytes), { code: 'CHECKPOINT_INVALID', statusCode: 422, message: /^Bad weights file: / }, what);
    t.throws(() => readCaffeModel(bytes), { message }, `${what}: the message`);
  }
  t.equal(readCaffeModel(good).layers[0]!.blobs[0]!.data.length, 36, 'the untruncated file reads');
  t.throws(() => readCaffeModel('bytes' as unknown as Uint8Array), { code: 'VALIDATION_FAILED' });
});
