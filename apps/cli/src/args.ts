/**
 * Command-line parsing on top of `node:util` parseArgs: global flags anywhere, one or two command
 * words, the command's own options, and (for the create commands) any other DIGITS form field
 * as `--field-name value`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed with a hint and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** parseArgs' option table. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const GLOBAL_OPTIONS = {
  server: { type: 'string' },
  'cookie-jar': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** Commands spelled with two words (`dataset create`). */
const GROUPS = new Set(['dataset', 'model']);

/** The command words and the rest of the arguments, global flags included. */
export function splitCommand(argv: string[]): { words: string[]; rest: string[] } {
  const rest: string[] = [];
  let i = 0;
  // global flags may come before the command
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') {
    const arg = argv[i]!;
    rest.push(arg);
    i++;
    const name = arg.replace(/^--?/, '');
    const spec = (GLOBAL_OPTIONS as OptionSpecs)[name];
    if (spec?.type === 'string' && !arg.includes('=') && i < argv.length) rest.push(argv[i++]!);
  }
  const words: string[] = [];
  if (i < argv.length && argv[i] !== '--') {
    words.push(argv[i++]!);
    if (GROUPS.has(words[0]!) && i < argv.length && !argv[i]!.startsWith('-')) words.push(argv[i++]!);
  }
  return { words, rest: [...rest, ...argv.slice(i)] };
}

/** What one command receives: positionals, its known options, and extra form fields in order. */
export interface CommandArgs {
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
  /** `[field_name, value]` from `--field-name value`; a value `@path` means "upload this file". */
  fields: [string, string][];
}

/** `--resize-width` → `resize_width`, the form field's own spelling. */
export function fieldName(option: string): string {
  return option.replace(/-/g, '_');
}

/** `--epoch -1` → `--epoch=-1`: otherwise parseArgs reads a negative number as short flags. */
function joinNegativeValues(args: string[], specs: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const takesValue = arg.startsWith('--') && arg.length > 2 && !arg.includes('=') && specs[arg.slice(2)]?.type !== 'boolean';
    if (takesValue && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Parses `args` against `specs` (plus the global flags). With `acceptFields`, an unknown
 * `--name value` becomes a form field; otherwise it is a usage error.
 */
export function parseCommandArgs(args: string[], specs: OptionSpecs, acceptFields: boolean): CommandArgs {
  const all: OptionSpecs = { ...GLOBAL_OPTIONS, ...specs };
  const { tokens } = parseArgs({ args: joinNegativeValues(args, all), options: all, strict: false, allowPositionals: true, tokens: true });
  const result: CommandArgs = { positionals: [], options: {}, fields: [] };
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k]!;
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      result.positionals.push(token.value);
      continue;
    }
    const spec = all[token.name];
    if (spec) {
      if (spec.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      if (spec.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
      result.options[token.name] = token.value ?? true;
      continue;
    }
    if (!acceptFields || !token.rawName.startsWith('--')) throw new UsageError(`unknown option ${token.rawName}`);
    let value = token.value;
    const next = tokens[k + 1];
    // parseArgs cannot know an unknown option takes a value: it is the argument right after it
    if (value === undefined && next?.kind === 'positional' && next.index === token.index + 1) {
      value = next.value;
      k++;
    }
    if (value === undefined) throw new UsageError(`${token.rawName} needs a value (form fields are --field-name value)`);
    result.fields.push([fieldName(token.name), value]);
  }
  return result;
}

/** A string option's value, or undefined. */
export function stringOption(args: CommandArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option, else a usage error naming it. */
export function requireOption(args: CommandArgs, name: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** The positionals when there are exactly `names.length` of them (at least, with `atLeast`), else a usage error naming what is missing. */
export function positionals(args: CommandArgs, names: string[], atLeast = false): string[] {
  const n = args.positionals.length;
  if (n < names.length || (!atLeast && n > names.length)) {
    throw new UsageError(n < names.length ? `missing ${names.slice(n).join(' ')}` : `unexpected argument ${args.positionals[names.length]}`);
  }
  return args.positionals;
}
