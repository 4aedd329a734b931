/**
 * Property test of the whole filesystem model against a reference: one byte array and size
 * per file. Random sequences of create / write / read / truncate / punch / fallocate / clone /
 * cloneRange / unlink / open / close / fsync / crash over a few files on small devices, with
 * checkFilesystem() after every operation and read-back equality.
 *
 * Durability: the reference keeps a durable copy, taken whenever the filesystem forces its log
 * (fsync of a dirty inode, or a busy-extent flush at the start of an allocating call). After a
 * crash, names and sizes must equal the durable copy exactly, and every block a file's ops did
 * not touch since that force must hold the durable bytes (touched blocks may hold either: data
 * is not journalled, writes land in place at once).
 */

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { isErr, type KErr } from '../../errno';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_ZERO_RANGE, type Filesystem } from './index';
import { mkfs, pattern, violations } from './testutil';
import type { PmemDevice } from '../../drivers/pmem';

const B = 4096;
const MAX_FILE = 20 * B;
const NAMES = ['f0', 'f1', 'f2', 'f3'];

interface Rec {
  ino: number;
  data: Uint8Array; // capacity MAX_FILE * 2; bytes past size are always zero
  size: number;
  touched: Set<number>; // blocks changed since the last log force
  handles: number;
}

interface Durable {
  rec: Rec;
  bytes: Uint8Array;
  size: number;
}

type Op =
  | { k: 'create'; f: number }
  | { k: 'write'; f: number; off: number; len: number; seed: number }
  | { k: 'read'; f: number; off: number; len: number }
  | { k: 'truncate'; f: number; size: number }
  | { k: 'falloc'; f: number; mode: number; off: number; len: number }
  | { k: 'clone'; f: number; g: number }
  | { k: 'cloneRange'; f: number; g: number; srcOff: number; len: number; dstOff: number }
  | { k: 'unlink'; f: number }
  | { k: 'open'; f: number }
  | { k: 'close'; f: number }
  | { k: 'fsync'; f: number }
  | { k: 'crash' };

const offArb = fc.oneof(
  fc.integer({ min: 0, max: 16 }).map((b) => b * B),
  fc.integer({ min: 0, max: 16 * B }),
);
const lenArb = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((b) => b * B),
  fc.integer({ min: 1, max: 3 * B }),
);
const f = fc.integer({ min: 0, max: NAMES.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('create' as const), f }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('write' as const), f, off: offArb, len: lenArb, seed: fc.integer({ min: 1, max: 1e6 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('read' as const), f, off: offArb, len: lenArb }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('truncate' as const), f, size: offArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('falloc' as const),
      f,
      mode: fc.constantFrom(0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE),
      off: offArb,
      len: lenArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('clone' as const), f, g: f }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('cloneRange' as const),
      f,
      g: f,
      srcOff: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map((b) => b * B) }, { weight: 1, arbitrary: offArb }),
      len: fc.oneof(fc.constant(0), lenArb),
      dstOff: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }).map((b) => b * B) }, { weight: 1, arbitrary: offArb }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlink' as const), f }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('open' as const), f }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), f }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fsync' as const), f }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const) }) },
);

/** Expected clone result per fs/remap_range.c, written independently of the engine. */
function cloneExpect(src: Rec, srcOff: number, len: number, dst: Rec, dstOff: number): { errno: string } | { count: number } {
  const sizeIn = src.size;
  if (len === 0) {
    if (srcOff === sizeIn) return { count: 0 };
    if (srcOff > sizeIn) return { errno: 'EINVAL' };
    len = sizeIn - srcOff;
  }
  if (srcOff % B || dstOff % B) return { errno: 'EINVAL' };
  if (srcOff >= sizeIn) return { errno: 'EINVAL' };
  let count = Math.min(len, sizeIn - srcOff);
  let bcount = count;
  if (srcOff + count === sizeIn) bcount = Math.ceil(sizeIn / B) * B - srcOff;
  else bcount = count = count - (count % B);
  if (src === dst && dstOff + bcount > srcOff && dstOff < srcOff + bcount) return { errno: 'EINVAL' };
  if (count !== len) return { errno: 'EINVAL' };
  if (count % B && dstOff + count < dst.size) return { errno: 'EINVAL' };
  return { count };
}

function touch(r: Rec, from: number, to: number): void {
  for (let b = Math.floor(from / B); b < Math.ceil(to / B); b++) r.touched.add(b);
}

function zeroRef(r: Rec, from: number, to: number): void {
  if (to > from) r.data.fill(0, from, to);
}

/** What a case exercised: the generator must reach the interesting paths, not just pass. */
interface Stats {
  ops: number;
  writes: number;
  clones: number;
  refusedClones: number;
  enospc: number;
  crashes: number;
  survivors: number;
  shared: number;
  busyForces: number;
}

function newStats(): Stats {
  return { ops: 0, writes: 0, clones: 0, refusedClones: 0, enospc: 0, crashes: 0, survivors: 0, shared: 0, busyForces: 0 };
}

function runSequence(fs: Filesystem, ops: Op[], st: Stats): void {
  const named = new Map<string, Rec>();
  const dead: number[] = [];
  let durable = new Map<string, Durable>();
  const openRecs: Rec[] = [];
  let recovering = false;
  fs.log.onForce((reason) => {
    if (reason.includes('busy')) st.busyForces++;
    if (recovering) return; // the force that ends recovery commits the recovered state
    durable = new Map([...named].map(([n, r]) => [n, { rec: r, bytes: r.data.slice(0, r.size), size: r.size }]));
    for (const r of named.values()) r.touched.clear();
    for (const r of openRecs) r.touched.clear();
  });
  const recOf = (i: number): Rec | undefined => named.get(NAMES[i]);
  const checkRead = (r: Rec, why: string): void => {
    const got = fs.read(r.ino, 0, MAX_FILE * 4);
    if (isErr(got)) throw new Error(`${why}: read of inode ${r.ino} failed: ${got.toString()}`);
    expect(got.length, `${why}: size of inode ${r.ino}`).toBe(r.size);
    for (let i = 0; i < r.size; i++) if (got[i] !== r.data[i]) throw new Error(`${why}: inode ${r.ino} byte ${i} is ${got[i]}, expected ${r.data[i]}`);
  };
  const expectErr = (res: unknown, errno: string, why: string): void => {
    expect(isErr(res) ? (res as KErr).errno : 'ok', why).toBe(errno);
  };

  for (let step = 0; step < ops.length; step++) {
    const op = ops[step];
    const why = `step ${step} ${JSON.stringify(op)}`;
    const before = fs.dumpMetadata();
    st.ops++;
    if (fs.refcount.size > 0) st.shared++;
    const enospcOk = (res: unknown): boolean => {
      if (isErr(res) && res.errno === 'ENOSPC') {
        st.enospc++;
        expect(fs.dumpMetadata(), `${why}: ENOSPC must leave the model unchanged`).toBe(before);
        return true;
      }
      return false;
    };
    switch (op.k) {
      case 'create': {
        const res = fs.create(NAMES[op.f]);
        if (named.has(NAMES[op.f])) expectErr(res, 'EEXIST', why);
        else {
          if (isErr(res)) throw new Error(`${why}: ${res.toString()}`);
          // Recovery rewinds the inode allocator, so a number seen dead may be handed out again.
          if (dead.includes(res)) dead.splice(dead.indexOf(res), 1);
          named.set(NAMES[op.f], { ino: res, data: new Uint8Array(MAX_FILE * 4), size: 0, touched: new Set(), handles: 0 });
        }
        break;
      }
      case 'write': {
        const r = recOf(op.f);
        const data = pattern(op.len, op.seed);
        if (!r) {
          expectErr(fs.write(dead.length ? dead[0] : 9999, op.off, data), 'ENOENT', why);
          break;
        }
        const res = fs.write(r.ino, op.off, data);
        if (enospcOk(res)) break;
        if (isErr(res)) throw new Error(`${why}: ${res.toString()}`);
        expect(res).toBe(op.len);
        st.writes++;
        touch(r, Math.min(r.size, op.off), op.off + op.len);
        r.data.set(data, op.off);
        r.size = Math.max(r.size, op.off + op.len);
        checkRead(r, why);
        break;
      }
      case 'read': {
        const r = recOf(op.f);
        if (!r) break;
        const got = fs.read(r.ino, op.off, op.len);
        if (isErr(got)) throw new Error(`${why}: ${got.toString()}`);
        const want = r.data.slice(op.off, Math.max(op.off, Math.min(op.off + op.len, r.size)));
        expect(Array.from(got), why).toEqual(Array.from(want));
        break;
      }
      case 'truncate': {
        const r = recOf(op.f);
        if (!r) break;
        const res = fs.truncate(r.ino, op.size);
        if (enospcOk(res)) break;
        if (isErr(res)) throw new Error(`${why}: ${res.toString()}`);
        touch(r, Math.min(r.size, op.size), Math.max(r.size, op.size) + B);
        if (op.size < r.size) zeroRef(r, op.size, r.size);
        r.size = op.size;
        checkRead(r, why);
        break;
      }
      case 'falloc': {
        const r = recOf(op.f);
        if (!r) break;
        const res = fs.fallocate(r.ino, op.mode, op.off, op.len);
        if (enospcOk(res)) break;
        if (isErr(res)) throw new Error(`${why}: ${res.toString()}`);
        const end = op.off + op.len;
        touch(r, op.off, end);
        if (end > r.size) touch(r, r.size, end);
        if (op.mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) zeroRef(r, op.off, Math.min(end, r.size));
        if (!(op.mode & FALLOC_FL_KEEP_SIZE)) r.size = Math.max(r.size, end);
        checkRead(r, why);
        break;
      }
      case 'clone':
      case 'cloneRange': {
        const s = recOf(op.f);
        const d = recOf(op.g);
        if (!s || !d) break;
        const srcOff = op.k === 'clone' ? 0 : op.srcOff;
        const dstOff = op.k === 'clone' ? 0 : op.dstOff;
        const len = op.k === 'clone' ? 0 : op.len;
        const exp = cloneExpect(s, srcOff, len, d, dstOff);
        const res = op.k === 'clone' ? fs.clone(s.ino, d.ino) : fs.cloneRange(s.ino, srcOff, len, d.ino, dstOff);
        if ('errno' in exp) {
          st.refusedClones++;
          expectErr(res, exp.errno, why);
          expect(fs.dumpMetadata(), `${why}: a refused clone changes nothing`).toBe(before);
          break;
        }
        if (enospcOk(res)) break;
        if (isErr(res)) throw new Error(`${why}: expected success, got ${res.toString()}`);
        if (exp.count > 0) {
          st.clones++;
          touch(d, Math.min(d.size, dstOff), dstOff + exp.count + B);
          d.data.set(s.data.slice(srcOff, srcOff + exp.count), dstOff);
          d.size = Math.max(d.size, dstOff + exp.count);
        }
        checkRead(d, why);
        checkRead(s, why);
        break;
      }
      case 'unlink': {
        const r = recOf(op.f);
        const res = fs.unlink(NAMES[op.f]);
        if (!r) {
          expectErr(res, 'ENOENT', why);
          break;
        }
        if (isErr(res)) throw new Error(`${why}: ${res.toString()}`);
        named.delete(NAMES[op.f]);
        touch(r, 0, r.size + B);
        if (r.handles === 0) {
          dead.push(r.ino);
          expectErr(fs.read(r.ino, 0, 1), 'ENOENT', `${why}: the freed inode is stale`);
        } else checkRead(r, `${why}: an open unlinked file stays readable`);
        break;
      }
      case 'open': {
        const r = recOf(op.f);
        if (!r) break;
        expect(fs.open(NAMES[op.f]), why).toBe(r.ino);
        r.handles++;
        openRecs.push(r);
        break;
      }
      case 'close': {
        const r = openRecs.shift();
        if (!r) break;
        expect(fs.close(r.ino), why).toBe(0);
        r.handles--;
        if (r.handles === 0 && ![...named.values()].includes(r)) {
          dead.push(r.ino);
          expectErr(fs.write(r.ino, 0, new Uint8Array(1)), 'ENOENT', `${why}: the last close freed the unlinked inode`);
        }
        break;
      }
      case 'fsync': {
        const r = recOf(op.f) ?? openRecs[0];
        if (!r) break;
        expect(fs.fsync(r.ino), why).toBe(0);
        break;
      }
      case 'crash': {
        (fs.dev as PmemDevice).powerFail();
        recovering = true;
        fs.crashRecover();
        recovering = false;
        st.crashes++;
        const names = [...durable.keys()].sort();
        st.survivors += names.length;
        expect([...fs.names.keys()].sort(), `${why}: names after recovery`).toEqual(names);
        named.clear();
        openRecs.length = 0;
        for (const n of names) {
          const dur = durable.get(n)!;
          const ino = fs.names.get(n)!;
          expect(ino, `${why}: inode of ${n}`).toBe(dur.rec.ino);
          const got = fs.read(ino, 0, MAX_FILE * 4);
          if (isErr(got)) throw new Error(`${why}: ${got.toString()}`);
          expect(got.length, `${why}: durable size of ${n}`).toBe(dur.size);
          for (let i = 0; i < dur.size; i++) {
            if (dur.rec.touched.has(Math.floor(i / B))) continue;
            if (got[i] !== dur.bytes[i]) throw new Error(`${why}: ${n} byte ${i} is ${got[i]} after recovery, durable copy says ${dur.bytes[i]}`);
          }
          // Adopt what survived.
          const data = new Uint8Array(MAX_FILE * 4);
          data.set(got);
          named.set(n, { ino, data, size: dur.size, touched: new Set(), handles: 0 });
        }
        durable = new Map([...named].map(([n, r]) => [n, { rec: r, bytes: r.data.slice(0, r.size), size: r.size }]));
        // An unlink that never reached the log is undone: that inode lives again.
        for (let i = dead.length - 1; i >= 0; i--) if (fs.inodes.has(dead[i])) dead.splice(i, 1);
        break;
      }
    }
    const bad = violations(fs);
    if (bad.length) throw new Error(`${why}: ${bad.slice(0, 5).join('\n')}`);
  }
  for (const r of named.values()) checkRead(r, 'end of sequence');
}

describe('filesystem model vs a reference of byte arrays', () => {
  const cases: { name: string; blocks: number; dax: 'always' | 'never'; seed: number; runs: number; min: Partial<Stats> }[] = [
    { name: 'DAX, roomy device', blocks: 1024, dax: 'always', seed: 4242, runs: 200, min: { writes: 1500, clones: 150, crashes: 150, survivors: 400, shared: 500 } },
    { name: 'DAX, tiny device (ENOSPC, fragmentation, busy extents)', blocks: 44, dax: 'always', seed: 777, runs: 400, min: { enospc: 25, busyForces: 25, clones: 150, crashes: 150 } },
    { name: 'non-DAX (direct-I/O path, unwritten conversion)', blocks: 160, dax: 'never', seed: 99, runs: 200, min: { writes: 1500, clones: 150, crashes: 150 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const st = newStats();
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 20, maxLength: 50, size: 'max' }), (ops) => {
          const fs = mkfs({ blocks: c.blocks, dax: c.dax });
          // Start from three durable, empty files so most operations have something to act on.
          const pre: Op[] = [{ k: 'create', f: 0 }, { k: 'create', f: 1 }, { k: 'create', f: 2 }, { k: 'fsync', f: 0 }];
          runSequence(fs, [...pre, ...ops], st);
        }),
        { seed: c.seed, numRuns: c.runs },
      );
      for (const [k, v] of Object.entries(c.min)) expect(st[k as keyof Stats], `${k} exercised (${JSON.stringify(st)})`).toBeGreaterThanOrEqual(v);
    });
  }
});
