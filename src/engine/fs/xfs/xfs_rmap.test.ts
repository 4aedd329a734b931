import { describe, expect, test } from 'vitest';
import { xfs_rmap_map, xfs_rmap_query_range, xfs_rmap_unmap } from './xfs_rmap';
import { mkfs, ok, pattern } from './testutil';

describe('reverse map', () => {
  test('the metadata area has metadata owners', () => {
    const fs = mkfs();
    const recs = fs.rmapQuery(0, 16);
    expect(recs[0]).toEqual({ start: 0, len: 1, owner: { kind: 'meta', what: 'sb' } });
    expect(recs.find((r) => r.owner.kind === 'meta' && r.owner.what === 'log')).toEqual({ start: 10, len: 6, owner: { kind: 'meta', what: 'log' } });
  });

  test('a block shared by two files has one record per owner; runs merge per owner', () => {
    const fs = mkfs();
    const a = ok(fs.create('a'));
    const b = ok(fs.create('b'));
    ok(fs.write(a, 0, pattern(3 * 4096, 1)));
    ok(fs.cloneRange(a, 0, 3 * 4096, b, 8192));
    const start = fs.inodes.get(a)!.dataFork[0].block;
    expect(fs.rmapQuery(start, 3)).toEqual([
      { start, len: 3, owner: { kind: 'data', ino: a, off: 0 } },
      { start, len: 3, owner: { kind: 'data', ino: b, off: 2 } },
    ]);
  });

  test('map/unmap keep exact owners; unmapping a missing owner is an engine bug', () => {
    const fs = mkfs();
    xfs_rmap_map(fs, 1000, 2, { kind: 'data', ino: 7, off: 5 });
    expect(xfs_rmap_query_range(fs, 999, 4)).toEqual([{ start: 1000, len: 2, owner: { kind: 'data', ino: 7, off: 5 } }]);
    expect(() => xfs_rmap_unmap(fs, 1000, 2, { kind: 'data', ino: 7, off: 6 })).toThrow(/engine bug/);
    xfs_rmap_unmap(fs, 1000, 2, { kind: 'data', ino: 7, off: 5 });
    expect(xfs_rmap_query_range(fs, 999, 4)).toEqual([]);
  });
});
