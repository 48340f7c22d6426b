/** Job name → processor, checked for completeness when the worker starts. */
import { DelayedError } from 'bullmq';
import { JOBS, type JobName, type QueueName } from '@digits-ts/contracts';
import type { JobProcessor, Processor } from '@digits-ts/queue';
import type { WorkerContext } from './context.ts';
import { createBuildDatasetProcessor } from './processors/build-dataset.ts';
import { createAnalyzePrebuiltDatasetProcessor } from './processors/analyze-prebuilt-dataset.ts';
import { createBuildGenericDatasetProcessor } from './processors/build-generic-dataset.ts';
import { createTrainModelProcessor } from './processors/train-model.ts';
import { createImportPretrainedProcessor } from './processors/import-pretrained.ts';
import { createClassifyImagesProcessor } from './processors/classify-images.ts';
import { createDrawNetworkProcessor } from './processors/draw-network.ts';
import { createResizeExampleProcessor } from './processors/resize-example.ts';
import { createExploreDatasetProcessor } from './processors/explore-dataset.ts';
import { jobDuration, jobsProcessed } from './metrics.ts';

/** Each factory makes the processor of its job, so one returning another shape fails typechecking. */
const FACTORIES: { [N in JobName]: (ctx: WorkerContext) => JobProcessor<N> } = {
  'build-dataset': createBuildDatasetProcessor,
  'build-generic-dataset': createBuildGenericDatasetProcessor,
  'analyze-prebuilt-dataset': createAnalyzePrebuiltDatasetProcessor,
  'train-model': createTrainModelProcessor,
  'import-pretrained': createImportPretrainedProcessor,
  'classify-images': createClassifyImagesProcessor,
  'draw-network': createDrawNetworkProcessor,
  'resize-example': createResizeExampleProcessor,
  'explore-dataset': createExploreDatasetProcessor,
};

/** The processors of one queue; throws if the catalogue and the registry disagree. */
export function processorsFor(queue: QueueName, ctx: WorkerContext): Map<string, Processor> {
  const known = new Set(Object.keys(JOBS));
  const unknown = Object.keys(FACTORIES).filter((n) => !known.has(n));
  const missing = [...known].filter((n) => !(n in FACTORIES));
  if (unknown.length || missing.length) throw new Error(`worker registry out of step with the job catalogue: missing ${missing.join(', ') || 'none'}, unknown ${unknown.join(', ') || 'none'}`);
  const map = new Map<string, Processor>();
  for (const [name, def] of Object.entries(JOBS)) {
    if (def.queue === queue) map.set(name, timed(name, FACTORIES[name as JobName](ctx)));
  }
  return map;
}

/** `processor` with its duration and outcome recorded in the worker's metrics. */
function timed(name: string, processor: Processor): Processor {
  return async (job, token) => {
    const end = jobDuration.startTimer({ job: name });
    let outcome = 'failed';
    try {
      const result = await processor(job, token);
      outcome = result && typeof result === 'object' && 'aborted' in result ? 'aborted' : 'completed';
      return result;
    } catch (err) {
      if (err instanceof DelayedError) outcome = 'requeued';
      throw err;
    } finally {
      end({ outcome });
      jobsProcessed.inc({ job: name, outcome });
    }
  };
}
