import { describe, it, expect } from "vitest";
import {
  createDemoTraffic,
  defaultIncidents,
  type DemoBatch,
  type DemoLabel,
  type DemoPrediction,
  type DemoTraffic,
  type DemoTrafficOptions,
} from "./generator.js";

const START = 1_700_000_000_000;
const SECOND = 1000;

// Short label delays so every label of a small window arrives within a few simulated seconds.
const FAST_LABELS: DemoTrafficOptions = { labelDelay: { medianMs: 50, sigma: 0.5 }, timeScale: 1 };

/** Advances in fixed steps and concatenates; with trackSteps, records which step delivered each event. */
function run(
  gen: DemoTraffic,
  untilMs: number,
  stepMs: number,
  trackSteps = false,
): DemoBatch & { predictionStep: Map<string, number>; labelStep: Map<string, number> } {
  const predictions: DemoPrediction[] = [];
  const labels: DemoLabel[] = [];
  const predictionStep = new Map<string, number>();
  const labelStep = new Map<string, number>();
  let step = 0;
  for (let t = gen.cursorMs; t < untilMs; ) {
    t = Math.min(untilMs, t + stepMs);
    const batch = gen.advance(t);
    if (trackSteps) {
      for (const p of batch.predictions) predictionStep.set(p.prediction_id, step);
      for (const l of batch.labels) labelStep.set(l.prediction_id, step);
    }
    predictions.push(...batch.predictions);
    labels.push(...batch.labels);
    step++;
  }
  return { predictions, labels, predictionStep, labelStep };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function amountOf(p: DemoPrediction): number {
  const v = p.features.amount;
  if (typeof v !== "number") throw new Error(`amount is ${String(v)}`);
  return v;
}

// Per-event expect() calls and deep equality dominate runtime at 10^5 events, so bulk checks
// compare fields directly and count violations.
function samePrediction(a: DemoPrediction, b: DemoPrediction): boolean {
  if (
    a.prediction_id !== b.prediction_id ||
    a.model_id !== b.model_id ||
    a.model_version !== b.model_version ||
    a.stage !== b.stage ||
    a.timestamp !== b.timestamp ||
    a.prediction.label !== b.prediction.label ||
    a.prediction.score !== b.prediction.score
  ) {
    return false;
  }
  return sameRecord(a.features, b.features) && sameRecord(a.segments, b.segments);
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.is(a[k], b[k]));
}

function sameLabels(a: DemoLabel[], b: DemoLabel[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return (
        x.prediction_id === y.prediction_id &&
        x.label === y.label &&
        x.labeled_at === y.labeled_at &&
        x.source === y.source &&
        x.model_id === y.model_id
      );
    })
  );
}

function inWindow(p: DemoPrediction, fromMs: number, toMs: number): boolean {
  return p.timestamp >= fromMs && p.timestamp < toMs;
}

/** Accuracy of prediction.label against the delivered ground truth, per value of segments[key]. */
function accuracyBy(predictions: DemoPrediction[], truth: Map<string, string>, key: string): Map<string, { n: number; acc: number }> {
  const tally = new Map<string, { n: number; right: number }>();
  for (const p of predictions) {
    const y = truth.get(p.prediction_id);
    if (y === undefined) continue;
    const seg = p.segments[key] ?? "?";
    const t = tally.get(seg) ?? { n: 0, right: 0 };
    t.n++;
    if (p.prediction.label === y) t.right++;
    tally.set(seg, t);
  }
  return new Map([...tally].map(([k, t]) => [k, { n: t.n, acc: t.right / t.n }]));
}

describe("createDemoTraffic", () => {
  it("is deterministic for a seed, however time is sliced", () => {
    const opts: DemoTrafficOptions = { seed: 11, startMs: START, predictionsPerSecond: 200, ...FAST_LABELS };
    const whole = createDemoTraffic(opts).advance(START + 30 * SECOND);
    const sliced = run(createDemoTraffic(opts), START + 30 * SECOND, 777);
    expect(sliced.predictions).toEqual(whole.predictions);
    expect(sliced.labels).toEqual(whole.labels);
    expect(whole.predictions.length).toBeGreaterThan(5000);
  });

  it("produces different traffic for a different seed", () => {
    const a = createDemoTraffic({ seed: 1, startMs: START, predictionsPerSecond: 200 }).advance(START + 10 * SECOND);
    const b = createDemoTraffic({ seed: 2, startMs: START, predictionsPerSecond: 200 }).advance(START + 10 * SECOND);
    const amountsA = a.predictions.slice(0, 200).map(amountOf);
    const amountsB = b.predictions.slice(0, 200).map(amountOf);
    expect(amountsA).not.toEqual(amountsB);
    const idsA = new Set(a.predictions.map((p) => p.prediction_id));
    expect(b.predictions.some((p) => idsA.has(p.prediction_id))).toBe(false);
  });

  it("emits about rate × duration predictions with unique ids and timestamps inside each window", () => {
    const rate = 2000;
    const seconds = 30;
    const gen = createDemoTraffic({ seed: 3, startMs: START, predictionsPerSecond: rate });
    let previous = START;
    let lastTs = START;
    const ids = new Set<string>();
    let count = 0;
    let outOfWindow = 0;
    let outOfOrder = 0;
    for (let t = START + 1234; previous < START + seconds * SECOND; t += 1234) {
      const until = Math.min(t, START + seconds * SECOND);
      for (const p of gen.advance(until).predictions) {
        if (p.timestamp <= previous || p.timestamp > until) outOfWindow++;
        if (p.timestamp < lastTs) outOfOrder++;
        lastTs = p.timestamp;
        ids.add(p.prediction_id);
        count++;
      }
      previous = until;
    }
    expect(outOfWindow).toBe(0);
    expect(outOfOrder).toBe(0);
    const expected = rate * seconds;
    // Poisson arrivals: sd = sqrt(60_000) ≈ 245, so 1.5% is ~3.7 sd.
    expect(Math.abs(count / expected - 1)).toBeLessThan(0.015);
    expect(ids.size).toBe(count);
    expect(gen.predictionCount).toBe(count);
  });

  it("delays labels by a right-skewed log-normal divided by timeScale, never before the prediction", () => {
    const medianMs = 2 * 86_400_000;
    const sigma = 0.8;
    const timeScale = 86_400;
    const gen = createDemoTraffic({
      seed: 4,
      startMs: START,
      predictionsPerSecond: 500,
      labelShare: 0.8,
      labelDelay: { medianMs, sigma },
      timeScale,
    });
    const windowEnd = START + 40 * SECOND;
    // P(delay > 30 × median) = P(Z > ln 30 / 0.8 ≈ 4.25) ≈ 1e-5, so 60 s later all are in.
    const out = run(gen, windowEnd + 60 * SECOND, 1000, true);
    const byId = new Map(out.predictions.map((p) => [p.prediction_id, p]));

    let previousDue = -Infinity;
    const delays: number[] = [];
    const problems = { orphan: 0, early: 0, earlierBatch: 0, unordered: 0, badField: 0 };
    for (const l of out.labels) {
      const p = byId.get(l.prediction_id);
      if (!p) {
        problems.orphan++;
        continue;
      }
      if (l.labeled_at <= p.timestamp) problems.early++;
      if (out.labelStep.get(l.prediction_id)! < out.predictionStep.get(l.prediction_id)!) problems.earlierBatch++;
      if (l.labeled_at < previousDue) problems.unordered++;
      previousDue = l.labeled_at;
      if (
        l.model_id !== "fraud" ||
        (l.label !== "fraud" && l.label !== "legit") ||
        (l.source !== "chargebacks" && l.source !== "manual_review")
      ) {
        problems.badField++;
      }
      if (p.timestamp <= windowEnd) delays.push(l.labeled_at - p.timestamp);
    }
    expect(problems).toEqual({ orphan: 0, early: 0, earlierBatch: 0, unordered: 0, badField: 0 });

    delays.sort((a, b) => a - b);
    const expectedMedian = medianMs / timeScale; // 2000 ms
    const expectedMean = expectedMedian * Math.exp((sigma * sigma) / 2); // ≈ 2754 ms
    const median = delays[Math.floor(delays.length / 2)]!;
    const meanDelay = mean(delays);
    expect(delays.length).toBeGreaterThan(14_000);
    expect(Math.abs(median / expectedMedian - 1)).toBeLessThan(0.05);
    expect(Math.abs(meanDelay / expectedMean - 1)).toBeLessThan(0.05);
    expect(meanDelay).toBeGreaterThan(median * 1.2);
  });

  it("labels the configured share of predictions, and keeps pending labels at rate × share × mean delay", () => {
    const share = 0.6;
    const gen = createDemoTraffic({
      seed: 5,
      startMs: START,
      predictionsPerSecond: 1000,
      labelShare: share,
      labelDelay: { medianMs: 1000, sigma: 0.5 },
    });
    const windowEnd = START + 20 * SECOND;
    const first = gen.advance(windowEnd);
    // Little's law: pending ≈ arrival rate of labels × mean time in the queue.
    const expectedPending = 1000 * share * Math.exp(0.5 * 0.5 * 0.5);
    expect(Math.abs(gen.pendingLabels / expectedPending - 1)).toBeLessThan(0.1);

    const rest = gen.advance(windowEnd + 30 * SECOND);
    const windowIds = new Set(first.predictions.map((p) => p.prediction_id));
    const labelled = [...first.labels, ...rest.labels].filter((l) => windowIds.has(l.prediction_id));
    expect(new Set(labelled.map((l) => l.prediction_id)).size).toBe(labelled.length);
    // sd of the share over 20k predictions ≈ 0.0035.
    expect(Math.abs(labelled.length / windowIds.size - share)).toBeLessThan(0.015);
  });

  it("honours labelShare 0 and 1 exactly", () => {
    const none = createDemoTraffic({ seed: 6, startMs: START, labelShare: 0, ...FAST_LABELS }).advance(START + 60 * SECOND);
    expect(none.predictions.length).toBeGreaterThan(0);
    expect(none.labels).toHaveLength(0);
    const gen = createDemoTraffic({ seed: 6, startMs: START, labelShare: 1, ...FAST_LABELS });
    const all = gen.advance(START + 60 * SECOND);
    const later = gen.advance(START + 70 * SECOND);
    const labelled = new Set([...all.labels, ...later.labels].map((l) => l.prediction_id));
    expect(all.predictions.every((p) => labelled.has(p.prediction_id))).toBe(true);
  });

  it("splits traffic across versions and fills features and segments with plausible values", () => {
    const { predictions } = createDemoTraffic({ seed: 7, startMs: START, predictionsPerSecond: 1000 }).advance(START + 30 * SECOND);
    const n = predictions.length;
    const canary = predictions.filter((p) => p.model_version === "v4");
    expect(Math.abs(canary.length / n - 0.1)).toBeLessThan(0.01);
    expect(canary.every((p) => p.stage === "canary")).toBe(true);
    expect(predictions.filter((p) => p.model_version === "v3").every((p) => p.stage === "production")).toBe(true);

    const nullAge = predictions.filter((p) => p.features.account_age_days === null).length / n;
    expect(nullAge).toBeGreaterThan(0.01);
    expect(nullAge).toBeLessThan(0.03);

    const countries = new Set<string>();
    const devices = new Set<string>();
    const bad: DemoPrediction[] = [];
    for (const p of predictions) {
      const f = p.features;
      const age = f.account_age_days;
      const tx = f.num_tx_24h;
      const ok =
        p.model_id === "fraud" &&
        typeof f.amount === "number" &&
        f.amount > 0 &&
        (age === null || (typeof age === "number" && Number.isInteger(age) && age >= 0)) &&
        typeof tx === "number" &&
        Number.isInteger(tx) &&
        tx >= 0 &&
        typeof f.merchant_category === "string" &&
        typeof f.is_international === "boolean" &&
        f.country === p.segments.country &&
        p.prediction.score > 0 &&
        p.prediction.score < 1 &&
        p.prediction.label === (p.prediction.score >= 0.5 ? "fraud" : "legit");
      if (!ok) bad.push(p);
      countries.add(p.segments.country ?? "?");
      devices.add(p.segments.device ?? "?");
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(countries.size).toBeGreaterThanOrEqual(6);
    expect(countries.has("BR")).toBe(true);
    expect([...devices].sort()).toEqual(["android", "ios", "web"]);
  });

  it("scores roughly calibrated and better than chance", () => {
    const gen = createDemoTraffic({ seed: 8, startMs: START, predictionsPerSecond: 1500, labelShare: 1, ...FAST_LABELS });
    const out = run(gen, START + 30 * SECOND, 10 * SECOND);
    const truth = new Map(out.labels.map((l) => [l.prediction_id, l.label]));
    const edges = [0.1, 0.3, 0.5, 1.01];
    const bins = edges.map(() => ({ n: 0, score: 0, fraud: 0 }));
    for (const p of out.predictions) {
      const y = truth.get(p.prediction_id);
      if (y === undefined) continue;
      const b = bins[edges.findIndex((e) => p.prediction.score < e)]!;
      b.n++;
      b.score += p.prediction.score;
      if (y === "fraud") b.fraud++;
    }
    const rates: number[] = [];
    for (const b of bins.filter((x) => x.n > 500)) {
      expect(Math.abs(b.fraud / b.n - b.score / b.n)).toBeLessThan(0.05);
      rates.push(b.fraud / b.n);
    }
    expect(rates.length).toBeGreaterThanOrEqual(3);
    expect([...rates].sort((a, b) => a - b)).toEqual(rates);
  });

  it("feature_drift multiplies amount by the shift inside its window only", () => {
    const from = START + 20 * SECOND;
    const to = START + 40 * SECOND;
    const shift = 3;
    const base: DemoTrafficOptions = { seed: 9, startMs: START, predictionsPerSecond: 1000 };
    const clean = createDemoTraffic(base).advance(START + 60 * SECOND).predictions;
    const drifted = createDemoTraffic({
      ...base,
      incidents: [{ kind: "feature_drift", feature: "amount", fromMs: from, toMs: to, shift }],
    }).advance(START + 60 * SECOND).predictions;
    expect(drifted).toHaveLength(clean.length);

    // Same seed, so the runs line up event by event; only amount (and what depends on it) moves.
    let changedOutside = 0;
    let wrongInside = 0;
    let inside = 0;
    for (let i = 0; i < clean.length; i++) {
      const c = clean[i]!;
      const d = drifted[i]!;
      if (inWindow(c, from, to)) {
        inside++;
        // Both are rounded to cents, so they can differ from an exact 3× by (1 + shift) / 2 cents.
        const amountOk = Math.abs(amountOf(d) - shift * amountOf(c)) <= 0.0201;
        const restOk =
          d.timestamp === c.timestamp &&
          d.features.account_age_days === c.features.account_age_days &&
          d.features.num_tx_24h === c.features.num_tx_24h &&
          sameRecord(d.segments, c.segments);
        if (!amountOk || !restOk) wrongInside++;
      } else if (!samePrediction(d, c)) {
        changedOutside++;
      }
    }
    expect(inside).toBeGreaterThan(15_000);
    expect(wrongInside).toBe(0);
    expect(changedOutside).toBe(0);

    const before = mean(drifted.filter((p) => p.timestamp < from).map(amountOf));
    const during = mean(drifted.filter((p) => inWindow(p, from, to)).map(amountOf));
    const after = mean(drifted.filter((p) => p.timestamp >= to).map(amountOf));
    // Log-normal(sigma 1) means over 20k events have ~1% relative sd.
    expect(Math.abs(during / before / shift - 1)).toBeLessThan(0.06);
    expect(Math.abs(after / before - 1)).toBeLessThan(0.06);
  });

  it("segment_accuracy_drop lowers that segment's accuracy by about flipRate and leaves others alone", () => {
    const from = START + 30 * SECOND;
    const to = START + 60 * SECOND;
    const flipRate = 0.5;
    const base: DemoTrafficOptions = { seed: 10, startMs: START, predictionsPerSecond: 1500, labelShare: 1, ...FAST_LABELS };
    const incidents = [
      { kind: "segment_accuracy_drop" as const, segment: { key: "country" as const, value: "BR" }, fromMs: from, toMs: to, flipRate },
    ];
    const clean = run(createDemoTraffic(base), to + 2 * SECOND, 8 * SECOND);
    const hit = run(createDemoTraffic({ ...base, incidents }), to + 2 * SECOND, 8 * SECOND);

    // Ground truth is untouched: only model outputs are flipped.
    expect(sameLabels(hit.labels, clean.labels)).toBe(true);
    const truth = new Map(hit.labels.map((l) => [l.prediction_id, l.label]));

    const accBefore = accuracyBy(
      hit.predictions.filter((p) => p.timestamp < from),
      truth,
      "country",
    );
    const accDuring = accuracyBy(
      hit.predictions.filter((p) => inWindow(p, from, to)),
      truth,
      "country",
    );
    const br0 = accBefore.get("BR")!;
    const br1 = accDuring.get("BR")!;
    expect(br1.n).toBeGreaterThan(4000);
    // Flipping a random half of the outputs to wrong keeps (1 - flipRate) of the right ones.
    expect(Math.abs(br1.acc - br0.acc * (1 - flipRate))).toBeLessThan(0.03);
    expect(br0.acc - br1.acc).toBeGreaterThan(flipRate * 0.8);
    // Per country the samples are small (NG: ~2k per window), so the bound is loose there and
    // tight for all other countries pooled.
    const others = { before: { n: 0, right: 0 }, during: { n: 0, right: 0 } };
    for (const [country, after] of accDuring) {
      if (country === "BR") continue;
      const prior = accBefore.get(country)!;
      expect(Math.abs(after.acc - prior.acc), country).toBeLessThan(0.04);
      others.before.n += prior.n;
      others.before.right += prior.acc * prior.n;
      others.during.n += after.n;
      others.during.right += after.acc * after.n;
    }
    expect(Math.abs(others.during.right / others.during.n - others.before.right / others.before.n)).toBeLessThan(0.01);

    // Event by event: outside BR-in-window nothing changes; inside, wrong outputs stay wrong.
    let rightInClean = 0;
    let flipped = 0;
    let changedOutside = 0;
    let wrongBecameRight = 0;
    for (let i = 0; i < clean.predictions.length; i++) {
      const c = clean.predictions[i]!;
      const h = hit.predictions[i]!;
      if (!(inWindow(c, from, to) && c.segments.country === "BR")) {
        if (!samePrediction(h, c)) changedOutside++;
        continue;
      }
      const y = truth.get(c.prediction_id);
      if (c.prediction.label !== y) {
        if (h.prediction.label === y) wrongBecameRight++;
      } else {
        rightInClean++;
        if (h.prediction.label !== y) flipped++;
      }
    }
    expect(changedOutside).toBe(0);
    expect(wrongBecameRight).toBe(0);
    expect(Math.abs(flipped / rightInClean - flipRate)).toBeLessThan(0.03);
  });

  it("matches segments by device as well as country", () => {
    const from = START + 5 * SECOND;
    const base: DemoTrafficOptions = { seed: 12, startMs: START, predictionsPerSecond: 500 };
    const clean = createDemoTraffic(base).advance(START + 20 * SECOND).predictions;
    const hit = createDemoTraffic({
      ...base,
      incidents: [{ kind: "segment_accuracy_drop", segment: { key: "device", value: "web" }, fromMs: from, flipRate: 1 }],
    }).advance(START + 20 * SECOND).predictions;
    const changed = hit.filter((h, i) => h.prediction.label !== clean[i]!.prediction.label);
    expect(changed.length).toBeGreaterThan(100);
    expect(changed.every((p) => p.segments.device === "web" && p.timestamp >= from)).toBe(true);
  });

  it("category_vanish replaces the category inside its interval only, drawing nothing extra", () => {
    const base = { startMs: START, predictionsPerSecond: 200 };
    const from = START + 10 * SECOND;
    const to = START + 15 * SECOND;
    const clean = createDemoTraffic(base).advance(START + 20 * SECOND).predictions;
    const hit = createDemoTraffic({
      ...base,
      incidents: [{ kind: "category_vanish", category: "gaming", replacement: "electronics", fromMs: from, toMs: to }],
    }).advance(START + 20 * SECOND).predictions;
    expect(hit.length).toBe(clean.length);
    let replaced = 0;
    hit.forEach((h, i) => {
      const c = clean[i]!;
      const inside = h.timestamp >= from && h.timestamp < to;
      if (inside && c.features.merchant_category === "gaming") {
        expect(h.features.merchant_category).toBe("electronics");
        replaced++;
      } else expect(h.features.merchant_category).toBe(c.features.merchant_category);
    });
    expect(replaced).toBeGreaterThan(50);
    expect(() =>
      createDemoTraffic({ incidents: [{ kind: "category_vanish", category: "gaming", replacement: "gaming", fromMs: 0 }] }),
    ).toThrow(RangeError);
  });

  it("defaultIncidents schedules one incident of each kind after startMs", () => {
    const incidents = defaultIncidents(START);
    expect(incidents.map((i) => i.kind).sort()).toEqual(["category_vanish", "feature_drift", "segment_accuracy_drop"]);
    for (const i of incidents) {
      expect(i.fromMs).toBeGreaterThan(START);
      expect(i.toMs ?? Infinity).toBeGreaterThan(i.fromMs);
    }
    expect(() => createDemoTraffic({ startMs: START, incidents })).not.toThrow();
  });

  it("rejects invalid options and backwards time", () => {
    expect(() => createDemoTraffic({ predictionsPerSecond: 0 })).toThrow(RangeError);
    expect(() => createDemoTraffic({ labelShare: 1.2 })).toThrow(RangeError);
    expect(() => createDemoTraffic({ timeScale: 0 })).toThrow(RangeError);
    expect(() => createDemoTraffic({ labelDelay: { medianMs: -1, sigma: 1 } })).toThrow(RangeError);
    expect(() => createDemoTraffic({ versions: [] })).toThrow(RangeError);
    expect(() => createDemoTraffic({ incidents: [{ kind: "feature_drift", feature: "amount", fromMs: 10, toMs: 10, shift: 2 }] })).toThrow(
      RangeError,
    );
    expect(() => createDemoTraffic({ incidents: [{ kind: "feature_drift", feature: "amount", fromMs: 0, shift: 0 }] })).toThrow(RangeError);
    expect(() =>
      createDemoTraffic({
        incidents: [{ kind: "segment_accuracy_drop", segment: { key: "country", value: "BR" }, fromMs: 0, flipRate: 2 }],
      }),
    ).toThrow(RangeError);

    const gen = createDemoTraffic({ startMs: START });
    gen.advance(START + 1000);
    expect(gen.advance(START + 1000)).toEqual({ predictions: [], labels: [] });
    expect(() => gen.advance(START + 999)).toThrow(RangeError);
    expect(gen.cursorMs).toBe(START + 1000);
  });
});
