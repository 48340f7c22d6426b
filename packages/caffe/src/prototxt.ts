/**
 * Protocol-buffer TEXT format, as Caffe network definitions are written: `name: value`,
 * `name { … }` / `name: { … }` / `name < … >`, `name: [a, b]` lists, optional `,`/`;` after a
 * field, `#` comments, quoted strings with C escapes (adjacent strings concatenate), numbers
 * (`-3`, `1e-4`, `0x1F`, `inf`, `nan`) and identifiers (enum values, `true`/`false`).
 * The parser knows no schema: every field name maps to the list of values it was given.
 */

/** 1-based line and column of a token. */
export interface TextPosition {
  line: number;
  column: number;
}

/** A scalar value as written: quoted string, number, or bare identifier (enum value, bool). */
export type PrototxtScalar =
  | { kind: 'string'; value: string; at: TextPosition }
  | { kind: 'number'; value: number; text: string; at: TextPosition }
  | { kind: 'identifier'; value: string; at: TextPosition };

/** A `{ … }` block (or the whole text): field name → every value given for it, in order. */
export interface PrototxtMessage {
  kind: 'message';
  fields: Map<string, PrototxtValue[]>;
  at: TextPosition;
}

/** Any field value. */
export type PrototxtValue = PrototxtScalar | PrototxtMessage;

/** A text that is not protobuf text format; the message starts with `line L, column C: `. */
export class PrototxtSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  /** The message without the position prefix. */
  readonly reason: string;

  constructor(at: TextPosition, reason: string) {
    super(`line ${at.line}, column ${at.column}: ${reason}`);
    this.name = 'PrototxtSyntaxError';
    this.line = at.line;
    this.column = at.column;
    this.reason = reason;
  }
}

type Token =
  | { type: 'ident'; text: string; at: TextPosition }
  | { type: 'number'; text: string; value: number; at: TextPosition }
  | { type: 'string'; text: string; value: string; at: TextPosition }
  | { type: 'punct'; text: string; at: TextPosition }
  | { type: 'eof'; text: ''; at: TextPosition };

const PUNCT = new Set(['{', '}', '<', '>', ':', ',', ';', '[', ']', '-']);
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?',
};
const NUMBER = /(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fF]?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPECIAL_FLOATS: Record<string, number> = { inf: Infinity, infinity: Infinity, nan: Number.NaN };

/** Splits the text into tokens, tracking line and column. */
class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  private here(): TextPosition {
    return { line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private skipSpaceAndComments(): void {
    const s = this.text;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipSpaceAndComments();
    const at = this.here();
    const s = this.text;
    if (this.pos >= s.length) return { type: 'eof', text: '', at };
    const c = s[this.pos]!;
    if (c === '"' || c === "'") return this.string(c, at);
    if (/[0-9.]/.test(c)) return this.number(at);
    IDENT.lastIndex = this.pos;
    const ident = IDENT.exec(s);
    if (ident) {
      this.pos += ident[0].length;
      return { type: 'ident', text: ident[0], at };
    }
    if (PUNCT.has(c)) {
      this.pos++;
      return { type: 'punct', text: c, at };
    }
    throw new PrototxtSyntaxError(at, `unexpected character ${JSON.stringify(c)}`);
  }

  private number(at: TextPosition): Token {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    const after = match ? this.text[this.pos + match[0].length] : undefined;
    if (!match || (after !== undefined && /[A-Za-z0-9_.]/.test(after))) {
      const end = this.text.slice(this.pos).search(/[^A-Za-z0-9_.+-]/);
      const word = this.text.slice(this.pos, end < 0 ? undefined : this.pos + end);
      throw new PrototxtSyntaxError(at, `invalid number ${JSON.stringify(word)}`);
    }
    this.pos += match[0].length;
    const text = match[0];
    const value = /^0[xX]/.test(text) ? Number.parseInt(text, 16) : Number(text.replace(/[fF]$/, ''));
    return { type: 'number', text, value, at };
  }

  private string(quote: string, at: TextPosition): Token {
    const s = this.text;
    const start = this.pos;
    let value = '';
    this.pos++;
    for (;;) {
      if (this.pos >= s.length || s[this.pos] === '\n') throw new PrototxtSyntaxError(at, 'unterminated string');
      const c = s[this.pos]!;
      if (c === quote) {
        this.pos++;
        break;
      }
      if (c === '\\') {
        value += this.escape();
      } else {
        value += c;
        this.pos++;
      }
    }
    return { type: 'string', text: s.slice(start, this.pos), value, at };
  }

  /** One escape sequence starting at the backslash. */
  private escape(): string {
    const s = this.text;
    const at = this.here();
    const c = s[this.pos + 1];
    if (c === undefined || c === '\n') throw new PrototxtSyntaxError(at, 'unterminated string');
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const take = (pattern: RegExp, skip: number, radix: number): string => {
      pattern.lastIndex = this.pos + skip;
      const digits = pattern.exec(s);
      if (!digits) throw new PrototxtSyntaxError(at, `invalid escape ${JSON.stringify(s.slice(this.pos, this.pos + skip + 1))}`);
      this.pos += skip + digits[0].length;
      const code = Number.parseInt(digits[0], radix);
      if (code > 0x10ffff) throw new PrototxtSyntaxError(at, `invalid escape ${JSON.stringify(s.slice(this.pos - skip - digits[0].length, this.pos))}`);
      return String.fromCodePoint(code);
    };
    if (/[0-7]/.test(c)) return take(/[0-7]{1,3}/y, 1, 8);
    if (c === 'x' || c === 'X') return take(/[0-9a-fA-F]{1,2}/y, 2, 16);
    if (c === 'u') return take(/[0-9a-fA-F]{4}/y, 2, 16);
    if (c === 'U') return take(/[0-9a-fA-F]{8}/y, 2, 16);
    throw new PrototxtSyntaxError(at, `unknown escape ${JSON.stringify(`\\${c}`)}`);
  }
}

function describe(token: Token): string {
  if (token.type === 'eof') return 'end of input';
  const text = token.text.length > 24 ? `${token.text.slice(0, 21)}...` : token.text;
  return token.type === 'string' ? `string ${text}` : `"${text}"`;
}

/** Deepest nesting of blocks accepted: protobuf's own default recursion limit. */
const MAX_NESTING = 100;

/** Recursive-descent parser over the token stream (one token of look-ahead). */
class Parser {
  private readonly lexer: Lexer;
  private token: Token;
  private depth = 0;

  constructor(text: string) {
    this.lexer = new Lexer(text);
    this.token = this.lexer.next();
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.lexer.next();
    return current;
  }

  private fail(expected: string): never {
    throw new PrototxtSyntaxError(this.token.at, `expected ${expected} but found ${describe(this.token)}`);
  }

  private isPunct(text: string): boolean {
    return this.token.type === 'punct' && this.token.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`"${text}"`);
    this.advance();
  }

  /** Fields up to `end` (a closing bracket, or end of input for the top level). */
  message(at: TextPosition, end: '}' | '>' | null): PrototxtMessage {
    const fields = new Map<string, PrototxtValue[]>();
    for (;;) {
      if (end === null ? this.token.type === 'eof' : this.isPunct(end)) break;
      if (this.token.type !== 'ident') this.fail(end === null ? 'a field name' : this.token.type === 'eof' ? `"${end}"` : `a field name or "${end}"`);
      const name = this.advance().text;
      const values = this.fieldValues(name);
      const list = fields.get(name);
      if (list) list.push(...values);
      else fields.set(name, values);
      if (this.isPunct(',') || this.isPunct(';')) this.advance();
    }
    if (end !== null) this.advance();
    return { kind: 'message', fields, at };
  }

  /** What follows a field name: `: scalar`, `: [list]`, or a block with or without the colon. */
  private fieldValues(name: string): PrototxtValue[] {
    const colon = this.isPunct(':');
    if (colon) this.advance();
    if (this.isPunct('{') || this.isPunct('<')) return [this.block()];
    if (this.isPunct('[')) return this.list(colon);
    if (!colon) this.fail(`":" or "{" after field name "${name}"`);
    return [this.scalar()];
  }

  private block(): PrototxtMessage {
    const open = this.advance();
    // a recursive descent: without a bound, `a { a { …` deep enough overflows the stack
    if (++this.depth > MAX_NESTING) throw new PrototxtSyntaxError(open.at, `blocks nested more than ${MAX_NESTING} deep`);
    const message = this.message(open.at, open.text === '{' ? '}' : '>');
    this.depth--;
    return message;
  }

  /** `[a, b, …]`: scalars or blocks after a colon, blocks only without one. */
  private list(colon: boolean): PrototxtValue[] {
    this.advance();
    const values: PrototxtValue[] = [];
    if (this.isPunct(']')) {
      this.advance();
      return values;
    }
    for (;;) {
      if (this.isPunct('{') || this.isPunct('<')) values.push(this.block());
      else if (colon) values.push(this.scalar());
      else this.fail('"{"');
      if (this.isPunct(']')) break;
      this.expectPunct(',');
    }
    this.advance();
    return values;
  }

  private scalar(): PrototxtScalar {
    const token = this.token;
    if (token.type === 'string') {
      let value = '';
      while (this.token.type === 'string') value += (this.advance() as { value: string }).value;
      return { kind: 'string', value, at: token.at };
    }
    if (this.isPunct('-')) {
      this.advance();
      const signed = this.unsigned();
      if (!signed) this.fail('a number after "-"');
      return { ...signed, value: -signed.value, text: `-${signed.text}`, at: token.at };
    }
    const number = this.unsigned();
    if (number) return number;
    if (token.type === 'ident') {
      this.advance();
      return { kind: 'identifier', value: token.text, at: token.at };
    }
    return this.fail('a value');
  }

  /** A number token, or `inf` / `infinity` / `nan` in any case; null when the token is neither. */
  private unsigned(): Extract<PrototxtScalar, { kind: 'number' }> | null {
    const token = this.token;
    if (token.type === 'number') {
      this.advance();
      return { kind: 'number', value: token.value, text: token.text, at: token.at };
    }
    const special = token.type === 'ident' ? SPECIAL_FLOATS[token.text.toLowerCase()] : undefined;
    if (special === undefined) return null;
    this.advance();
    return { kind: 'number', value: special, text: token.text, at: token.at };
  }
}

/**
 * Parses protobuf text format into its (schema-less) top-level message. Throws a
 * {@link PrototxtSyntaxError} such as `line 12, column 5: expected "}" but found end of input`.
 */
export function parsePrototxt(text: string): PrototxtMessage {
  if (typeof text !== 'string') {
    throw new Error(`Expected a string for text but received ${String(text)} of type ${typeof text}`);
  }
  return new Parser(text).message({ line: 1, column: 1 }, null);
}

/** Every value given for `name` in `message` (an empty list when the field is absent). */
export function fieldValues(message: PrototxtMessage, name: string): PrototxtValue[] {
  return message.fields.get(name) ?? [];
}
