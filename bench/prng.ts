/**
 * xorshift32, as ../shared/bench/xarray-workloads.md defines it: s ^= s << 13; s ^= s >>> 17;
 * s ^= s << 5, every step kept to 32 unsigned bits. Every benchmark draws from it so that runs are
 * repeatable and comparable with the kernel's own measurements.
 */
export function xorshift32(seed = 1): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}
