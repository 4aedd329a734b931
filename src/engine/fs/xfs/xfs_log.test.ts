import { describe, expect, test } from 'vitest';
import { isErr } from '../../errno';
import { IOMAP_DAX, IOMAP_FAULT, IOMAP_WRITE, xfs_direct_write_iomap_begin } from './xfs_iomap';
import { mkfs, ok, pattern, violations } from './testutil';

const B = 4096;

describe('log force and recovery', () => {
  test('an allocation that was never committed is lost after a crash; committed data survives', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(2 * B, 1)));
    ok(fs.fsync(ino));
    const durable = ok(fs.stat(ino));
    ok(fs.write(ino, 2 * B, pattern(3 * B, 2))); // allocates 3 blocks, grows the file
    expect(ok(fs.stat(ino)).size).toBe(5 * B);
    const freeBefore = fs.freeBlocks;
    fs.crashRecover();
    const after = ok(fs.stat(ino));
    expect(after.size).toBe(2 * B);
    expect(after.extents).toEqual(durable.extents);
    expect(fs.freeBlocks).toBe(freeBefore + 3);
    expect(Array.from(ok(fs.read(ino, 0, 2 * B)))).toEqual(Array.from(pattern(2 * B, 1)));
    expect(violations(fs)).toEqual([]);
  });

  test('a file created after the last force does not exist after a crash', () => {
    const fs = mkfs();
    ok(fs.create('a'));
    ok(fs.syncfs());
    const b = ok(fs.create('b'));
    ok(fs.write(b, 0, pattern(B, 3)));
    fs.crashRecover();
    expect([...fs.names.keys()]).toEqual(['a']);
    expect(isErr(fs.stat(b))).toBe(true);
    expect(violations(fs)).toEqual([]);
  });

  test('fsync of one dirty file commits every earlier change, of every file', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(b, 0, pattern(B, 4)));
    ok(fs.fsync(a));
    fs.crashRecover();
    expect(ok(fs.stat(b)).size).toBe(B);
  });

  test('fsync of a clean inode forces nothing (xfs_file_fsync skips unpinned inodes)', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    ok(fs.fsync(a));
    const n = fs.log.forceCount;
    const b = ok(fs.create('b'));
    ok(fs.write(b, 0, pattern(B, 4)));
    ok(fs.fsync(a));
    expect(fs.log.forceCount).toBe(n);
    fs.crashRecover();
    expect(fs.names.has('b')).toBe(false);
  });

  test('recovery frees CoW staging blocks and unlinked-but-open inodes', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(2 * B, 1)));
    ok(fs.clone(a, b));
    ok(fs.open('b'));
    ok(fs.unlink('b'));
    // A CoW staging block from a fault that never finished.
    ok(xfs_direct_write_iomap_begin(fs, a, 0, B, IOMAP_WRITE | IOMAP_FAULT | IOMAP_DAX));
    expect(fs.inodes.get(a)!.cowFork.length).toBe(1);
    ok(fs.syncfs());
    fs.crashRecover();
    expect(fs.inodes.has(b)).toBe(false);
    expect(fs.inodes.get(a)!.cowFork).toEqual([]);
    expect(fs.refcount.size).toBe(0);
    expect(fs.freeBlocks).toBe(fs.nrBlocks - 16 - 2);
    expect(violations(fs)).toEqual([]);
  });

  test('recovery emits deltas a viewer can replay backwards', () => {
    const fs = mkfs({ trace: true });
    const a = ok(fs.create('a'));
    ok(fs.syncfs());
    ok(fs.write(a, 0, pattern(B, 1)));
    fs.tracer.beginOp('crash', {}, 'power failure');
    const from = fs.tracer.steps.length;
    fs.crashRecover();
    const steps = fs.tracer.steps.slice(from);
    expect(steps.find((s) => s.t === 'extents')).toMatchObject({ ino: a, new: [] });
    expect(steps.find((s) => s.t === 'blk')).toMatchObject({ action: 'free', len: 1 });
    expect(steps.find((s) => s.t === 'inode' && s.field === 'size')).toMatchObject({ old: B, new: 0 });
  });
});
