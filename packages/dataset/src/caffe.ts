/**
 * Caffe's `Datum` and `BlobProto` messages (field numbers as in BVLC caffe.proto, proto2),
 * plus the pixel-order conversions DIGITS applies before storing raw images.
 */
import protobuf from 'protobufjs';
import { assert, expected } from '@digits-ts/contracts';

/**
 * Caffe's BlobShape and BlobProto messages, field for field as in BVLC caffe.proto (proto2; the
 * repeated fields packed): the mean file's and a `.caffemodel`'s blobs (ml's reader adds its layer
 * messages to these).
 */
export const CAFFE_BLOB_MESSAGES = `
message BlobShape {
  repeated int64 dim = 1 [packed = true];
}
message BlobProto {
  optional BlobShape shape = 7;
  repeated float data = 5 [packed = true];
  repeated float diff = 6 [packed = true];
  repeated double double_data = 8 [packed = true];
  repeated double double_diff = 9 [packed = true];
  optional int32 num = 1 [default = 0];
  optional int32 channels = 2 [default = 0];
  optional int32 height = 3 [default = 0];
  optional int32 width = 4 [default = 0];
}
`;

// Datum from BVLC caffe.proto as well: its float_data is NOT packed. The int32/int64 choice does
// not change the wire format here.
const CAFFE_PROTO = `
syntax = "proto2";
package caffe;
${CAFFE_BLOB_MESSAGES}
message Datum {
  optional int32 channels = 1;
  optional int32 height = 2;
  optional int32 width = 3;
  optional bytes data = 4;
  optional int32 label = 5;
  repeated float float_data = 6;
  optional bool encoded = 7 [default = false];
}
`;

const root = protobuf.parse(CAFFE_PROTO).root;
const DatumType = root.lookupType('caffe.Datum');
const BlobProtoType = root.lookupType('caffe.BlobProto');

/** What `encodeDatum` needs: dimensions, label, and either raw/encoded bytes or float data. */
export interface DatumInput {
  channels: number;
  height: number;
  width: number;
  label: number;
  /** Raw C×H×W uint8 pixels (B,G,R planes), or PNG/JPEG file bytes when `encoded`. */
  data?: Uint8Array;
  /** Non-uint8 values (generic datasets), stored in `float_data`. */
  floatData?: ArrayLike<number>;
  encoded: boolean;
}

/** A decoded `Datum` as a plain object. */
export interface Datum {
  channels: number;
  height: number;
  width: number;
  label: number;
  data: Uint8Array;
  floatData: number[];
  encoded: boolean;
}

/** A decoded `BlobProto` (the mean file). `shape` is set only when the file used it. */
export interface BlobProto {
  num: number;
  channels: number;
  height: number;
  width: number;
  shape?: number[];
  data: Float32Array;
}

function checkDim(name: string, value: number): void {
  assert(Number.isInteger(value) && value >= 0 && value <= 0x7fffffff, () => expected('non-negative int32', name, value));
}

/**
 * Serialises a Caffe `Datum`. Bytes match what DIGITS (pycaffe) writes: channels, height,
 * width, data, label in field order, `encoded` only when true (pycaffe leaves it unset otherwise).
 */
export function encodeDatum(d: DatumInput): Uint8Array {
  checkDim('channels', d.channels);
  checkDim('height', d.height);
  checkDim('width', d.width);
  assert(Number.isInteger(d.label) && Math.abs(d.label) <= 0x7fffffff, () => expected('int32', 'label', d.label));
  const message: Record<string, unknown> = { channels: d.channels, height: d.height, width: d.width, label: d.label };
  if (d.data !== undefined) message['data'] = d.data;
  if (d.floatData !== undefined) message['floatData'] = Array.from(d.floatData);
  if (d.encoded) message['encoded'] = true;
  return DatumType.encode(message).finish();
}

/** Parses a serialised `Datum`; absent fields read as Caffe's defaults (0, empty, false). */
export function decodeDatum(buf: Uint8Array): Datum {
  const m = DatumType.decode(buf) as unknown as {
    channels: number; height: number; width: number; label: number; data: Uint8Array; floatData: number[]; encoded: boolean;
  };
  return {
    channels: m.channels,
    height: m.height,
    width: m.width,
    label: m.label,
    data: m.data,
    floatData: Array.from(m.floatData),
    encoded: m.encoded,
  };
}

/** What `encodeBlobProto` needs: a C×H×W float blob (`num` defaults to 1, as DIGITS writes it). */
export interface BlobProtoInput {
  num?: number;
  channels: number;
  height: number;
  width: number;
  data: Float32Array;
}

/** Serialises a Caffe `BlobProto` with the legacy 4-D dims (num, channels, height, width) and packed data. */
export function encodeBlobProto(b: BlobProtoInput): Uint8Array {
  const num = b.num ?? 1;
  checkDim('num', num);
  checkDim('channels', b.channels);
  checkDim('height', b.height);
  checkDim('width', b.width);
  const size = num * b.channels * b.height * b.width;
  assert(b.data.length === size, () => `Expected ${size} floats (${num}×${b.channels}×${b.height}×${b.width}) for data but received ${b.data.length}`);
  return BlobProtoType.encode({ num, channels: b.channels, height: b.height, width: b.width, data: Array.from(b.data) }).finish();
}

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : (value as { toNumber(): number }).toNumber();
}

/** Parses a serialised `BlobProto`; `double_data` is used when `data` is empty. */
export function decodeBlobProto(buf: Uint8Array): BlobProto {
  const m = BlobProtoType.decode(buf) as unknown as {
    num: number; channels: number; height: number; width: number;
    shape?: { dim: unknown[] } | null; data: number[]; doubleData: number[];
  };
  const values = m.data.length > 0 ? m.data : m.doubleData;
  const blob: BlobProto = { num: m.num, channels: m.channels, height: m.height, width: m.width, data: Float32Array.from(values) };
  if (m.shape) blob.shape = m.shape.dim.map(toNumber);
  return blob;
}

function checkImage(pixels: Uint8Array, width: number, height: number, channels: number): void {
  assert(Number.isInteger(width) && width > 0, () => expected('positive integer', 'width', width));
  assert(Number.isInteger(height) && height > 0, () => expected('positive integer', 'height', height));
  assert(Number.isInteger(channels) && channels > 0, () => expected('positive integer', 'channels', channels));
  assert(pixels.length === width * height * channels,
    () => `Expected ${width * height * channels} bytes (${height}×${width}×${channels}) for pixels but received ${pixels.length}`);
}

/**
 * H×W×C interleaved pixels (RGB or gray) → C×H×W planes as Caffe stores them; with 3 channels the
 * planes are B, G, R (DIGITS swaps RGB→BGR for `encoding=none`).
 */
export function pixelsToDatumData(hwc: Uint8Array, width: number, height: number, channels: number): Buffer {
  checkImage(hwc, width, height, channels);
  const plane = width * height;
  const out = Buffer.allocUnsafe(plane * channels);
  for (let c = 0; c < channels; c++) {
    const src = channels === 3 ? 2 - c : c;
    const base = c * plane;
    for (let i = 0, j = src; i < plane; i++, j += channels) out[base + i] = hwc[j] as number;
  }
  return out;
}

/** The inverse of `pixelsToDatumData`: C×H×W (B,G,R planes for 3 channels) → H×W×C RGB/gray. */
export function datumDataToPixels(chw: Uint8Array, width: number, height: number, channels: number): Buffer {
  checkImage(chw, width, height, channels);
  const plane = width * height;
  const out = Buffer.allocUnsafe(plane * channels);
  for (let c = 0; c < channels; c++) {
    const dst = channels === 3 ? 2 - c : c;
    const base = c * plane;
    for (let i = 0, j = dst; i < plane; i++, j += channels) out[j] = chw[base + i] as number;
  }
  return out;
}
