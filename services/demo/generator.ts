/**
 * Seeded demo traffic for a card-fraud classifier: predictions, their (late, partial) ground-truth
 * labels, and scheduled incidents whose effect is known in advance, so windowed metrics, drift
 * and alerting can be tested against numbers rather than eyeballed.
 *
 * Pure: no I/O, no wall clock, no Math.random(). Simulated time starts at `startMs` and moves only
 * when the caller calls advance(), so the same options always yield the same events, however the
 * caller slices time.
 *
 * With the defaults, about 8% of transactions are fraud, the model's accuracy is about 0.93 and
 * its AUC about 0.89, and scores are calibrated to within a few points per decile.
 */
import { Rng, cumulativeWeights } from "./random.js";

export type DemoFeatureValue = number | string | boolean | null;

export interface DemoPrediction {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  /** epoch ms */
  timestamp: number;
  features: Record<string, DemoFeatureValue>;
  prediction: { label: string; score: number };
  segments: Record<string, string>;
}

export interface DemoLabel {
  prediction_id: string;
  model_id: string;
  label: string;
  /** epoch ms */
  labeled_at: number;
  source: string;
}

export type DemoNumericFeature = "amount" | "account_age_days" | "num_tx_24h";
export type DemoSegmentKey = "country" | "device";
export type DemoCategory = (typeof CATEGORIES)[number];

/**
 * Multiplies one numeric feature by `shift` for predictions with timestamp in [fromMs, toMs),
 * before the usual rounding (cents, whole days capped at 20 years, whole counts). The shifted
 * value feeds both the true fraud risk and the model's score, as a real covariate shift would,
 * so the fraud rate and calibration may move too; null account ages stay null.
 */
export interface FeatureDriftIncident {
  kind: "feature_drift";
  feature: DemoNumericFeature;
  fromMs: number;
  /** exclusive; omitted = never ends */
  toMs?: number;
  shift: number;
}

/**
 * In [fromMs, toMs), each model output in the segment independently becomes wrong with
 * probability `flipRate` (outputs that were already wrong stay wrong), so the segment's accuracy
 * falls from a to about a * (1 - flipRate). Ground truth is untouched: this is a model failure,
 * not a change in the world.
 */
export interface SegmentAccuracyDropIncident {
  kind: "segment_accuracy_drop";
  segment: { key: DemoSegmentKey; value: string };
  fromMs: number;
  /** exclusive; omitted = never ends */
  toMs?: number;
  flipRate: number;
}

/**
 * In [fromMs, toMs), merchants of `category` are reported (and behave) as `replacement`: the
 * category vanishes from the data, as when an upstream mapping drops a value.
 */
export interface CategoryVanishIncident {
  kind: "category_vanish";
  category: DemoCategory;
  replacement: DemoCategory;
  fromMs: number;
  /** exclusive; omitted = never ends */
  toMs?: number;
}

export type DemoIncident = FeatureDriftIncident | SegmentAccuracyDropIncident | CategoryVanishIncident;

export interface DemoVersion {
  version: string;
  stage: string;
  /** relative traffic weight */
  share: number;
  /** std-dev of the model's error in logit space; smaller = better model */
  scoreNoise?: number;
}

export interface DemoTrafficOptions {
  /** PRNG seed (taken modulo 2^32); also part of every prediction_id. Default 1. */
  seed?: number;
  /** Simulated clock origin, epoch ms; the first prediction is strictly after it. Default 2024-01-01T00:00:00Z. */
  startMs?: number;
  /** Mean arrival rate in simulated time; arrivals are a Poisson process. Default 50. */
  predictionsPerSecond?: number;
  /** Default "fraud". */
  modelId?: string;
  /** Traffic split across deployed versions. Default 90% v3/production, 10% v4/canary. */
  versions?: DemoVersion[];
  /** Fraction of predictions that ever receive a label. Default 0.8. */
  labelShare?: number;
  /**
   * Label delay before compression: log-normal with this median and log-space sigma, so most
   * labels come in days and a long tail in weeks, like chargebacks. Default median 2 days, sigma 1.
   */
  labelDelay?: { medianMs: number; sigma: number };
  /**
   * Delays are divided by timeScale, so a demo can watch "days" of label latency in seconds
   * (timeScale 86_400 turns a 2-day median into 2 s). Prediction timing is not affected.
   * Default 1 (realistic delays).
   */
  timeScale?: number;
  /** Default none; see defaultIncidents(). */
  incidents?: DemoIncident[];
  /** prediction_id = `${idPrefix}-${counter in base 36}`. Default `${modelId}-${seed in base 36}`. */
  idPrefix?: string;
}

export interface DemoBatch {
  predictions: DemoPrediction[];
  labels: DemoLabel[];
}

export interface DemoTraffic {
  /**
   * Moves simulated time to untilMs and returns every prediction with timestamp in
   * (previous, untilMs] and every label with labeled_at in (previous, untilMs], labels ordered by
   * labeled_at. A label is always strictly later than its prediction, so it never arrives in an
   * earlier batch. Throws if untilMs is before the current position.
   */
  advance(untilMs: number): DemoBatch;
  /** Simulated time reached so far (startMs before the first advance). */
  readonly cursorMs: number;
  /** Labels drawn but not yet due; about rate × labelShare × mean delay / timeScale in steady state. */
  readonly pendingLabels: number;
  /** Predictions emitted so far. */
  readonly predictionCount: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// 2024-01-01T00:00:00Z, a fixed constant rather than "now" so default runs are reproducible.
const DEFAULT_START_MS = 1_704_067_200_000;

/** One incident of each kind, a few minutes into the simulation, so a demo shows them soon. */
export function defaultIncidents(startMs: number): DemoIncident[] {
  return [
    { kind: "feature_drift", feature: "amount", fromMs: startMs + 10 * MINUTE_MS, toMs: startMs + 25 * MINUTE_MS, shift: 2.5 },
    {
      kind: "segment_accuracy_drop",
      segment: { key: "country", value: "BR" },
      fromMs: startMs + 30 * MINUTE_MS,
      toMs: startMs + 50 * MINUTE_MS,
      flipRate: 0.4,
    },
    {
      kind: "category_vanish",
      category: "gaming",
      replacement: "electronics",
      fromMs: startMs + 40 * MINUTE_MS,
      toMs: startMs + 55 * MINUTE_MS,
    },
  ];
}

// --- The simulated world -------------------------------------------------------------------
// Risk offsets are in logit space. They are invented, but with the right signs: high amounts,
// new accounts, bursts of transactions, cross-border use and easily resold goods raise risk.

const COUNTRIES = ["US", "GB", "DE", "FR", "BR", "IN", "MX", "NG"] as const;
const COUNTRY_WEIGHTS = [0.34, 0.1, 0.1, 0.08, 0.12, 0.11, 0.1, 0.05];
const COUNTRY_RISK = [0, -0.3, -0.4, -0.3, 0.8, 0.5, 0.6, 1.4];
// Card-not-present travel and cross-border shopping are rarer from the US than from elsewhere.
const COUNTRY_INTERNATIONAL_P = [0.06, 0.2, 0.22, 0.2, 0.12, 0.1, 0.15, 0.25];

const CATEGORIES = ["grocery", "restaurants", "fashion", "travel", "electronics", "gaming", "digital_goods"] as const;
const CATEGORY_WEIGHTS = [0.26, 0.18, 0.14, 0.1, 0.12, 0.1, 0.1];
const CATEGORY_RISK = [-1.2, -0.9, 0, 0.5, 0.9, 1.1, 1.4];

const DEVICES = ["ios", "android", "web"] as const;
const DEVICE_WEIGHTS = [0.42, 0.38, 0.2];

const AMOUNT_MEDIAN = 45;
const AMOUNT_SIGMA = 1;
const AGE_MEDIAN_DAYS = 400;
const AGE_SIGMA = 1.1;
const AGE_MAX_DAYS = 7300;
const AGE_NULL_P = 0.02;
const TX_24H_MEAN = 2.5;

const LOGIT_BASE = -1.9;
const W_LOG_AMOUNT = 1.3;
const W_TX = 0.55;
const W_LOG_AGE = -0.9;
// A missing account age is itself a signal (guest checkout, broken KYC).
const AGE_MISSING_RISK = 1.2;
const INTERNATIONAL_RISK = 1.3;

// Mean and variance of the true logit over the default (undrifted) population, measured once
// by simulation. They let each version's score be shrunk towards the mean so that a noisy model
// is still roughly calibrated, instead of over-confident in proportion to its noise.
const LOGIT_MEAN = -3.97;
const LOGIT_VAR = 4.85;

const DEFAULT_VERSIONS: DemoVersion[] = [
  { version: "v3", stage: "production", share: 0.9, scoreNoise: 0.8 },
  { version: "v4", stage: "canary", share: 0.1, scoreNoise: 0.6 },
];
const DEFAULT_SCORE_NOISE = 0.8;
const LABEL_SOURCE_MANUAL_REVIEW_P = 0.25;

// Labels waiting for their due time are packed as numbers (seq * 4 + truth bit * 2 + source
// bit) so that days of pending labels cost 16 bytes each instead of an object apiece.
const PAYLOAD_FRAUD = 2;
const PAYLOAD_MANUAL = 1;

interface ResolvedVersion {
  version: string;
  stage: string;
  /** multiplier on (model logit - LOGIT_MEAN) */
  shrink: number;
  /** divisor from averaging the sigmoid over the model's remaining uncertainty */
  spread: number;
  noise: number;
}

interface ResolvedDrift {
  feature: DemoNumericFeature;
  fromMs: number;
  toMs: number;
  shift: number;
}

interface ResolvedSegmentDrop {
  key: DemoSegmentKey;
  value: string;
  fromMs: number;
  toMs: number;
  flipRate: number;
}

export function createDemoTraffic(opts: DemoTrafficOptions = {}): DemoTraffic {
  return new DemoTrafficGenerator(opts);
}

class DemoTrafficGenerator implements DemoTraffic {
  private readonly rng: Rng;
  private readonly modelId: string;
  private readonly idPrefix: string;
  private readonly startMs: number;
  private readonly meanGapMs: number;
  private readonly versions: ResolvedVersion[];
  private readonly versionCumulative: Float64Array;
  private readonly countryCumulative = cumulativeWeights(COUNTRY_WEIGHTS);
  private readonly categoryCumulative = cumulativeWeights(CATEGORY_WEIGHTS);
  private readonly deviceCumulative = cumulativeWeights(DEVICE_WEIGHTS);
  private readonly labelShare: number;
  private readonly delayMu: number;
  private readonly delaySigma: number;
  private readonly drifts: ResolvedDrift[];
  private readonly segmentDrops: ResolvedSegmentDrop[];
  private readonly vanishes: Array<{ from: number; to: number; fromMs: number; toMs: number }>;
  private readonly heap = new LabelHeap();
  /** continuous ms since startMs of the next arrival */
  private nextOffsetMs: number;
  private cursor: number;
  private seq = 0;

  constructor(opts: DemoTrafficOptions) {
    const seed = opts.seed ?? 1;
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
    this.rng = new Rng(seed);
    this.modelId = opts.modelId ?? "fraud";
    this.idPrefix = opts.idPrefix ?? `${this.modelId}-${(Math.trunc(seed) >>> 0).toString(36)}`;
    this.startMs = opts.startMs ?? DEFAULT_START_MS;
    if (!Number.isFinite(this.startMs)) throw new RangeError(`startMs must be finite, got ${this.startMs}`);
    this.cursor = this.startMs;

    const rate = opts.predictionsPerSecond ?? 50;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`predictionsPerSecond must be > 0, got ${rate}`);
    this.meanGapMs = 1000 / rate;

    const versions = opts.versions ?? DEFAULT_VERSIONS;
    this.versionCumulative = cumulativeWeights(versions.map((v) => v.share));
    this.versions = versions.map(resolveVersion);

    this.labelShare = opts.labelShare ?? 0.8;
    if (!(this.labelShare >= 0 && this.labelShare <= 1)) throw new RangeError(`labelShare must be in [0, 1], got ${this.labelShare}`);

    const delay = opts.labelDelay ?? { medianMs: 2 * DAY_MS, sigma: 1 };
    const timeScale = opts.timeScale ?? 1;
    if (!(delay.medianMs > 0) || !Number.isFinite(delay.medianMs))
      throw new RangeError(`labelDelay.medianMs must be > 0, got ${delay.medianMs}`);
    if (!(delay.sigma >= 0) || !Number.isFinite(delay.sigma)) throw new RangeError(`labelDelay.sigma must be >= 0, got ${delay.sigma}`);
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.delayMu = Math.log(delay.medianMs / timeScale);
    this.delaySigma = delay.sigma;

    this.drifts = [];
    this.segmentDrops = [];
    this.vanishes = [];
    for (const incident of opts.incidents ?? []) {
      const toMs = incident.toMs ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(incident.fromMs) || !(toMs > incident.fromMs)) {
        throw new RangeError(`incident ${incident.kind} needs finite fromMs < toMs, got [${incident.fromMs}, ${toMs})`);
      }
      if (incident.kind === "feature_drift") {
        if (!(incident.shift > 0) || !Number.isFinite(incident.shift))
          throw new RangeError(`feature_drift shift must be > 0, got ${incident.shift}`);
        this.drifts.push({ feature: incident.feature, fromMs: incident.fromMs, toMs, shift: incident.shift });
      } else if (incident.kind === "category_vanish") {
        const from = CATEGORIES.indexOf(incident.category);
        const to = CATEGORIES.indexOf(incident.replacement);
        if (from < 0 || to < 0 || from === to)
          throw new RangeError(`category_vanish needs two different known categories, got ${incident.category} → ${incident.replacement}`);
        this.vanishes.push({ from, to, fromMs: incident.fromMs, toMs });
      } else {
        if (!(incident.flipRate >= 0 && incident.flipRate <= 1))
          throw new RangeError(`segment_accuracy_drop flipRate must be in [0, 1], got ${incident.flipRate}`);
        this.segmentDrops.push({
          key: incident.segment.key,
          value: incident.segment.value,
          fromMs: incident.fromMs,
          toMs,
          flipRate: incident.flipRate,
        });
      }
    }

    this.nextOffsetMs = this.rng.exponential() * this.meanGapMs;
  }

  get cursorMs(): number {
    return this.cursor;
  }

  get pendingLabels(): number {
    return this.heap.size;
  }

  get predictionCount(): number {
    return this.seq;
  }

  advance(untilMs: number): DemoBatch {
    if (Number.isNaN(untilMs)) throw new RangeError("untilMs must be a number");
    if (untilMs < this.cursor) throw new RangeError(`cannot advance backwards from ${this.cursor} to ${untilMs}`);
    if (untilMs === Number.POSITIVE_INFINITY) throw new RangeError("untilMs must be finite");

    const predictions: DemoPrediction[] = [];
    for (;;) {
      // Millisecond buckets are (t-1, t], so an arrival just after startMs lands in startMs + 1.
      const timestamp = this.startMs + Math.floor(this.nextOffsetMs) + 1;
      if (timestamp > untilMs) break;
      predictions.push(this.emit(timestamp));
      this.nextOffsetMs += this.rng.exponential() * this.meanGapMs;
    }

    // Generated after the predictions so a label due within this same window is included.
    const labels: DemoLabel[] = [];
    const heap = this.heap;
    while (heap.size > 0 && heap.peekDue() <= untilMs) {
      const due = heap.peekDue();
      const payload = heap.pop();
      const seq = Math.floor(payload / 4);
      labels.push({
        prediction_id: this.idFor(seq),
        model_id: this.modelId,
        label: payload & PAYLOAD_FRAUD ? "fraud" : "legit",
        labeled_at: due,
        source: payload & PAYLOAD_MANUAL ? "manual_review" : "chargebacks",
      });
    }

    this.cursor = untilMs;
    return { predictions, labels };
  }

  private idFor(seq: number): string {
    return `${this.idPrefix}-${seq.toString(36)}`;
  }

  // Every event consumes the same sequence of draws whether or not an incident applies, so a run
  // with incidents matches a run without them event for event, differing only in what the
  // incident changes. Tests rely on this to measure an incident's effect exactly.
  private emit(timestamp: number): DemoPrediction {
    const rng = this.rng;
    const seq = this.seq++;

    const version = this.versions[rng.pick(this.versionCumulative)]!;
    const countryIdx = rng.pick(this.countryCumulative);
    let categoryIdx = rng.pick(this.categoryCumulative);
    for (const v of this.vanishes) if (categoryIdx === v.from && timestamp >= v.fromMs && timestamp < v.toMs) categoryIdx = v.to;
    const deviceIdx = rng.pick(this.deviceCumulative);
    const country = COUNTRIES[countryIdx]!;
    const device = DEVICES[deviceIdx]!;

    let amountRaw = AMOUNT_MEDIAN * Math.exp(AMOUNT_SIGMA * rng.normal());
    const ageMissing = rng.next() < AGE_NULL_P;
    let ageRaw = AGE_MEDIAN_DAYS * Math.exp(AGE_SIGMA * rng.normal());
    let txRaw = rng.poisson(TX_24H_MEAN);
    const international = rng.next() < COUNTRY_INTERNATIONAL_P[countryIdx]!;

    const drifts = this.drifts;
    for (let i = 0; i < drifts.length; i++) {
      const d = drifts[i]!;
      if (timestamp < d.fromMs || timestamp >= d.toMs) continue;
      if (d.feature === "amount") amountRaw *= d.shift;
      else if (d.feature === "account_age_days") ageRaw *= d.shift;
      else txRaw *= d.shift;
    }
    const amount = Math.max(0.01, Math.round(amountRaw * 100) / 100);
    const age = ageMissing ? null : Math.min(AGE_MAX_DAYS, Math.floor(ageRaw));
    const numTx = Math.round(txRaw);

    const logit =
      LOGIT_BASE +
      W_LOG_AMOUNT * Math.log(amount / AMOUNT_MEDIAN) +
      W_TX * (numTx - TX_24H_MEAN) +
      (age === null ? AGE_MISSING_RISK : W_LOG_AGE * Math.log1p(age / 30)) +
      (international ? INTERNATIONAL_RISK : 0) +
      COUNTRY_RISK[countryIdx]! +
      CATEGORY_RISK[categoryIdx]!;
    const isFraud = rng.next() < 1 / (1 + Math.exp(-logit));

    const observed = logit + version.noise * rng.normal();
    let score = 1 / (1 + Math.exp(-(LOGIT_MEAN + version.shrink * (observed - LOGIT_MEAN)) / version.spread));

    const flipDraw = rng.next();
    let keepRight = 1;
    const drops = this.segmentDrops;
    for (let i = 0; i < drops.length; i++) {
      const s = drops[i]!;
      if (timestamp < s.fromMs || timestamp >= s.toMs) continue;
      if ((s.key === "country" ? country : device) === s.value) keepRight *= 1 - s.flipRate;
    }
    if (flipDraw >= keepRight && score >= 0.5 === isFraud) {
      // Mirroring keeps the score distribution's shape; 0.5 mirrors onto itself, so nudge it.
      score = score === 0.5 ? 0.4999 : 1 - score;
    }

    const labelDraw = rng.next();
    const delayMs = Math.exp(this.delayMu + this.delaySigma * rng.normal());
    const manual = rng.next() < LABEL_SOURCE_MANUAL_REVIEW_P;
    if (labelDraw < this.labelShare) {
      // At least 1 ms so a label is strictly after its prediction and never in an earlier batch.
      const due = timestamp + Math.max(1, Math.ceil(delayMs));
      this.heap.push(due, seq * 4 + (isFraud ? PAYLOAD_FRAUD : 0) + (manual ? PAYLOAD_MANUAL : 0));
    }

    return {
      prediction_id: this.idFor(seq),
      model_id: this.modelId,
      model_version: version.version,
      stage: version.stage,
      timestamp,
      features: {
        amount,
        account_age_days: age,
        num_tx_24h: numTx,
        country,
        merchant_category: CATEGORIES[categoryIdx]!,
        is_international: international,
      },
      prediction: { label: score >= 0.5 ? "fraud" : "legit", score },
      segments: { country, device },
    };
  }
}

// The model sees logit + noise. Treating the true logit as roughly N(LOGIT_MEAN, LOGIT_VAR), the
// best estimate given that observation is the posterior mean, and averaging the sigmoid over
// the posterior variance flattens it by sqrt(1 + pi * var / 8) (the probit approximation).
function resolveVersion(v: DemoVersion): ResolvedVersion {
  const noise = v.scoreNoise ?? DEFAULT_SCORE_NOISE;
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`scoreNoise of ${v.version} must be >= 0, got ${noise}`);
  const noiseVar = noise * noise;
  const shrink = LOGIT_VAR / (LOGIT_VAR + noiseVar);
  const posteriorVar = (LOGIT_VAR * noiseVar) / (LOGIT_VAR + noiseVar);
  return { version: v.version, stage: v.stage, shrink, spread: Math.sqrt(1 + (Math.PI * posteriorVar) / 8), noise };
}

/**
 * Binary min-heap of pending labels in two parallel arrays, ordered by (due, payload). Payload
 * starts with the prediction's sequence number, so ties on due come out in prediction order and
 * the output order is fully determined.
 */
class LabelHeap {
  private readonly due: number[] = [];
  private readonly payload: number[] = [];

  get size(): number {
    return this.due.length;
  }

  /** Only valid when size > 0. */
  peekDue(): number {
    return this.due[0]!;
  }

  push(due: number, payload: number): void {
    const dues = this.due;
    const payloads = this.payload;
    let i = dues.length;
    dues.push(due);
    payloads.push(payload);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pd = dues[parent]!;
      const pp = payloads[parent]!;
      if (pd < due || (pd === due && pp <= payload)) break;
      dues[i] = pd;
      payloads[i] = pp;
      i = parent;
    }
    dues[i] = due;
    payloads[i] = payload;
  }

  /** Removes the minimum and returns its payload. Only valid when size > 0. */
  pop(): number {
    const dues = this.due;
    const payloads = this.payload;
    const top = payloads[0]!;
    const lastDue = dues.pop()!;
    const lastPayload = payloads.pop()!;
    const n = dues.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && (dues[right]! < dues[left]! || (dues[right] === dues[left] && payloads[right]! < payloads[left]!))) child = right;
      const cd = dues[child]!;
      const cp = payloads[child]!;
      if (lastDue < cd || (lastDue === cd && lastPayload <= cp)) break;
      dues[i] = cd;
      payloads[i] = cp;
      i = child;
    }
    dues[i] = lastDue;
    payloads[i] = lastPayload;
    return top;
  }
}
