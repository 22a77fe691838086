// A small deterministic 32-bit generator (mulberry32): for orders that must not depend on libtorch's generator state.

/** Numbers in [0, 1) from `seed`, the same sequence on every platform. @example const next = mulberry32(1); next(); */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
