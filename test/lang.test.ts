/**
 * The scenario language, line by line: what each command of the brief parses to, and what the
 * errors say and where they point.
 *
 * Conventions in this file:
 *   ops(text) - the operations a text parses to (fails the test on errors).
 *   err(text) - the errors as "line:column: message" strings.
 *
 * What this model leaves out: round trips and fuzzing (test/lang-roundtrip.test.ts), the
 * documentation's examples (test/lang-doc.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { formatSize, parse, parseNumber, print } from '../src/engine/lang';

function ops(text: string) {
  const r = parse(text);
  if ('errors' in r) throw new Error(JSON.stringify(r.errors));
  return r.scenario.ops;
}

function err(text: string): string[] {
  const r = parse(text);
  if (!('errors' in r)) throw new Error(`parsed: ${JSON.stringify(r)}`);
  return r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
}

describe('numbers', () => {
  it('decimal, hex and binary suffixes', () => {
    expect(parseNumber('4096')).toBe(4096);
    expect(parseNumber('0x2000')).toBe(8192);
    expect(parseNumber('4K')).toBe(4096);
    expect(parseNumber('4M')).toBe(4 << 20);
    expect(parseNumber('1G')).toBe(1 << 30);
    expect(parseNumber('2T')).toBe(2 * 2 ** 40);
    expect(parseNumber('0x10k')).toBe(16384);
    expect(parseNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseNumber('9007199254740992')).toMatch(/too large/);
    expect(parseNumber('8P')).toMatch(/not a number/);
    expect(parseNumber('-1')).toMatch(/not a number/);
  });

  it('sizes print with the largest exact suffix', () => {
    expect([0, 1, 4096, 6000, 8192, 1 << 20, 3 << 20, 1 << 30, 2 ** 40, 4097].map(formatSize)).toEqual(['0', '1', '4K', '6000', '8K', '1M', '3M', '1G', '1T', '4097']);
  });
});

describe('the machine line', () => {
  it('reads every setting', () => {
    const r = parse('machine device=64M dram=256M platform=adr dax=always reflink=on pmd=off kernel=modern memmap=ram\n');
    expect(r).toEqual({
      scenario: { version: 1, config: { deviceSize: 64 << 20, dramSize: 256 << 20, platform: 'adr', dax: 'always', reflink: true, pmd: false, kernel: 'modern', memmap: 'ram' }, ops: [] },
      chapters: [],
    });
  });

  it('no machine line, no config; a bare one, an empty config', () => {
    expect(parse('crash')).toEqual({ scenario: { version: 1, ops: [{ op: 'crash' }] }, chapters: [] });
    expect(parse('machine\ncrash')).toEqual({ scenario: { version: 1, config: {}, ops: [{ op: 'crash' }] }, chapters: [] });
  });

  it('errors', () => {
    expect(err('machine kernal=6.1')).toEqual([expect.stringMatching(/^1:9: unknown setting "kernal" \(did you mean "kernel"\?\)/)]);
    expect(err('machine dax=sometimes')).toEqual(['1:13: dax= takes always or never, not "sometimes"']);
    expect(err('machine pmd=yes')).toEqual(['1:13: pmd= takes on or off, not "yes"']);
    expect(err('machine dax')).toEqual([expect.stringMatching(/^1:9: expected a setting such as dax=always, not "dax"/)]);
    expect(err('machine\nmachine')).toEqual(['2:1: a second machine line (the first is line 1)']);
    expect(err('machine dram=3M')).toEqual([expect.stringMatching(/^1:9: dram must be a positive multiple of 2 MiB up to 64 GiB, not 3145728$/)]);
  });
});

describe('the commands of the brief', () => {
  const cases: [string, object][] = [
    ['create f', { op: 'create', file: 'f' }],
    ['write f 0 "hello"', { op: 'write', file: 'f', offset: 0, data: 'hello' }],
    ['write f 4096 fill=0xab len=8192', { op: 'write', file: 'f', offset: 4096, fill: 0xab, len: 8192 }],
    ['read f 0 16', { op: 'read', file: 'f', offset: 0, len: 16 }],
    ['A: mmap f 4M shared rw as m', { op: 'mmap', proc: 'A', file: 'f', length: 4 << 20, flags: 'shared', prot: 'rw', as: 'm' }],
    ['A: load m+0x2000 8', { op: 'load', proc: 'A', addr: { map: 'm', offset: 0x2000 }, len: 8 }],
    ['A: store m+0 "hi"', { op: 'store', proc: 'A', addr: { map: 'm', offset: 0 }, data: 'hi' }],
    ['A: msync m 4096', { op: 'msync', proc: 'A', addr: { map: 'm' }, length: 4096 }],
    ['fsync f', { op: 'fsync', file: 'f' }],
    ['truncate f 1M', { op: 'truncate', file: 'f', size: 1 << 20 }],
    ['punch f 0 8192', { op: 'punch', file: 'f', offset: 0, length: 8192 }],
    ['fallocate f 0 4M keep', { op: 'fallocate', file: 'f', offset: 0, length: 4 << 20, keepSize: true }],
    ['reflink a b', { op: 'reflink', src: 'a', dst: 'b' }],
    ['reflink a 0 b 0 4096', { op: 'reflink', src: 'a', dst: 'b', srcOffset: 0, dstOffset: 0, length: 4096 }],
    ['A: pin m+0 as dma longterm', { op: 'pin', proc: 'A', addr: { map: 'm', offset: 0 }, as: 'dma', longterm: true }],
    ['A: unpin dma', { op: 'unpin', proc: 'A', pin: 'dma' }],
    ['A: flush m 64', { op: 'flush', proc: 'A', addr: { map: 'm' }, length: 64 }],
    ['crash', { op: 'crash' }],
    ['poison f 0', { op: 'poison', file: 'f', offset: 0 }],
    ['poison pfn=0x40200', { op: 'poison', pfn: 0x40200 }],
    ['unlink f', { op: 'unlink', file: 'f' }],
    ['resume A', { op: 'resume', proc: 'A' }],
    ['A: munmap 0x7f0000000000 4K', { op: 'munmap', proc: 'A', addr: 0x7f0000000000, length: 4096 }],
    ['A: mprotect "my map"+4K 4K none', { op: 'mprotect', proc: 'A', addr: { map: 'my map', offset: 4096 }, length: 4096, prot: 'none' }],
    ['"p 1": store m value=0x41 len=3 pause=dax_iomap_pte_fault:iomap_begin', { op: 'store', proc: 'p 1', addr: { map: 'm' }, value: 0x41, len: 3, pause: 'dax_iomap_pte_fault:iomap_begin' }],
    ['A: msync m 4K async=off', { op: 'msync', proc: 'A', addr: { map: 'm' }, length: 4096, async: false }],
  ];
  for (const [text, op] of cases) {
    it(text, () => {
      expect(ops(text)).toEqual([op]);
      // the canonical text parses to the same operation
      expect(ops(print({ version: 1, ops: [op as never] }))).toEqual([op]);
    });
  }
});

describe('comments, narration, chapters', () => {
  it('comments, indentation, CRLF and a byte-order mark are ignored', () => {
    expect(ops('\ufeff# hello\r\n  create f   # trailing\r\n\r\nwrite f 0 "a # not a comment"\r\n')).toEqual([
      { op: 'create', file: 'f' },
      { op: 'write', file: 'f', offset: 0, data: 'a # not a comment' },
    ]);
  });

  it('> lines become the next operation\'s note; ## lines chapters', () => {
    const r = parse('## One\n> a\n>\n>  b\ncreate f\n## Two\n## Three\n');
    expect(r).toEqual({
      scenario: { version: 1, ops: [{ op: 'create', file: 'f', note: 'a\n\n b' }] },
      chapters: [{ index: 0, title: 'One' }, { index: 1, title: 'Two' }, { index: 1, title: 'Three' }],
    });
  });

  it('narration errors', () => {
    expect(err('create f\n> dangling')).toEqual(['2:1: narration (> lines) must be followed by an operation']);
    expect(err('> x\ncreate f note="y"')).toEqual(['2:10: this operation has narration already (the > lines from line 1)']);
  });
});

describe('errors say where and what was expected', () => {
  it('a mistyped command suggests the nearest', () => {
    expect(err('create f\n  fsnyc f')).toEqual([expect.stringMatching(/^2:3: unknown command "fsnyc" \(did you mean "fsync"\?\); the commands are create, write/)]);
    expect(err('A: mmapp f 4K')).toEqual([expect.stringMatching(/^1:4: unknown command "mmapp" \(did you mean "mmap"\?\)/)]);
  });

  it('missing and refused processes', () => {
    expect(err('load m')).toEqual(['1:1: "load" needs a process: write it as "A: load ..."']);
    expect(err('A: create f')).toEqual(['1:1: "create" is not run by a process: remove "A:"']);
    expect(err('A:')).toEqual(['1:3: expected a command after the process name']);
  });

  it('missing, malformed and extra arguments', () => {
    expect(err('read f 0')).toEqual(['1:9: "read" expects a length here']);
    expect(err('truncate f big')).toEqual([expect.stringMatching(/^1:12: expected a size: "big" is not a number \(write 4096, 0x1000 or 4K\)/)]);
    expect(err('truncate f 12Q')).toEqual([expect.stringMatching(/^1:12: expected a size: "12Q" is not a number/)]);
    expect(err('create 9lives')).toEqual([expect.stringMatching(/^1:8: expected a file name .*quote other names/)]);
    expect(err('A: load m+zz')).toEqual([expect.stringMatching(/^1:11: expected an offset after "\+"/)]);
    expect(err('fsync f datasnc')).toEqual([expect.stringMatching(/^1:9: unexpected "datasnc" in "fsync" \(did you mean "datasync"\?\)/)]);
    expect(err('crash now')).toEqual([expect.stringMatching(/^1:7: unexpected "now" in "crash"; expected the end of the line/)]);
    expect(err('write f 0 fil=1')).toEqual([expect.stringMatching(/^1:11: "write" has no option "fil=" \(did you mean "fill="\?\)/)]);
    expect(err('truncate f 1 1')).toEqual([expect.stringMatching(/^1:14: unexpected "1" in "truncate"/)]);
    expect(err('fsync f datasync datasync')).toEqual(['1:18: datasync is given twice']);
    expect(err('A: mmap f 4K as')).toEqual(['1:16: expected a label after "as"']);
  });

  it('strings', () => {
    expect(err('write f 0 "open')).toEqual(['1:11: the string is not closed (expected a closing ")']);
    expect(err('write f 0 "bad \\q"')).toEqual([expect.stringMatching(/^1:11: bad string: use JSON escapes/)]);
    expect(err('write f 0 "a"b')).toEqual(['1:11: expected a space after the closing quote']);
    expect(err('write f 0 x"a"')).toEqual(['1:12: expected a space before the quote']);
    expect(err('A: load m note=')).toEqual(['1:16: expected a value after "note="']);
  });

  it('every line with an error is reported; the others are still read', () => {
    expect(err('bogus\ncreate f\nwrite f\ncrash x')).toHaveLength(3);
  });
});
