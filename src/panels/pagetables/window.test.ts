import { describe, expect, it } from 'vitest';
import { leavesToShow } from './Panel';

describe('page-table leaves listed', () => {
  const leaves = Array.from({ length: 10 }, (_, i) => i);

  it('lists every leaf when there are at most `limit`', () => {
    expect(leavesToShow(leaves, 10, () => false)).toEqual({ shown: leaves, hidden: 0 });
  });

  it('lists the first `limit`, then the kept ones in order, and counts the rest', () => {
    expect(leavesToShow(leaves, 3, (l) => l === 7 || l === 1 || l === 9)).toEqual({ shown: [0, 1, 2, 7, 9], hidden: 5 });
    expect(leavesToShow(leaves, 3, () => false)).toEqual({ shown: [0, 1, 2], hidden: 7 });
  });
});
