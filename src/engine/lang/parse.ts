/**
 * The scenario language's parser: text in, the engine's Scenario (src/engine/ops.ts) out, or
 * errors that say line, column and what was expected. It never throws. The result is checked
 * with validateScenario and its errors are mapped back to the line (and, where known, the
 * column) they came from.
 *
 * Conventions in this file:
 *   line    - 1-based line number; column is 1-based too.
 *   pending - narration (> lines) and chapter markers (## lines) waiting for the next operation.
 *   where   - for each parsed operation, its line and the column of each field.
 *
 * What this model leaves out: error recovery inside a line (the first problem of a line is
 * reported; later lines are still read).
 */
import { DEFAULT_CONFIG, OP_NAMES, nearest, validateScenario, type MachineConfig, type OpName, type Scenario } from '../ops';
import { COMMANDS, MACHINE_KEYS, NAME_RE, parseNumber, tokenize, type CommandSpec, type PosArg, type Token } from './syntax';

export interface LangError {
  line: number;
  column: number;
  message: string;
}

/** A chapter marker: `title` starts before operation `index` (ops.length: after the last). */
export interface Chapter {
  index: number;
  title: string;
}

export type ParseResult = { scenario: Scenario; chapters: Chapter[] } | { errors: LangError[] };

type OpRecord = Record<string, unknown>;

class LineError {
  constructor(
    readonly column: number,
    readonly message: string,
  ) {}
}

interface Where {
  line: number;
  cols: Record<string, number>;
}

function describe(t: Token): string {
  if (t.kind === 'str') return `the string ${JSON.stringify(t.text)}`;
  if (t.kind === 'kv') return `"${t.text}="`;
  return `"${t.text}"`;
}

/** A name token: a bare name or a quoted string. */
function asName(t: Token, what: string): string {
  if (t.kind === 'str') {
    if (t.suffix) throw new LineError(t.col, `expected a space after the closing quote of ${what}`);
    return t.text;
  }
  if (t.kind === 'word' && NAME_RE.test(t.text)) return t.text;
  throw new LineError(t.col, `expected ${what} (letters, digits, _ . - /, starting with a letter or _; quote other names), not ${describe(t)}`);
}

function asNumber(t: Token, what: string): number {
  if (t.kind !== 'word') throw new LineError(t.col, `expected ${what} (a number such as 4096, 0x1000 or 4K), not ${describe(t)}`);
  const n = parseNumber(t.text);
  if (typeof n === 'string') throw new LineError(t.col, `expected ${what}: ${n}`);
  return n;
}

function asAddr(t: Token): number | { map: string; offset?: number } {
  let label: string;
  let off: string | null;
  let offCol: number;
  if (t.kind === 'str') {
    label = t.text;
    if (t.suffix && !t.suffix.startsWith('+')) throw new LineError(t.col, 'expected "+offset" or a space after the quoted label');
    off = t.suffix ? t.suffix.slice(1) : null;
    offCol = t.col + JSON.stringify(t.text).length + 1;
  } else if (t.kind === 'word') {
    if (/^[0-9]/.test(t.text)) return asNumber(t, 'an address');
    const plus = t.text.indexOf('+');
    label = plus < 0 ? t.text : t.text.slice(0, plus);
    off = plus < 0 ? null : t.text.slice(plus + 1);
    offCol = t.col + plus + 1;
    if (!NAME_RE.test(label)) throw new LineError(t.col, `expected an address (a mapping label, label+offset, or a number), not ${describe(t)}`);
  } else throw new LineError(t.col, `expected an address (a mapping label, label+offset, or a number), not ${describe(t)}`);
  if (off === null) return { map: label };
  const n = parseNumber(off);
  if (typeof n === 'string') throw new LineError(offCol, `expected an offset after "+": ${n}`);
  return { map: label, offset: n };
}

function matches(a: PosArg, t: Token): boolean {
  switch (a.kind) {
    case 'name':
      return (t.kind === 'word' && NAME_RE.test(t.text)) || (t.kind === 'str' && !t.suffix);
    case 'num':
      return t.kind === 'word' && /^[0-9]/.test(t.text);
    case 'str':
      return t.kind === 'str';
    default:
      return true;
  }
}

function readPos(a: PosArg, t: Token): unknown {
  switch (a.kind) {
    case 'name':
      return asName(t, a.what);
    case 'num':
      return asNumber(t, a.what);
    case 'addr':
      return asAddr(t);
    case 'str':
      if (t.kind !== 'str') throw new LineError(t.col, `expected ${a.what}, not ${describe(t)}`);
      if (t.suffix) throw new LineError(t.col, 'expected a space after the closing quote');
      return t.text;
    case 'prot3':
      if (t.kind === 'word' && (t.text === 'r' || t.text === 'rw' || t.text === 'none')) return t.text;
      throw new LineError(t.col, `expected ${a.what}, not ${describe(t)}`);
  }
}

function onOff(t: Token, key: string): boolean {
  if (t.kind === 'word' && (t.text === 'on' || t.text === 'true')) return true;
  if (t.kind === 'word' && (t.text === 'off' || t.text === 'false')) return false;
  throw new LineError(t.col, `${key}= takes on or off, not ${describe(t)}`);
}

/** Parse the tokens of one operation line (after the process prefix). */
function parseOp(toks: Token[], proc: { name: string; col: number } | null, endCol: number): { op: OpRecord; cols: Record<string, number> } {
  const head = toks[0];
  if (!head) throw new LineError(endCol, 'expected a command after the process name');
  if (head.kind !== 'word' || !(OP_NAMES as readonly string[]).includes(head.text)) {
    const n = head.kind === 'word' ? nearest(head.text, OP_NAMES) : null;
    throw new LineError(head.col, `unknown command ${describe(head)}${n ? ` (did you mean "${n}"?)` : ''}; the commands are ${OP_NAMES.join(', ')}, and "machine" for the header`);
  }
  const name = head.text as OpName;
  const spec: CommandSpec = COMMANDS[name];
  const op: OpRecord = { op: name };
  const cols: Record<string, number> = { op: head.col };
  if (proc) {
    if (spec.proc === 'none') throw new LineError(proc.col, `"${name}" is not run by a process: remove "${proc.name}:"`);
    op.proc = proc.name;
    cols.proc = proc.col;
  } else if (spec.proc === 'required') throw new LineError(head.col, `"${name}" needs a process: write it as "A: ${name} ..."`);
  const set = (field: string, v: unknown, col: number) => {
    if (op[field] !== undefined) throw new LineError(col, `${field} is given twice`);
    op[field] = v;
    cols[field] = col;
  };
  let i = 1;
  for (const a of spec.pos) {
    const t = toks[i];
    if (a.optional && (!t || !matches(a, t))) continue;
    if (!t) throw new LineError(endCol, `"${name}" expects ${a.what} here`);
    set(a.field, readPos(a, t), t.col);
    i++;
  }
  const keyNames = (): string[] => [
    ...Object.keys(spec.keys ?? {}),
    ...spec.pos.filter((a) => a.key).map((a) => a.key!),
    ...Object.keys(spec.flags ?? {}).filter((f) => typeof spec.flags![f][1] === 'boolean'),
    'pause',
    'note',
  ];
  for (; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind === 'kv') {
      const v = t.value!;
      const key = t.text;
      const k = spec.keys?.[key];
      const posKey = spec.pos.find((a) => a.key === key);
      const flag = spec.flags?.[key];
      if (key === 'pause' || key === 'note') {
        set(key, v.text, t.col);
      } else if (k) {
        set(k.field, asNumber(v, `a number for ${key}=`), t.col);
      } else if (posKey) {
        set(posKey.field, asNumber(v, `a number for ${key}=`), t.col);
      } else if (flag && typeof flag[1] === 'boolean') {
        set(flag[0], onOff(v, key), t.col);
      } else {
        const n = nearest(key, keyNames());
        throw new LineError(t.col, `"${name}" has no option "${key}="${n ? ` (did you mean "${n}="?)` : ''}${keyNames().length ? `; its options are ${keyNames().map((x) => x + '=').join(', ')}` : ''}`);
      }
      continue;
    }
    if (t.kind === 'word' && spec.flags?.[t.text]) {
      const [field, value] = spec.flags[t.text];
      set(field, value, t.col);
      continue;
    }
    if (t.kind === 'word' && t.text === 'as' && spec.as) {
      const l = toks[i + 1];
      if (!l) throw new LineError(endCol, 'expected a label after "as"');
      set(spec.as, asName(l, 'a label'), l.col);
      i++;
      continue;
    }
    const words = [...Object.keys(spec.flags ?? {}), ...(spec.as ? ['as'] : [])];
    const n = t.kind === 'word' ? nearest(t.text, words) : null;
    const expected = words.length ? `; expected ${words.join(', ')}, or an option such as pause=` : '; expected the end of the line or an option such as pause=';
    throw new LineError(t.col, `unexpected ${describe(t)} in "${name}"${n ? ` (did you mean "${n}"?)` : ''}${expected}`);
  }
  return { op, cols };
}

function parseMachine(toks: Token[], config: Record<string, unknown>, cols: Record<string, number>): void {
  for (const t of toks.slice(1)) {
    if (t.kind !== 'kv') throw new LineError(t.col, `expected a setting such as dax=always, not ${describe(t)}; the settings are ${Object.keys(MACHINE_KEYS).join(', ')}`);
    const k = MACHINE_KEYS[t.text];
    if (!k) {
      const n = nearest(t.text, Object.keys(MACHINE_KEYS));
      throw new LineError(t.col, `unknown setting "${t.text}"${n ? ` (did you mean "${n}"?)` : ''}; the settings are ${Object.keys(MACHINE_KEYS).join(', ')}`);
    }
    if (config[k.field] !== undefined) throw new LineError(t.col, `${t.text} is given twice`);
    const v = t.value!;
    let value: unknown;
    if (k.kind === 'size') value = asNumber(v, `a size for ${t.text}= (such as 64M)`);
    else if (k.kind === 'bool') value = onOff(v, t.text);
    else if (v.kind === 'word' && k.values!.includes(v.text)) value = v.text;
    else throw new LineError(v.col, `${t.text}= takes ${k.values!.join(' or ')}, not ${describe(v)}`);
    config[k.field] = value;
    cols[k.field] = t.col;
  }
}

/**
 * Parse a scenario text. Returns the Scenario (exactly the fields the text gives: `config` is
 * present only when there is a `machine` line) and the chapter markers, or every error found.
 */
export function parse(text: string): ParseResult {
  const errors: LangError[] = [];
  const lines = text.split('\n');
  const ops: OpRecord[] = [];
  const where: Where[] = [];
  const chapters: Chapter[] = [];
  let config: Record<string, unknown> | undefined;
  let machineLine = 0;
  const configCols: Record<string, number> = {};
  let noteLines: string[] | null = null;
  let noteLine = 0;
  lines.forEach((raw, li) => {
    const line = li + 1;
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (li === 0 && s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    const trimmed = s.replace(/^[ \t]+/, '');
    if (trimmed.startsWith('>')) {
      let body = trimmed.slice(1);
      if (body.startsWith(' ')) body = body.slice(1);
      if (noteLines === null) {
        noteLines = [];
        noteLine = line;
      }
      noteLines.push(body);
      return;
    }
    if (trimmed.startsWith('##')) {
      chapters.push({ index: ops.length, title: trimmed.slice(2).trim() });
      return;
    }
    const tk = tokenize(s);
    if ('error' in tk) {
      errors.push({ line, ...tk.error });
      return;
    }
    const toks = tk.tokens;
    if (!toks.length) return;
    try {
      const first = toks[0];
      if (first.kind === 'word' && first.text === 'machine') {
        if (config !== undefined) throw new LineError(first.col, `a second machine line (the first is line ${machineLine})`);
        if (ops.length) throw new LineError(first.col, 'the machine line must come before the first operation');
        if (noteLines !== null) throw new LineError(first.col, `narration (line ${noteLine}) must be followed by an operation, not the machine line`);
        config = {};
        machineLine = line;
        parseMachine(toks, config, configCols);
        return;
      }
      let proc: { name: string; col: number } | null = null;
      let rest = toks;
      if (first.kind === 'word' && first.text.endsWith(':') && first.text.length > 1) {
        const p = first.text.slice(0, -1);
        if (!NAME_RE.test(p)) throw new LineError(first.col, `expected a process name before ":" (letters, digits, _ . - /; quote other names), not "${p}"`);
        proc = { name: p, col: first.col };
        rest = toks.slice(1);
      } else if (first.kind === 'str' && first.suffix === ':') {
        proc = { name: first.text, col: first.col };
        rest = toks.slice(1);
      }
      const { op, cols } = parseOp(rest, proc, s.length + 1);
      if (noteLines !== null) {
        if (op.note !== undefined) throw new LineError(cols.note, `this operation has narration already (the > lines from line ${noteLine})`);
        op.note = (noteLines as string[]).join('\n');
        cols.note = 1;
        noteLines = null;
      }
      ops.push(op);
      where.push({ line, cols });
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      errors.push({ line, column: e.column, message: e.message });
      noteLines = null;
    }
  });
  if (noteLines !== null) errors.push({ line: noteLine, column: 1, message: 'narration (> lines) must be followed by an operation' });
  if (errors.length) return { errors };
  const scenario: Scenario = { version: 1, ...(config !== undefined ? { config: config as Partial<MachineConfig> } : {}), ops: ops as unknown as Scenario['ops'] };
  const v = validateScenario(scenario);
  if ('errors' in v) {
    const keyOf = (field: string) => Object.keys(MACHINE_KEYS).find((k) => MACHINE_KEYS[k].field === field) ?? field;
    return {
      errors: v.errors.map((e) => {
        if (e.index < 0) {
          const f = e.field?.startsWith('config.') ? e.field.slice(7) : null;
          const msg = f && f in DEFAULT_CONFIG ? e.message.replace(new RegExp(`^${f}\\b`), keyOf(f)) : e.message;
          return { line: machineLine || 1, column: (f && configCols[f]) || 1, message: msg };
        }
        const w = where[e.index];
        return { line: w.line, column: (e.field && w.cols[e.field]) || 1, message: e.message };
      }),
    };
  }
  return { scenario, chapters };
}
