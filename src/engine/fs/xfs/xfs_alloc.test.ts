import { describe, expect, test } from 'vitest';
import { runInsert, runRemove, runOverlap, xfs_alloc_vextent, xfs_free_extent } from './xfs_alloc';
import { xfs_trans_reserve } from './xfs_log';
import { XFS_META_BLOCKS } from './xfs_mount';
import { mkfs, ok, pattern, violations } from './testutil';

describe('sorted run lists', () => {
  test('insert merges with both neighbours, remove splits', () => {
    const l: { start: number; len: number }[] = [];
    runInsert(l, 10, 5);
    runInsert(l, 20, 5);
    runInsert(l, 15, 5);
    expect(l).toEqual([{ start: 10, len: 15 }]);
    runRemove(l, 12, 3);
    expect(l).toEqual([{ start: 10, len: 2 }, { start: 15, len: 10 }]);
    expect(runOverlap(l, 11, 6)).toEqual([{ start: 11, len: 1 }, { start: 15, len: 2 }]);
    expect(() => runInsert(l, 11, 2)).toThrow(/overlaps/);
    expect(() => runRemove(l, 11, 5)).toThrow(/not inside/);
  });
});

describe('xfs_alloc_vextent', () => {
  test('a 2 MiB request for a 2 MiB-aligned file offset gets a 512-block extent at a 512-aligned block', () => {
    const fs = mkfs({ blocks: 4096 });
    const got = xfs_alloc_vextent(fs, { len: 512, goal: 1024, target: -1, why: 'test' })!;
    expect(got.len).toBe(512);
    expect(got.start % 512).toBe(0);
    expect(got.start).toBe(512); // blocks 0..15 are metadata, so the first whole chunk is 512
  });

  test('small allocations are congruent with the file offset modulo 512, in a fresh chunk', () => {
    const fs = mkfs({ blocks: 4096 });
    const a = xfs_alloc_vextent(fs, { len: 1, goal: 7, target: -1, why: 'test' })!;
    expect(a.start % 512).toBe(7);
    const b = xfs_alloc_vextent(fs, { len: 3, goal: 515, target: -1, why: 'test' })!;
    expect(b.start % 512).toBe(3);
    expect(Math.floor(b.start / 512)).not.toBe(Math.floor(a.start / 512));
  });

  test('an exact target (the block after the previous extent) wins when it is free', () => {
    const fs = mkfs({ blocks: 4096 });
    const got = xfs_alloc_vextent(fs, { len: 4, goal: 0, target: 700, why: 'test' })!;
    expect(got).toEqual({ start: 700, len: 4 });
  });

  test('on a fragmented device it falls back to unaligned runs, then to shorter ones', () => {
    const fs = mkfs({ blocks: 2048 });
    // Occupy everything, then free every other 8-block run: no 512-block run and no congruent 16.
    const all = xfs_alloc_vextent(fs, { len: 2048 - XFS_META_BLOCKS, goal: XFS_META_BLOCKS, target: -1, why: 'fill' })!;
    expect(all.len).toBe(2048 - XFS_META_BLOCKS);
    for (let b = 32; b < 2048; b += 16) xfs_free_extent(fs, b, 8);
    xfs_trans_reserve(fs, fs.freeBlocks, 'make busy blocks available'); // forces the log
    expect(fs.busy).toEqual([]);
    const pmd = xfs_alloc_vextent(fs, { len: 512, goal: 0, target: -1, why: 'pmd' })!;
    expect(pmd.len).toBe(8); // the largest run: shorter than asked, so a PMD fault would fall back
    const small = xfs_alloc_vextent(fs, { len: 4, goal: 5, target: -1, why: 'small' })!;
    // No free run holds 4 blocks starting at a block = 5 (mod 512) (517..519 and 1029..1031 are
    // only 3 long), so the first run long enough wins: blocks 48..51 (32..39 went to the PMD ask).
    expect(small).toEqual({ start: 48, len: 4 });
    expect(violations(fs).filter((v) => !v.startsWith('fs.leak'))).toEqual([]);
  });

  test('freed blocks are busy until the log is forced', () => {
    const fs = mkfs({ blocks: 64 });
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(4096 * 40, 1)));
    expect(fs.freeBlocks).toBe(64 - XFS_META_BLOCKS - 40);
    ok(fs.truncate(ino, 0));
    expect(fs.freeBlocks).toBe(64 - XFS_META_BLOCKS);
    expect(fs.availBlocks).toBe(64 - XFS_META_BLOCKS - 40);
    expect(fs.busy).toEqual([{ start: fs.busy[0].start, len: 40 }]);
    const forces = fs.log.forceCount;
    // Needing more than the non-busy space forces the log, which releases the busy blocks.
    ok(fs.write(ino, 0, pattern(4096 * 30, 2)));
    expect(fs.log.forceCount).toBe(forces + 1);
    expect(violations(fs)).toEqual([]);
  });

  test('ENOSPC when the free space is short, with nothing changed', () => {
    const fs = mkfs({ blocks: 64 });
    const ino = ok(fs.create('a'));
    const before = fs.dumpMetadata();
    const r = fs.write(ino, 0, new Uint8Array(4096 * 49));
    expect(r).toMatchObject({ errno: 'ENOSPC' });
    expect(fs.dumpMetadata()).toBe(before);
    expect(ok(fs.write(ino, 0, new Uint8Array(4096 * 48)))).toBe(4096 * 48);
  });
});
