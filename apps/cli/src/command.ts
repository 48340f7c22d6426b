/** The shape of one CLI command, and helpers the create commands share. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError, type CommandArgs, type OptionSpecs } from './args.ts';
import type { FieldValue } from './client.ts';
import type { Ctx } from './context.ts';

export interface Command {
  /** Synopsis after `digits-ts `, e.g. `status ID`. */
  usage: string;
  summary: string;
  /** The command's own options (the global flags come on top). */
  options: OptionSpecs;
  /** Takes any other DIGITS form field as `--field-name value`. */
  fields?: boolean;
  /** Resolves to the exit code. */
  run(ctx: Ctx, args: CommandArgs): Promise<number>;
}

/** `--interval SECONDS` of follow and of the create commands' `--follow`, in milliseconds. */
export function intervalMs(args: CommandArgs): number {
  const text = args.options.interval;
  if (typeof text !== 'string') return 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--interval must be a positive number of seconds, got ${text}`);
  return seconds * 1000;
}

/** A local file as an upload. */
export async function fileField(cwd: string, file: string): Promise<{ filename: string; data: Uint8Array }> {
  const full = path.resolve(cwd, file);
  try {
    return { filename: path.basename(full), data: await fs.readFile(full) };
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The form to send: `base` (undefined values left out), then the extra `--field value`
 * pairs, which replace a base field of the same name. A value `@path` uploads that file.
 */
export async function buildForm(cwd: string, base: Record<string, string | undefined>, extra: [string, string][]): Promise<[string, FieldValue][]> {
  const overridden = new Set(extra.map(([name]) => name));
  const form: [string, FieldValue][] = Object.entries(base)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && !overridden.has(entry[0]));
  for (const [name, value] of extra) form.push([name, value.startsWith('@') ? await fileField(cwd, value.slice(1)) : value]);
  return form;
}

/** `id  name  status` of a created job (each job of a sweep). */
export function createdLines(body: unknown): { ids: string[]; lines: string[] } {
  const jobs = ((body as { jobs?: unknown[] }).jobs ?? [body]) as { id: string; name: string; status: string }[];
  return { ids: jobs.map((j) => j.id), lines: jobs.map((j) => `${j.id}  ${j.name}  ${j.status}`) };
}
