/**
 * Hostile input for property tests (fast-check): garbage strings, server paths that try to leave
 * DATA_ROOTS, a data root full of traps, corrupt and oversized images, and the ways a form can be
 * sent (multipart, urlencoded, JSON, query, broken bodies). The invariants are in hostile-checks.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import type { FieldSpec, FormSpec } from '../../apps/gateway/src/forms/index.ts';

/** Strings that have broken parsers somewhere: numbers that are not, paths, markup, NULs, huge. */
export const NASTY = [
  '', ' ', '\0', 'a\0b', '%00', '\r\n', 'NaN', 'Infinity', '-Infinity', '-1', '-0', '0', '1e309', '-1e309', '1e-400',
  '9'.repeat(400), '0x10', '0b1', '1_000', '1,2,3', '[1,2]', '[]', '[[[]]]', '{}', 'null', 'undefined', 'true', 'False',
  '../../../../etc/passwd', '/etc/passwd', '/proc/self/environ', '/dev/zero', 'file:///etc/passwd', 'http://169.254.169.254/latest/meta-data',
  '\\\\server\\share', 'C:\\Windows\\win.ini', '~/.ssh/id_rsa', '%2e%2e%2f%2e%2e%2f', '..', '.', '/', '//',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{7*7}}', '${7*7}', '<%= 7*7 %>', "' OR 1=1 --",
  '\u202e\u0644\u0627', '\ud800', '\udfff', '😀'.repeat(50), 'ｆｏｌｄｅｒ', 'e\u0301', '\u0000\u0001\u0002\u001f\u007f',
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty',
  '{'.repeat(20_000), '['.repeat(20_000), 'layer {'.repeat(5_000), 'a'.repeat(70_000), '\n'.repeat(10_000),
];

/** A field value: mostly short random text of every kind, sometimes a known-nasty one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.bigInt()).map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '9', '.', '/', '\\', ',', ' ', '\0'), fc.integer({ min: 1_000, max: 300_000 })).map(([c, n]) => c.repeat(n)) },
);

/** A layers model for 8×8×1 inputs, and the same network as a prototxt. */
export const LAYERS_JSON = JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Flatten', config: { batch_input_shape: [null, 8, 8, 1] } }, { class_name: 'Dense', config: { units: 2, activation: 'softmax' } }] } });
export const PROTOTXT = 'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }\nlayer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 } }';
/** Network texts: good ones, code, and parser-breakers (deep nesting, huge layers). */
export const networkArb = fc.oneof(
  fc.constantFrom(LAYERS_JSON, PROTOTXT, 'require "nn"\nreturn function() end', 'import tensorflow as tf\n', 'layer {'.repeat(30_000), 'a { '.repeat(40_000), `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    JSON.stringify({ class_name: 'Sequential', config: { layers: Array.from({ length: 2000 }, () => ({ class_name: 'Dense', config: { units: 1e9 } })) } }),
    JSON.stringify({ class_name: 'Model', config: { layers: [{ class_name: 'Lambda', config: { function: 'process.exit(1)' } }] } }),
    'layer { name: "x" type: "Python" python_param { module: "os" layer: "system" } }', `layer { type: "Convolution" convolution_param { num_output: 99999999999 kernel_size: 0 } }`),
  hostileString,
);

/** Percent-encodes the UTF-8 bytes of `s` (lone surrogates too, which encodeURIComponent refuses), keeping `keep`. */
export function pct(s: string, keep = /[A-Za-z0-9_.~-]/): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (b < 0x80 && keep.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
}

/** Server paths that must never be read, relative to the test's folders. */
export function hostilePaths(dataDir: string, jobsDir: string): string[] {
  return [
    '/etc', '/etc/passwd', '/proc/self/environ', '/dev/zero', '/dev/urandom', '/', '/tmp', jobsDir, `${jobsDir}/.session-key`,
    `${dataDir}/../../../etc/passwd`, `${dataDir}/..`, `${dataDir}/../jobs`, `${dataDir}/./../data/../../etc`,
    `${dataDir}/escape-dir`, `${dataDir}/escape-file`, `${dataDir}/loop`, `${dataDir}/dangling`, `${dataDir}/nested/escape`,
    `${dataDir}\0/etc/passwd`, `${dataDir}/a\0b`, `${dataDir}/%2e%2e/%2e%2e/etc`, `${dataDir}/missing`, `${dataDir}//`,
    `${dataDir}/${'a/'.repeat(3000)}`, `${dataDir}/${'x'.repeat(5000)}`, `${dataDir}/ünïcødé/😀`, `${dataDir}/fifo`,
    'relative/path', './data', '../data', '~', 'file:///etc/passwd', `file://${dataDir}/images`, 'http://127.0.0.1:6379/', '\\\\host\\share',
  ];
}

/** A server-path field's value: a hostile path, or a good one (so requests also get past confinement). */
export function pathValue(hostile: readonly string[], good: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...hostile) },
    { weight: 2, arbitrary: fc.constantFrom(...good) },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...good), fc.constantFrom('/..', '/../..', '/\0', '/x', '/.', '//', ' ')).map(([g, s]) => g + s) },
  );
}

/** One upload as the client sends it: field, file name and bytes. */
export interface HostileFile { field: string; filename: string; data: Buffer; contentType?: string }

/** File names clients should not be able to use to pick where a file lands. */
export const hostileFilename: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('x.png', '../../../../tmp/hostile-escape.png', '/etc/passwd', 'a\0b.png', '..', '.', 'con', 'x'.repeat(5000), 'ü😀.jpg', 'a"b.png', 'a\r\nb.png', '.session-key'),
  fc.string({ maxLength: 30 }),
);

/**
 * Mutations of good bytes: truncated, bytes overwritten, garbage appended or prepended, or the
 * header kept with a garbage body.
 */
export function mutatedBytes(pool: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const pick = fc.nat({ max: pool.length - 1 }).map((i) => pool[i]!);
  return fc.oneof(
    { weight: 2, arbitrary: pick },
    { weight: 2, arbitrary: fc.tuple(pick, fc.double({ min: 0, max: 1, noNaN: true })).map(([b, f]) => b.subarray(0, Math.floor(b.length * f))) },
    { weight: 2, arbitrary: fc.tuple(pick, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 16 })).map(([b, edits]) => {
      const copy = Buffer.from(b);
      for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
      return copy;
    }) },
    { weight: 1, arbitrary: fc.tuple(pick, fc.uint8Array({ maxLength: 256 })).map(([b, junk]) => Buffer.concat([b, Buffer.from(junk)])) },
    { weight: 1, arbitrary: fc.tuple(pick, fc.uint8Array({ maxLength: 64 })).map(([b, junk]) => Buffer.concat([Buffer.from(junk), b])) },
    { weight: 2, arbitrary: fc.tuple(pick, fc.integer({ min: 8, max: 64 }), fc.uint8Array({ minLength: 1, maxLength: 512 })).map(([b, keep, junk]) => Buffer.concat([b.subarray(0, keep), Buffer.from(junk)])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) },
  );
}

export type Encoding = 'multipart' | 'urlencoded' | 'json' | 'query' | 'broken-multipart' | 'text' | 'none';
export const ENCODINGS: readonly Encoding[] = ['multipart', 'urlencoded', 'json', 'query', 'broken-multipart', 'text', 'none'];

export interface HostileRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  payload?: Buffer | string;
}

function multipartBody(fields: readonly [string, string][], files: readonly HostileFile[], boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  for (const file of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

/**
 * The request that sends `fields` and `files` to `url` the way `encoding` says. Files travel
 * only in multipart bodies; the other encodings drop them (a client that forgot them).
 */
export function encodeRequest(method: HostileRequest['method'], url: string, encoding: Encoding, fields: readonly [string, string][], files: readonly HostileFile[], headers: Record<string, string> = {}): HostileRequest {
  const boundary = '----hostile7MA4YWxkTrZu0gW';
  switch (encoding) {
    case 'multipart':
      return { method, url, headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: multipartBody(fields, files, boundary) };
    case 'broken-multipart': {
      const body = multipartBody(fields, files, boundary);
      // a cut body, and sometimes a boundary the body never uses
      const cut = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
      const declared = fields.length % 2 === 0 ? boundary : 'other';
      return { method, url, headers: { ...headers, 'content-type': `multipart/form-data; boundary=${declared}` }, payload: cut };
    }
    case 'urlencoded':
      return { method, url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields.map(([k, v]): [string, string] => [k, v])).toString() };
    case 'json':
      return { method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(Object.fromEntries(fields)) };
    case 'query': {
      const query = new URLSearchParams(fields.map(([k, v]): [string, string] => [k, v])).toString();
      return { method, url: `${url}${url.includes('?') ? '&' : '?'}${query}`, headers };
    }
    case 'text':
      return { method, url, headers: { ...headers, 'content-type': 'text/plain' }, payload: fields.map(([k, v]) => `${k}=${v}`).join('\n') };
    case 'none':
      return { method, url, headers };
  }
}

/**
 * The data root of a hostile test: two classes of tiny PNGs, image lists, and the traps —
 * symlinks out of the root, a symlink loop, a dangling link, a FIFO, a folder named like an
 * image, a file that is no image and a fake LMDB.
 */
export async function writeDataTraps(dataDir: string, size = 8): Promise<{ images: string; list: string; labels: string; png: string; fakeDb: string; emptyDir: string }> {
  const images = path.join(dataDir, 'images');
  const lines: string[] = [];
  for (const [label, name] of ['cat', 'dog'].entries()) {
    await fs.mkdir(path.join(images, name), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const raw = Buffer.alloc(size * size, (label * 200 + i * 7) % 256);
      const file = path.join(images, name, `${i}.png`);
      await sharp(raw, { raw: { width: size, height: size, channels: 1 } }).png().toFile(file);
      lines.push(`${file} ${label}`);
    }
  }
  const list = path.join(dataDir, 'list.txt');
  await fs.writeFile(list, `${lines.join('\n')}\n`);
  const labels = path.join(dataDir, 'labels.txt');
  await fs.writeFile(labels, 'cat\ndog\n');
  await fs.symlink('/etc', path.join(dataDir, 'escape-dir'));
  await fs.symlink('/etc/passwd', path.join(dataDir, 'escape-file'));
  await fs.symlink('loop', path.join(dataDir, 'loop'));
  await fs.symlink('/nonexistent/nowhere', path.join(dataDir, 'dangling'));
  await fs.mkdir(path.join(dataDir, 'nested'));
  await fs.symlink('../../..', path.join(dataDir, 'nested', 'escape'));
  if (spawnSync('mkfifo', [path.join(dataDir, 'fifo')]).status !== 0) throw new Error('mkfifo failed: the FIFO trap needs coreutils');
  await fs.mkdir(path.join(dataDir, 'dir.png'));
  await fs.writeFile(path.join(dataDir, 'garbage.png'), 'this is not an image');
  const fakeDb = path.join(dataDir, 'fake_db');
  await fs.mkdir(fakeDb);
  await fs.writeFile(path.join(fakeDb, 'data.mdb'), Buffer.alloc(8192, 0xab));
  const emptyDir = path.join(dataDir, 'empty');
  await fs.mkdir(emptyDir);
  return { images, list, labels, png: lines[0]!.split(' ')[0]!, fakeDb, emptyDir };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose header (with valid CRCs) says `width`×`height` and whose IDAT holds `idat`. */
export function craftedPng(width: number, height: number, idat: Buffer, colourType = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * Images good and bad, `size`×`size` where they are good: every format sharp writes, 16-bit
 * gray, valid headers over garbage bodies, decompression bombs (huge declared sizes, a zlib
 * bomb in an IDAT, a real image over the pixel cap), empty and non-image bytes.
 */
/** How many of {@link imagePool}'s images, from the start, are well-formed (16-bit gray among them, which DIGITS refuses). */
export const WELL_FORMED_IN_POOL = 11;

export async function imagePool(size: number, maxPixels: number): Promise<Buffer[]> {
  const side = Math.ceil(Math.sqrt(maxPixels)) + 1;
  const grey = Buffer.alloc(size * size, 128);
  const rgb = Buffer.alloc(size * size * 3, 90);
  const rgba = Buffer.alloc(size * size * 4, 200);
  const img = (raw: Buffer, channels: 1 | 3 | 4) => sharp(raw, { raw: { width: size, height: size, channels } });
  const bmpHead = Buffer.alloc(54);
  bmpHead.write('BM', 0, 'latin1');
  bmpHead.writeUInt32LE(54, 10);
  bmpHead.writeUInt32LE(40, 14);
  bmpHead.writeInt32LE(60_000, 18);
  bmpHead.writeInt32LE(60_000, 22);
  bmpHead.writeUInt16LE(1, 26);
  bmpHead.writeUInt16LE(24, 28);
  const jpegBomb = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0xd2, 0xcf, 0x20, 0xff, 0xd9]);
  const gifBomb = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xf7, 0, 0]), Buffer.alloc(768, 0x33), Buffer.from([0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x08, 0x01, 0x00, 0x3b])]);
  return [
    await img(grey, 1).png().toBuffer(),
    await img(rgb, 3).png({ palette: true }).toBuffer(),
    await img(rgba, 4).png({ progressive: true }).toBuffer(),
    await img(grey, 1).png().toColourspace('grey16').toBuffer(),
    await img(rgb, 3).jpeg().toBuffer(),
    await img(rgb, 3).jpeg({ progressive: true }).toBuffer(),
    await img(rgba, 4).webp().toBuffer(),
    await img(rgb, 3).gif().toBuffer(),
    await img(rgb, 3).tiff().toBuffer(),
    Buffer.concat([Buffer.from(`P6\n${size} ${size}\n255\n`, 'latin1'), rgb]),
    Buffer.concat([Buffer.from(`P5\n${size} ${size}\n255\n`, 'latin1'), grey]),
    Buffer.from('P6\n100000 100000\n255\n\x01\x02\x03', 'latin1'),
    Buffer.from('P2\n2 2\n255\n1 2 3 banana', 'latin1'),
    Buffer.concat([bmpHead, Buffer.alloc(64, 7)]),
    craftedPng(100_000, 100_000, deflateSync(Buffer.alloc(1024))),
    craftedPng(size, size, deflateSync(Buffer.alloc(50 * 1024 * 1024)), 0),
    craftedPng(size, size, Buffer.from('not zlib at all, just text pretending to be image data')),
    craftedPng(size, size, deflateSync(Buffer.alloc(size * size + size - 3))),
    await sharp({ create: { width: side, height: side, channels: 3, background: '#000' } }).png().toBuffer(),
    jpegBomb,
    gifBomb,
    Buffer.alloc(0),
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd"/></svg>'),
    Buffer.from('%PDF-1.4\n%âãÏÓ\n'),
    Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  ];
}

export type Pairs = [string, string][];

/** Values for a field of `kind`: in range, at the edges, and hostile. */
export function valuesOfKind(spec: FieldSpec | undefined): fc.Arbitrary<string> {
  switch (spec?.kind) {
    case 'int':
      return fc.oneof(fc.integer({ min: -3, max: 40 }).map(String), fc.constantFrom('2147483648', '4294967297', '9007199254740993', '1e3', '1.5', ' 7 ', '+3', '007'), hostileString);
    case 'float':
      return fc.oneof(fc.double().map(String), fc.constantFrom('0.5', '1e-300', '1e308', '-0', '.5', '5.', '1e'), hostileString);
    case 'select':
      return fc.oneof(fc.constantFrom(...spec.choices), hostileString);
    case 'bool':
      return fc.oneof(fc.constantFrom('', 'y', 'false', 'False', 'on', '1', '0'), hostileString);
    case 'multi-float':
    case 'multi-int':
      return fc.oneof(fc.array(fc.double({ min: 0, max: 128, noNaN: true }), { minLength: 1, maxLength: 4 }).map((v) => v.join(',')), fc.constantFrom('[0.1, 0.01]', ',,,', '1,,2', '[', '0.1,' .repeat(500)), hostileString);
    default:
      return hostileString;
  }
}

/**
 * A mutated form: `base` (a valid one, so cases get deep) or, `fromScratch` of the time, nothing; then up to `maxEdits`
 * edits — a field set to a value `valueFor` gives, removed, repeated, or an unknown field added.
 */
export function mutatedFields(base: Pairs, names: readonly string[], valueFor: (name: string) => fc.Arbitrary<string>, maxEdits = 5, fromScratch = 1 / 4): fc.Arbitrary<Pairs> {
  const named = (op: 'set' | 'add') => fc.constantFrom(...names).chain((name) => valueFor(name).map((value) => ({ op, name, value, index: 0 })));
  const edit = fc.oneof(
    { weight: 4, arbitrary: named('set') },
    { weight: 1, arbitrary: named('add') },
    { weight: 1, arbitrary: fc.nat().map((index) => ({ op: 'delete' as const, name: '', value: '', index })) },
    { weight: 1, arbitrary: fc.tuple(hostileString, hostileString).map(([name, value]) => ({ op: 'add' as const, name, value, index: 0 })) },
  );
  const fromBaseArb = fc.oneof({ weight: Math.round((1 - fromScratch) * 20), arbitrary: fc.constant(true) }, { weight: Math.round(fromScratch * 20), arbitrary: fc.constant(false) });
  return fc.tuple(fromBaseArb, fc.array(edit, { maxLength: maxEdits })).map(([fromBase, edits]) => {
    const fields: Pairs = fromBase || base.length === 0 ? base.map(([k, v]) => [k, v]) : [];
    for (const e of edits) {
      const at = fields.findIndex(([k]) => k === e.name);
      if (e.op === 'set' && at >= 0) fields[at] = [e.name, e.value];
      else if (e.op === 'set' || e.op === 'add') fields.push([e.name, e.value]);
      else if (fields.length > 0) fields.splice(e.index % fields.length, 1);
    }
    return fields;
  });
}

/** `valueFor` of a form: path fields get paths, the others values of their kind (`extra` wins). */
export function formValues(spec: FormSpec, pathFields: ReadonlySet<string>, paths: fc.Arbitrary<string>, extra: Record<string, fc.Arbitrary<string>> = {}): (name: string) => fc.Arbitrary<string> {
  return (name) => extra[name] ?? (pathFields.has(name) ? paths : valuesOfKind(spec[name]));
}

/** How a request is sent: body encoding (multipart most often) and Accept header. */
export const encodingArb: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('multipart' as const) },
  { weight: 3, arbitrary: fc.constant('urlencoded' as const) },
  { weight: 1, arbitrary: fc.constantFrom(...ENCODINGS) },
);
export const acceptArb = fc.constantFrom<(string | undefined)[]>(undefined, 'application/json', 'application/json', 'text/html', '*/*', 'application/json;q=0.1, text/html', 'garbage/;;q=x');
