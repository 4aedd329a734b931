import { describe, expect, test } from 'vitest';
import { isErr } from '../../errno';
import { xfs_validate_name } from './xfs_inode';
import { mkfs, ok, pattern, violations } from './testutil';

const errno = (r: unknown): string => (isErr(r) ? r.errno : 'ok');

describe('names', () => {
  test('bad names get the errno path lookup would give', () => {
    expect(errno(xfs_validate_name(''))).toBe('ENOENT');
    expect(errno(xfs_validate_name('a/b'))).toBe('ENOENT');
    expect(errno(xfs_validate_name('.'))).toBe('EEXIST');
    expect(errno(xfs_validate_name('..'))).toBe('EEXIST');
    expect(errno(xfs_validate_name('x\0y'))).toBe('EINVAL');
    expect(errno(xfs_validate_name('é'.repeat(128)))).toBe('EINVAL'); // 256 bytes in UTF-8
    expect(xfs_validate_name('é'.repeat(127))).toBeNull();
    expect(xfs_validate_name('data file #1')).toBeNull();
  });

  test('create: numbers from 131 upwards, EEXIST for a taken name; lookup', () => {
    const fs = mkfs();
    expect(fs.create('a')).toBe(131);
    expect(fs.create('b')).toBe(132);
    expect(errno(fs.create('a'))).toBe('EEXIST');
    expect(fs.lookup('b')).toBe(132);
    expect(errno(fs.lookup('zz'))).toBe('ENOENT');
    expect(errno(fs.unlink('zz'))).toBe('ENOENT');
  });
});

describe('references and unlink', () => {
  test('an unlinked inode with references lives until the last iput, then its blocks are freed', () => {
    const fs = mkfs({ trace: true });
    const ino = ok(fs.create('a'));
    ok(fs.write(ino, 0, pattern(3 * 4096, 1)));
    const free = fs.freeBlocks;
    ok(fs.iget(ino)); // a mapping
    expect(fs.open('a')).toBe(ino);
    ok(fs.unlink('a'));
    expect(ok(fs.stat(ino)).nlink).toBe(0);
    expect(Array.from(ok(fs.read(ino, 0, 10)))).toEqual(Array.from(pattern(10, 1)));
    ok(fs.write(ino, 0, new Uint8Array([5])));
    ok(fs.iput(ino));
    expect(fs.inodes.has(ino)).toBe(true);
    ok(fs.close(ino));
    expect(fs.inodes.has(ino)).toBe(false);
    expect(fs.freeBlocks).toBe(free + 3);
    expect(errno(fs.read(ino, 0, 1))).toBe('ENOENT');
    expect(errno(fs.write(ino, 0, new Uint8Array(1)))).toBe('ENOENT');
    expect(errno(fs.truncate(ino, 0))).toBe('ENOENT');
    expect(errno(fs.iput(ino))).toBe('ENOENT');
    const states = fs.tracer.steps.filter((s) => s.t === 'inode' && s.field === 'state');
    expect(states.map((s) => (s.t === 'inode' ? [s.old, s.new] : null))).toEqual([
      [null, 'allocated'],
      ['allocated', null],
    ]);
    expect(violations(fs)).toEqual([]);
  });

  test('iput without a reference is refused', () => {
    const fs = mkfs();
    const ino = ok(fs.create('a'));
    expect(errno(fs.iput(ino))).toBe('EINVAL');
  });

  test('dax=inode honours the per-file flag; dax=never ignores it', () => {
    const fs = mkfs({ dax: 'inode' });
    expect(ok(fs.stat(ok(fs.create('d', { dax: true })))).dax).toBe(true);
    expect(ok(fs.stat(ok(fs.create('p')))).dax).toBe(false);
    const never = mkfs({ dax: 'never' });
    expect(ok(never.stat(ok(never.create('d', { dax: true })))).dax).toBe(false);
  });
});
