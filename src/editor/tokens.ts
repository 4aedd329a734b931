/**
 * The scenario language's highlighter: a CodeMirror stream parser (one line at a time) that names
 * the pieces of a line the way docs/scenario-language.md describes them. It only colours; the
 * parser (src/engine/lang/parse.ts, through the linter) says what is wrong.
 *
 * Token names are @lezer/highlight tag names (StreamLanguage maps them to tags):
 *   heading      `## chapter title`          quote        `> narration`
 *   comment      `# ...` (a word starting with #, to the end of the line)
 *   labelName    the process prefix `A:` / `"proc 1":`
 *   keyword      a command (COMMANDS in src/engine/lang/syntax.ts) or `machine`
 *   propertyName the key of key=value        operator     `=` and the `+` of label+offset
 *   number       4096, 0x1000, 4K, 2M ...     string       "quoted" (JSON escapes)
 *   atom         a flag word (shared, rw, async, ...) or a bare value after key=
 *   modifier     `as` before a label          variableName file names, labels, other words
 */
import type { StreamParser, StringStream } from '@codemirror/language';
import { COMMANDS } from '../engine/lang';

export interface ScnState {
  /** where in the line we are: before the command (with or without a process prefix), or after it */
  at: 'start' | 'command' | 'args';
  /** the command of this line, when it is a known one */
  cmd: string | null;
  /** just read a key (next is '='), or just read '=' (next is the value) */
  kv: 'key' | 'eq' | null;
}

const NUMBER_RE = /^(?:0[xX][0-9a-fA-F]+|[0-9]+)[KMGTkmgt]?(?=$|[\s"])/;
const WORD_RE = /^[^\s"]+/;
const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]*(?==)/;
const LABEL_PLUS_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]*(?=\+)/;

/** Read a "..." string (the opening quote is next); an unclosed one runs to the end of the line. */
function readString(stream: StringStream): void {
  stream.next();
  for (;;) {
    const c = stream.next();
    if (c === undefined || c === '"') return;
    if (c === '\\') stream.next();
  }
}

function isFlag(cmd: string | null, word: string): boolean {
  if (cmd === null || !(cmd in COMMANDS)) return false;
  const spec = COMMANDS[cmd as keyof typeof COMMANDS];
  return spec.flags !== undefined && Object.hasOwn(spec.flags, word);
}

function hasAs(cmd: string | null): boolean {
  return cmd !== null && cmd in COMMANDS && COMMANDS[cmd as keyof typeof COMMANDS].as !== undefined;
}

export const scenarioStreamParser: StreamParser<ScnState> = {
  name: 'scenario',
  startState: () => ({ at: 'start', cmd: null, kv: null }),
  copyState: (s) => ({ ...s }),
  token(stream, state) {
    if (stream.sol()) {
      state.at = 'start';
      state.cmd = null;
      state.kv = null;
    }
    if (stream.eatSpace()) {
      state.kv = null;
      return null;
    }
    if (state.at === 'start') {
      if (stream.match('##')) {
        stream.skipToEnd();
        return 'heading';
      }
      if (stream.peek() === '>') {
        stream.skipToEnd();
        return 'quote';
      }
    }
    // The value after key= (a string, a number or a bare word).
    if (state.kv === 'key') {
      stream.next();
      state.kv = 'eq';
      return 'operator';
    }
    if (state.kv === 'eq') {
      state.kv = null;
      if (stream.peek() === '"') {
        readString(stream);
        return 'string';
      }
      if (stream.match(NUMBER_RE)) return 'number';
      stream.match(WORD_RE);
      return 'atom';
    }
    if (stream.peek() === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.peek() === '"') {
      readString(stream);
      if (state.at === 'start' && stream.peek() === ':') {
        stream.next();
        state.at = 'command';
        return 'labelName';
      }
      state.at = 'args';
      return 'string';
    }
    if (state.at !== 'args') {
      const word = (stream.match(WORD_RE) as RegExpMatchArray)[0];
      if (state.at === 'start' && word.length > 1 && word.endsWith(':')) {
        state.at = 'command';
        return 'labelName';
      }
      state.at = 'args';
      if (word === 'machine' || Object.hasOwn(COMMANDS, word)) {
        state.cmd = word;
        return 'keyword';
      }
      return null;
    }
    if (stream.match(KEY_RE)) {
      state.kv = 'key';
      return 'propertyName';
    }
    if (stream.match(NUMBER_RE)) return 'number';
    if (stream.peek() === '+') {
      stream.next();
      return 'operator';
    }
    if (stream.match(LABEL_PLUS_RE)) return 'variableName';
    const word = (stream.match(/^[^\s"+]+/) as RegExpMatchArray | null)?.[0];
    if (word === undefined) {
      stream.next();
      return null;
    }
    if (isFlag(state.cmd, word)) return 'atom';
    if (word === 'as' && hasAs(state.cmd)) return 'modifier';
    return 'variableName';
  },
  languageData: { commentTokens: { line: '#' } },
};
