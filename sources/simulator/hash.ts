import { seededRandom } from '../../lib/time.js';

/** murmur3's 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * 32 well-mixed bits for the pair (seed, n), so every day, noise knot or parameter set gets its
 * own independent stream without walking a generator from the epoch.
 */
export function mix32(seed: number, n: number): number {
  const high = Math.floor(n / 4_294_967_296);
  return fmix32(fmix32(seed) + Math.imul(n >>> 0, 0x9e3779b1) + fmix32(high));
}

/** A deterministic uniform number in [0, 1) for (seed, n). */
export function unitHash(seed: number, n: number): number {
  return mix32(seed, n) / 4_294_967_296;
}

/** A seeded generator private to (seed, salt). */
export function streamFor(seed: number, salt: number): () => number {
  return seededRandom(mix32(seed, salt));
}

/** A uniform number in [min, max) drawn from `rand`. */
export function between(rand: () => number, min: number, max: number): number {
  return min + rand() * (max - min);
}
