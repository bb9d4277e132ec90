/**
 * Per-type calibration of the suppressor's scores, learned on the validation folds. One model
 * scores every type, and a type whose low scores are acted on more (or less) often than the scores
 * say — behaviour the features pool away, or that moved since the model learned it — would spend
 * (or leave unspent) the misses the threshold allows. Each type within a model gets a factor: the
 * acted-on weight observed among its validation alerts scored low, over the sum of their scores,
 * smoothed toward its type's factor, the type's toward its rule kind's, and the rule kind's toward
 * the factor over all types, each by `strength` expected acted-on alerts. The threshold is then
 * chosen on the scores times their factors, and live scores are multiplied the same way: a per-type
 * threshold, threshold / factor, learned with hierarchical smoothing.
 */
import { typeModelKey } from "./features.js";
import { alertType, type AlertRecord } from "./types.js";

export interface CalibrationOptions {
  /** Only validation alerts scored below this count (the region where the threshold falls). */
  below: number;
  /** Pseudo-count, in expected acted-on alerts, pulling each grain's factor toward its parent's (default 3). */
  strength: number;
  /** Factors are kept within [floor, bound]. */
  floor: number;
  bound: number;
}

/** Factors by grain: "k:" rule kind, "t:" type, "tm:" type within a model. */
export type TypeFactors = Record<string, number>;

type Grain = Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model">;
const grains = (r: Grain): [string, string, string] => [`k:${r.rule_kind}`, `t:${alertType(r)}`, `tm:${typeModelKey(r)}`];

/**
 * Factors from validation alerts (score, whether acted on, weight). Only alerts the model decides
 * and scored below `below` count. An empty record when no such alert has any score mass.
 */
export function typeFactors(
  scored: ReadonlyArray<{ score: number; acted: boolean; decidable: boolean; weight: number; record: Grain }>,
  options: CalibrationOptions,
): TypeFactors {
  const observed = new Map<string, number>();
  const expected = new Map<string, number>();
  let o = 0;
  let e = 0;
  for (const s of scored) {
    if (!s.decidable || !(s.score < options.below)) continue;
    const a = s.acted ? s.weight : 0;
    o += a;
    e += s.score * s.weight;
    for (const g of grains(s.record)) {
      observed.set(g, (observed.get(g) ?? 0) + a);
      expected.set(g, (expected.get(g) ?? 0) + s.score * s.weight);
    }
  }
  if (!(e > 0)) return {};
  const clamp = (f: number) => Math.min(options.bound, Math.max(options.floor, f));
  // The factor over all types is left out (1): one threshold absorbs it; only how types differ counts.
  const overall = (o + options.strength) / (e + options.strength);
  const factors: TypeFactors = {};
  const smooth = (g: string, parent: number) => {
    const f = ((observed.get(g) ?? 0) / overall + options.strength * parent) / ((expected.get(g) ?? 0) + options.strength);
    return clamp(f);
  };
  // Parents first: every rule kind, then each type and type within a model as the alerts name them.
  for (const k of [...expected.keys()].filter((g) => g.startsWith("k:"))) factors[k] = smooth(k, 1);
  for (const s of scored) {
    if (!s.decidable || !(s.score < options.below)) continue;
    const [k, t, tm] = grains(s.record);
    if (factors[t] === undefined) factors[t] = smooth(t, factors[k]!);
    if (factors[tm] === undefined) factors[tm] = smooth(tm, factors[t]!);
  }
  return factors;
}

/** The factor of an alert's finest known grain (1 when none is known). */
export function factorFor(factors: TypeFactors, r: Grain): number {
  const [k, t, tm] = grains(r);
  return factors[tm] ?? factors[t] ?? factors[k] ?? 1;
}

/** A model's score times its alert's factor, at most 1: what the policy compares with the threshold. */
export const calibrated = (score: number, factors: TypeFactors, r: Grain): number => Math.min(1, score * factorFor(factors, r));
