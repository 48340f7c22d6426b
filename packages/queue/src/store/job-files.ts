/** job.json on disk: atomic writes (temp file + rename), never replacing a newer revision. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { compileChecker, JobRecord } from '@digits-ts/contracts';

const recordChecker = compileChecker(JobRecord);
export const JOB_FILE = 'job.json';

/** Reads and validates a job.json; null when absent or unreadable (DIGITS skips such jobs). */
export async function readJobFile(dir: string): Promise<JobRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, JOB_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    return recordChecker.check(value) ? value : null;
  } catch {
    return null;
  }
}

/** Writes `record` as `dir/job.json` unless the file already holds a newer revision. */
export async function writeJobFile(dir: string, record: JobRecord): Promise<void> {
  const current = await readJobFile(dir);
  if (current && current.rev > record.rev) return;
  const tmp = path.join(dir, `.${JOB_FILE}.${randomBytes(4).toString('hex')}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(record, null, 1));
  await fs.rename(tmp, path.join(dir, JOB_FILE));
}

/**
 * The name of the folder of JOBS_DIR that `target` lies strictly below (`<jobsDir>/<name>/…`),
 * or null when it lies elsewhere, is a job folder itself, or JOBS_DIR. The caller decides
 * whether that name is a job, and of which kind (infer_db reads a dataset's own DBs, §10.5).
 */
export function jobFolderOf(target: string, jobsDir: string): string | null {
  const relative = path.relative(jobsDir, target);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return null;
  const [name, ...below] = relative.split(path.sep);
  return below.length > 0 ? name! : null;
}
