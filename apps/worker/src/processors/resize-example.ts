/** `resize-example`: the dataset form's preview of the sample picture at the chosen size (contract §11.7). */
import type { Job } from 'bullmq';
import { compileChecker, ResizeExamplePayload, type ResizeExampleResult } from '@digits-ts/contracts';
import { resizeExample } from '@digits-ts/imaging';
import type { WorkerContext } from '../context.ts';

export const name = 'resize-example';
const payloadChecker = compileChecker(ResizeExamplePayload);

export function createResizeExampleProcessor(ctx: WorkerContext) {
  return async function process(job: Job): Promise<ResizeExampleResult> {
    const { width, height, channels, resizeMode, encoding } = payloadChecker.parse(job.data, 'resize-example payload');
    const example = await resizeExample({ width, height, channels, resizeMode, encoding, maxPixels: ctx.config.imageMaxPixels });
    return { mime: example.mime, data: example.data.toString('base64'), bytes: example.bytes };
  };
}
