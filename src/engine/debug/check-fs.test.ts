import { describe, expect, test } from 'vitest';
import { checkFilesystem } from './check-fs';
import { mkfs, ok, pattern } from '../fs/xfs/testutil';

function rules(fs: ReturnType<typeof mkfs>): string[] {
  return [...new Set(checkFilesystem(fs).map((v) => v.rule))].sort();
}

function sharedFs(): ReturnType<typeof mkfs> {
  const fs = mkfs({ blocks: 1024 });
  const a = ok(fs.create('a'));
  const b = ok(fs.create('b'));
  ok(fs.write(a, 0, pattern(3 * 4096, 1)));
  ok(fs.clone(a, b));
  return fs;
}

describe('checkFilesystem catches broken states', () => {
  test('a healthy filesystem has no violations', () => {
    expect(checkFilesystem(sharedFs())).toEqual([]);
  });

  test('a wrong refcount', () => {
    const fs = sharedFs();
    const blk = fs.inodes.get(131)!.dataFork[0].block;
    fs.refcount.set(blk, 3);
    expect(rules(fs)).toEqual(['fs.refcount']);
  });

  test('a block both free and mapped', () => {
    const fs = sharedFs();
    const blk = fs.inodes.get(131)!.dataFork[0].block;
    fs.free.push({ start: blk, len: 1 });
    fs.free.sort((x, y) => x.start - y.start);
    expect(rules(fs)).toContain('fs.free-and-referenced');
  });

  test('an rmap that lost an owner, unmerged extents, a leaked block', () => {
    const fs = sharedFs();
    const ip = fs.inodes.get(132)!;
    const blk = ip.dataFork[0].block;
    fs.rmap.get(blk)!.pop();
    expect(rules(fs)).toEqual(['fs.rmap']);
    const fs2 = sharedFs();
    const e = fs2.inodes.get(131)!.dataFork;
    e.splice(0, 1, { ...e[0], len: 1 }, { off: 1, block: e[0].block + 1, len: e[0].len - 1, state: 'written' });
    expect(rules(fs2)).toEqual(['fs.extents-merge']);
    const fs3 = sharedFs();
    fs3.inodes.get(131)!.dataFork.pop();
    fs3.inodes.get(132)!.dataFork.pop();
    expect(rules(fs3)).toContain('fs.leak');
  });

  test('a CoW block mapped by a data fork, and an impossible size', () => {
    const fs = sharedFs();
    const ip = fs.inodes.get(131)!;
    ip.cowFork.push({ off: 0, block: ip.dataFork[0].block, len: 1, state: 'written' });
    ip.size = -5;
    expect(rules(fs)).toEqual(['fs.cow', 'fs.rmap', 'fs.size']);
  });
});
