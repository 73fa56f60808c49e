// Small helpers shared by the benchmarks (and the tests that want the same data).

/** Deterministic u32 stream (xorshift32). */
export function u32Stream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}
