/**
 * Choosing the next token from a logits row: greedy (argmax), or temperature / top-k / top-p sampling
 * with a seedable RNG so tests and "regenerate with seed" are reproducible.
 */

export interface SamplingOptions {
  /** 0 or undefined: greedy. */
  temperature?: number;
  /** Nucleus: keep the smallest set of tokens whose probability sums to at least topP. */
  topP?: number;
  topK?: number;
  /** Seed for the RNG; undefined: Math.random. */
  seed?: number;
}

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for sampling; same seed → same draws. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(row: ArrayLike<number>, allowed?: readonly number[]): number {
  const ids = allowed ?? null;
  let best = -1;
  let bestValue = -Infinity;
  const n = ids ? ids.length : row.length;
  for (let i = 0; i < n; i++) {
    const id = ids ? ids[i]! : i;
    const v = row[id]!;
    if (v > bestValue || best < 0) {
      best = id;
      bestValue = v;
    }
  }
  return best;
}

/** log softmax of one logits row, in a new array (numerically stable). */
export function logSoftmax(row: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i]! - logZ;
  return out;
}

export function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0));
}

export function validateSampling(o: SamplingOptions): void {
  if (o.temperature !== undefined && !(o.temperature >= 0)) throw new RangeError(`temperature must be ≥ 0, got ${o.temperature}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${o.topP}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1)) throw new RangeError(`topK must be a positive integer, got ${o.topK}`);
}

export function sampleToken(row: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const temperature = o.temperature ?? 0;
  if (temperature === 0) return argmax(row);
  // Tokens more than 30 nats (at this temperature) below the best have probability < 1e-13 relative
  // to it: leave them out before sorting, which keeps a 50k-token vocabulary cheap per step.
  const max = row[argmax(row)]!;
  const floor = max - 30 * temperature;
  const order: number[] = [];
  for (let i = 0; i < row.length; i++) if (row[i]! >= floor) order.push(i);
  // Sort descending once; top-k and top-p both cut a prefix of this order.
  order.sort((a, b) => row[b]! - row[a]!);
  const k = Math.min(o.topK ?? order.length, order.length);
  const probs: number[] = [];
  let total = 0;
  for (let i = 0; i < k; i++) {
    const p = Math.exp((row[order[i]!]! - max) / temperature);
    probs.push(p);
    total += p;
  }
  let keep = k;
  if (o.topP !== undefined && o.topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < k; i++) {
      cumulative += probs[i]! / total;
      if (cumulative >= o.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  const keptTotal = probs.slice(0, keep).reduce((s, p) => s + p, 0);
  let draw = rng() * keptTotal;
  for (let i = 0; i < keep; i++) {
    draw -= probs[i]!;
    if (draw <= 0) return order[i]!;
  }
  return order[keep - 1]!;
}
