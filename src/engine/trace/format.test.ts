import { describe, expect, it } from 'vitest';
import { Tracer, type Step, type StepBody } from './steps';
import { formatEntryRef, formatPte, formatStep, formatStepSummary, formatValue } from './format';

/** A hand-made stream: a read fault on a hole, as the engine would narrate it. */
function stream(): Step[] {
  const tr = new Tracer(true);
  tr.beginOp('load', { proc: 'A', addr: 0x7f0000000000 }, 'A reads 8 bytes at 0x7f0000000000.');
  tr.enter('handle_mm_fault', { pid: 1, address: 0x7f0000000000, write: false }, 'A takes a page fault.');
  tr.emit({ t: 'xa_slot', xa: 'i_pages:131', node: null, offset: 0, old: null, new: { value: 0x19 } }, 'A locked empty entry reserves index 0.');
  tr.emit({ t: 'xa_mark', xa: 'i_pages:131', node: 3, offset: 5, mark: 0, set: true }, 'The entry is tagged dirty.');
  tr.emit({ t: 'page', pfn: 0x4000, field: 'refcount', old: 0, new: 1 }, 'The folio gains a reference.');
  tr.emit(
    { t: 'pte', pid: 1, vaddr: 0x7f0000000000, level: 'pte', old: null, new: { pfn: 0x4000, present: true, write: false, dirty: false, huge: false, special: true, anon: false } },
    'A read-only PTE maps the zero page.',
  );
  tr.emit({ t: 'tp', name: 'dax_load_hole', fields: { dev: [259, 0], ino: 131, vm_flags: 0xfb, address: 0x7f0000000000, pgoff: 0, flags: 0x255, result: 0x100 } }, 'tracepoint fs_dax:dax_load_hole.');
  tr.emit({ t: 'warn', fn: 'dax_writeback_one', cond: '!xa_is_value(entry)' }, 'A page-cache page was tagged.');
  tr.emit({ t: 'note' }, 'Nothing changes here.');
  tr.leave('handle_mm_fault', 'NOPAGE', 'handle_mm_fault returns NOPAGE.');
  return tr.steps;
}

describe('formatStep', () => {
  it('prints one indented line per step with its sentence after "  # "', () => {
    const lines = stream().map((s) => formatStep(s, { kernel: '6.1' }));
    expect(lines).toEqual([
      '[op 0] load proc=A addr=0x7f0000000000  # A reads 8 bytes at 0x7f0000000000.',
      '→ handle_mm_fault(pid=1, address=0x7f0000000000, write=false)  # A takes a page fault.',
      '  xa  i_pages:131 head: nothing → value 0x19  # A locked empty entry reserves index 0.',
      '  xa  i_pages:131 node 3 slot 5: mark 0 set  # The entry is tagged dirty.',
      '  page pfn 0x4000 refcount 0 → 1  # The folio gains a reference.',
      '  pte pid 1 0x7f0000000000: none → pfn 0x4000 ro special  # A read-only PTE maps the zero page.',
      '  tp: dax_load_hole: dev 259:0 ino 0x83 shared WRITE|ALLOW_RETRY|KILLABLE|USER|INTERRUPTIBLE address 0x7f0000000000 pgoff 0x0 NOPAGE  # tracepoint fs_dax:dax_load_hole.',
      '  WARN dax_writeback_one: !xa_is_value(entry)  # A page-cache page was tagged.',
      '  # Nothing changes here.',
      '← handle_mm_fault = NOPAGE  # handle_mm_fault returns NOPAGE.',
    ]);
  });

  it('can leave out indentation and sentence', () => {
    const s = stream()[2];
    expect(formatStep(s, { indent: false, text: false })).toBe('xa  i_pages:131 head: nothing → value 0x19');
  });

  it('a tracepoint with result 0 loses its trailing space in the readable line only', () => {
    const tr = new Tracer(true);
    tr.emit({ t: 'tp', name: 'dax_pte_fault', fields: { dev: [259, 0], ino: 131, vm_flags: 0x8, address: 0x1000, pgoff: 1, flags: 0x40, result: 0 } }, 'tp.');
    expect(formatStepSummary(tr.steps[0], 'modern')).toBe('tp: dax_pte_fault: dev 259:0 ino 0x83 shared USER address 0x1000 pgoff 0x1');
  });

  it('has a line for every kind of step', () => {
    const bodies: StepBody[] = [
      { t: 'xa_node', xa: 'i_pages:7', action: 'alloc', node: 4, shift: 0, parent: 2, offset: 9 },
      { t: 'xa_node', xa: 'i_pages:7', action: 'free', node: 2, shift: 6, parent: null, offset: 0 },
      { t: 'blk', action: 'alloc', start: 100, len: 512 },
      { t: 'refcount', block: 100, len: 1, old: 1, new: 2 },
      { t: 'extents', ino: 7, old: [], new: [{ off: 0, block: 100, len: 512, state: 'unwritten' }] },
      { t: 'inode', ino: 7, field: 'size', old: 0, new: 4194304 },
      { t: 'cache', action: 'flush', addr: 0x200000, len: 64 },
      { t: 'media', addr: 0x1000, len: 4096 },
      { t: 'dram', action: 'alloc', pfn: 0x1234, use: 'anon' },
      { t: 'vma', pid: 1, action: 'add', start: 0x7f0000000000, end: 0x7f0000400000, old: null, new: { flags: 'rws' } },
      { t: 'wait', who: 'B', on: 'entry i_pages:7 index 0', action: 'sleep' },
      { t: 'signal', pid: 1, sig: 'SIGBUS', addr: 0x7f0000001000, why: 'beyond EOF' },
      { t: 'pte', pid: 2, vaddr: 0x7f0000200000, level: 'pmd', old: { pfn: 0x200, present: true, write: true, dirty: true, huge: true, special: false, anon: false }, new: null },
    ];
    const tr = new Tracer(true);
    for (const b of bodies) tr.emit(b, 's.');
    expect(tr.steps.map((s) => formatStepSummary(s))).toEqual([
      'xa  i_pages:7 alloc node 4 shift 0 parent 2 slot 9',
      'xa  i_pages:7 free node 2 shift 6 parent none',
      'blk alloc block 100 len 512',
      'refcount block 100 len 1 1 → 2',
      'extents ino 7 [] → [0+512@100 unwritten]',
      'inode 7 size 0 → 4194304',
      'cache flush addr 0x200000 len 64',
      'media addr 0x1000 len 4096',
      'dram alloc pfn 0x1234 anon',
      'vma pid 1 add 0x7f0000000000-0x7f0000400000: null → {flags: rws}',
      'wait B sleep on entry i_pages:7 index 0',
      'signal SIGBUS pid 1 addr 0x7f0000001000 (beyond EOF)',
      'pmd pid 2 0x7f0000200000: pfn 0x200 rw dirty huge → none',
    ]);
  });
});

describe('pieces', () => {
  it('names XArray entries', () => {
    expect(formatEntryRef(null)).toBe('nothing');
    expect(formatEntryRef({ node: 3 })).toBe('node 3');
    expect(formatEntryRef({ sibling: 2 })).toBe('sibling 2');
    expect(formatEntryRef({ internal: 'retry' })).toBe('XA_RETRY_ENTRY');
    expect(formatEntryRef({ internal: 'zero' })).toBe('XA_ZERO_ENTRY');
    expect(formatEntryRef({ page: 0x10 })).toBe('page pfn 0x10');
    expect(formatEntryRef({ pointer: 'p1' })).toBe('pointer p1');
  });

  it('prints values compactly, addresses in hex, odd strings quoted', () => {
    expect(formatValue(4096, 'len')).toBe('4096');
    expect(formatValue(4096, 'addr')).toBe('0x1000');
    expect(formatValue('two words')).toBe('"two words"');
    expect(formatValue('-ENOSPC')).toBe('-ENOSPC');
    expect(formatValue([1, 'a'])).toBe('[1, a]');
    expect(formatPte({ pfn: 1, present: false, write: false, dirty: false, huge: false, special: false, anon: true })).toBe('pfn 0x1 ro not-present anon');
  });
});
