import { describe, expect, it } from 'vitest';
import { formatJson, Tracer } from './steps';

describe('formatJson (the default text of a ret step)', () => {
  it('prints records without JSON quotes, and addresses, offsets and page-sized lengths in hex', () => {
    expect(formatJson({ addr: 139637975678976 })).toBe('{addr: 0x7efffff00000}');
    expect(formatJson({ type: 'HOLE', flags: '0', addr: -1, offset: 0, length: 1048576 })).toBe('{type: HOLE, flags: 0, addr: -1, offset: 0, length: 0x100000}');
    expect(formatJson({ iomap: { type: 'MAPPED', flags: 'DIRTY|SHARED', addr: 4194304, offset: 4096, length: 4096 } })).toBe(
      '{iomap: {type: MAPPED, flags: DIRTY|SHARED, addr: 0x400000, offset: 0x1000, length: 0x1000}}',
    );
    expect(formatJson({ pfn: 263680, vaddr: 4096, dev: 8, address: 65536 })).toBe('{pfn: 0x40600, vaddr: 0x1000, dev: 0x8, address: 0x10000}');
  });

  it('keeps small lengths and block-run bounds decimal, and every other number too', () => {
    expect(formatJson({ start: 512, len: 1 })).toBe('{start: 512, len: 1}');
    expect(formatJson({ start: 0x7f0000000000, end: 0x7f0000001000 })).toBe('{start: 0x7f0000000000, end: 0x7f0000001000}');
    expect(formatJson({ owners: 3, killed: ['A', 'B', 'C'], shutdown: false })).toBe('{owners: 3, killed: [A, B, C], shutdown: false}');
    expect(formatJson([{ off: 0, len: 1, block: 512, state: 'written' }])).toBe('[{off: 0, len: 1, block: 512, state: written}]');
    expect(formatJson(4190208)).toBe('4190208');
    expect(formatJson([])).toBe('[]');
  });

  it('says "nothing" for null, prints a string as is, and quotes strings only where they need it', () => {
    expect(formatJson(null)).toBe('nothing');
    expect(formatJson('-ENOSPC')).toBe('-ENOSPC');
    expect(formatJson({ page: null, why: 'two words' })).toBe('{page: none, why: "two words"}');
  });

  it('prints an engine error as the kernel returns it, then why', () => {
    expect(formatJson({ errno: 'EOPNOTSUPP', code: -95, why: 'FOLL_LONGTERM pins are not supported on fsdax mappings' })).toBe(
      '-EOPNOTSUPP (FOLL_LONGTERM pins are not supported on fsdax mappings)',
    );
    expect(formatJson({ errno: 'EIO', code: -5 })).toBe('-EIO');
  });

  it('is what Tracer.call writes when no text is given for the return', () => {
    const tr = new Tracer(true);
    tr.call('do_mmap', {}, 'map', () => ({ addr: 0x7efffff00000 }));
    expect(tr.steps.at(-1)!.text).toBe('do_mmap returns {addr: 0x7efffff00000}.');
  });
});
