import { describe, expect, test } from 'vitest';
import { mkfs, ok, pattern, violations } from './testutil';
import { FALLOC_FL_ZERO_RANGE } from './index';

const B = 4096;

describe('steps', () => {
  test('a traced mixed run emits balanced call/ret pairs, texts everywhere, and the same state as untraced', () => {
    const run = (trace: boolean) => {
      const fs = mkfs({ trace, blocks: 256 });
      const a = ok(fs.create('a'));
      const b = ok(fs.create('b'));
      fs.tracer.beginOp('write', {}, 'write a');
      ok(fs.write(a, 100, pattern(5 * B, 1)));
      fs.tracer.beginOp('clone', {}, 'clone a to b');
      ok(fs.clone(a, b));
      fs.tracer.beginOp('cow', {}, 'write b');
      ok(fs.write(b, B, pattern(10, 2)));
      fs.tracer.beginOp('zero', {}, 'zero range');
      ok(fs.fallocate(b, FALLOC_FL_ZERO_RANGE, 10, 2 * B));
      fs.tracer.beginOp('punch', {}, 'punch a hole');
      ok(fs.punch(a, 0, 3 * B));
      ok(fs.fsync(a));
      expect(ok(fs.read(b, 0, 20)).length).toBe(20);
      ok(fs.truncate(b, 10));
      ok(fs.unlink('a'));
      fs.crashRecover();
      expect(violations(fs)).toEqual([]);
      return fs;
    };
    const traced = run(true);
    const plain = run(false);
    expect(traced.dumpMetadata()).toBe(plain.dumpMetadata());
    expect(plain.tracer.steps.length).toBe(0);
    const steps = traced.tracer.steps;
    expect(steps.length).toBeGreaterThan(50);
    expect(traced.tracer.callStack).toEqual([]);
    let depth = 0;
    for (const s of steps) {
      expect(s.text.length, JSON.stringify(s)).toBeGreaterThan(5);
      if (s.t === 'op') depth = 0;
      if (s.t === 'call') depth++;
      if (s.t === 'ret') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    const kinds = new Set(steps.map((s) => s.t));
    for (const k of ['blk', 'refcount', 'extents', 'inode', 'call', 'ret']) expect(kinds.has(k as never), k).toBe(true);
    const fns = new Set(steps.map((s) => (s.t === 'call' ? s.fn : '')));
    for (const fn of ['xfs_bmapi_write', 'xfs_alloc_vextent', 'xfs_free_extent', 'xfs_reflink_remap_blocks', 'xfs_reflink_allocate_cow', 'xfs_reflink_end_cow', 'xfs_iomap_write_direct', 'xfs_direct_write_iomap_begin', 'xfs_read_iomap_begin', 'xfs_log_force', 'xlog_recover'])
      expect(fns.has(fn), fn).toBe(true);
  });

  test('extents steps carry whole old and new lists that chain', () => {
    const fs = mkfs({ trace: true });
    const a = ok(fs.create('a'));
    ok(fs.write(a, 0, pattern(3 * B, 1)));
    ok(fs.punch(a, B, B));
    ok(fs.write(a, B, pattern(B, 2)));
    let cur: unknown = [];
    for (const s of fs.tracer.steps) {
      if (s.t !== 'extents' || s.ino !== a) continue;
      expect(s.old).toEqual(cur);
      cur = s.new;
    }
    expect(cur).toEqual(ok(fs.stat(a)).extents);
  });
});
