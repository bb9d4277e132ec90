/**
 * Seeded demo traffic for a regression model beside the fraud classifier: `eta` predicts a
 * delivery's duration in minutes; its label is the real duration, known when the delivery ends, so
 * labels arrive as late as the value they carry. An incident makes one city's deliveries slower
 * than the model expects (rain), which shows as that city's MAE rising while the others hold.
 *
 * Pure like generator.ts: no I/O, no wall clock; the same options give the same events however the
 * caller slices time.
 */
import { Rng, cumulativeWeights } from "./random.js";

export interface EtaPrediction {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  /** epoch ms */
  timestamp: number;
  features: { distance_km: number; items: number; city: string; hour: number };
  prediction: { value: number };
  segments: { city: string };
}

export interface EtaLabel {
  prediction_id: string;
  model_id: string;
  value: number;
  /** epoch ms */
  labeled_at: number;
  source: string;
}

/** In [fromMs, toMs), deliveries in `city` take `factor` times as long; the model does not know. */
export interface EtaSlowdown {
  city: string;
  fromMs: number;
  toMs: number;
  factor: number;
}

export interface EtaTrafficOptions {
  seed?: number;
  startMs: number;
  predictionsPerSecond: number;
  /** Label delays (the deliveries' durations) are divided by this, like the fraud demo's. Default 1. */
  timeScale?: number;
  slowdowns?: EtaSlowdown[];
  idPrefix?: string;
}

export interface EtaTraffic {
  /** Predictions with timestamp in (previous, untilMs], labels with labeled_at in it, labels in time order. */
  advance(untilMs: number): { predictions: EtaPrediction[]; labels: EtaLabel[] };
}

export const ETA_MODEL = "eta";
export const CITIES = ["lisbon", "porto", "madrid", "sevilla"] as const;
const CITY_WEIGHTS = [0.35, 0.2, 0.3, 0.15];
/** Minutes a city adds (traffic, stairs): known to the model. */
const CITY_MINUTES = [4, 2, 6, 1];
const LABEL_SHARE = 0.95;

export function createEtaTraffic(opts: EtaTrafficOptions): EtaTraffic {
  const rng = new Rng((opts.seed ?? 1) ^ 0xe7a);
  const cities = cumulativeWeights(CITY_WEIGHTS);
  const gapMs = 1000 / opts.predictionsPerSecond;
  const scale = opts.timeScale ?? 1;
  const prefix = opts.idPrefix ?? `eta-${opts.seed ?? 1}`;
  const pending: EtaLabel[] = [];
  let next = opts.startMs + rng.exponential() * gapMs;
  let cursor = opts.startMs;
  let seq = 0;
  return {
    advance(untilMs) {
      if (untilMs < cursor) throw new RangeError(`cannot advance backwards from ${cursor} to ${untilMs}`);
      const predictions: EtaPrediction[] = [];
      for (; Math.floor(next) + 1 <= untilMs; next += rng.exponential() * gapMs) {
        const timestamp = Math.floor(next) + 1;
        const c = rng.pick(cities);
        const city = CITIES[c]!;
        const distance = Math.round(Math.min(25, rng.logNormal(Math.log(3), 0.6)) * 10) / 10;
        const items = 1 + rng.poisson(1.5);
        const hour = new Date(timestamp).getUTCHours();
        const rush = hour >= 11 && hour < 14 ? 6 : hour >= 19 && hour < 21 ? 8 : 0;
        const expected = 10 + 3.2 * distance + 1.5 * items + CITY_MINUTES[c]! + rush;
        const version =
          rng.next() < 0.8 ? { model_version: "v7", stage: "production", noise: 4 } : { model_version: "v8", stage: "canary", noise: 3 };
        const predicted = Math.max(5, expected + version.noise * rng.normal());
        let actual = Math.max(3, expected * Math.exp(0.15 * rng.normal()));
        for (const s of opts.slowdowns ?? []) if (s.city === city && timestamp >= s.fromMs && timestamp < s.toMs) actual *= s.factor;
        const labelled = rng.next() < LABEL_SHARE;
        const id = `${prefix}-${(seq++).toString(36)}`;
        predictions.push({
          prediction_id: id,
          model_id: ETA_MODEL,
          model_version: version.model_version,
          stage: version.stage,
          timestamp,
          features: { distance_km: distance, items, city, hour },
          prediction: { value: Math.round(predicted * 10) / 10 },
          segments: { city },
        });
        if (labelled) {
          const labeledAt = timestamp + Math.max(1, Math.round((actual * 60_000) / scale));
          pending.push({
            prediction_id: id,
            model_id: ETA_MODEL,
            value: Math.round(actual * 10) / 10,
            labeled_at: labeledAt,
            source: "courier_app",
          });
        }
      }
      const labels = pending.filter((l) => l.labeled_at <= untilMs).sort((a, b) => a.labeled_at - b.labeled_at);
      const waiting = pending.filter((l) => l.labeled_at > untilMs);
      pending.length = 0;
      pending.push(...waiting);
      cursor = untilMs;
      return { predictions, labels };
    },
  };
}
