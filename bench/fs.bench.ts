/**
 * Filesystem model benchmark: a deterministic mixed workload with reflinks on a 64 MiB pmem
 * device, tracing off. Prints operations per second and a checksum of everything read (the
 * checksum proves two runs did the same work).
 *
 * Workload (xorshift32, s = 1 as in /work/shared/bench/xarray-workloads.md): 8 files; each op
 * picks r = next() % 100 and a file f = next() % 8:
 *   0-39 write 1..16 blocks + up to 4095 bytes at a random offset below 4 MiB
 *   40-64 read 64 KiB at a random offset     65-74 FICLONERANGE of 1..64 aligned blocks
 *   75-79 FICLONE                              80-87 punch 1..32 blocks
 *   88-94 truncate to a random size < 4 MiB    95-99 fsync
 * ENOSPC is answered by truncating the file to 0 (counted as an op).
 */
import type { Report } from './run';
import { PmemDevice } from '../src/engine/drivers/pmem';
import { plainMemoryProvider } from '../src/engine/mm/memory';
import { Tracer } from '../src/engine/trace/steps';
import { Filesystem } from '../src/engine/fs/xfs/index';
import { isErr } from '../src/engine/errno';
import { xorshift32 } from './prng';

const MiB = 1024 * 1024;
const B = 4096;

function workload(ops: number): { seconds: number; checksum: number; errors: number } {
  const dev = new PmemDevice({ size: 64 * MiB, memory: plainMemoryProvider() });
  const fs = new Filesystem({ dev, dataStart: 2 * MiB, nrBlocks: (62 * MiB) / B, tracer: new Tracer(false), options: { dax: 'always', reflink: true }, fsid: 1 });
  const next = xorshift32(1);
  const files: number[] = [];
  for (let i = 0; i < 8; i++) {
    const ino = fs.create(`f${i}`);
    if (isErr(ino)) throw new Error(ino.toString());
    files.push(ino);
  }
  const buf = new Uint8Array(17 * B);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131) & 0xff;
  let h = 2166136261;
  let errors = 0;
  const t0 = performance.now();
  for (let k = 0; k < ops; k++) {
    const r = next() % 100;
    const f = files[next() % 8];
    let res: unknown = 0;
    if (r < 40) {
      const len = (1 + (next() % 16)) * B + (next() % B);
      res = fs.write(f, next() % (4 * MiB), buf.subarray(0, len));
    } else if (r < 65) {
      const got = fs.read(f, next() % (4 * MiB), 64 * 1024);
      if (!isErr(got)) for (let i = 0; i < got.length; i += 512) h = Math.imul(h ^ got[i], 16777619) >>> 0;
    } else if (r < 75) {
      const g = files[next() % 8];
      res = fs.cloneRange(f, (next() % 1024) * B, (1 + (next() % 64)) * B, g, (next() % 1024) * B);
    } else if (r < 80) {
      res = fs.clone(f, files[next() % 8]);
    } else if (r < 88) {
      res = fs.punch(f, next() % (4 * MiB), (1 + (next() % 32)) * B);
    } else if (r < 95) {
      res = fs.truncate(f, next() % (4 * MiB));
    } else {
      res = fs.fsync(f);
    }
    if (isErr(res)) {
      errors++;
      if (res.errno === 'ENOSPC') fs.truncate(f, 0);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, checksum: h, errors };
}

export async function run(report: Report): Promise<void> {
  const ops = 20000;
  workload(2000); // warm-up
  const rates: number[] = [];
  let last = { seconds: 0, checksum: 0, errors: 0 };
  for (let i = 0; i < 3; i++) {
    last = workload(ops);
    rates.push(ops / last.seconds);
  }
  rates.sort((a, b) => a - b);
  report('fs.mixed-reflink', Math.round(rates[1]), 'ops/s');
  report('fs.mixed-reflink.checksum', last.checksum, '(fnv1a of sampled read bytes)');
  report('fs.mixed-reflink.refused', last.errors, 'ops (EINVAL clones, ENOSPC)');
}
