/**
 * Bad input gives the kernel's outcome as data, never an exception, and leaves the machine
 * consistent: check() finds nothing and, where nothing should change, dumpState() is the same
 * before and after.
 *
 * Conventions in this file:
 *   prepared - a machine that has run some setup operations (so the processes and files the bad
 *              operation names already exist: a new process name would itself change the dump).
 *   same     - dumpState() compared as JSON text before and after the bad operation.
 *
 * What this model leaves out: nothing beyond what the engine leaves out (file descriptors:
 * "an operation on an unlinked inode" is an operation naming a file that is gone, or a
 * mapping or pin that outlives the name).
 */
import { describe, it, expect } from 'vitest';
import { Machine, type OpOutcome } from '../src/engine/machine';
import { validateScenario, type MachineConfig, type Op } from '../src/engine/ops';
import { XArray, xa_store, xa_store_order, xa_load, xa_mk_value, xa_is_err, xa_err, XA_STATE, xas_store, xas_error } from '../src/engine/lib/xarray';
import { xaDump } from '../src/engine/lib/xarray-dump';
import { Filesystem } from '../src/engine/fs/xfs';
import { PmemDevice } from '../src/engine/drivers/pmem';
import { plainMemoryProvider } from '../src/engine/mm/memory';
import { Tracer } from '../src/engine/trace/steps';
import { KErr } from '../src/engine/errno';

const PAGE = 4096;
const MiB = 1 << 20;

function prepared(ops: Op[], config: Partial<MachineConfig> = {}): Machine {
  const m = Machine.create({ version: 1, config, ops }, { trace: true });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  m.run();
  for (const o of m.outcomes) expect({ i: o.index, op: o.op.op, status: o.status, result: o.result }).toMatchObject({ status: 'done' });
  expect(m.check()).toEqual([]);
  return m;
}

/** Run one bad op; it must not throw; the machine stays consistent; optionally unchanged. */
function bad(m: Machine, op: Op, opts: { same?: boolean } = {}): OpOutcome {
  const before = JSON.stringify(m.dumpState());
  let o: OpOutcome | undefined;
  expect(() => (o = m.exec(op))).not.toThrow();
  expect(m.check()).toEqual([]);
  if (opts.same ?? true) expect(JSON.stringify(m.dumpState())).toBe(before);
  return o!;
}

const base: Op[] = [
  { op: 'create', file: 'f' },
  { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'hello, pmem' },
  { op: 'fsync', proc: 'A', file: 'f' },
];

describe('bad accesses are signals, as the kernel delivers them', () => {
  for (const dax of ['always', 'never'] as const) {
    it(`dax=${dax}: a store to a read-only mapping gets SIGSEGV and changes nothing`, () => {
      const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, prot: 'r', as: 'ro' }, { op: 'load', proc: 'A', addr: { map: 'ro' }, len: 5 }], { dax });
      const o = bad(m, { op: 'store', proc: 'A', addr: { map: 'ro', offset: 1 }, data: 'X' });
      expect(o.status).toBe('signal');
      expect(o.result).toMatchObject({ signal: 'SIGSEGV' });
      // The file still reads as before.
      expect(m.exec({ op: 'read', proc: 'A', file: 'f', offset: 0, len: 5 }).result).toEqual({ bytes: 5, data: 'hello' });
    });

    it(`dax=${dax}: a store after mprotect(PROT_READ) gets SIGSEGV`, () => {
      const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }, { op: 'mprotect', proc: 'A', addr: { map: 'm' }, length: PAGE, prot: 'r' }], { dax });
      const o = bad(m, { op: 'store', proc: 'A', addr: { map: 'm' }, data: 'X' });
      expect(o.result).toMatchObject({ signal: 'SIGSEGV' });
    });

    it(`dax=${dax}: an access outside any VMA gets SIGSEGV`, () => {
      const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }], { dax });
      for (const addr of [0, 0x1000, 0x7fff_0000_0000]) {
        expect(bad(m, { op: 'load', proc: 'A', addr, len: 8 }).result).toMatchObject({ signal: 'SIGSEGV', addr });
        expect(bad(m, { op: 'store', proc: 'A', addr, data: 'x' }).result).toMatchObject({ signal: 'SIGSEGV', addr });
      }
      // Just past the end of the mapping.
      expect(bad(m, { op: 'load', proc: 'A', addr: { map: 'm', offset: PAGE } }).result).toMatchObject({ signal: 'SIGSEGV' });
    });

    it(`dax=${dax}: an access to a page beyond EOF gets SIGBUS; the EOF page itself is fine`, () => {
      const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: 4 * PAGE, as: 'm' }, { op: 'load', proc: 'A', addr: { map: 'm' }, len: 1 }], { dax });
      expect(bad(m, { op: 'load', proc: 'A', addr: { map: 'm', offset: PAGE }, len: 1 }).result).toMatchObject({ signal: 'SIGBUS' });
      expect(bad(m, { op: 'store', proc: 'A', addr: { map: 'm', offset: 3 * PAGE + 5 }, data: 'x' }).result).toMatchObject({ signal: 'SIGBUS' });
      expect(bad(m, { op: 'flush', proc: 'A', addr: { map: 'm', offset: 2 * PAGE }, length: 64 }).result).toMatchObject({ signal: 'SIGBUS' });
      // Inside the EOF page but past i_size: no signal (the page exists).
      expect(m.exec({ op: 'load', proc: 'A', addr: { map: 'm', offset: 100 }, len: 1 }).status).toBe('done');
    });
  }

  it('MAP_SYNC on a dax=never file is EOPNOTSUPP and creates nothing', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }], { dax: 'never' });
    const o = bad(m, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, flags: 'sync', as: 's' });
    expect(o.status).toBe('error');
    expect(o.result).toMatchObject({ errno: 'EOPNOTSUPP', code: -95 });
    // The label was not created: using it is EINVAL, not an exception.
    expect(bad(m, { op: 'load', proc: 'A', addr: { map: 's' } }).result).toMatchObject({ errno: 'EINVAL' });
  });

  it('MAP_SYNC on a dax=always file is accepted', () => {
    const m = prepared(base, { dax: 'always' });
    expect(m.exec({ op: 'mmap', proc: 'A', file: 'f', length: PAGE, flags: 'sync', as: 's' }).status).toBe('done');
    expect(m.check()).toEqual([]);
  });
});

describe('pins', () => {
  it('truncate during a short-term pin waits, then completes after unpin', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }, { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'dma' }]);
    const t = m.exec({ op: 'truncate', proc: 'T', file: 'f', size: 0 });
    expect(t.status).toBe('blocked');
    expect(m.check()).toEqual([]);
    expect(m.fs.size(m.fs.lookup('f') as number)).toBe(11);
    // T cannot start something else meanwhile: that is an error outcome, not an exception.
    const busy = m.exec({ op: 'fsync', proc: 'T', file: 'f' });
    expect(busy.status).toBe('error');
    expect(m.exec({ op: 'unpin', proc: 'A', pin: 'dma' }).status).toBe('done');
    expect(t.status).toBe('done');
    expect(t.result).toBe(0);
    expect(m.pending).toEqual([]);
    expect(m.fs.size(m.fs.lookup('f') as number)).toBe(0);
    expect(m.check()).toEqual([]);
  });

  it('FOLL_LONGTERM on fsdax is EOPNOTSUPP and leaves no reference behind', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }, { op: 'load', proc: 'A', addr: { map: 'm' } }]);
    const o = bad(m, { op: 'pin', proc: 'A', addr: { map: 'm' }, longterm: true, as: 'rdma' });
    expect(o.result).toMatchObject({ errno: 'EOPNOTSUPP' });
    expect(bad(m, { op: 'unpin', proc: 'A', pin: 'rdma' }).result).toMatchObject({ errno: 'EINVAL' });
  });

  it('FOLL_LONGTERM on a page-cache file (dax=never) is allowed', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }], { dax: 'never' });
    expect(m.exec({ op: 'pin', proc: 'A', addr: { map: 'm' }, longterm: true, as: 'rdma' }).status).toBe('done');
    expect(m.check()).toEqual([]);
  });
});

describe('reflink', () => {
  it('a reflink across mounts is EXDEV (Filesystem.cloneRange with dstFs)', () => {
    const mk = (fsid: number) =>
      new Filesystem({
        dev: new PmemDevice({ size: 8 * MiB, memory: plainMemoryProvider() }),
        dataStart: 2 * MiB,
        nrBlocks: 1024,
        tracer: new Tracer(false),
        options: { dax: 'always', reflink: true },
        fsid,
      });
    const fs1 = mk(1);
    const fs2 = mk(2);
    const a = fs1.create('a') as number;
    expect(fs1.write(a, 0, new Uint8Array(PAGE).fill(7))).toBe(PAGE);
    const b = fs2.create('b') as number;
    const before1 = fs1.dumpMetadata();
    const before2 = fs2.dumpMetadata();
    let r: unknown;
    expect(() => (r = fs1.cloneRange(a, 0, PAGE, b, 0, fs2))).not.toThrow();
    expect(r).toBeInstanceOf(KErr);
    expect((r as KErr).errno).toBe('EXDEV');
    expect(fs1.dumpMetadata()).toBe(before1);
    expect(fs2.dumpMetadata()).toBe(before2);
  });

  const two: Op[] = [
    { op: 'create', file: 'a' },
    { op: 'write', proc: 'A', file: 'a', offset: 0, fill: 1, len: 4 * PAGE },
    { op: 'create', file: 'b' },
    { op: 'write', proc: 'A', file: 'b', offset: 0, fill: 2, len: 4 * PAGE },
  ];
  const cases: [string, Partial<Extract<Op, { op: 'reflink' }>>][] = [
    ['an unaligned source offset', { src: 'a', dst: 'b', srcOffset: 100, dstOffset: 0, length: PAGE }],
    ['an unaligned destination offset', { src: 'a', dst: 'b', srcOffset: 0, dstOffset: 512, length: PAGE }],
    ['an unaligned length that does not end at the source EOF', { src: 'a', dst: 'b', srcOffset: 0, dstOffset: 0, length: PAGE + 1 }],
    ['overlapping ranges of one file', { src: 'a', dst: 'a', srcOffset: 0, dstOffset: PAGE, length: 2 * PAGE }],
    ['a source offset past EOF', { src: 'a', dst: 'b', srcOffset: 8 * PAGE, dstOffset: 0, length: PAGE }],
  ];
  for (const [what, args] of cases) {
    it(`FICLONERANGE with ${what} is EINVAL and changes nothing`, () => {
      const m = prepared(two);
      const o = bad(m, { op: 'reflink', proc: 'A', ...args } as Op);
      expect(o.status).toBe('error');
      expect(o.result).toMatchObject({ errno: 'EINVAL', code: -22 });
    });
  }
});

describe('space and names', () => {
  it('a write beyond the device capacity into unallocated space is ENOSPC and changes nothing', () => {
    const m = prepared([{ op: 'create', file: 'f' }, { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'x' }], { deviceSize: 4 * MiB });
    const o = bad(m, { op: 'write', proc: 'A', file: 'f', offset: PAGE, fill: 1, len: 5 * MiB });
    expect(o.status).toBe('error');
    expect(o.result).toMatchObject({ errno: 'ENOSPC', code: -28 });
  });

  it('a write that starts in allocated blocks and then runs out of space is short (the bytes that fit), as write(2) is', () => {
    const m = prepared([{ op: 'create', file: 'f' }, { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'x' }], { deviceSize: 4 * MiB });
    const o = bad(m, { op: 'write', proc: 'A', file: 'f', offset: 0, fill: 1, len: 5 * MiB }, { same: false });
    expect(o.status).toBe('done');
    expect(o.result as number).toBeGreaterThan(0);
    expect(o.result as number).toBeLessThan(5 * MiB);
    expect(m.fs.size(m.fs.lookup('f') as number)).toBe(o.result);
  });

  it('dax=never: a buffered write past the capacity is short too, and fsync then succeeds; never an exception', () => {
    const m = prepared([{ op: 'create', file: 'f' }], { deviceSize: 4 * MiB, dax: 'never' });
    const w = m.exec({ op: 'write', proc: 'A', file: 'f', offset: 0, fill: 1, len: 5 * MiB });
    expect(w.status).toBe('done');
    expect(w.result as number).toBeLessThan(5 * MiB);
    expect(m.exec({ op: 'fsync', proc: 'A', file: 'f' }).result).toBe(0);
    expect(m.check()).toEqual([]);
  });

  it('operations naming an unlinked file are ENOENT; its mapping still works until munmap', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }, { op: 'unlink', proc: 'A', file: 'f' }]);
    const ops: Op[] = [
      { op: 'write', proc: 'A', file: 'f', offset: 0, data: 'x' },
      { op: 'read', proc: 'A', file: 'f', offset: 0, len: 1 },
      { op: 'fsync', proc: 'A', file: 'f' },
      { op: 'truncate', proc: 'A', file: 'f', size: 0 },
      { op: 'punch', proc: 'A', file: 'f', offset: 0, length: PAGE },
      { op: 'fallocate', proc: 'A', file: 'f', offset: 0, length: PAGE },
      { op: 'mmap', proc: 'A', file: 'f', length: PAGE },
      { op: 'unlink', proc: 'A', file: 'f' },
      { op: 'reflink', proc: 'A', src: 'f', dst: 'f' },
      { op: 'poison', file: 'f', offset: 0 },
    ];
    for (const op of ops) expect({ op: op.op, r: bad(m, op).result }).toMatchObject({ op: op.op, r: { errno: 'ENOENT' } });
    // The open mapping keeps the inode: loads still see its data.
    expect(m.exec({ op: 'load', proc: 'A', addr: { map: 'm' }, len: 5 }).result).toEqual({ bytes: 5, data: 'hello' });
    expect(m.check()).toEqual([]);
  });

  it('unknown labels, pins and pause points are errors as data', () => {
    const m = prepared(base);
    expect(bad(m, { op: 'load', proc: 'A', addr: { map: 'nope' } }).result).toMatchObject({ errno: 'EINVAL' });
    expect(bad(m, { op: 'unpin', proc: 'A', pin: 'nope' }).result).toMatchObject({ errno: 'EINVAL' });
    const r = m.exec({ op: 'resume', proc: 'A' });
    expect(r.status).toBe('error');
    expect(m.check()).toEqual([]);
  });

  it('mmap with an unaligned offset or munmap/msync of an unaligned address is EINVAL', () => {
    const m = prepared([...base, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, as: 'm' }]);
    expect(bad(m, { op: 'mmap', proc: 'A', file: 'f', length: PAGE, offset: 100 }).result).toMatchObject({ errno: 'EINVAL' });
    expect(bad(m, { op: 'munmap', proc: 'A', addr: { map: 'm', offset: 1 }, length: PAGE }).result).toMatchObject({ errno: 'EINVAL' });
    expect(bad(m, { op: 'msync', proc: 'A', addr: { map: 'm', offset: 1 }, length: PAGE }).result).toMatchObject({ errno: 'EINVAL' });
    expect(bad(m, { op: 'mprotect', proc: 'A', addr: 0x1000, length: PAGE, prot: 'r' }).result).toMatchObject({ errno: 'ENOMEM' });
  });
});

describe('XArray bad input (src/engine/lib/xarray.ts)', () => {
  it('an unaligned multi-order store is EINVAL and leaves the array alone', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(3));
    const before = JSON.stringify(xaDump(xa));
    let r: unknown;
    expect(() => (r = xa_store_order(xa, 513, 9, xa_mk_value(1)))).not.toThrow();
    expect(xa_is_err(r)).toBe(true);
    expect(xa_err(r)).toBe(-22);
    expect(JSON.stringify(xaDump(xa))).toBe(before);
  });

  it('an index beyond 2^53-1 is EINVAL for the normal API and the advanced one', () => {
    const xa = new XArray('t');
    xa_store(xa, 3, xa_mk_value(3));
    const before = JSON.stringify(xaDump(xa));
    for (const idx of [2 ** 53, Number.MAX_SAFE_INTEGER + 2, 2 ** 64]) {
      expect(xa_err(xa_store(xa, idx, xa_mk_value(1)))).toBe(-22);
      expect(xa_is_err(xa_load(xa, idx))).toBe(true);
      const xas = XA_STATE(xa, idx);
      expect(() => xas_store(xas, xa_mk_value(1))).not.toThrow();
      expect(xas_error(xas)).toBe(-22);
    }
    // The largest legal index works.
    expect(xa_is_err(xa_store(xa, Number.MAX_SAFE_INTEGER, xa_mk_value(9)))).toBe(false);
    expect(xa_load(xa, Number.MAX_SAFE_INTEGER)).toBe(xa_mk_value(9));
    expect(JSON.stringify(xaDump(xa))).not.toBe(before);
  });
});

describe('malformed scenarios', () => {
  const errorsOf = (x: unknown) => {
    let v: ReturnType<typeof validateScenario> | undefined;
    expect(() => (v = validateScenario(x))).not.toThrow();
    expect(v && 'errors' in v).toBe(true);
    return (v as { errors: { index: number; field: string | null; message: string }[] }).errors;
  };

  it('a misspelt operation names its index and suggests the right one', () => {
    const e = errorsOf({ version: 1, ops: [{ op: 'create', file: 'f' }, { op: 'mmmap', proc: 'A', file: 'f', length: 4096 }] });
    expect(e).toEqual([expect.objectContaining({ index: 1, field: 'op', message: expect.stringContaining('did you mean "mmap"') })]);
  });

  it('a misspelt field names the op index, the field, and a suggestion', () => {
    const e = errorsOf([{ op: 'write', file: 'f', ofset: 0, data: 'x' }]);
    expect(e).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 0, field: 'offset', message: expect.stringContaining('needs "offset"') }),
        expect.objectContaining({ index: 0, field: 'ofset', message: expect.stringContaining('did you mean "offset"') }),
      ]),
    );
  });

  it('a misspelt config setting suggests the right one; a bad value lists the choices', () => {
    const e = errorsOf({ version: 1, config: { plattform: 'adr', dax: 'sometimes', deviceSize: 3 }, ops: [] });
    expect(e).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: -1, field: 'config.plattform', message: expect.stringContaining('did you mean "platform"') }),
        expect.objectContaining({ index: -1, field: 'config.dax', message: expect.stringContaining('"always"') }),
        expect.objectContaining({ index: -1, field: 'config.deviceSize' }),
      ]),
    );
  });

  it('wrong types, negative numbers, bad addresses and bad enums are reported per field', () => {
    const e = errorsOf([
      { op: 'read', file: 'f', offset: -1, len: 'ten' },
      { op: 'load', proc: 'A', addr: { map: 3 } },
      { op: 'mmap', proc: 'A', file: 'f', length: 4096, flags: 'shard', prot: 'wx' },
      { op: 'store', proc: 7, addr: 0 },
      'crash',
    ]);
    const where = e.map((x) => `${x.index}:${x.field}`);
    expect(where).toEqual(expect.arrayContaining(['0:offset', '0:len', '1:addr', '2:flags', '2:prot', '3:proc', '4:null']));
  });

  it('a wrong version, a missing op list and a non-object are errors, and Machine.create returns them', () => {
    expect(errorsOf({ version: 2, ops: [] })[0]).toMatchObject({ index: -1, field: 'version' });
    expect(errorsOf({ version: 1 })[0]).toMatchObject({ index: -1, field: 'ops' });
    expect(errorsOf(42)[0]).toMatchObject({ index: -1, field: null });
    expect(errorsOf(null)[0]).toMatchObject({ index: -1 });
    const m = Machine.create({ version: 1, ops: [{ op: 'crsh' }] });
    expect('errors' in m && m.errors[0]).toMatchObject({ index: 0, field: 'op', message: expect.stringContaining('did you mean "crash"') });
  });
});
