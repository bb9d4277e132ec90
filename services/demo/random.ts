/**
 * A small seeded PRNG for simulations and tests.
 *
 * xoshiro128** (Blackman & Vigna) rather than Math.random(): it is reproducible from a seed,
 * passes the usual statistical batteries and runs on 32-bit integer ops that V8 keeps unboxed,
 * which matters when the demo generator draws ~15 numbers per event at 10^5+ events per second.
 * Not for anything security-related.
 */

const TWO_POW_32 = 4294967296;
const TWO_PI = 2 * Math.PI;
// Above this mean Knuth's multiplication method needs too many draws and exp(-lambda)
// approaches underflow; a normal approximation is accurate enough there.
const POISSON_KNUTH_LIMIT = 30;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // Box–Muller yields normals in pairs; keeping the second halves the cost of normal().
  private spare = 0;
  private hasSpare = false;

  /** Seeds are taken modulo 2^32, so any finite number works; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // splitmix32 spreads the seed over all four words so that nearby seeds (1, 2, 3 …)
    // start from unrelated states and the all-zero state (a fixed point) cannot occur.
    let x = Math.trunc(seed) >>> 0;
    const words = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      words[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.s0 = words[0]!;
    this.s1 = words[1]!;
    this.s2 = words[2]!;
    this.s3 = words[3]!;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform float in (0, 1]: safe to pass to Math.log. */
  nextOpen(): number {
    return (this.nextUint32() + 1) / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal via Box–Muller. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const theta = TWO_PI * this.next();
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /** exp(N(mu, sigma^2)): median e^mu, mean e^(mu + sigma^2/2). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Exponential with mean 1; scale it for other means. */
  exponential(): number {
    return -Math.log(this.nextOpen());
  }

  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > POISSON_KNUTH_LIMIT) {
      return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    }
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /**
   * Index drawn from a cumulative weight table (ascending, last entry = total), as built by
   * cumulativeWeights. A linear scan beats binary search for the handful of categories we use.
   */
  pick(cumulative: Float64Array): number {
    const last = cumulative.length - 1;
    const u = this.next() * cumulative[last]!;
    for (let i = 0; i < last; i++) {
      if (u < cumulative[i]!) return i;
    }
    return last;
  }
}

export function createRng(seed: number): Rng {
  return new Rng(seed);
}

/** Builds the table Rng.pick expects; rejects weights that could never be drawn sensibly. */
export function cumulativeWeights(weights: readonly number[]): Float64Array {
  if (weights.length === 0) throw new RangeError("at least one weight is required");
  const out = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight ${i} must be finite and >= 0, got ${w}`);
    total += w;
    out[i] = total;
  });
  if (total <= 0) throw new RangeError("weights must not all be zero");
  return out;
}
