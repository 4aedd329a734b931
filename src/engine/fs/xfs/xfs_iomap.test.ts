import { describe, expect, test } from 'vitest';
import { isErr } from '../../errno';
import {
  IOMAP_DAX,
  IOMAP_DIRECT,
  IOMAP_F_DIRTY,
  IOMAP_F_NEW,
  IOMAP_F_SHARED,
  IOMAP_FAULT,
  IOMAP_WRITE,
  IOMAP_ZERO,
  xfs_dax_write_iomap_end,
  xfs_direct_write_iomap_begin,
  xfs_read_iomap_begin,
} from './xfs_iomap';
import { mkfs, ok, pattern, violations } from './testutil';

const B = 4096;
const MB2 = 2 * 1024 * 1024;
const WF = IOMAP_WRITE | IOMAP_FAULT | IOMAP_DAX;

describe('kernel flag values', () => {
  test('match include/linux/iomap.h', () => {
    expect([IOMAP_WRITE, IOMAP_ZERO, IOMAP_FAULT, IOMAP_DIRECT, IOMAP_DAX]).toEqual([1, 2, 8, 16, 256]);
    expect([IOMAP_F_NEW, IOMAP_F_DIRTY, IOMAP_F_SHARED]).toEqual([1, 2, 4]);
  });
});

describe('xfs_read_iomap_begin', () => {
  test('a hole is a HOLE with addr -1 and never allocates', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.truncate(ino, 8 * B));
    const r = ok(xfs_read_iomap_begin(fs, ino, 0, B, IOMAP_DAX | IOMAP_FAULT));
    expect(r.iomap).toEqual({ type: 'HOLE', flags: 0, addr: -1, offset: 0, length: B });
    expect(fs.inodes.get(ino)!.dataFork).toEqual([]);
  });

  test('a shared extent is reported with IOMAP_F_SHARED and trimmed to the shared run', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(4 * B, 1)));
    ok(fs.cloneRange(a, 0, 2 * B, b, 0));
    const r = ok(xfs_read_iomap_begin(fs, a, 0, 4 * B, IOMAP_DAX));
    expect(r.iomap.flags & IOMAP_F_SHARED).toBe(IOMAP_F_SHARED);
    expect(r.iomap.length).toBe(2 * B);
    const r2 = ok(xfs_read_iomap_begin(fs, a, 2 * B, 2 * B, IOMAP_DAX));
    expect(r2.iomap).toMatchObject({ type: 'MAPPED', flags: 0, offset: 2 * B, length: 2 * B });
  });
});

describe('xfs_direct_write_iomap_begin', () => {
  test('a DAX write fault on a hole allocates a zeroed written block: MAPPED | F_NEW (and F_DIRTY until fsync)', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.truncate(ino, 8 * B));
    ok(fs.fsync(ino));
    const r = ok(xfs_direct_write_iomap_begin(fs, ino, 3 * B, B, WF));
    expect(r.iomap.type).toBe('MAPPED');
    expect(r.iomap.flags).toBe(IOMAP_F_NEW | IOMAP_F_DIRTY);
    expect(Array.from(fs.dev.read(r.iomap.addr, 16))).toEqual(new Array(16).fill(0));
    expect(fs.inodes.get(ino)!.dataFork[0]).toMatchObject({ off: 3, len: 1, state: 'written' });
    ok(fs.fsync(ino));
    const again = ok(xfs_direct_write_iomap_begin(fs, ino, 3 * B, B, WF));
    expect(again.iomap.flags).toBe(0);
    expect(again.iomap.addr).toBe(r.iomap.addr);
  });

  test('a 2 MiB request at a 2 MiB-aligned offset gets a 2 MiB-aligned 2 MiB extent', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.truncate(ino, 2 * MB2));
    const r = ok(xfs_direct_write_iomap_begin(fs, ino, MB2, MB2, WF));
    expect(r.iomap.length).toBe(MB2);
    expect((r.iomap.addr - fs.dataStart) % MB2).toBe(0);
  });

  test('on fragmented space the 2 MiB request returns a shorter mapping (the PMD fault falls back)', () => {
    const fs = mkfs({ blocks: 2048 });
    const filler = ok(fs.create('filler'));
    ok(fs.write(filler, 0, new Uint8Array((2048 - 16) * B)));
    for (let i = 0; i < 1400; i += 2) ok(fs.punch(filler, i * B, B)); // 700 free blocks, none adjacent
    ok(fs.syncfs());
    const ino = ok(fs.create('a'));
    ok(fs.truncate(ino, MB2));
    const r = ok(xfs_direct_write_iomap_begin(fs, ino, 0, MB2, WF));
    expect(r.iomap.length).toBe(B);
    expect(violations(fs)).toEqual([]);
  });

  test('an unwritten extent under DAX is converted and zeroed: MAPPED | F_NEW; without DAX it stays UNWRITTEN', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.fallocate(ino, 0, 0, 4 * B));
    const addr = fs.blockAddr(fs.inodes.get(ino)!.dataFork[0].block);
    fs.dev.writeNT(addr, new Uint8Array([7, 7, 7, 7]));
    const dio = ok(xfs_direct_write_iomap_begin(fs, ino, 0, B, IOMAP_WRITE | IOMAP_DIRECT));
    expect(dio.iomap).toMatchObject({ type: 'UNWRITTEN', flags: IOMAP_F_DIRTY, addr });
    const r = ok(xfs_direct_write_iomap_begin(fs, ino, 0, B, WF));
    expect(r.iomap).toMatchObject({ type: 'MAPPED', addr, length: B });
    expect(r.iomap.flags & IOMAP_F_NEW).toBe(IOMAP_F_NEW);
    expect(Array.from(fs.dev.read(addr, 4))).toEqual([0, 0, 0, 0]);
    expect(fs.inodes.get(ino)!.dataFork.map((e) => e.state)).toEqual(['written', 'unwritten']);
  });

  test('a shared block: iomap = a new CoW block with F_SHARED, srcmap = the old block; iomap_end remaps it', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(2 * B, 1)));
    ok(fs.clone(a, b));
    const old = fs.inodes.get(b)!.dataFork[0].block;
    const r = ok(xfs_direct_write_iomap_begin(fs, b, B, B, WF));
    expect(r.iomap.flags & IOMAP_F_SHARED).toBe(IOMAP_F_SHARED);
    expect(r.srcmap).toMatchObject({ type: 'MAPPED', addr: fs.blockAddr(old + 1), offset: B, length: B });
    expect(r.iomap.addr).not.toBe(r.srcmap.addr);
    expect(fs.inodes.get(b)!.cowFork.length).toBe(1);
    expect(violations(fs)).toEqual([]);
    expect(xfs_dax_write_iomap_end(fs, b, B, B, B, WF, r.iomap)).toBe(0);
    expect(fs.inodes.get(b)!.cowFork).toEqual([]);
    expect(fs.blockAddr(fs.inodes.get(b)!.dataFork[1].block)).toBe(r.iomap.addr);
    expect(fs.refcount.has(old + 1)).toBe(false);
    expect(violations(fs)).toEqual([]);
  });

  test('iomap_end with nothing written cancels the CoW staging', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(B, 1)));
    ok(fs.clone(a, b));
    const free = fs.freeBlocks;
    const r = ok(xfs_direct_write_iomap_begin(fs, b, 0, B, WF));
    expect(fs.freeBlocks).toBe(free - 1);
    xfs_dax_write_iomap_end(fs, b, 0, B, 0, WF, r.iomap);
    expect(fs.freeBlocks).toBe(free);
    expect(fs.refcount.size).toBe(1);
    expect(violations(fs)).toEqual([]);
  });

  test('ENOSPC from iomap_begin changes nothing; bad ranges are EINVAL; freed inodes ENOENT', () => {
    const fs = mkfs({ blocks: 64 });
    const ino = ok(fs.create('a'));
    ok(fs.truncate(ino, MB2));
    const before = fs.dumpMetadata();
    const r = xfs_direct_write_iomap_begin(fs, ino, 0, MB2, WF);
    expect(isErr(r) && r.errno).toBe('ENOSPC');
    expect(fs.dumpMetadata()).toBe(before);
    expect(isErr(xfs_read_iomap_begin(fs, ino, -1, B, 0))).toBe(true);
    ok(fs.unlink('a'));
    const gone = xfs_read_iomap_begin(fs, ino, 0, B, 0);
    expect(isErr(gone) && gone.errno).toBe('ENOENT');
  });
});
