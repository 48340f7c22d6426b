/** `resize-example`: the dataset form's preview of the sample picture at the chosen size (contract §11.7). */
import type { Job } from 'bullmq';
import { payloadChecker, type ResultOf } from '@digits-ts/contracts';
import { resizeExample } from '@digits-ts/imaging';
import type { WorkerContext } from '../context.ts';

export const name = 'resize-example';

export function createResizeExampleProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResultOf<'resize-example'>> {
    const { width, height, channels, resizeMode, encoding } = payloadChecker('resize-example').parse(job.data, 'resize-example payload');
    const example = await resizeExample({ width, height, channels, resizeMode, encoding, maxPixels: ctx.config.imageMaxPixels });
    return { mime: example.mime, data: example.data.toString('base64'), bytes: example.bytes };
  };
}
