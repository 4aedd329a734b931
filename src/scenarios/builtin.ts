/**
 * The built-in DAX scenarios: small, narrated stories that the scenario chooser offers. Each is a
 * plain scenario in the engine's JSON form (src/engine/ops.ts, docs/operations.md); the `note` of an
 * operation is what the narration says when the operation starts.
 *
 * Conventions in this file:
 *   pte map  - a 1 MiB shared mapping: shorter than 2 MiB, so every fault in it is a 4 KiB fault.
 *   pmd map  - a 4 MiB shared mapping; the kernel places it 2 MiB-aligned, so PMD faults can happen.
 *   hole     - a file range with no block behind it (a file grown by truncate).
 *
 * Every scenario keeps machine.check() empty after every operation (src/scenarios/builtin.test.ts).
 */
import type { Scenario } from '../engine/ops';

export interface BuiltinScenario {
  /** short id, used in the chooser and in links */
  name: string;
  /** what the header shows */
  title: string;
  /** one sentence for the chooser's tooltip */
  summary: string;
  scenario: Scenario;
}

const KiB4 = 4096;
const MiB = 1 << 20;
const MiB2 = 2 << 20;
const MiB4 = 4 << 20;

export const readHoleZeroPage: BuiltinScenario = {
  name: 'read-hole',
  title: 'DAX read fault on a hole maps the shared zero page',
  summary: 'A load from a file range with no blocks: no block is allocated, the PTE points at the zero page and i_pages gets a ZERO_PAGE entry.',
  scenario: {
    version: 1,
    ops: [
      { op: 'create', file: 'f', note: 'Create an empty file f on the DAX (dax=always) filesystem.' },
      { op: 'truncate', file: 'f', size: MiB, note: 'Grow f to 1 MiB with truncate: the new range is a hole, no block is allocated.' },
      {
        op: 'mmap',
        proc: 'A',
        file: 'f',
        length: MiB,
        as: 'm',
        note: 'Process A maps the whole file shared. A mapping of 1 MiB cannot hold a 2 MiB page, so every fault here is a 4 KiB (PTE) fault.',
      },
      {
        op: 'load',
        proc: 'A',
        addr: { map: 'm', offset: 0 },
        note: 'A reads the first page. The page table is empty, so the CPU faults; the filesystem finds a hole, and for a read DAX maps the shared zero page instead of allocating a block.',
      },
      {
        op: 'load',
        proc: 'A',
        addr: { map: 'm', offset: 5 * KiB4 },
        note: 'A reads page 5: another hole, another ZERO_PAGE entry in i_pages, and a second PTE pointing at the same zero page.',
      },
      {
        op: 'load',
        proc: 'A',
        addr: { map: 'm', offset: 0 },
        note: 'Reading page 0 again needs no fault: the PTE is already there. Nothing in the kernel runs.',
      },
    ],
  },
};

export const writeFaultFsync: BuiltinScenario = {
  name: 'write-fsync',
  title: 'DAX write fault allocates a block; fsync flushes the CPU cache',
  summary: 'A store into a hole allocates and zeroes a block, tags the entry DIRTY; fsync tags it TOWRITE, writes the cache lines back and cleans it.',
  scenario: {
    version: 1,
    ops: [
      { op: 'create', file: 'f', note: 'Create an empty file f on the DAX filesystem.' },
      { op: 'truncate', file: 'f', size: MiB, note: 'Grow f to 1 MiB: all holes.' },
      { op: 'mmap', proc: 'A', file: 'f', length: MiB, as: 'm', note: 'Process A maps f shared, read-write (4 KiB faults only).' },
      {
        op: 'store',
        proc: 'A',
        addr: { map: 'm', offset: 0 },
        data: 'hello',
        note: 'A stores "hello" at offset 0. The write fault allocates a block (zeroed first, so stale data never shows), inserts a DAX entry marked DIRTY, and maps the block writable. The bytes sit in the CPU cache: not durable yet.',
      },
      {
        op: 'fsync',
        proc: 'A',
        file: 'f',
        note: 'fsync: DIRTY entries are tagged TOWRITE, each is written back (its PTEs are write-protected and its cache lines flushed with CLWB), and the tags are cleared. Now "hello" is on the media.',
      },
      {
        op: 'store',
        proc: 'A',
        addr: { map: 'm', offset: 64 },
        data: 'again',
        note: 'A stores again. The PTE was made read-only by writeback, so this is a write-protect fault: DAX marks the entry DIRTY again and makes the PTE writable. No block is allocated.',
      },
      { op: 'fsync', proc: 'A', file: 'f', note: 'A second fsync flushes the new cache line; the entry is clean again.' },
    ],
  },
};

export const reflinkCow: BuiltinScenario = {
  name: 'reflink-cow',
  title: 'Reflinked files share a block; a store copies it (CoW)',
  summary: 'Two files share one block after reflink; two processes map it; a store through one mapping copies the block, and the share count drops.',
  scenario: {
    version: 1,
    ops: [
      { op: 'create', file: 'a', note: 'Create file a.' },
      { op: 'write', proc: 'A', file: 'a', offset: 0, data: 'AAAA', note: 'write(2) "AAAA" into a: a block is allocated and the bytes go straight to the media (a non-temporal copy).' },
      { op: 'create', file: 'b', note: 'Create file b.' },
      {
        op: 'reflink',
        proc: 'A',
        src: 'a',
        dst: 'b',
        note: 'Reflink a into b (FICLONE): b gets an extent pointing at the same device block, and the block\'s reference count becomes 2. No data is copied.',
      },
      { op: 'mmap', proc: 'A', file: 'a', length: KiB4, as: 'ma', note: 'Process A maps file a.' },
      { op: 'mmap', proc: 'B', file: 'b', length: KiB4, as: 'mb', note: 'Process B maps file b.' },
      { op: 'load', proc: 'A', addr: { map: 'ma', offset: 0 }, len: 4, note: 'A reads a: its PTE points at the shared block, read-only because the extent is shared.' },
      { op: 'load', proc: 'B', addr: { map: 'mb', offset: 0 }, len: 4, note: 'B reads b: a second PTE, in another process, to the very same pfn.' },
      {
        op: 'store',
        proc: 'B',
        addr: { map: 'mb', offset: 0 },
        data: 'BB',
        note: 'B writes to b. The block is shared, so the fault cannot write in place: the filesystem allocates a new block for b, copies the old contents, points b\'s extent at it, and the old block\'s share count drops to 1.',
      },
      { op: 'load', proc: 'A', addr: { map: 'ma', offset: 0 }, len: 4, note: 'A still reads "AAAA": file a kept the original block.' },
    ],
  },
};

export const pmdFallback: BuiltinScenario = {
  name: 'pmd-fallback',
  title: 'A PMD (2 MiB) fault, and one that falls back to 4 KiB',
  summary: 'A 2 MiB-aligned store takes a PMD fault with one 2 MiB entry; in the next 2 MiB a 4 KiB entry already exists, so the PMD fault falls back.',
  scenario: {
    version: 1,
    ops: [
      { op: 'create', file: 'f', note: 'Create file f.' },
      { op: 'truncate', file: 'f', size: MiB4, note: 'Grow f to 4 MiB of holes.' },
      {
        op: 'mmap',
        proc: 'B',
        file: 'f',
        offset: MiB2,
        length: MiB,
        as: 'mb',
        note: 'Process B maps 1 MiB of f starting at 2 MiB: a small mapping, so B only takes 4 KiB faults.',
      },
      { op: 'load', proc: 'B', addr: { map: 'mb', offset: 0 }, note: 'B reads file page 512: a 4 KiB zero-page entry now sits at index 512 of i_pages.' },
      { op: 'mmap', proc: 'A', file: 'f', length: MiB4, as: 'ma', note: 'Process A maps all 4 MiB; the kernel places the mapping 2 MiB-aligned.' },
      {
        op: 'store',
        proc: 'A',
        addr: { map: 'ma', offset: 0 },
        data: 'pmd',
        note: 'A writes at offset 0. The fault comes in at PMD level: the filesystem allocates 2 MiB of aligned blocks, DAX stores one PMD entry covering indices 0-511, and one PMD maps all of it.',
      },
      {
        op: 'store',
        proc: 'A',
        addr: { map: 'ma', offset: MiB2 },
        data: 'pte',
        note: 'A writes at 2 MiB. The PMD fault finds B\'s 4 KiB entry in the range: it cannot store a PMD entry over it, so it returns VM_FAULT_FALLBACK and the fault is retried as a 4 KiB fault.',
      },
    ],
  },
};

export const pinTruncate: BuiltinScenario = {
  name: 'pin-truncate',
  title: 'A pinned page makes truncate wait',
  summary: 'A page pinned for DMA cannot be freed: truncate breaks the layout, sleeps until the pin is released, then completes.',
  scenario: {
    version: 1,
    ops: [
      { op: 'create', file: 'f', note: 'Create file f.' },
      { op: 'truncate', file: 'f', size: MiB, note: 'Grow f to 1 MiB.' },
      { op: 'mmap', proc: 'A', file: 'f', length: MiB, as: 'm', note: 'Process A maps f.' },
      { op: 'store', proc: 'A', addr: { map: 'm', offset: 0 }, data: 'dma', note: 'A writes page 0: a block is allocated and mapped.' },
      {
        op: 'pin',
        proc: 'A',
        addr: { map: 'm', offset: 0 },
        as: 'dma',
        note: 'A pins page 0 (pin_user_pages, as O_DIRECT or RDMA would): the page\'s refcount rises by the pin bias.',
      },
      {
        op: 'truncate',
        proc: 'B',
        file: 'f',
        size: 0,
        note: 'Process B truncates f to 0. The filesystem must not free a block a device may still DMA into: the layout break unmaps the page and then sleeps until the page is idle.',
      },
      {
        op: 'unpin',
        proc: 'A',
        pin: 'dma',
        note: 'A releases the pin. The page becomes idle, B is woken, and its truncate frees the block.',
      },
    ],
  },
};

/** Every built-in machine scenario, in the chooser's order. */
export const BUILTIN_SCENARIOS: readonly BuiltinScenario[] = [readHoleZeroPage, writeFaultFsync, reflinkCow, pmdFallback, pinTruncate];
