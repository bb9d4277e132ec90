/**
 * The fraud demo's shadow deployment: a candidate v5 scores a quarter of production v3's requests
 * beside it, on the same request (`request_id`, the production prediction's id), and the labels of
 * those requests name the request too, so every label reaches both variants. The paired comparison
 * (GET /v1/models/fraud/compare, the dashboard's Compare page) reads them.
 *
 * v5 is a sharper but noisier model: its logit is the production one's stretched by 1.3 with noise
 * of 0.9, so it agrees with production on most requests and is wrong a little more often, which
 * the comparison reads as "roll back" once enough labels are in. Derived from the prediction itself
 * (its id seeds the noise), so the generator's stream of events is unchanged.
 */
import type { DemoLabel, DemoPrediction } from "./generator.js";

export const SHADOW_VERSION = { version: "v5", stage: "shadow" } as const;
/** The share of production requests the shadow also scores. */
export const SHADOW_SHARE = 0.25;

/** FNV-1a of the text, as a uniform number in [0, 1). */
function uniform(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/** Whether the shadow scores the request of this (production) prediction. */
export const shadowed = (predictionId: string): boolean => uniform(`${predictionId}#shadow`) < SHADOW_SHARE;

export type Requested<T> = T & { request_id?: string };

/** A production prediction of a shadowed request with its request id, followed by the shadow's prediction of it. */
export function withShadow(p: DemoPrediction): Array<Requested<DemoPrediction>> {
  if (p.stage !== "production" || !shadowed(p.prediction_id)) return [p];
  const request_id = p.prediction_id;
  // Box–Muller from two uniforms of the id: a standard normal draw.
  const z = Math.sqrt(-2 * Math.log(1 - uniform(`${request_id}#z1`))) * Math.cos(2 * Math.PI * uniform(`${request_id}#z2`));
  const s = Math.min(1 - 1e-9, Math.max(1e-9, p.prediction.score));
  const score = 1 / (1 + Math.exp(-(1.3 * Math.log(s / (1 - s)) + 0.9 * z)));
  return [
    { ...p, request_id },
    {
      ...p,
      prediction_id: `${request_id}~${SHADOW_VERSION.version}`,
      model_version: SHADOW_VERSION.version,
      stage: SHADOW_VERSION.stage,
      // Scored a few milliseconds after production, as a mirrored request is.
      timestamp: p.timestamp + 3,
      prediction: { label: score >= 0.5 ? "fraud" : "legit", score },
      request_id,
    },
  ];
}

/** A label of a shadowed request names the request too, so it reaches the shadow's prediction. */
export function withRequest(l: DemoLabel): Requested<DemoLabel> {
  return shadowed(l.prediction_id) ? { ...l, request_id: l.prediction_id } : l;
}
