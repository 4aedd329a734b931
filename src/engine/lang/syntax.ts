/**
 * The scenario language's shared pieces: the command table (one entry per operation), the
 * tokenizer for one line, and how numbers and names are read and written. The parser
 * (parse.ts) and the printer (print.ts) both follow this table, so what one writes the other
 * reads. The grammar is documented in docs/scenario-language.md.
 *
 * Conventions in this file:
 *   token     - a bare word, a "quoted string" (JSON escapes), or key=value.
 *   suffix    - text glued to the end of a quoted string: ':' (a process prefix) or '+N'
 *               (an offset into a quoted mapping label).
 *   positional - an argument identified by its place; an optional one is recognised by its
 *               kind (a number starts with a digit, a name does not, a string is quoted).
 *   flag      - a bare word that sets a field (shared, rw, keep, longterm, ...).
 *
 * What this model leaves out: nothing of the operation list; chapter titles are one line
 * (the printer folds line breaks into spaces).
 */
import type { OpName } from '../ops';
import { KERNEL_VERSIONS } from '../version';

/** A bare name: needs no quotes. Anything else is written as a JSON string. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;
/** A value after key= that needs no quotes. */
export const BARE_VALUE_RE = /^[A-Za-z0-9_.:\-/]+$/;

export type ArgKind = 'name' | 'num' | 'addr' | 'str' | 'prot3';

export interface PosArg {
  field: string;
  kind: ArgKind;
  optional?: boolean;
  /** the key=value form of an optional positional, used when it cannot stand in its place */
  key?: string;
  /** how errors describe it */
  what: string;
}

export interface KeyArg {
  field: string;
  kind: 'num' | 'hex' | 'bool';
}

export interface CommandSpec {
  /** is a "P:" prefix required, allowed or refused */
  proc: 'required' | 'optional' | 'none';
  pos: PosArg[];
  /** bare words that set a field to a value */
  flags?: Record<string, [string, string | boolean]>;
  /** key=value options */
  keys?: Record<string, KeyArg>;
  /** field set by "as <name>" */
  as?: string;
}

const FILE: PosArg = { field: 'file', kind: 'name', what: 'a file name' };
const ADDR: PosArg = { field: 'addr', kind: 'addr', what: 'an address (label, label+offset or a number)' };
const num = (field: string, what: string, optional = false, key?: string): PosArg => ({ field, kind: 'num', what, optional, key });

/** One entry per operation, in OP_NAMES order. */
export const COMMANDS: Record<OpName, CommandSpec> = {
  create: { proc: 'none', pos: [FILE] },
  write: {
    proc: 'optional',
    pos: [FILE, num('offset', 'a file offset'), { field: 'data', kind: 'str', optional: true, what: 'a quoted string' }],
    keys: { fill: { field: 'fill', kind: 'hex' }, len: { field: 'len', kind: 'num' } },
  },
  read: { proc: 'optional', pos: [FILE, num('offset', 'a file offset'), num('len', 'a length')] },
  mmap: {
    proc: 'required',
    pos: [FILE, num('length', 'a length')],
    flags: { shared: ['flags', 'shared'], private: ['flags', 'private'], sync: ['flags', 'sync'], r: ['prot', 'r'], rw: ['prot', 'rw'] },
    keys: { offset: { field: 'offset', kind: 'num' }, addr: { field: 'addr', kind: 'hex' } },
    as: 'as',
  },
  munmap: { proc: 'required', pos: [ADDR, num('length', 'a length')] },
  mprotect: { proc: 'required', pos: [ADDR, num('length', 'a length'), { field: 'prot', kind: 'prot3', what: 'a protection: r, rw or none' }] },
  load: { proc: 'required', pos: [ADDR, num('len', 'a length', true)] },
  store: {
    proc: 'required',
    pos: [ADDR, { field: 'data', kind: 'str', optional: true, what: 'a quoted string' }],
    keys: { value: { field: 'value', kind: 'hex' }, len: { field: 'len', kind: 'num' } },
  },
  msync: { proc: 'required', pos: [ADDR, num('length', 'a length')], flags: { async: ['async', true] } },
  fsync: { proc: 'optional', pos: [FILE], flags: { datasync: ['datasync', true] } },
  truncate: { proc: 'optional', pos: [FILE, num('size', 'a size')] },
  punch: { proc: 'optional', pos: [FILE, num('offset', 'a file offset'), num('length', 'a length')] },
  fallocate: { proc: 'optional', pos: [FILE, num('offset', 'a file offset'), num('length', 'a length')], flags: { keep: ['keepSize', true] } },
  reflink: {
    proc: 'optional',
    pos: [
      { field: 'src', kind: 'name', what: 'the source file' },
      num('srcOffset', 'a source offset', true),
      { field: 'dst', kind: 'name', what: 'the destination file' },
      num('dstOffset', 'a destination offset', true),
      num('length', 'a length', true, 'len'),
    ],
  },
  pin: { proc: 'required', pos: [ADDR, num('length', 'a length', true)], flags: { longterm: ['longterm', true], write: ['write', true] }, as: 'as' },
  unpin: { proc: 'required', pos: [{ field: 'pin', kind: 'name', what: 'a pin label' }] },
  flush: { proc: 'required', pos: [ADDR, num('length', 'a length')] },
  crash: { proc: 'none', pos: [] },
  poison: {
    proc: 'none',
    pos: [{ field: 'file', kind: 'name', optional: true, what: 'a file name' }, num('offset', 'a file offset', true, 'offset')],
    keys: { pfn: { field: 'pfn', kind: 'hex' } },
  },
  unlink: { proc: 'optional', pos: [FILE] },
  resume: { proc: 'none', pos: [{ field: 'proc', kind: 'name', what: 'a process name' }] },
};

/** The header line's settings: word → [config field, kind]. */
export const MACHINE_KEYS: Record<string, { field: string; values?: readonly string[]; kind: 'size' | 'enum' | 'bool' }> = {
  device: { field: 'deviceSize', kind: 'size' },
  dram: { field: 'dramSize', kind: 'size' },
  platform: { field: 'platform', kind: 'enum', values: ['adr', 'eadr'] },
  dax: { field: 'dax', kind: 'enum', values: ['always', 'never'] },
  reflink: { field: 'reflink', kind: 'bool' },
  pmd: { field: 'pmd', kind: 'bool' },
  kernel: { field: 'kernel', kind: 'enum', values: KERNEL_VERSIONS },
  memmap: { field: 'memmap', kind: 'enum', values: ['ram', 'dev'] },
};

export interface Token {
  kind: 'word' | 'str' | 'kv';
  /** the word, the decoded string, or the key of key=value */
  text: string;
  /** 1-based column of the token's first character */
  col: number;
  /** text glued after a closing quote (':' or '+N'), '' if none */
  suffix: string;
  /** key=value: the value's token */
  value?: Token;
}

export type LineTokens = { tokens: Token[] } | { error: { column: number; message: string } };

/** Read a JSON string literal starting at s[i] (a '"'); returns the value and the index after it. */
function readString(s: string, i: number): { value: string; end: number } | { column: number; message: string } {
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
  if (j >= s.length) return { column: i + 1, message: 'the string is not closed (expected a closing ")' };
  try {
    const v: unknown = JSON.parse(s.slice(i, j + 1));
    if (typeof v === 'string') return { value: v, end: j + 1 };
  } catch {
    // fall through to the error below
  }
  return { column: i + 1, message: 'bad string: use JSON escapes (\\" \\\\ \\n \\t \\uXXXX) and no control characters' };
}

const isSpace = (c: string) => c === ' ' || c === '\t';

/** Split one line into tokens; a '#' at the start of a token begins a comment. */
export function tokenize(s: string): LineTokens {
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length || s[i] === '#') return { tokens };
    const start = i;
    if (s[i] === '"') {
      const r = readString(s, i);
      if ('message' in r) return { error: r };
      i = r.end;
      const sufStart = i;
      while (i < s.length && !isSpace(s[i])) i++;
      tokens.push({ kind: 'str', text: r.value, col: start + 1, suffix: s.slice(sufStart, i) });
      continue;
    }
    while (i < s.length && !isSpace(s[i]) && s[i] !== '"') i++;
    const word = s.slice(start, i);
    const eq = word.indexOf('=');
    if (eq > 0) {
      const key = word.slice(0, eq);
      const rest = word.slice(eq + 1);
      const vcol = start + eq + 2;
      if (rest === '' && s[i] === '"') {
        const r = readString(s, i);
        if ('message' in r) return { error: r };
        i = r.end;
        const sufStart = i;
        while (i < s.length && !isSpace(s[i])) i++;
        if (i > sufStart) return { error: { column: sufStart + 1, message: 'expected a space after the closing quote' } };
        tokens.push({ kind: 'kv', text: key, col: start + 1, suffix: '', value: { kind: 'str', text: r.value, col: vcol, suffix: '' } });
        continue;
      }
      if (s[i] === '"') return { error: { column: i + 1, message: 'expected a space before the quote' } };
      if (rest === '') return { error: { column: vcol, message: `expected a value after "${key}="` } };
      tokens.push({ kind: 'kv', text: key, col: start + 1, suffix: '', value: { kind: 'word', text: rest, col: vcol, suffix: '' } });
      continue;
    }
    if (eq === 0) return { error: { column: start + 1, message: 'expected a name before "="' } };
    if (s[i] === '"') return { error: { column: i + 1, message: 'expected a space before the quote' } };
    tokens.push({ kind: 'word', text: word, col: start + 1, suffix: '' });
  }
}

const UNITS: [string, bigint][] = [['T', 1n << 40n], ['G', 1n << 30n], ['M', 1n << 20n], ['K', 1n << 10n]];

/** A number: decimal or 0x hex, with an optional K, M, G or T (powers of 1024). */
export function parseNumber(text: string): number | string {
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([KMGTkmgt]?)$/.exec(text);
  if (!m) return `"${text}" is not a number (write 4096, 0x1000 or 4K)`;
  let v = BigInt(m[1]);
  if (m[2]) v *= UNITS.find(([u]) => u === m[2].toUpperCase())![1];
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return `${text} is too large (at most 2^53 - 1)`;
  return Number(v);
}

/** Sizes, offsets and lengths: the largest of T, G, M, K that divides exactly, or decimal. */
export function formatSize(n: number): string {
  if (n > 0) for (const [u, f] of UNITS) if (BigInt(n) % f === 0n) return `${BigInt(n) / f}${u}`;
  return String(n);
}

/** Byte values, page frame numbers and absolute addresses. */
export function formatHex(n: number): string {
  return '0x' + n.toString(16);
}

export function formatName(s: string): string {
  return NAME_RE.test(s) ? s : JSON.stringify(s);
}

export function formatValue(s: string): string {
  return BARE_VALUE_RE.test(s) ? s : JSON.stringify(s);
}
