import { describe, expect, test } from 'vitest';
import { isErr } from '../../errno';
import { mkfs, ok, pattern, violations } from './testutil';
import type { Filesystem } from './index';

const B = 4096;

function twoFiles(fs: Filesystem, sizeA: number): { a: number; b: number; data: Uint8Array } {
  const a = ok(fs.create('a'));
  const b = ok(fs.create('b'));
  const data = pattern(sizeA, 11);
  ok(fs.write(a, 0, data));
  return { a, b, data };
}

function errno(r: unknown): string {
  return isErr(r) ? r.errno : 'ok';
}

describe('FICLONE / FICLONERANGE rules (generic_remap_file_range_prep, xfs_reflink_remap_prep)', () => {
  test('FICLONE shares every block: refcount 2, same device blocks, dst size = src size', () => {
    const fs = mkfs();
    const { a, b, data } = twoFiles(fs, 3 * B + 100);
    expect(fs.clone(a, b)).toBe(0);
    const sa = ok(fs.stat(a));
    const sb = ok(fs.stat(b));
    expect(sb.size).toBe(3 * B + 100);
    expect(sb.extents).toEqual(sa.extents);
    for (let i = 0; i < 4; i++) expect(fs.refcount.get(sa.extents[0].block + i)).toBe(2);
    expect(Array.from(ok(fs.read(b, 0, 1 << 20)))).toEqual(Array.from(data));
    expect(sa.reflink && sb.reflink).toBe(true);
    expect(violations(fs)).toEqual([]);
  });

  test('unaligned offsets → EINVAL; unaligned length not ending at src EOF → EINVAL', () => {
    const fs = mkfs();
    const { a, b } = twoFiles(fs, 4 * B);
    expect(errno(fs.cloneRange(a, 100, B, b, 0))).toBe('EINVAL');
    expect(errno(fs.cloneRange(a, 0, B, b, 512))).toBe('EINVAL');
    expect(errno(fs.cloneRange(a, 0, B + 1, b, 0))).toBe('EINVAL');
  });

  test('len 0 means to EOF; a partial EOF block is allowed when it lands at the destination EOF', () => {
    const fs = mkfs();
    const { a, b, data } = twoFiles(fs, 2 * B + 10);
    expect(fs.cloneRange(a, B, 0, b, 4 * B)).toBe(0);
    expect(ok(fs.stat(b)).size).toBe(5 * B + 10);
    const got = ok(fs.read(b, 0, 1 << 20));
    expect(Array.from(got.slice(0, 4 * B))).toEqual(new Array(4 * B).fill(0));
    expect(Array.from(got.slice(4 * B))).toEqual(Array.from(data.slice(B)));
    // ...but not inside the destination: it would expose the source's stale tail bytes.
    expect(errno(fs.cloneRange(a, B, 0, b, 0))).toBe('EINVAL');
  });

  test('source range beyond EOF → EINVAL; offset exactly at EOF with len 0 → nothing to do', () => {
    const fs = mkfs();
    const { a, b } = twoFiles(fs, 2 * B);
    expect(errno(fs.cloneRange(a, 2 * B, B, b, 0))).toBe('EINVAL');
    expect(errno(fs.cloneRange(a, B, 2 * B, b, 0))).toBe('EINVAL');
    expect(errno(fs.cloneRange(a, 3 * B, 0, b, 0))).toBe('EINVAL');
    const before = fs.dumpMetadata();
    expect(fs.cloneRange(a, 2 * B, 0, b, 0)).toBe(0);
    expect(fs.dumpMetadata()).toBe(before);
  });

  test('same file: overlapping ranges → EINVAL, disjoint ranges share', () => {
    const fs = mkfs();
    const { a } = twoFiles(fs, 8 * B);
    expect(errno(fs.cloneRange(a, 0, 4 * B, a, 2 * B))).toBe('EINVAL');
    expect(fs.cloneRange(a, 0, 2 * B, a, 6 * B)).toBe(0);
    const ext = ok(fs.stat(a)).extents;
    expect(ext[ext.length - 1].block).toBe(ext[0].block);
    expect(violations(fs)).toEqual([]);
  });

  test('different filesystems → EXDEV; reflink off → EOPNOTSUPP; DAX with non-DAX → EINVAL', () => {
    const fs1 = mkfs({ fsid: 1 });
    const fs2 = mkfs({ fsid: 2 });
    const a = ok(fs1.create('a'));
    ok(fs1.write(a, 0, pattern(B, 1)));
    const c = ok(fs2.create('c'));
    expect(errno(fs1.cloneRange(a, 0, B, c, 0, fs2))).toBe('EXDEV');

    const off = mkfs({ reflink: false });
    const x = ok(off.create('x'));
    const y = ok(off.create('y'));
    ok(off.write(x, 0, pattern(B, 1)));
    expect(errno(off.clone(x, y))).toBe('EOPNOTSUPP');

    const mixed = mkfs({ dax: 'inode' });
    const d = ok(mixed.create('dax', { dax: true }));
    const n = ok(mixed.create('plain', { dax: false }));
    ok(mixed.write(d, 0, pattern(B, 1)));
    ok(mixed.write(n, 0, pattern(B, 2)));
    expect(errno(mixed.clone(d, n))).toBe('EINVAL');
    expect(errno(mixed.clone(n, d))).toBe('EINVAL');
    const d2 = ok(mixed.create('dax2', { dax: true }));
    expect(mixed.clone(d, d2)).toBe(0);
  });

  test('a freed (unlinked, unreferenced) inode → ENOENT; an unlinked but open one still clones', () => {
    const fs = mkfs();
    const { a, b } = twoFiles(fs, 2 * B);
    ok(fs.unlink('b'));
    expect(errno(fs.clone(a, b))).toBe('ENOENT');
    const c = ok(fs.create('c'));
    expect(fs.open('c')).toBe(c);
    ok(fs.unlink('c'));
    expect(fs.clone(a, c)).toBe(0);
    expect(ok(fs.stat(c)).size).toBe(2 * B);
    ok(fs.close(c));
    expect(errno(fs.stat(c))).toBe('ENOENT');
    expect(fs.refcount.size).toBe(0);
    expect(violations(fs)).toEqual([]);
  });

  test('unwritten source extents are not shared: the destination gets a hole', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.fallocate(a, 0, 0, 2 * B));
    ok(fs.write(b, 0, pattern(2 * B, 3)));
    expect(fs.clone(a, b)).toBe(0);
    expect(ok(fs.stat(b)).extents).toEqual([]);
    expect(Array.from(ok(fs.read(b, 0, 2 * B)))).toEqual(new Array(2 * B).fill(0));
    expect(violations(fs)).toEqual([]);
  });
});

describe('copy-on-write', () => {
  test('writing a shared block copies it: new block, old refcount drops, unchanged bytes copied', () => {
    const fs = mkfs({ trace: true });
    const { a, b, data } = twoFiles(fs, 2 * B);
    ok(fs.clone(a, b));
    const old = ok(fs.stat(a)).extents[0].block;
    ok(fs.write(b, B + 10, new Uint8Array([1, 2, 3])));
    const eb = ok(fs.stat(b)).extents;
    expect(eb[0]).toEqual({ off: 0, block: old, len: 1, state: 'written' });
    expect(eb[1].block).not.toBe(old + 1);
    expect(fs.refcount.get(old)).toBe(2);
    expect(fs.refcount.has(old + 1)).toBe(false);
    const got = ok(fs.read(b, 0, 2 * B));
    const want = data.slice();
    want.set([1, 2, 3], B + 10);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(Array.from(ok(fs.read(a, 0, 2 * B)))).toEqual(Array.from(data));
    const fns = fs.tracer.steps.filter((s) => s.t === 'call').map((s) => (s.t === 'call' ? s.fn : ''));
    expect(fns).toContain('xfs_reflink_allocate_cow');
    expect(fns).toContain('xfs_reflink_end_cow');
    expect(ok(fs.stat(b)).cow).toEqual([]);
    expect(violations(fs)).toEqual([]);
  });

  test('when the last sharer goes, the block is freed; the survivor writes in place', () => {
    const fs = mkfs();
    const { a, b } = twoFiles(fs, B);
    ok(fs.clone(a, b));
    const blk = ok(fs.stat(a)).extents[0].block;
    ok(fs.write(a, 0, pattern(B, 9))); // a moves to a copy
    expect(fs.refcount.size).toBe(0);
    ok(fs.write(b, 0, pattern(B, 10))); // b is the only owner now: no copy
    expect(ok(fs.stat(b)).extents[0].block).toBe(blk);
    ok(fs.unlink('b'));
    expect(fs.free.some((r) => r.start <= blk && blk < r.start + r.len)).toBe(true);
    expect(violations(fs)).toEqual([]);
  });
});
