import { describe, expect, test } from 'vitest';
import { xfs_refcount_decrease, xfs_refcount_find_shared, xfs_refcount_get, xfs_refcount_increase } from './xfs_refcount';
import { mkfs } from './testutil';

describe('refcount records', () => {
  test('only shared blocks have a record; decrease reports the blocks that reach zero', () => {
    const fs = mkfs({ trace: true });
    xfs_refcount_increase(fs, 100, 4);
    expect(xfs_refcount_get(fs, 101)).toBe(2);
    xfs_refcount_increase(fs, 102, 4);
    expect([...fs.refcount.entries()]).toEqual([[100, 2], [101, 2], [102, 3], [103, 3], [104, 2], [105, 2]]);
    expect(xfs_refcount_find_shared(fs, 90, 20)).toEqual({ start: 100, len: 6 });
    expect(xfs_refcount_decrease(fs, 100, 6)).toEqual([]);
    expect([...fs.refcount.entries()]).toEqual([[102, 2], [103, 2]]);
    expect(xfs_refcount_decrease(fs, 100, 4)).toEqual([{ start: 100, len: 2 }]);
    expect(fs.refcount.size).toBe(0);
    const steps = fs.tracer.steps.filter((s) => s.t === 'refcount');
    expect(steps[0]).toMatchObject({ block: 100, len: 4, old: 1, new: 2 });
    // 1 -> 0 is not a refcount step (the blk free step says it).
    expect(steps.every((s) => s.t === 'refcount' && s.new > 0)).toBe(true);
  });
});
