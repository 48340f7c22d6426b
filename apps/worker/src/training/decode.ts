/** Decodes encoded Datums (PNG/JPEG) for the trainer with the same loader the build used. */
import { Errors } from '@digits-ts/contracts';
import { decodeImage, toChannels } from '@digits-ts/imaging';
import type { DecodeImages, DecoderModule } from '@digits-ts/ml';

/** A DecodeImages that checks every image against the dataset's shape. */
export function datumDecoder(maxPixels: number): DecodeImages {
  return async (encoded, shape) => Promise.all(encoded.map(async (bytes) => {
    const raw = toChannels(await decodeImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { maxPixels }), shape.channels as 1 | 3);
    if (raw.width !== shape.width || raw.height !== shape.height) throw Errors.MODEL_SHAPE_MISMATCH(`a dataset image is ${raw.width}x${raw.height}, expected ${shape.width}x${shape.height}`);
    return raw.data;
  }));
}

/** The same decoder in a streamed split's reader thread, which loads this module by its URL. */
export function createDecoder(options: { maxPixels: number }): DecodeImages {
  return datumDecoder(options.maxPixels);
}

/** This module as a streamed split's decoder (`StreamedSplit.decoder`). */
export function decoderModule(maxPixels: number): DecoderModule {
  return { url: import.meta.url, options: { maxPixels } };
}
