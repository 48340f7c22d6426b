/**
 * The catalogue's payload and result schemas compiled once, at module load: the producer checks
 * a payload before it reaches Redis, a processor when it picks the job up, and a request/reply
 * caller checks the answer a worker sent back.
 */
import type { TSchema } from 'typebox';
import { JOBS, type JobName } from './jobs.ts';
import { compileChecker, type Checker } from './validate.ts';

type Jobs = typeof JOBS;
type CheckerTable<K extends 'payload' | 'result'> = { readonly [N in JobName]: Checker<Jobs[N][K]> };

/** One compiled checker per job for the schema under `key`. */
function compileAll<K extends 'payload' | 'result'>(key: K): CheckerTable<K> {
  const table: Partial<Record<JobName, Checker<TSchema>>> = {};
  for (const name of Object.keys(JOBS) as JobName[]) table[name] = compileChecker(JOBS[name][key]);
  // built from the catalogue's own keys above, so every job has the checker of its schema
  return table as CheckerTable<K>;
}

const PAYLOADS = compileAll('payload');
const RESULTS = compileAll('result');

/** The checker of job `name`'s payload. */
export function payloadChecker<N extends JobName>(name: N): Checker<Jobs[N]['payload']> {
  return PAYLOADS[name];
}

/** The checker of job `name`'s result. */
export function resultChecker<N extends JobName>(name: N): Checker<Jobs[N]['result']> {
  return RESULTS[name];
}
