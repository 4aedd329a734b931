import { describe, expect, test } from 'vitest';
import { extCut, extInsert, HOLESTARTBLOCK, XFS_BMAPI_CONVERT, XFS_BMAPI_PREALLOC, XFS_BMAPI_ZERO, xfs_bmapi_read, xfs_bmapi_write } from './xfs_bmap';
import { xfs_trans_reserve } from './xfs_log';
import type { XfsExtent } from './xfs_mount';
import { mkfs, ok, violations } from './testutil';

const w = (off: number, block: number, len: number): XfsExtent => ({ off, block, len, state: 'written' });

describe('extent lists', () => {
  test('contiguous extents of the same state merge; different states do not', () => {
    const l: XfsExtent[] = [];
    extInsert(l, w(0, 100, 2));
    extInsert(l, w(4, 104, 2));
    extInsert(l, w(2, 102, 2));
    expect(l).toEqual([w(0, 100, 6)]);
    extInsert(l, { off: 6, block: 106, len: 1, state: 'unwritten' });
    expect(l.length).toBe(2);
    extInsert(l, w(8, 300, 1));
    expect(l.length).toBe(3);
  });

  test('cut splits an extent and returns the removed piece', () => {
    const l = [w(0, 100, 10)];
    expect(extCut(l, 3, 4)).toEqual([w(3, 103, 4)]);
    expect(l).toEqual([w(0, 100, 3), w(7, 107, 3)]);
  });

  test('xfs_bmapi_read reports holes up to the next extent', () => {
    const l = [w(4, 100, 2)];
    expect(xfs_bmapi_read(l, 0, 10)).toEqual({ off: 0, len: 4, block: HOLESTARTBLOCK, state: 'written' });
    expect(xfs_bmapi_read(l, 5, 10)).toEqual({ off: 5, len: 1, block: 101, state: 'written' });
    expect(xfs_bmapi_read(l, 6, 10)).toEqual({ off: 6, len: 10, block: HOLESTARTBLOCK, state: 'written' });
  });
});

describe('xfs_bmapi_write', () => {
  test('PREALLOC allocates unwritten extents over holes only; CONVERT|ZERO converts and zeroes', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    const ip = fs.inodes.get(ino)!;
    xfs_trans_reserve(fs, 8, 'test');
    const m = xfs_bmapi_write(fs, ip, 'data', 0, 8, XFS_BMAPI_PREALLOC, 10, 'test');
    expect(m).toEqual([{ off: 0, len: 8, block: m[0].block, state: 'unwritten' }]);
    expect(m[0].block % 512).toBe(0);
    fs.dev.writeNT(fs.blockAddr(m[0].block), new Uint8Array([9, 9, 9]));
    const c = xfs_bmapi_write(fs, ip, 'data', 2, 2, XFS_BMAPI_CONVERT | XFS_BMAPI_ZERO, 10, 'test');
    expect(c[0].state).toBe('written');
    expect(ip.dataFork.map((e) => e.state)).toEqual(['unwritten', 'written', 'unwritten']);
    expect(Array.from(fs.dev.read(fs.blockAddr(m[0].block + 2), 3))).toEqual([0, 0, 0]);
    expect(ip.fsyncDirty).toBe(true);
    expect(violations(fs)).toEqual([]);
  });

  test('maxMaps 1 returns only the first mapping, and the allocation continues contiguously', () => {
    const fs = mkfs();
    const ip = fs.inodes.get(ok(fs.create('a')))!;
    xfs_trans_reserve(fs, 20, 'test');
    const a = xfs_bmapi_write(fs, ip, 'data', 0, 4, 0, 1, 'test');
    const b = xfs_bmapi_write(fs, ip, 'data', 4, 4, 0, 1, 'test');
    expect(b[0].block).toBe(a[0].block + 4);
    expect(ip.dataFork).toEqual([w(0, a[0].block, 8)]);
  });
});
