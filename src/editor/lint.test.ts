// The lint source: parse and validation errors at their line and column, with the range under
// the offending word, and the status line's summary.
import { EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { diagnose, shortMessage, statusText, statusTitle } from './diagnose';
import { scenarioDiagnostics } from './lint';

/** Each diagnostic as line:column, the marked text and the message. */
function marks(text: string) {
  const doc = EditorState.create({ doc: text }).doc;
  return scenarioDiagnostics(text).diagnostics.map((d) => {
    const line = doc.lineAt(d.from);
    return { line: line.number, column: d.from - line.from + 1, marked: doc.sliceString(d.from, d.to), message: d.message };
  });
}

describe('scenario lint source', () => {
  it('an unknown command on line 3, with the nearest one suggested', () => {
    const m = marks('# t\ncreate f\nwrte f 0 "x"\n');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ line: 3, column: 1, marked: 'wrte' });
    expect(m[0].message).toMatch(/^unknown command "wrte" \(did you mean "write"\?\)/);
  });

  it('errors in the middle of a line and past its end', () => {
    const m = marks('create f\nA: mmap f 4K sharde as m\nA: load');
    expect(m.map(({ line, column, marked }) => ({ line, column, marked }))).toEqual([
      { line: 2, column: 14, marked: 'sharde' },
      { line: 3, column: 8, marked: '' },
    ]);
    expect(m[0].message).toMatch(/did you mean "shared"/);
    expect(m[1].message).toMatch(/expects an address/);
  });

  it('a quoted string is marked whole, and a bad machine setting at its column', () => {
    const m = marks('machine dax=sometimes\ncreate f\nA: store "no such map" "x"\n');
    expect(m[0]).toMatchObject({ line: 1, column: 13, marked: 'sometimes' });
    expect(m[0].message).toMatch(/dax= takes always or never/);
    expect(marks('create f\nwrite f 0 "open\n')[0]).toMatchObject({ line: 2, column: 11, marked: '"open' });
    expect(marks('create f\nwrite f 0 "a b" bogus\n')[0]).toMatchObject({ line: 2, column: 17, marked: 'bogus' });
  });

  it('engine validation errors (what Machine.create rejects) land on the operation\'s line', () => {
    // The parser accepts the words; validateScenario (Machine.create's check) refuses the size.
    const m = marks('# sizes\nmachine device=3M\ncreate f\n');
    expect(m).toEqual([{ line: 2, column: 9, marked: 'device=3M', message: expect.stringMatching(/^device must be a positive multiple of 2 MiB/) }]);
  });

  it('CRLF text (outside CodeMirror, which normalises line ends): ranges stay inside the line', () => {
    const text = 'create f\r\nwrte f 0\r\nA: load\r\n';
    const d = diagnose(text).diagnostics.map((x) => ({ line: x.line, marked: text.slice(x.from, x.to) }));
    expect(d).toEqual([{ line: 2, marked: 'wrte' }, { line: 3, marked: '' }]);
    expect(text.slice(0, diagnose(text).diagnostics[1].from)).toBe('create f\r\nwrte f 0\r\nA: load');
  });

  it('the status line: one short line; the full message in its title', () => {
    expect(statusText(diagnose('## One\ncreate f\n## Two\ncreate g\n').status)).toBe('OK: 2 operations, 2 chapters');
    expect(statusText(diagnose('create f\n').status)).toBe('OK: 1 operation, 0 chapters');
    const one = diagnose('create f\nwrte f 0\n').status;
    expect(statusText(one)).toBe('line 2: unknown command "wrte" — did you mean "write"?');
    // The list of commands stays in the full message (the lint tooltip and the title).
    expect(statusTitle(one)).toMatch(/^1 error at line 2, column 1: unknown command "wrte" \(did you mean "write"\?\); the commands are create, /);
    const two = diagnose('crete f\nwrte f 0\n').status;
    expect(statusText(two)).toBe('2 errors · line 1: unknown command "crete" — did you mean "create"?');
    expect(statusTitle(two)).toMatch(/^2 errors, the first at line 1, column 1: unknown command "crete"/);
    expect(statusText(diagnose('create f\nzzzzzz f\n').status)).toBe('line 2: unknown command "zzzzzz"');
  });

  it('shortMessage keeps the first clause, a "; " inside quotes included', () => {
    expect(shortMessage('unknown setting "dx" (did you mean "dax"?); the settings are dax, platform')).toBe('unknown setting "dx" — did you mean "dax"?');
    expect(shortMessage('unexpected "a; b" in "write"; expected the end of the line')).toBe('unexpected "a; b" in "write"');
    expect(shortMessage('device must be a positive multiple of 2 MiB')).toBe('device must be a positive multiple of 2 MiB');
    // A "(did you mean ...)" that is not at the clause's end stays as it is.
    expect(shortMessage('x (did you mean "y"?) and more')).toBe('x (did you mean "y"?) and more');
  });
});
