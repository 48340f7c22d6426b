/** Compiled TypeBox checkers: compile once at module load, check at every boundary. */
import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import { Errors } from './errors.ts';

export interface Checker<T extends TSchema> {
  check(value: unknown): value is Static<T>;
  /** Returns the value typed, or throws INVALID_PAYLOAD naming the first problems. */
  parse(value: unknown, what: string): Static<T>;
}

/** Compiles `schema` into a checker whose failures name the offending paths. */
export function compileChecker<T extends TSchema>(schema: T): Checker<T> {
  const compiled = Compile(schema);
  return {
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    parse(value: unknown, what: string): Static<T> {
      if (compiled.Check(value)) return value as Static<T>;
      const problems = [...compiled.Errors(value)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw Errors.INVALID_PAYLOAD(`${what} is invalid: ${problems.join('; ')}`, { details: problems });
    },
  };
}
