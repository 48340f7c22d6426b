import t from 'tap';
import {
  datumDataToPixels, decodeBlobProto, decodeDatum, encodeBlobProto, encodeDatum, pixelsToDatumData,
} from '@digits-ts/dataset';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const f32 = (x: number): string => { const b = Buffer.alloc(4); b.writeFloatLE(x); return b.toString('hex'); };

t.test('Datum bytes match a hand-built reference (field numbers and wire types)', async (t) => {
  const raw = encodeDatum({ channels: 1, height: 2, width: 2, data: new Uint8Array([1, 2, 3, 4]), label: 7, encoded: false });
  // channels=1 (08 01) height=2 (10 02) width=2 (18 02) data=4 bytes (22 04 …) label=7 (28 07);
  // `encoded` left unset, as pycaffe's array_to_datum leaves it
  t.equal(hex(raw), '08011002' + '1802' + '220401020304' + '2807');

  const png = encodeDatum({ channels: 3, height: 1, width: 1, data: new Uint8Array([0x89, 0x50]), label: 0, encoded: true });
  // label 0 is still written (explicitly set in proto2); encoded=true is field 7 varint (38 01)
  t.equal(hex(png), '08031001' + '1801' + '22028950' + '2800' + '3801');

  const floats = encodeDatum({ channels: 1, height: 1, width: 2, floatData: [1.5, -2], label: 3, encoded: false });
  // proto2 `repeated float float_data = 6` is NOT packed: one tag (0x35 = 6<<3|5) per value
  t.equal(hex(floats), '08011001' + '1802' + '2803' + '35' + f32(1.5) + '35' + f32(-2));
});

t.test('Datum round trip', async (t) => {
  const data = new Uint8Array(28 * 28).map((_, i) => (i * 7) & 255);
  const back = decodeDatum(encodeDatum({ channels: 1, height: 28, width: 28, data, label: 9, encoded: false }));
  t.same({ ...back, data: [...back.data] }, { channels: 1, height: 28, width: 28, label: 9, data: [...data], floatData: [], encoded: false });
  const f = decodeDatum(encodeDatum({ channels: 2, height: 1, width: 1, floatData: new Float32Array([0.25, -8]), label: 0, encoded: false }));
  t.same(f.floatData, [0.25, -8]);
  t.equal(f.data.length, 0);
  t.equal(decodeDatum(encodeDatum({ channels: 3, height: 4, width: 5, data: new Uint8Array(3), label: 1, encoded: true })).encoded, true);
});

t.test('decodeDatum also accepts a packed float_data (other writers pack it)', async (t) => {
  const packed = Buffer.from('0801' + '1001' + '1802' + '3208' + f32(1) + f32(2), 'hex');
  t.same(decodeDatum(packed).floatData, [1, 2]);
});

t.test('encodeDatum checks its arguments', async (t) => {
  t.throws(() => encodeDatum({ channels: -1, height: 1, width: 1, label: 0, encoded: false }), { code: 'VALIDATION_FAILED' });
  t.throws(() => encodeDatum({ channels: 1, height: 1.5, width: 1, label: 0, encoded: false }), { code: 'VALIDATION_FAILED' });
  t.throws(() => encodeDatum({ channels: 1, height: 1, width: 1, label: 2 ** 40, encoded: false }), { code: 'VALIDATION_FAILED' });
});

t.test('BlobProto bytes match a hand-built reference', async (t) => {
  const raw = encodeBlobProto({ channels: 1, height: 1, width: 2, data: new Float32Array([0.5, 2]) });
  // num=1 (08 01, defaulted) channels (10 01) height (18 01) width (20 02); data packed: 2a, length 8
  t.equal(hex(raw), '0801' + '1001' + '1801' + '2002' + '2a08' + f32(0.5) + f32(2));
  t.throws(() => encodeBlobProto({ channels: 1, height: 2, width: 2, data: new Float32Array(3) }), { code: 'VALIDATION_FAILED' });
});

t.test('BlobProto round trip and the shape / double_data variants', async (t) => {
  const data = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 1.5);
  const back = decodeBlobProto(encodeBlobProto({ num: 1, channels: 3, height: 2, width: 2, data }));
  t.same({ ...back, data: [...back.data] }, { num: 1, channels: 3, height: 2, width: 2, data: [...data] });

  // newer Caffe writes `shape { dim: [1, 1, 1, 2] }` (field 7, packed int64) and may use double_data (field 8)
  const d = Buffer.alloc(8);
  const doubles = [3.25, 4].map((x) => { d.writeDoubleLE(x); return d.toString('hex'); }).join('');
  const modern = Buffer.from('3a06' + '0a04' + '01010102' + '4210' + doubles, 'hex');
  const m = decodeBlobProto(modern);
  t.same(m.shape, [1, 1, 1, 2]);
  t.same([...m.data], [3.25, 4]);
});

t.test('pixelsToDatumData: H×W×C RGB → C×H×W with B,G,R planes; datumDataToPixels inverts it', async (t) => {
  // 2×2 RGB image, pixels in row order: (r,g,b) = (10,20,30) (40,50,60) / (70,80,90) (100,110,120)
  const rgb = new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  const chw = pixelsToDatumData(rgb, 2, 2, 3);
  t.same([...chw], [30, 60, 90, 120, /* G */ 20, 50, 80, 110, /* R */ 10, 40, 70, 100]);
  t.same([...datumDataToPixels(chw, 2, 2, 3)], [...rgb]);

  // a 3×1 image: width 3, height 1; plane order must follow x within a row
  const row = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.same([...pixelsToDatumData(row, 3, 1, 3)], [3, 6, 9, 2, 5, 8, 1, 4, 7]);

  const gray = new Uint8Array([5, 6, 7, 8, 9, 10]);
  t.same([...pixelsToDatumData(gray, 3, 2, 1)], [...gray]);
  t.same([...datumDataToPixels(gray, 3, 2, 1)], [...gray]);
  t.throws(() => pixelsToDatumData(rgb, 2, 2, 1), { code: 'VALIDATION_FAILED' });
});

t.test('encoding 60 000 MNIST-sized Datums takes well under a second', async (t) => {
  const data = new Uint8Array(784).map((_, i) => i & 255);
  encodeDatum({ channels: 1, height: 28, width: 28, data, label: 0, encoded: false }); // warm up the codec
  const started = performance.now();
  let bytes = 0;
  for (let i = 0; i < 60_000; i++) bytes += encodeDatum({ channels: 1, height: 28, width: 28, data, label: i % 10, encoded: false }).length;
  const ms = performance.now() - started;
  t.equal(bytes, 60_000 * 795);
  t.ok(ms < 1000, `encoded 60 000 Datums in ${ms.toFixed(0)} ms`);
});
