// classify-images thumbnails through the real infer queue: present only when asked, PNGs of the
// pixels the model received (dataset size, grey stays grey), for the first MAX_THUMBNAILS inputs.
import fs from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { MAX_THUMBNAILS, type ClassifyImagesPayload, type ClassifyImagesResult, type InferImage } from '@digits-ts/contracts';
import { RequestClient } from '@digits-ts/queue';
import { prepareForModel } from '../../apps/worker/src/inference/request-inputs.ts';
import { writeColourClasses } from '../helpers/datasets.ts';
import { importSharedLenet } from '../helpers/shared-lenet.ts';
import { startStack, waitForStatus } from '../helpers/stack.ts';

function classify(app: FastifyInstance, modelId: string, images: InferImage[], extra: Partial<ClassifyImagesPayload> = {}): Promise<ClassifyImagesResult> {
  return app.services.inference.request('classify-images', { v: 1, jobId: RequestClient.requestId(), modelId, epoch: -1, images, top: 3, ...extra }, 60_000);
}

t.test('thumbnails of the prepared inputs', async (t) => {
  const stack = await startStack(t);
  // the run's shared LeNet, on a 28×28 grey MNIST dataset resized with the default squash
  const { mnistDir, modelId } = await importSharedLenet(stack);
  const model = { id: modelId };
  t.equal(await waitForStatus(stack.app, model.id), 'Done');

  // a grey digit at the model's size, and a colour picture of another size and ratio
  const digit = path.join(mnistDir, 'test', '7', (await fs.readdir(path.join(mnistDir, 'test', '7')))[0]!);
  await writeColourClasses(path.join(stack.dataDir, 'colour'), ['c'], 1, { width: 45, height: 31 });
  const colour = path.join(stack.dataDir, 'colour', 'c', '0.png');
  const images: InferImage[] = [
    { source: 'digit', path: digit, label: 7 },
    { source: 'missing', path: path.join(stack.dataDir, 'missing.png'), label: null },
    { source: 'colour', path: colour, label: null },
  ];

  const plain = await classify(stack.app, model.id, images);
  t.ok(plain.images.every((i) => i.thumbnail === undefined), 'none unless asked');
  t.ok((await classify(stack.app, model.id, images, { thumbnails: false })).images.every((i) => i.thumbnail === undefined), 'none when declined');

  const asked = await classify(stack.app, model.id, images, { thumbnails: true });
  const [onDigit, onMissing, onColour] = asked.images;
  t.same(onDigit!.predictions, plain.images[0]!.predictions, 'predictions unchanged');
  t.equal(onMissing!.error?.code, 'IMAGE_NOT_FOUND');
  t.equal(onMissing!.thumbnail, undefined, 'an unusable image gets none');
  for (const [result, file] of [[onDigit!, digit], [onColour!, colour]] as const) {
    t.equal(result.thumbnail?.mime, 'image/png', `${result.source}: mime`);
    const png = Buffer.from(result.thumbnail!.data, 'base64');
    t.match(await sharp(png).metadata(), { format: 'png', width: 28, height: 28, channels: 1 }, `${result.source}: the model's input size, grey`);
    const pixels = await sharp(png).toColourspace('b-w').raw().toBuffer();
    const prepared = await prepareForModel(await fs.readFile(file), { width: 28, height: 28, channels: 1, resizeMode: 'squash' }, 1e8);
    t.same(pixels, Buffer.from(prepared), `${result.source}: the pixels the model received`);
  }

  // beyond the bound only the first MAX_THUMBNAILS usable inputs get one
  const many = Array.from({ length: MAX_THUMBNAILS + 3 }, (_, i): InferImage => ({ source: `d${i}`, path: digit, label: null }));
  many.splice(1, 0, images[1]!);
  const bounded = await classify(stack.app, model.id, many, { thumbnails: true });
  const withThumb = bounded.images.filter((i) => i.thumbnail);
  t.equal(withThumb.length, MAX_THUMBNAILS);
  t.equal(withThumb.at(-1)!.source, `d${MAX_THUMBNAILS - 1}`, 'counted over usable inputs, in input order');
  t.ok(bounded.images.slice(-3).every((i) => i.thumbnail === undefined && i.predictions));
});
