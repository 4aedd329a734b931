import { describe, expect, test } from 'vitest';
import { isErr } from '../../errno';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE } from './index';
import { mkfs, ok, pattern, violations } from './testutil';

const B = 4096;
const errno = (r: unknown): string => (isErr(r) ? r.errno : 'ok');

describe('read and write', () => {
  test('holes and unwritten extents read as zeros; reads clamp at EOF', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 3 * B, pattern(100, 1)));
    ok(fs.fallocate(ino, FALLOC_FL_KEEP_SIZE, 0, B));
    const got = ok(fs.read(ino, 0, 1 << 20));
    expect(got.length).toBe(3 * B + 100);
    expect(got.slice(0, 3 * B).every((x) => x === 0)).toBe(true);
    expect(ok(fs.read(ino, 3 * B + 100, 10)).length).toBe(0);
    expect(ok(fs.read(ino, 1 << 30, 10)).length).toBe(0);
    expect(errno(fs.read(ino, -1, 10))).toBe('EINVAL');
  });

  test('a write beyond the capacity fails with ENOSPC and changes nothing; EFBIG past s_maxbytes', () => {
    const fs = mkfs({ blocks: 128 });
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(B, 1)));
    const before = fs.dumpMetadata();
    expect(errno(fs.write(ino, B, new Uint8Array(200 * B)))).toBe('ENOSPC');
    expect(fs.dumpMetadata()).toBe(before);
    expect(errno(fs.write(ino, 2 ** 52, new Uint8Array(1)))).toBe('EFBIG');
  });

  test('the non-DAX path writes through unwritten extents and converts them', () => {
    const fs = mkfs({ dax: 'never' });
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 100, pattern(2 * B, 5)));
    expect(ok(fs.stat(ino)).extents).toEqual([{ off: 0, block: expect.any(Number) as number, len: 3, state: 'written' }]);
    const got = ok(fs.read(ino, 0, 3 * B));
    expect(got.slice(0, 100).every((x) => x === 0)).toBe(true);
    expect(Array.from(got.slice(100))).toEqual(Array.from(pattern(2 * B, 5)));
  });
});

describe('truncate', () => {
  test('shrink frees blocks past EOF and zeroes the tail of the last block on the device', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(4 * B, 1)));
    const blk = ok(fs.stat(ino)).extents[0].block;
    const free = fs.freeBlocks;
    ok(fs.truncate(ino, B + 10));
    expect(ok(fs.stat(ino)).extents).toEqual([{ off: 0, block: blk, len: 2, state: 'written' }]);
    expect(fs.freeBlocks).toBe(free + 2);
    const tail = fs.dev.read(fs.blockAddr(blk + 1) + 10, B - 10);
    expect(tail.every((x) => x === 0)).toBe(true);
    ok(fs.truncate(ino, 3 * B));
    const got = ok(fs.read(ino, 0, 3 * B));
    expect(Array.from(got.slice(0, B + 10))).toEqual(Array.from(pattern(B + 10, 1)));
    expect(got.slice(B + 10).every((x) => x === 0)).toBe(true);
    expect(errno(fs.truncate(ino, -1))).toBe('EINVAL');
    expect(violations(fs)).toEqual([]);
  });

  test('shrinking into a shared block copies it first: the other file keeps its bytes', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(2 * B, 2)));
    ok(fs.clone(a, b));
    ok(fs.truncate(b, 100));
    expect(Array.from(ok(fs.read(a, 0, 2 * B)))).toEqual(Array.from(pattern(2 * B, 2)));
    ok(fs.truncate(b, B));
    expect(ok(fs.read(b, 100, B - 100)).every((x) => x === 0)).toBe(true);
    expect(fs.refcount.size).toBe(0);
    expect(violations(fs)).toEqual([]);
  });
});

describe('fallocate', () => {
  test('punch: whole blocks unmapped and freed, partial edges zeroed, size kept', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(4 * B, 3)));
    const free = fs.freeBlocks;
    ok(fs.punch(ino, B - 10, 2 * B + 20));
    expect(fs.freeBlocks).toBe(free + 2);
    expect(ok(fs.stat(ino)).size).toBe(4 * B);
    const want = pattern(4 * B, 3);
    want.fill(0, B - 10, 3 * B + 10);
    expect(Array.from(ok(fs.read(ino, 0, 4 * B)))).toEqual(Array.from(want));
    expect(ok(fs.stat(ino)).extents.map((e) => [e.off, e.len])).toEqual([
      [0, 1],
      [3, 1],
    ]);
    expect(violations(fs)).toEqual([]);
  });

  test('mode 0 allocates unwritten extents and extends the size; KEEP_SIZE does not', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.fallocate(ino, 0, B, 3 * B));
    expect(ok(fs.stat(ino)).size).toBe(4 * B);
    expect(ok(fs.stat(ino)).extents).toEqual([{ off: 1, block: expect.any(Number) as number, len: 3, state: 'unwritten' }]);
    ok(fs.fallocate(ino, FALLOC_FL_KEEP_SIZE, 4 * B, 4 * B));
    expect(ok(fs.stat(ino)).size).toBe(4 * B);
    expect(ok(fs.stat(ino)).extents.reduce((n, e) => n + e.len, 0)).toBe(7);
    ok(fs.truncate(ino, 2 * B)); // preallocation past EOF goes too
    expect(ok(fs.stat(ino)).extents.reduce((n, e) => n + e.len, 0)).toBe(1);
    expect(violations(fs)).toEqual([]);
  });

  test('zero range: reads zero, whole blocks become unwritten, size extended unless KEEP_SIZE', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(3 * B, 4)));
    ok(fs.fallocate(ino, FALLOC_FL_ZERO_RANGE, 10, 5 * B));
    expect(ok(fs.stat(ino)).size).toBe(5 * B + 10);
    const got = ok(fs.read(ino, 0, 6 * B));
    expect(Array.from(got.slice(0, 10))).toEqual(Array.from(pattern(10, 4)));
    expect(got.slice(10).every((x) => x === 0)).toBe(true);
    expect(ok(fs.stat(ino)).extents.map((e) => e.state)).toEqual(['written', 'unwritten']);
    expect(violations(fs)).toEqual([]);
  });

  test('mode checks follow vfs_fallocate', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    expect(errno(fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE, 0, B))).toBe('EOPNOTSUPP');
    expect(errno(fs.fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, B))).toBe('EOPNOTSUPP');
    expect(errno(fs.fallocate(ino, 0x8, 0, B))).toBe('EOPNOTSUPP');
    expect(errno(fs.fallocate(ino, 0, 0, 0))).toBe('EINVAL');
    expect(errno(fs.fallocate(ino, 0, -B, B))).toBe('EINVAL');
  });

  test('ENOSPC from fallocate leaves everything as it was', () => {
    const fs = mkfs({ blocks: 64 });
    const ino = ok(fs.create('a'));
    const before = fs.dumpMetadata();
    expect(errno(fs.fallocate(ino, 0, 0, 100 * B))).toBe('ENOSPC');
    expect(fs.dumpMetadata()).toBe(before);
  });
});
