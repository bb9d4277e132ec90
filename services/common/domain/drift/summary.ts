/**
 * A window's summary of one feature on its reference's bins. Summaries merge by adding counts
 * (min and max by min and max), so a larger window, or the same window seen by processors on
 * different partitions, combines exactly. Pure.
 */
import { numericBin, type FeatureCounts, type FeatureProfile } from "./profile.js";

export interface FeatureSummary extends FeatureCounts {
  /** numeric: per-bin sums of the values; categorical: empty */
  sums: number[];
  min: number;
  max: number;
  /** categorical: distinct values outside the reference's categories (per base window, summed) */
  unseenDistinct: number;
  /** a few of those values, for people to read */
  unseenTop: string[];
}

export function emptySummary(feature: string, bins: number, numeric: boolean): FeatureSummary {
  return {
    feature,
    rows: 0,
    present: 0,
    nulls: 0,
    mismatches: 0,
    n: 0,
    counts: new Array<number>(bins).fill(0),
    sums: numeric ? new Array<number>(bins).fill(0) : [],
    min: Infinity,
    max: -Infinity,
    unseenDistinct: 0,
    unseenTop: [],
  };
}

/** Adds b into a (same feature, same bins). */
export function mergeInto(a: FeatureSummary, b: FeatureSummary): FeatureSummary {
  if (a.counts.length !== b.counts.length)
    throw new Error(`feature ${a.feature}: cannot merge summaries on different bins (${a.counts.length} vs ${b.counts.length})`);
  a.rows += b.rows;
  a.present += b.present;
  a.nulls += b.nulls;
  a.mismatches += b.mismatches;
  a.n += b.n;
  for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i]!;
  for (let i = 0; i < a.sums.length; i++) a.sums[i]! += b.sums[i] ?? 0;
  a.min = Math.min(a.min, b.min);
  a.max = Math.max(a.max, b.max);
  a.unseenDistinct += b.unseenDistinct;
  for (const v of b.unseenTop) if (a.unseenTop.length < 10 && !a.unseenTop.includes(v)) a.unseenTop.push(v);
  return a;
}

export type FeatureValue = number | string | boolean | null | undefined;

/**
 * The summary of raw values, as the SQL in the drift repository computes it for a window
 * (undefined = the feature is absent from that row). Used where values are already in memory:
 * tests and benchmarks.
 */
export function summariseValues(profile: FeatureProfile, values: Iterable<FeatureValue>): FeatureSummary {
  const numeric = profile.kind === "numeric";
  const s = emptySummary(profile.feature, profile.counts.length, numeric);
  const index = profile.kind === "categorical" ? new Map(profile.categories.map((c, i) => [c, i + 1])) : undefined;
  const unseen = new Set<string>();
  for (const v of values) {
    s.rows++;
    if (v === undefined) continue;
    s.present++;
    if (v === null) {
      s.nulls++;
      continue;
    }
    if (profile.kind === "numeric") {
      if (typeof v !== "number") {
        s.mismatches++;
        continue;
      }
      const b = numericBin(profile.edges, v);
      s.counts[b]!++;
      s.sums[b]! += v;
      s.min = Math.min(s.min, v);
      s.max = Math.max(s.max, v);
    } else {
      if (typeof v === "number") {
        s.mismatches++;
        continue;
      }
      const key = String(v);
      const b = index!.get(key) ?? 0;
      s.counts[b]!++;
      if (b === 0) unseen.add(key);
    }
    s.n++;
  }
  s.unseenDistinct = unseen.size;
  s.unseenTop = [...unseen].slice(0, 10);
  return s;
}
