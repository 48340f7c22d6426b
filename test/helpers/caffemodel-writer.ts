/**
 * Writes `.caffemodel` bytes for tests, with its own protobufjs schema (BVLC caffe.proto field
 * numbers) so the reader under test is not checked against itself.
 */
import protobuf from 'protobufjs';

const root = protobuf.parse(`
syntax = "proto2";
message BlobShape { repeated int64 dim = 1 [packed = true]; }
message BlobProto {
  optional int32 num = 1; optional int32 channels = 2; optional int32 height = 3; optional int32 width = 4;
  repeated float data = 5 [packed = true];
  optional BlobShape shape = 7;
  repeated double double_data = 8 [packed = true];
}
message LayerParameter { optional string name = 1; optional string type = 2; repeated string bottom = 3; repeated string top = 4; repeated BlobProto blobs = 7; }
message V1LayerParameter { optional string name = 4; optional int32 type = 5; repeated BlobProto blobs = 6; }
message NetParameter { optional string name = 1; repeated V1LayerParameter layers = 2; repeated LayerParameter layer = 100; }
`).root;
const Net = root.lookupType('NetParameter');

/** A blob as a test states it: `shape` (BlobShape) or the legacy `dims` (num, channels, height, width). */
export interface TestBlob {
  shape?: number[];
  dims?: [number, number, number, number];
  data?: ArrayLike<number>;
  doubleData?: ArrayLike<number>;
}

function blob(b: TestBlob): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (b.shape) m['shape'] = { dim: b.shape };
  if (b.dims) [m['num'], m['channels'], m['height'], m['width']] = b.dims;
  if (b.data) m['data'] = Array.from(b.data);
  if (b.doubleData) m['doubleData'] = Array.from(b.doubleData);
  return m;
}

/** A V2 NetParameter (`layer`, field 100). */
export function writeCaffeModel(name: string, layers: { name?: string; type: string; blobs?: TestBlob[] }[]): Uint8Array {
  return Net.encode({ name, layer: layers.map((l) => ({ name: l.name, type: l.type, blobs: (l.blobs ?? []).map(blob) })) }).finish();
}

/** A legacy V1 NetParameter (`layers`, field 2, the type an enum number). */
export function writeV1CaffeModel(name: string, layers: { name: string; type: number; blobs?: TestBlob[] }[]): Uint8Array {
  return Net.encode({ name, layers: layers.map((l) => ({ name: l.name, type: l.type, blobs: (l.blobs ?? []).map(blob) })) }).finish();
}
