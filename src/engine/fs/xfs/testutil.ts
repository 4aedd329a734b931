/**
 * Helpers shared by the XFS model's tests (not a test file itself).
 *
 * Conventions in this file:
 *   mkfs     - a fresh Filesystem on a fresh PmemDevice; block 0 of the data area starts
 *              2 MiB into the device.
 *
 * What this model leaves out: nothing; this file is test plumbing only.
 */

import { PmemDevice } from '../../drivers/pmem';
import { plainMemoryProvider } from '../../mm/memory';
import { MiB } from '../../constants';
import { isErr, type KErr } from '../../errno';
import { Tracer } from '../../trace/steps';
import { Filesystem, type XfsMountOptions } from './index';
import { checkFilesystem } from '../../debug/check-fs';

export interface MkfsOptions {
  blocks?: number;
  dax?: XfsMountOptions['dax'];
  reflink?: boolean;
  trace?: boolean;
  fsid?: number;
}

/** A filesystem of `blocks` blocks (default 4096 = 16 MiB) on its own device. */
export function mkfs(o: MkfsOptions = {}): Filesystem {
  const blocks = o.blocks ?? 4096;
  const dataStart = 2 * MiB;
  const size = dataStart + Math.ceil((blocks * 4096) / (2 * MiB)) * 2 * MiB;
  const dev = new PmemDevice({ size, memory: plainMemoryProvider() });
  return new Filesystem({
    dev,
    dataStart,
    nrBlocks: blocks,
    tracer: new Tracer(o.trace ?? false),
    options: { dax: o.dax ?? 'always', reflink: o.reflink ?? true },
    fsid: o.fsid ?? 1,
  });
}

/** Unwraps a result, failing the test on a KErr. */
export function ok<T>(r: T | KErr): T {
  if (isErr(r)) throw new Error(`unexpected error ${r.toString()}`);
  return r;
}

/** `n` bytes of a recognisable pattern. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/** The checker's findings as strings (empty when clean). */
export function violations(fs: Filesystem): string[] {
  return checkFilesystem(fs).map((v) => `${v.rule} @ ${v.where}: ${v.message}`);
}
