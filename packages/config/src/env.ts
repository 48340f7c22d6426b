/** Declarative environment variables: one definition each, with its type, default and doc. */
import os from 'node:os';
import path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

export interface VarDef<T> {
  /** One line for the README table, with units. */
  doc: string;
  /** The default as a person would write it in the environment. */
  defaultText: string;
  parse(raw: string): T;
}

function wholeNumber(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`must be 0 or a positive integer, got "${raw}"`);
  return Number(raw);
}

function positiveInt(raw: string): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw new Error(`must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export const v = {
  string: (doc: string, defaultText: string): VarDef<string> => ({ doc, defaultText, parse: (raw) => raw }),
  int: (doc: string, defaultText: string): VarDef<number> => ({ doc, defaultText, parse: positiveInt }),
  /** 0 or more; 0 usually turns the feature off. */
  count: (doc: string, defaultText: string): VarDef<number> => ({ doc, defaultText, parse: wholeNumber }),
  /** A thread count; empty means one per CPU. */
  threads: (doc: string): VarDef<number> => ({ doc, defaultText: '', parse: (raw) => (raw.trim() === '' ? CPU_COUNT : positiveInt(raw)) }),
  port: (doc: string, defaultText: string): VarDef<number> => ({
    doc, defaultText,
    parse: (raw) => {
      const port = positiveInt(raw);
      if (port > 65535) throw new Error(`must be a TCP port (1-65535), got ${raw}`);
      return port;
    },
  }),
  /** A port, 0 for any free one, or empty for "off". */
  optionalPort: (doc: string): VarDef<number | null> => ({
    doc, defaultText: '',
    parse: (raw) => (raw.trim() === '' ? null : raw.trim() === '0' ? 0 : v.port(doc, '').parse(raw)),
  }),
  absDir: (doc: string, defaultText: string): VarDef<string> => ({ doc, defaultText, parse: (raw) => path.resolve(raw) }),
  dirList: (doc: string): VarDef<readonly string[]> => ({
    doc, defaultText: '',
    parse: (raw) => raw.split(':').map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(p)),
  }),
  choiceList: <C extends string>(doc: string, defaultText: string, choices: readonly C[]): VarDef<readonly C[]> => ({
    doc, defaultText,
    parse: (raw) => {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = items.filter((s) => !choices.includes(s as C));
      if (bad.length > 0 || items.length === 0) throw new Error(`must be a comma list of ${choices.join(', ')}, got "${raw}"`);
      return items as C[];
    },
  }),
  choice: <C extends string>(doc: string, defaultText: string, choices: readonly C[]): VarDef<C> => ({
    doc, defaultText,
    parse: (raw) => {
      if (!choices.includes(raw as C)) throw new Error(`must be one of ${choices.join(', ')}, got "${raw}"`);
      return raw as C;
    },
  }),
};

export type Parsed<D> = { -readonly [K in keyof D]: D[K] extends VarDef<infer T> ? T : never };

/** Reads every variable of `defs`, collecting all problems before failing. */
export function readEnv<D extends Record<string, VarDef<unknown>>>(defs: D, env: Env): Parsed<D> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const raw = env[name] ?? def.defaultText;
    try {
      out[name] = def.parse(raw);
    } catch (err) {
      problems.push(`${name} ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Parsed<D>;
}

/** All invalid variables at once, so a person fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const CPU_COUNT = Math.max(1, os.availableParallelism());
