/**
 * What an image-classification dataset build takes (the payload of `build-dataset`, contract
 * §6.1) and the resize modes and encodings it names. The form that fills it in (field specs,
 * DIGITS' defaults, the parser) is the gateway's: apps/gateway/src/forms/dataset-form.ts.
 */
import { Type, type Static } from 'typebox';

export const RESIZE_MODES = ['crop', 'squash', 'fill', 'half_crop'] as const;
export const ENCODINGS = ['none', 'png', 'jpg'] as const;

const Split = Type.Object({ folder: Type.String(), minPerClass: Type.Integer({ minimum: 1 }), maxPerClass: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) }, { additionalProperties: false });
/** Where an image list comes from: a file the gateway stored in the job folder, or a server path. */
const ListSource = Type.Object({ source: Type.Union([Type.Literal('upload'), Type.Literal('server')]), path: Type.String(), folder: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false });

/** What a dataset build needs, validated again when a worker picks it up. */
export const DatasetBuildOptions = Type.Object({
  channels: Type.Union([Type.Literal(1), Type.Literal(3)]),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  resizeMode: Type.Union([Type.Literal('crop'), Type.Literal('squash'), Type.Literal('fill'), Type.Literal('half_crop')]),
  encoding: Type.Union([Type.Literal('none'), Type.Literal('png'), Type.Literal('jpg')]),
  backend: Type.Literal('lmdb'),
  compression: Type.Literal('none'),
  method: Type.Union([Type.Literal('folder'), Type.Literal('textfile')]),
  folder: Type.Optional(Type.Object({
    train: Split,
    pctVal: Type.Integer({ minimum: 0, maximum: 100 }),
    pctTest: Type.Integer({ minimum: 0, maximum: 100 }),
    val: Type.Union([Split, Type.Null()]),
    test: Type.Union([Split, Type.Null()]),
  }, { additionalProperties: false })),
  textfile: Type.Optional(Type.Object({
    train: ListSource,
    val: Type.Union([ListSource, Type.Null()]),
    test: Type.Union([ListSource, Type.Null()]),
    labels: Type.Object({ source: Type.Union([Type.Literal('upload'), Type.Literal('server')]), path: Type.String() }, { additionalProperties: false }),
    shuffle: Type.Boolean(),
  }, { additionalProperties: false })),
}, { additionalProperties: false });
export type DatasetBuildOptions = Static<typeof DatasetBuildOptions>;
