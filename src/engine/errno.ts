/**
 * Kernel error numbers and the way the engine returns them.
 *
 * Conventions in this file:
 *   errno   - a positive number from include/uapi/asm-generic/errno-base.h / errno.h;
 *             the kernel returns it negated, we return it inside a KErr value.
 *   KErr    - an error value. Engine calls that can fail on bad input return `T | KErr`
 *             and never throw for it, so a mistake by the user can not leave the model
 *             half-updated. A thrown exception from the engine is always a bug of ours.
 */

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  EOPNOTSUPP: 95,
  ESTALE: 116,
  EHWPOISON: 133,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** An error returned by an engine call: the kernel's errno plus a sentence saying why. */
export class KErr {
  constructor(
    readonly errno: ErrnoName,
    readonly why: string,
  ) {}
  /** The negative number the kernel would return, e.g. -22 for EINVAL. */
  get code(): number {
    return -ERRNO[this.errno];
  }
  toString(): string {
    return `-${this.errno} (${this.code}): ${this.why}`;
  }
}

export function kerr(errno: ErrnoName, why: string): KErr {
  return new KErr(errno, why);
}

export function isErr(x: unknown): x is KErr {
  return x instanceof KErr;
}

/** Thrown only for broken engine invariants (the BUG_ON of this codebase). */
export class EngineBug extends Error {
  constructor(message: string) {
    super(`engine bug: ${message}`);
    this.name = 'EngineBug';
  }
}

/** Kernel BUG_ON: a condition that can only be true if the model itself is wrong. */
export function BUG_ON(cond: boolean, what: string): void {
  if (cond) throw new EngineBug(what);
}
