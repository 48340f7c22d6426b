/** Dataset helpers for tests: create through the API, read the LMDB back, make image folders. */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { decodeDatum, datumDataToPixels, openDbReader } from '@digits-ts/dataset';
import { decodeImage } from '@digits-ts/imaging';
import { multipart } from './stack.ts';

/** POSTs the dataset form (multipart, as `curl -F`) and returns the response. */
export async function createDataset(app: FastifyInstance, cookie: string, fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) {
  const body = multipart(fields, files);
  return app.inject({ method: 'POST', url: '/datasets/images/classification.json', payload: body.payload, headers: { ...body.headers, cookie } });
}

export interface DecodedEntry { key: string; label: number; pixels: Buffer; width: number; height: number; channels: number; encoded: boolean }

/** Every entry of an LMDB in key order, decoded back to HWC pixels (RGB or grey). */
export async function readDb(dir: string): Promise<DecodedEntry[]> {
  const reader = openDbReader(dir);
  const out: DecodedEntry[] = [];
  try {
    for (const { key, value } of reader.entries()) {
      const datum = decodeDatum(value);
      const pixels = datum.encoded
        ? (await decodeImage(Buffer.from(datum.data), { maxPixels: 1e8 })).data
        : datumDataToPixels(datum.data, datum.width, datum.height, datum.channels);
      out.push({ key, label: datum.label, pixels, width: datum.width, height: datum.height, channels: datum.channels, encoded: datum.encoded });
    }
  } finally {
    reader.close();
  }
  return out;
}

export function hash(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

/** Writes `count` random-noise colour PNGs per class into `<root>/<class>/`; returns pixel hashes by class. */
export async function writeColourClasses(root: string, classes: string[], count: number, size: { width: number; height: number }): Promise<Map<string, string[]>> {
  const hashes = new Map<string, string[]>();
  for (const name of classes) {
    await fs.mkdir(path.join(root, name), { recursive: true });
    const list: string[] = [];
    for (let i = 0; i < count; i++) {
      const raw = Buffer.alloc(size.width * size.height * 3);
      for (let p = 0; p < raw.length; p++) raw[p] = Math.floor(Math.random() * 256);
      await sharp(raw, { raw: { ...size, channels: 3 } }).png().toFile(path.join(root, name, `${i}.png`));
      list.push(hash(raw));
    }
    hashes.set(name, list);
  }
  return hashes;
}
