/**
 * The fraud demo's sensitive segment: the card holder's age band, a segment the model never sees.
 * Young customers hold newer accounts, and a new account raises the model's score, so the model
 * flags the young more often through a feature that merely correlates with age: the proxy effect
 * the fairness view is there to show. Derived from the prediction's own id and account age, so it
 * adds no draw to the generator's stream (its events stay the same, event for event).
 */
import type { DemoPrediction } from "./generator.js";

export const AGE_BANDS = ["18-24", "25-39", "40-64", "65+"] as const;
/** Band weights for accounts younger than a year (or of unknown age), and for older ones. */
const NEW_ACCOUNT = [0.42, 0.36, 0.17, 0.05];
const OLD_ACCOUNT = [0.06, 0.3, 0.44, 0.2];

/** FNV-1a of the id, as a uniform number in [0, 1). */
function uniform(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

export function ageBand(p: Pick<DemoPrediction, "prediction_id" | "features">): (typeof AGE_BANDS)[number] {
  const age = p.features.account_age_days;
  const weights = typeof age === "number" && age >= 365 ? OLD_ACCOUNT : NEW_ACCOUNT;
  let u = uniform(p.prediction_id);
  for (let i = 0; i < weights.length - 1; i++) {
    if (u < weights[i]!) return AGE_BANDS[i]!;
    u -= weights[i]!;
  }
  return AGE_BANDS[AGE_BANDS.length - 1]!;
}

/** The prediction with its age band among its segments. */
export function withAgeBand(p: DemoPrediction): DemoPrediction {
  return { ...p, segments: { ...p.segments, age_band: ageBand(p) } };
}
