/**
 * A network output (nested number lists) in NumPy's text form, as DIGITS' Raw Data view prints
 * it (§10.6): `[[0.1 0.2]\n [0.3 0.4]]`, elements padded to one width, long lines wrapped at 75
 * characters, arrays over 1 000 values abbreviated to the first and last 3 along each axis.
 */

/** NumPy's print options: threshold, edgeitems, linewidth, precision. */
const THRESHOLD = 1000;
const EDGE = 3;
const LINE_WIDTH = 75;
const PRECISION = 8;

type Nested = number | null | Nested[];
/** Where an abbreviated axis prints `...` (null is a NaN: JSON's spelling of it). */
const ELLIPSIS = Symbol('...');
type Shown<T> = T | typeof ELLIPSIS;

/** The shape of a nested list (the first element's along each axis). */
function shapeOf(value: Nested): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] ?? 0;
  }
  return shape;
}

/** The shortest decimal that is the same float32 (outputs are float32), with at most 8 decimals. */
function shortest(x: number): string {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const text = f.toPrecision(p);
    if (Math.fround(Number(text)) === f) return String(Number(Number(text).toFixed(PRECISION)));
  }
  return String(Number(f.toFixed(PRECISION)));
}

/** Each value's text, NumPy style: `1.`, `-0.25`, `nan`, `inf`, or `1.5e-05` when the range calls for it. */
function formatter(values: number[]): (x: number | null) => string {
  const finite = values.filter((x) => Number.isFinite(x));
  const abs = finite.map(Math.abs).filter((x) => x !== 0);
  const max = abs.length ? Math.max(...abs) : 0;
  const min = abs.length ? Math.min(...abs) : 0;
  const scientific = abs.length > 0 && (max >= 1e8 || min < 1e-4 || max / min > 1e3);
  const special = (x: number | null) => (x === null || Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf');
  if (scientific) {
    const mantissas = finite.map((x) => shortest(Math.abs(x) === 0 ? 0 : x / 10 ** Math.floor(Math.log10(Math.abs(x)))));
    const digits = Math.max(0, ...mantissas.map((m) => (m.split('.')[1] ?? '').length));
    return (x) => {
      if (x === null || !Number.isFinite(x)) return special(x);
      const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
      const mantissa = (x / 10 ** exp).toFixed(digits);
      return `${digits === 0 ? `${mantissa}.` : mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    };
  }
  const parts = finite.map((x) => shortest(x).split('.'));
  const decimals = Math.max(0, ...parts.map(([, d]) => (d ?? '').length));
  return (x) => {
    if (x === null || !Number.isFinite(x)) return special(x);
    const [int, frac = ''] = shortest(x).split('.');
    // decimal points line up: the fraction is padded on the right
    return `${int}.${frac}${' '.repeat(decimals - frac.length)}`;
  };
}

/** The elements along one axis that are printed: all, or the first and last 3 around `...`. */
function shown<T>(items: T[], summarize: boolean): Shown<T>[] {
  return summarize && items.length > 2 * EDGE ? [...items.slice(0, EDGE), ELLIPSIS, ...items.slice(-EDGE)] : items;
}

/** Every number that will be printed, for the common width. */
function printed(value: Nested, summarize: boolean): (number | null)[] {
  if (!Array.isArray(value)) return [value];
  return shown(value, summarize).flatMap((v) => (v === ELLIPSIS ? [] : printed(v, summarize)));
}

/** `value` as NumPy's `str(array)`; a scalar as its own text. */
export function numpyText(value: unknown): string {
  const root = value as Nested;
  const shape = shapeOf(root);
  const size = shape.reduce((n, d) => n * d, 1);
  const summarize = size > THRESHOLD;
  const numbers = printed(root, summarize);
  const format = formatter(numbers.filter((x): x is number => x !== null));
  const width = Math.max(0, ...numbers.map((x) => format(x).length));
  const cell = (x: number | null) => format(x).padStart(width);
  if (!Array.isArray(root)) return format(root);

  const render = (v: Nested[], depth: number): string => {
    const indent = ' '.repeat(depth + 1);
    const items = shown(v, summarize);
    if (!items.some((x) => Array.isArray(x))) {
      // the innermost axis: space-separated, wrapped before the line would pass 75 characters
      let line = '[';
      const lines: string[] = [];
      items.forEach((x, i) => {
        const text = x === ELLIPSIS ? '...' : cell(x as number | null);
        const sep = i === 0 ? '' : ' ';
        if (line.length + sep.length + text.length + 1 > LINE_WIDTH && i > 0) {
          lines.push(line);
          line = indent + text;
        } else line += sep + text;
      });
      return [...lines, `${line}]`].join('\n');
    }
    const rows = items.map((x) => (x === ELLIPSIS ? '...' : render(x as Nested[], depth + 1)));
    const between = `\n${'\n'.repeat(Math.max(0, shape.length - depth - 2))}${indent}`;
    return `[${rows.join(between)}]`;
  };
  return render(root, 0);
}
