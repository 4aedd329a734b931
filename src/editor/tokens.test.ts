// The highlighter's tokens for each kind of line, read with CodeMirror's own StringStream.
import { StringStream } from '@codemirror/language';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../engine/lang';
import { scenarioStreamParser, type ScnState } from './tokens';

/** [text, token] pairs of one line (whitespace left out). */
function tokens(line: string, state: ScnState = scenarioStreamParser.startState!(2)): [string, string | null][] {
  const out: [string, string | null][] = [];
  const stream = new StringStream(line, 2, 2);
  while (!stream.eol()) {
    const style = scenarioStreamParser.token(stream, state);
    if (stream.pos === stream.start) throw new Error(`no progress at ${stream.pos} in ${line}`);
    const text = stream.current();
    if (text.trim() !== '') out.push([text, style]);
    stream.start = stream.pos;
  }
  return out;
}

describe('scenario tokenizer', () => {
  it('chapters, narration and comments take the whole line', () => {
    expect(tokens('## The fault: A "writes"')).toEqual([['## The fault: A "writes"', 'heading']]);
    expect(tokens('> A maps the file #1')).toEqual([['> A maps the file #1', 'quote']]);
    expect(tokens('  # a comment')).toEqual([['# a comment', 'comment']]);
  });

  it('a process prefix, a command, an address with an offset and a string', () => {
    expect(tokens('A: store m+0x2000 "hello" # done')).toEqual([
      ['A:', 'labelName'],
      ['store', 'keyword'],
      ['m', 'variableName'],
      ['+', 'operator'],
      ['0x2000', 'number'],
      ['"hello"', 'string'],
      ['# done', 'comment'],
    ]);
    expect(tokens('"proc 1": load "my map"+4K')).toEqual([
      ['"proc 1":', 'labelName'],
      ['load', 'keyword'],
      ['"my map"', 'string'],
      ['+', 'operator'],
      ['4K', 'number'],
    ]);
  });

  it('numbers with size suffixes, flags, "as" and key=value options', () => {
    expect(tokens('A: mmap f 1M offset=4K shared rw as m pause=dax_iomap_pmd_fault:iomap_begin')).toEqual([
      ['A:', 'labelName'],
      ['mmap', 'keyword'],
      ['f', 'variableName'],
      ['1M', 'number'],
      ['offset', 'propertyName'],
      ['=', 'operator'],
      ['4K', 'number'],
      ['shared', 'atom'],
      ['rw', 'atom'],
      ['as', 'modifier'],
      ['m', 'variableName'],
      ['pause', 'propertyName'],
      ['=', 'operator'],
      ['dax_iomap_pmd_fault:iomap_begin', 'atom'],
    ]);
    expect(tokens('write f 8K fill=0xff note="a \\"quoted\\" note"')).toEqual([
      ['write', 'keyword'],
      ['f', 'variableName'],
      ['8K', 'number'],
      ['fill', 'propertyName'],
      ['=', 'operator'],
      ['0xff', 'number'],
      ['note', 'propertyName'],
      ['=', 'operator'],
      ['"a \\"quoted\\" note"', 'string'],
    ]);
  });

  it('the machine line', () => {
    expect(tokens('machine device=64M dax=always')).toEqual([
      ['machine', 'keyword'],
      ['device', 'propertyName'],
      ['=', 'operator'],
      ['64M', 'number'],
      ['dax', 'propertyName'],
      ['=', 'operator'],
      ['always', 'atom'],
    ]);
  });

  it('every command is a keyword; unknown commands and flags of other commands are not', () => {
    for (const c of Object.keys(COMMANDS)) expect(tokens(`${c} x`)[0]).toEqual([c, 'keyword']);
    expect(tokens('wrte f 0')[0]).toEqual(['wrte', null]);
    // "shared" is an mmap flag, not a load one; "as" only where the command takes a label.
    expect(tokens('A: load shared')[2]).toEqual(['shared', 'variableName']);
    expect(tokens('A: load as')[2]).toEqual(['as', 'variableName']);
  });

  it('a word glued to a number is not a number; an unclosed string runs to the end', () => {
    expect(tokens('truncate f 4Kx')[2]).toEqual(['4Kx', 'variableName']);
    expect(tokens('write f 0 "open')).toEqual([
      ['write', 'keyword'],
      ['f', 'variableName'],
      ['0', 'number'],
      ['"open', 'string'],
    ]);
  });

  it('state does not leak from one line to the next', () => {
    const st = scenarioStreamParser.startState!(2);
    tokens('A: mmap f 4K fill=', st);
    expect(tokens('shared', st)).toEqual([['shared', null]]);
  });
});
