import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CACHELINE_SIZE, GiB, MiB, PAGE_SIZE, TiB } from '../constants';
import { isErr } from '../errno';
import { Tracer, type Step } from '../trace/steps';
import { countingMemoryProvider, plainMemoryProvider, sharedMemoryProvider, type MemoryProvider } from '../mm/memory';
import { locatePage, PmemDevice, type Platform } from './pmem';

function dev(platform: Platform = 'adr', memory: MemoryProvider = plainMemoryProvider(), size = 4 * MiB, tracer: Tracer | null = null): PmemDevice {
  return new PmemDevice({ size, platform, memory, tracer });
}

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('PmemDevice cache semantics', () => {
  it('a cached store is visible to loads but not durable until flushed', () => {
    const d = dev();
    d.writeCached(100, bytes(10, 0xaa));
    expect([...d.read(100, 10)]).toEqual(Array(10).fill(0xaa));
    expect([...d.readMedia(100, 10)]).toEqual(Array(10).fill(0));
    expect(d.dirtyLines()).toEqual([64]);
    expect(d.isPageDirty(0)).toBe(true);
    expect(d.flush(0, PAGE_SIZE)).toBe(1);
    expect([...d.readMedia(100, 10)]).toEqual(Array(10).fill(0xaa));
    expect(d.dirtyLines()).toEqual([]);
    expect(d.isPageDirty(0)).toBe(false);
    expect(d.isPageWritten(0)).toBe(true);
  });

  it('ADR power failure loses unflushed stores and keeps flushed and NT data', () => {
    const d = dev('adr');
    d.writeCached(0, bytes(64, 1));
    d.flush(0, 64);
    d.writeNT(PAGE_SIZE, bytes(100, 2));
    d.writeCached(2 * PAGE_SIZE, bytes(200, 3));
    d.writeCached(10, bytes(4, 9)); // re-dirties a flushed line
    const r = d.powerFail();
    expect(r).toEqual({ lostLines: 5, drainedLines: 0 });
    expect([...d.read(0, 64)]).toEqual(Array(64).fill(1));
    expect([...d.read(PAGE_SIZE, 100)]).toEqual(Array(100).fill(2));
    expect([...d.read(2 * PAGE_SIZE, 200)]).toEqual(Array(200).fill(0));
    expect(d.dirtyLines()).toEqual([]);
    expect(d.isPageWritten(2)).toBe(false);
  });

  it('eADR power failure drains every dirty line to media', () => {
    const d = dev('eadr');
    expect(d.writeCache).toBe(false);
    expect(d.persistenceDomain).toBe('cpu_cache');
    d.writeCached(2 * PAGE_SIZE, bytes(200, 3));
    d.writeCached(5, bytes(1, 7));
    const r = d.powerFail();
    expect(r).toEqual({ lostLines: 0, drainedLines: 5 });
    expect([...d.readMedia(2 * PAGE_SIZE, 200)]).toEqual(Array(200).fill(3));
    expect(d.readMedia(5, 1)[0]).toBe(7);
  });

  it('flush counts only dirty lines in range, and a second flush finds none', () => {
    const d = dev();
    d.writeCached(0, bytes(3 * CACHELINE_SIZE, 1)); // lines 0,1,2
    d.writeCached(10 * CACHELINE_SIZE, bytes(1, 1)); // line 10
    expect(d.flush(CACHELINE_SIZE, CACHELINE_SIZE + 1)).toBe(2); // lines 1 and 2
    expect(d.dirtyLines()).toEqual([0, 10 * CACHELINE_SIZE]);
    expect(d.flush(0, PAGE_SIZE)).toBe(2);
    expect(d.flush(0, PAGE_SIZE)).toBe(0);
    expect(d.flush(0, 0)).toBe(0);
  });

  it('a partial-line store keeps the rest of the line from media', () => {
    const d = dev();
    d.writeNT(0, bytes(64, 5));
    d.writeCached(8, bytes(4, 6));
    d.powerFail();
    expect([...d.read(0, 64)]).toEqual(Array(64).fill(5));
    d.writeCached(8, bytes(4, 6));
    d.flush(8, 1);
    const expected = Array(64).fill(5);
    expected.fill(6, 8, 12);
    expect([...d.readMedia(0, 64)]).toEqual(expected);
  });

  it('a store spanning lines and pages dirties every line it touches', () => {
    const t = new Tracer(true);
    const d = dev('adr', plainMemoryProvider(), 4 * MiB, t);
    d.writeCached(PAGE_SIZE - 70, bytes(140, 4));
    expect(d.dirtyLines()).toEqual([PAGE_SIZE - 128, PAGE_SIZE - 64, PAGE_SIZE, PAGE_SIZE + 64]);
    expect(d.isPageDirty(0) && d.isPageDirty(1)).toBe(true);
    const step = t.steps.find((s) => s.t === 'cache')!;
    expect(step).toMatchObject({ t: 'cache', action: 'dirty', addr: PAGE_SIZE - 128, len: 256 });
    expect(d.flush(0, 2 * PAGE_SIZE)).toBe(4);
    const flushes = t.steps.filter((s) => s.t === 'cache' && s.action === 'flush');
    expect(flushes).toHaveLength(1); // one coalesced run across the page boundary
    expect(flushes[0]).toMatchObject({ addr: PAGE_SIZE - 128, len: 256 });
    expect(flushes[0].text).toMatch(/^clwb writes back 4 dirty cache lines at 0xf80/);
  });

  it('an NT store drops wholly covered dirty lines and merges partly covered ones', () => {
    const t = new Tracer(true);
    const d = dev('adr', plainMemoryProvider(), 4 * MiB, t);
    d.writeCached(0, bytes(192, 1)); // lines 0..2 dirty with 1s
    d.writeNT(32, bytes(64, 2)); // line 0 partly, line 1 partly
    // media: line 0 = 1s then 2s from 32; line 1 = 2s to 96 then 1s; line 2 still dirty only
    const media = d.readMedia(0, 192);
    expect([...media.subarray(0, 32)]).toEqual(Array(32).fill(1));
    expect([...media.subarray(32, 96)]).toEqual(Array(64).fill(2));
    expect([...media.subarray(96, 128)]).toEqual(Array(32).fill(1));
    expect([...media.subarray(128, 192)]).toEqual(Array(64).fill(0));
    expect(d.dirtyLines()).toEqual([128]);
    d.writeNT(128, bytes(64, 3)); // wholly covers line 2
    expect(d.dirtyLines()).toEqual([]);
    const kinds = t.steps.map((s: Step) => (s.t === 'cache' ? `${s.t}:${s.action}` : s.t));
    expect(kinds).toEqual(['cache:dirty', 'cache:flush', 'media', 'cache:discard', 'media']);
    d.powerFail();
    expect([...d.read(128, 64)]).toEqual(Array(64).fill(3));
  });

  it('zeroNT zeroes media and dirty lines, without allocating for never-written pages', () => {
    const d = dev();
    d.writeNT(0, bytes(PAGE_SIZE, 9));
    d.writeCached(PAGE_SIZE * 3, bytes(10, 9));
    const before = d.stats().mediaPages;
    d.zeroNT(0, 4 * PAGE_SIZE);
    expect(d.stats().mediaPages).toBe(before);
    expect(d.read(0, 4 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    expect(d.isPageWritten(3)).toBe(false);
    expect(d.dirtyLines()).toEqual([]);
  });

  it('power failure steps report discard on ADR and drain on eADR', () => {
    for (const platform of ['adr', 'eadr'] as const) {
      const t = new Tracer(true);
      const d = dev(platform, plainMemoryProvider(), 4 * MiB, t);
      d.writeCached(0, bytes(1, 1));
      d.writeCached(PAGE_SIZE * 2, bytes(1, 1));
      d.powerFail();
      const last = t.steps.slice(-2);
      expect(last.map((s) => (s.t === 'cache' ? s.action : s.t))).toEqual(platform === 'adr' ? ['discard', 'discard'] : ['drain', 'drain']);
    }
  });

  it('poisoned pages fail machine-check-safe loads and survive power failure', () => {
    const d = dev();
    d.writeNT(PAGE_SIZE, bytes(8, 1));
    d.poison(1);
    expect(d.isPoisoned(1)).toBe(true);
    const r = d.readMc(PAGE_SIZE - 4, 8);
    expect(isErr(r) && r.errno).toBe('EIO');
    expect(d.readMc(0, 8)).toBeInstanceOf(Uint8Array);
    expect(d.firstPoisonedPage(0, 3 * PAGE_SIZE)).toBe(1);
    d.powerFail();
    expect(d.poisonedPages()).toEqual([1]);
    d.clearPoison(1);
    expect(d.firstPoisonedPage(0, d.size)).toBe(-1);
  });

  it('bad sizes are -EINVAL from create(); bad offsets are engine bugs', () => {
    expect(isErr(PmemDevice.create({ size: 3 * MiB }))).toBe(true);
    expect(isErr(PmemDevice.create({ size: 0 }))).toBe(true);
    expect(isErr(PmemDevice.create({ size: 128 * TiB }))).toBe(true);
    const ok = PmemDevice.create({ memory: plainMemoryProvider() });
    expect(!isErr(ok) && ok.size).toBe(64 * MiB);
    const d = dev();
    expect(() => d.read(d.size - 1, 2)).toThrow(/engine bug/);
    expect(() => d.writeCached(-1, bytes(1, 1))).toThrow(/engine bug/);
  });
});

describe('PmemDevice sparse layout', () => {
  it('a 64 GiB device allocates only its top-level directory', () => {
    const mem = countingMemoryProvider(plainMemoryProvider());
    const d = new PmemDevice({ size: 64 * GiB, memory: mem });
    expect(d.nrPages).toBe(16 * 1024 * 1024);
    expect(mem.buffers).toBe(1);
    expect(mem.bytes).toBe(4096 * 4); // one Int32 per 16 MiB
    expect(d.stats()).toMatchObject({ leaves: 0, mediaChunks: 0, cacheChunks: 0 });
  });

  it('a 1 TiB device stays sparse and works at its far end', () => {
    const mem = countingMemoryProvider(plainMemoryProvider());
    const d = new PmemDevice({ size: TiB, memory: mem });
    expect(mem.bytes).toBe(65536 * 4);
    const off = TiB - 100;
    d.writeCached(off, bytes(50, 8));
    d.writeNT(7 * GiB, bytes(5, 1));
    expect(d.flush(off, 50)).toBe(2); // the 50 bytes straddle two lines
    expect([...d.readMedia(off, 50)]).toEqual(Array(50).fill(8));
    expect(d.read(TiB / 2, 16).every((b) => b === 0)).toBe(true);
    const s = d.stats();
    expect(s.leaves).toBe(2);
    expect(s.mediaChunks).toBe(1);
    expect(s.cacheChunks).toBe(1);
    expect(s.mediaPages).toBe(2);
    expect(s.bytesAllocated).toBe(mem.bytes);
    expect(mem.bytes).toBeLessThan(2 * MiB);
  });

  it('a 64 TiB device (the maximum) still creates in a few MiB', () => {
    const mem = countingMemoryProvider(plainMemoryProvider());
    const d = new PmemDevice({ size: 64 * TiB, memory: mem });
    d.writeNT(64 * TiB - PAGE_SIZE, bytes(1, 1));
    expect(d.read(64 * TiB - PAGE_SIZE, 1)[0]).toBe(1);
    expect(d.isPageWritten(d.nrPages - 1)).toBe(true);
    expect(mem.bytes).toBeLessThan(20 * MiB);
  });

  it('cache frames are reused once their lines are clean', () => {
    const d = dev();
    for (let i = 0; i < 200; i++) {
      d.writeCached(i * PAGE_SIZE, bytes(1, 1));
      d.flush(i * PAGE_SIZE, 1);
    }
    expect(d.stats().cacheChunks).toBe(1);
    expect(d.stats().cachedPages).toBe(0);
  });

  it('locatePage finds a page through the layout alone (what a UI thread does)', () => {
    const d = dev('adr', sharedMemoryProvider());
    d.writeNT(5 * PAGE_SIZE, bytes(10, 4));
    d.writeCached(5 * PAGE_SIZE + 64, bytes(1, 9));
    const v = locatePage(d.layout(), 5);
    expect(v.media![0]).toBe(4);
    expect(v.cache![64]).toBe(9);
    expect(v.dirty).toEqual([2, 0]);
    expect(locatePage(d.layout(), 6)).toMatchObject({ media: null, cache: null });
    expect(d.layout().top).toBeInstanceOf(SharedArrayBuffer);
  });

  it('SharedArrayBuffer and ArrayBuffer providers behave the same', () => {
    const run = (m: MemoryProvider) => {
      const d = dev('adr', m);
      d.writeCached(10, bytes(300, 1));
      d.writeNT(5000, bytes(70, 2));
      d.flush(0, 128);
      d.writeCached(9000, bytes(5, 3));
      const a = d.powerFail();
      return { a, content: [...d.read(0, 12000)], lines: d.dirtyLines() };
    };
    const shared = sharedMemoryProvider();
    expect(shared.shared).toBe(typeof SharedArrayBuffer !== 'undefined');
    expect(run(shared)).toEqual(run(plainMemoryProvider()));
  });
});

/** A byte-array model of a device: what loads see and what the media holds. */
class RefDevice {
  view: Uint8Array;
  media: Uint8Array;
  dirty = new Set<number>();
  constructor(size: number) {
    this.view = new Uint8Array(size);
    this.media = new Uint8Array(size);
  }
  cached(off: number, data: Uint8Array) {
    this.view.set(data, off);
    for (let l = Math.floor(off / 64); l * 64 < off + data.length; l++) this.dirty.add(l);
  }
  nt(off: number, data: Uint8Array) {
    const end = off + data.length;
    for (let l = Math.floor(off / 64); l * 64 < end; l++) {
      if (!this.dirty.has(l)) continue;
      this.media.set(this.view.subarray(l * 64, l * 64 + 64), l * 64); // write back, then overwrite
      this.dirty.delete(l);
    }
    this.view.set(data, off);
    this.media.set(data, off);
  }
  flush(off: number, len: number): number {
    let n = 0;
    for (let l = Math.floor(off / 64); l * 64 < off + len; l++) {
      if (!this.dirty.delete(l)) continue;
      this.media.set(this.view.subarray(l * 64, l * 64 + 64), l * 64);
      n++;
    }
    return n;
  }
  power(eadr: boolean) {
    if (eadr) this.flush(0, this.view.length);
    this.dirty.clear();
    this.view.set(this.media);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('PmemDevice against a byte-array reference', () => {
  it('after every power failure the device holds exactly the durable bytes', () => {
    const SIZE = 2 * MiB;
    const span = 3 * PAGE_SIZE; // operations cluster in a few pages so they interact
    const op = fc.oneof(
      fc.record({ k: fc.constant('cached' as const), off: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 1, max: 300 }), v: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ k: fc.constant('nt' as const), off: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 1, max: 300 }), v: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ k: fc.constant('zero' as const), off: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 1, max: 300 }), v: fc.constant(0) }),
      fc.record({ k: fc.constant('flush' as const), off: fc.integer({ min: 0, max: span }), len: fc.integer({ min: 0, max: 5000 }), v: fc.constant(0) }),
      fc.record({ k: fc.constant('power' as const), off: fc.constant(0), len: fc.constant(0), v: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(op, { minLength: 1, maxLength: 40 }), (eadr, shared, ops) => {
        const d = new PmemDevice({ size: SIZE, platform: eadr ? 'eadr' : 'adr', memory: shared ? sharedMemoryProvider() : plainMemoryProvider() });
        const window = span + 5000;
        const ref = new RefDevice(window);
        for (const o of ops) {
          if (o.k === 'cached') {
            d.writeCached(o.off, bytes(o.len, o.v));
            ref.cached(o.off, bytes(o.len, o.v));
          } else if (o.k === 'nt') {
            d.writeNT(o.off, bytes(o.len, o.v));
            ref.nt(o.off, bytes(o.len, o.v));
          } else if (o.k === 'zero') {
            d.zeroNT(o.off, o.len);
            ref.nt(o.off, new Uint8Array(o.len));
          } else if (o.k === 'flush') {
            expect(d.flush(o.off, o.len)).toBe(ref.flush(o.off, o.len));
          } else {
            const lost = ref.dirty.size;
            const r = d.powerFail();
            ref.power(eadr);
            expect(eadr ? r.drainedLines : r.lostLines).toBe(lost);
            expect(sameBytes(d.read(0, window), ref.media)).toBe(true);
          }
          expect(d.dirtyLines().map((a) => a / 64).join()).toBe([...ref.dirty].sort((a, b) => a - b).join());
        }
        expect(sameBytes(d.read(0, window), ref.view)).toBe(true);
        expect(sameBytes(d.readMedia(0, window), ref.media)).toBe(true);
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });
});
