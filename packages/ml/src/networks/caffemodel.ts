/**
 * A Caffe `.caffemodel`: the binary NetParameter Caffe snapshots, read for its learned blobs by
 * layer name (V2 `layer` and legacy V1 `layers`). Nothing else in the file is used: the network
 * comes from the prototxt. Every unreadable file is CHECKPOINT_INVALID (`Bad weights file: …`).
 */
import protobuf from 'protobufjs';
import { Errors, type AppError } from '@digits-ts/contracts';
import { CAFFE_BLOB_MESSAGES } from '@digits-ts/dataset';

// The fields we read, field for field from BVLC caffe.proto (proto2), on dataset's blob messages.
const NET_PROTO = `
syntax = "proto2";
package caffe;
${CAFFE_BLOB_MESSAGES}
message LayerParameter {
  optional string name = 1;
  optional string type = 2;
  repeated string bottom = 3;
  repeated string top = 4;
  repeated BlobProto blobs = 7;
}
message V1LayerParameter {
  repeated string bottom = 2;
  repeated string top = 3;
  optional string name = 4;
  optional int32 type = 5;
  repeated BlobProto blobs = 6;
}
message NetParameter {
  optional string name = 1;
  repeated LayerParameter layer = 100;
  repeated V1LayerParameter layers = 2;
}
`;

const NetParameterType = protobuf.parse(NET_PROTO).root.lookupType('caffe.NetParameter');

/** V1LayerParameter.LayerType → the V2 type string (Caffe's UpgradeV1LayerType). */
const V1_TYPES: Readonly<Record<number, string>> = {
  35: 'AbsVal', 1: 'Accuracy', 30: 'ArgMax', 2: 'BNLL', 3: 'Concat', 37: 'ContrastiveLoss', 4: 'Convolution',
  39: 'Deconvolution', 5: 'Data', 6: 'Dropout', 32: 'DummyData', 7: 'EuclideanLoss', 25: 'Eltwise', 38: 'Exp',
  8: 'Flatten', 9: 'HDF5Data', 10: 'HDF5Output', 28: 'HingeLoss', 11: 'Im2col', 12: 'ImageData', 13: 'InfogainLoss',
  14: 'InnerProduct', 15: 'LRN', 29: 'MemoryData', 16: 'MultinomialLogisticLoss', 34: 'MVN', 17: 'Pooling',
  26: 'Power', 18: 'ReLU', 19: 'Sigmoid', 27: 'SigmoidCrossEntropyLoss', 36: 'Silence', 20: 'Softmax',
  21: 'SoftmaxWithLoss', 22: 'Split', 33: 'Slice', 23: 'TanH', 24: 'WindowData', 31: 'Threshold',
};

/** One learned blob: its shape as Caffe states it (legacy files: num, channels, height, width) and values. */
export interface CaffeBlob {
  shape: number[];
  data: Float32Array;
}

/** A layer of the file with its blobs (weights first, then bias, for Convolution and InnerProduct). */
export interface CaffeModelLayer {
  name: string;
  /** The V2 type string ('Convolution'); V1 files' enum is translated, an unknown one reads `V1 type <n>`. */
  type: string;
  blobs: CaffeBlob[];
}

/** What a `.caffemodel` holds that we use. */
export interface CaffeModel {
  name: string;
  /** Every layer of the file in order, with or without blobs. */
  layers: CaffeModelLayer[];
}

interface RawBlob {
  shape?: { dim: unknown[] } | null;
  data: number[];
  doubleData: number[];
  num: number;
  channels: number;
  height: number;
  width: number;
}

interface RawLayer {
  name: string;
  type: string | number;
  blobs: RawBlob[];
}

/** A bad `.caffemodel`: 422 CHECKPOINT_INVALID, the message saying what is wrong with it. */
export function badWeights(problem: string, cause?: unknown): AppError {
  return Errors.CHECKPOINT_INVALID(`Bad weights file: ${problem}`, cause === undefined ? undefined : { cause });
}

function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : (value as { toNumber(): number }).toNumber();
}

function readBlob(layer: string, index: number, raw: RawBlob): CaffeBlob {
  const where = `layer ${JSON.stringify(layer)} blob ${index}`;
  const shape = raw.shape ? raw.shape.dim.map(toNumber) : [raw.num, raw.channels, raw.height, raw.width];
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw badWeights(`${where} has shape [${shape.join(', ')}]`);
  const size = shape.reduce((a, d) => a * d, 1);
  const values = raw.data.length > 0 ? raw.data : raw.doubleData;
  if (values.length !== size) {
    throw badWeights(`${where} has shape [${shape.join(', ')}] (${size} values) but holds ${values.length} values`);
  }
  return { shape, data: Float32Array.from(values) };
}

/** True for bytes that are mostly printable text: a prototxt handed in where the weights belong. */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 256);
  return head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
}

/**
 * Reads a serialised NetParameter (a `.caffemodel`). Throws CHECKPOINT_INVALID when the bytes are
 * not one (text, truncated, garbage), hold no layers, name no layer that has blobs, or hold a blob
 * whose values do not fill its shape.
 */
export function readCaffeModel(bytes: Uint8Array): CaffeModel {
  if (!(bytes instanceof Uint8Array)) throw Errors.VALIDATION_FAILED(`Expected a Uint8Array for bytes but received ${String(bytes)} of type ${typeof bytes}`);
  if (bytes.length === 0) throw badWeights('the file is empty');
  if (looksLikeText(bytes)) throw badWeights('the file is text (a prototxt?), not a binary .caffemodel');
  let message: { name: string; layer: RawLayer[]; layers: RawLayer[] };
  try {
    message = NetParameterType.decode(bytes) as unknown as typeof message;
  } catch (err) {
    throw badWeights(`not a Caffe NetParameter (truncated or another format): ${(err as Error).message}`, err);
  }
  const v1 = message.layer.length === 0;
  const raws = v1 ? message.layers : message.layer;
  if (raws.length === 0) throw badWeights('not a Caffe NetParameter: it has no layers');
  const layers = raws.map((raw, i): CaffeModelLayer => {
    const type = typeof raw.type === 'number' ? (V1_TYPES[raw.type] ?? `V1 type ${raw.type}`) : raw.type;
    if (raw.blobs.length > 0 && raw.name === '') throw badWeights(`layer ${i} (${type || 'no type'}) has blobs but no name to match a network layer by`);
    return { name: raw.name, type, blobs: raw.blobs.map((b, j) => readBlob(raw.name, j, b)) };
  });
  if (!layers.some((l) => l.blobs.length > 0)) throw badWeights('it holds no learned blobs');
  return { name: message.name, layers };
}
