import { describe, expect, it } from "vitest";
import { RuleSchema } from "../../../../schemas/rules.js";
import { judgeSeries, median, relativeDeviation, type SeriesPoint } from "./predicates.js";

const W = 300_000; // 5-minute windows
const rule = (r: Record<string, unknown>) => RuleSchema.parse({ id: "r", ...r });
/** The i-th 5-minute window, with plenty of samples and full label coverage unless told otherwise. */
const pt = (i: number, value: number | null, extra: Partial<SeriesPoint> = {}): SeriesPoint => ({
  start: i * W,
  end: (i + 1) * W,
  value,
  n: 100,
  coverage: 1,
  ...extra,
});
const states = (js: { state: string }[]) => js.map((j) => j.state);

describe("median and relativeDeviation", () => {
  it("median of odd and even counts, unsorted input untouched", () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("relative deviation is |v − t| / |t|, guarded at t = 0", () => {
    expect(relativeDeviation(0.8, 0.9)).toBeCloseTo(0.1 / 0.9, 12);
    expect(relativeDeviation(-3, -2)).toBeCloseTo(0.5, 12);
    expect(relativeDeviation(1, 0)).toBeCloseTo(1e9, 0);
  });
});

describe("judgeSeries: threshold", () => {
  const r = rule({ kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9 });

  it("breaches below, fine at and above, with the deviation relative to the threshold", () => {
    const [a, b, c] = judgeSeries(r, [pt(0, 0.8), pt(1, 0.9), pt(2, 0.95)]);
    expect(a).toMatchObject({ start: 0, end: W, state: "breach", value: 0.8, threshold: 0.9, n: 100 });
    expect(a!.deviation).toBeCloseTo(0.1 / 0.9, 12);
    expect(a!.reason).toBe("0.800 < 0.900");
    expect(b).toMatchObject({ state: "ok", threshold: 0.9, deviation: 0 });
    expect(c).toMatchObject({ state: "ok", threshold: 0.9, deviation: 0 });
  });

  it.each([
    ["<=", 0.9, "breach"],
    ["<=", 0.91, "ok"],
    [">", 0.9, "ok"],
    [">", 0.91, "breach"],
    [">=", 0.9, "breach"],
    [">=", 0.89, "ok"],
  ] as const)("op %s at value %s is %s", (op, value, state) => {
    expect(judgeSeries(rule({ kind: "threshold", metric: "accuracy", op, threshold: 0.9 }), [pt(0, value)])[0]!.state).toBe(state);
  });

  it("judges in time order whatever the input order, and keeps every window", () => {
    const js = judgeSeries(r, [pt(2, 0.95), pt(0, 0.8), pt(1, 0.85)]);
    expect(js.map((j) => j.start)).toEqual([0, W, 2 * W]);
    expect(states(js)).toEqual(["breach", "breach", "ok"]);
  });

  it("a null or non-finite value is unknown", () => {
    const js = judgeSeries(r, [pt(0, null), pt(1, Number.NaN), pt(2, Number.POSITIVE_INFINITY)]);
    for (const j of js) expect(j).toMatchObject({ state: "unknown", threshold: null, deviation: 0, reason: "no value in this window" });
    expect(js[0]!.value).toBeNull();
  });

  it("fewer samples than min_samples is unknown, exactly min_samples is judged", () => {
    const js = judgeSeries(r, [pt(0, 0.5, { n: 29 }), pt(1, 0.5, { n: 30 })]);
    expect(js[0]).toMatchObject({ state: "unknown", reason: "29 samples, fewer than min_samples 30" });
    expect(js[1]!.state).toBe("breach");
    expect(
      judgeSeries(rule({ kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9, min_samples: 5 }), [pt(0, 0.5, { n: 5 })])[0]!
        .state,
    ).toBe("breach");
  });

  it("a label metric waits for labels below min_coverage, whatever its value", () => {
    const js = judgeSeries(r, [
      pt(0, 0.1, { coverage: 0.5 }),
      pt(1, 0.1, { coverage: null }),
      pt(2, 0.1, { coverage: undefined }),
      pt(3, 0.1, { coverage: 0.8 }),
    ]);
    expect(js[0]).toMatchObject({ state: "unknown", reason: "waiting for labels: coverage 0.50 < 0.80" });
    expect(js[1]).toMatchObject({ state: "unknown", reason: "waiting for labels: coverage 0.00 < 0.80" });
    expect(js[2]!.state).toBe("unknown");
    expect(js[3]!.state).toBe("breach");
  });

  it("min_coverage is the rule's", () => {
    const lax = rule({ kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9, min_coverage: 0.3 });
    expect(judgeSeries(lax, [pt(0, 0.1, { coverage: 0.3 })])[0]!.state).toBe("breach");
    expect(judgeSeries(lax, [pt(0, 0.1, { coverage: 0.29 })])[0]!.state).toBe("unknown");
  });

  it("a label-free metric needs no coverage", () => {
    const r2 = rule({ kind: "threshold", metric: "predictions", op: "<", threshold: 1000 });
    expect(judgeSeries(r2, [pt(0, 10, { coverage: 0 })])[0]).toMatchObject({ state: "breach", threshold: 1000 });
    const r3 = rule({ kind: "threshold", metric: "label_coverage", op: "<", threshold: 0.5 });
    expect(judgeSeries(r3, [pt(0, 0.2, { coverage: undefined })])[0]!.state).toBe("breach");
  });
});

describe("judgeSeries: slo", () => {
  it("higher-is-better metrics breach below the objective", () => {
    const r = rule({ kind: "slo", metric: "accuracy", objective: 0.95 });
    const js = judgeSeries(r, [pt(0, 0.94), pt(1, 0.95), pt(2, 0.99)]);
    expect(states(js)).toEqual(["breach", "ok", "ok"]);
    expect(js[0]!.threshold).toBe(0.95);
    expect(js[0]!.deviation).toBeCloseTo(0.01 / 0.95, 12);
  });

  it.each(["precision", "recall", "f1", "roc_auc", "r2", "label_coverage", "estimated_accuracy"])("%s is higher-is-better", (metric) => {
    expect(states(judgeSeries(rule({ kind: "slo", metric, objective: 0.5 }), [pt(0, 0.4), pt(1, 0.6)]))).toEqual(["breach", "ok"]);
  });

  it.each(["log_loss", "brier", "ece", "mae", "rmse", "mape", "delay_p50_s", "delay_p90_s", "predictions"])(
    "%s is lower-is-better",
    (metric) => {
      const js = judgeSeries(rule({ kind: "slo", metric, objective: 0.5 }), [pt(0, 0.4), pt(1, 0.5), pt(2, 0.6)]);
      expect(states(js)).toEqual(["ok", "ok", "breach"]);
      expect(js[2]!.deviation).toBeCloseTo(0.1 / 0.5, 12);
    },
  );
});

describe("judgeSeries: relative_change", () => {
  it("needs three ok windows of baseline, then compares with their mean (higher-is-better: down)", () => {
    const r = rule({ kind: "relative_change", metric: "accuracy", change: 0.1 });
    const js = judgeSeries(r, [pt(0, 0.9), pt(1, 0.92), pt(2, 0.88), pt(3, 0.8), pt(4, 0.82), pt(5, 1)]);
    expect(js.slice(0, 3).map((j) => j.reason)).toEqual([
      "baseline has 0 windows, needs 3",
      "baseline has 1 windows, needs 3",
      "baseline has 2 windows, needs 3",
    ]);
    expect(states(js.slice(0, 3))).toEqual(["unknown", "unknown", "unknown"]);
    // Baseline (0.9 + 0.92 + 0.88) / 3 = 0.9; 10 % down → lower 0.81.
    expect(js[3]).toMatchObject({ state: "breach", value: 0.8 });
    expect(js[3]!.threshold).toBeCloseTo(0.81, 12);
    expect(js[3]!.deviation).toBeCloseTo(0.01 / 0.81, 9);
    expect(js[3]!.reason).toContain("10 % from the baseline 0.900");
    // The breach is not part of the baseline: still 0.9, and 0.82 ≥ 0.81 is fine.
    expect(js[4]!.state).toBe("ok");
    expect(js[4]!.threshold).toBeCloseTo(0.81, 12);
    // Direction down: a rise of any size is fine.
    expect(js[5]!.state).toBe("ok");
  });

  it("lower-is-better metrics watch for a rise; the baseline is the last baseline_windows ok windows", () => {
    const r = rule({ kind: "relative_change", metric: "predictions", change: 0.5, baseline_windows: 3 });
    const values = [100, 100, 100, 200, 140, 140, 140, 200, 120];
    const js = judgeSeries(
      r,
      values.map((v, i) => pt(i, v)),
    );
    expect(states(js)).toEqual(["unknown", "unknown", "unknown", "breach", "ok", "ok", "ok", "ok", "ok"]);
    expect(js[3]!.threshold).toBeCloseTo(150, 9); // baseline 100, +50 %
    expect(js[4]!.threshold).toBeCloseTo(150, 9); // 200 was a breach: baseline still 100
    expect(js[5]!.threshold).toBeCloseTo(170, 9); // (100 + 100 + 140) / 3 = 113.33 → 170
    expect(js[6]!.threshold).toBeCloseTo(190, 9); // (100 + 140 + 140) / 3 → 190
    expect(js[7]!.threshold).toBeCloseTo(210, 9); // (140 + 140 + 140) / 3 → 210; 200 is fine
    // Over all ok windows instead (100 ×3, 140 ×3 → 120, upper 180), 200 would have breached.
    const wide = judgeSeries(
      rule({ kind: "relative_change", metric: "predictions", change: 0.5, baseline_windows: 12 }),
      values.map((v, i) => pt(i, v)),
    );
    expect(wide[7]!.state).toBe("breach");
    expect(wide[7]!.threshold).toBeCloseTo(180, 9);
  });

  it("a baseline of fewer than three windows suffices when baseline_windows is smaller", () => {
    const r = rule({ kind: "relative_change", metric: "predictions", change: 0.2, baseline_windows: 1 });
    const js = judgeSeries(r, [pt(0, 100), pt(1, 110), pt(2, 140)]);
    expect(js[0]).toMatchObject({ state: "unknown", reason: "baseline has 0 windows, needs 1" });
    expect(js[1]!.state).toBe("ok"); // 110 ≤ 120
    expect(js[2]!.state).toBe("breach"); // baseline 110 → upper 132
    expect(js[2]!.threshold).toBeCloseTo(132, 9);
  });

  it("windows unknown for lack of samples are not part of the baseline", () => {
    const r = rule({ kind: "relative_change", metric: "predictions", change: 0.5 });
    const js = judgeSeries(r, [pt(0, 100), pt(1, 10_000, { n: 3 }), pt(2, 100), pt(3, 100), pt(4, 160)]);
    expect(js[1]!.reason).toBe("3 samples, fewer than min_samples 30");
    expect(js[3]!.reason).toBe("baseline has 2 windows, needs 3");
    expect(js[4]).toMatchObject({ state: "breach" });
    expect(js[4]!.threshold).toBeCloseTo(150, 9);
  });

  it("direction both catches either way", () => {
    const r = rule({ kind: "relative_change", metric: "accuracy", change: 0.1, direction: "both" });
    const js = judgeSeries(r, [pt(0, 0.5), pt(1, 0.5), pt(2, 0.5), pt(3, 0.56), pt(4, 0.44), pt(5, 0.54)]);
    expect(states(js.slice(3))).toEqual(["breach", "breach", "ok"]);
    expect(js[3]!.threshold).toBeCloseTo(0.55, 12);
    expect(js[4]!.threshold).toBeCloseTo(0.45, 12);
    expect(js[5]!.threshold).toBeCloseTo(0.45, 12); // a fine window reports the lower bound for "both"
  });

  it("direction up on a higher-is-better metric ignores drops", () => {
    const r = rule({ kind: "relative_change", metric: "accuracy", change: 0.1, direction: "up" });
    const js = judgeSeries(r, [pt(0, 0.5), pt(1, 0.5), pt(2, 0.5), pt(3, 0.3), pt(4, 0.6)]);
    expect(states(js.slice(3))).toEqual(["ok", "breach"]);
    expect(js[3]!.threshold).toBeCloseTo(0.55, 12);
  });
});

describe("judgeSeries: adaptive", () => {
  const history = [10, 12, 8, 11, 9, 10, 13, 7, 10, 11, 9, 10];

  it("learns min_history windows, then breaches outside median ± k × 1.4826 × MAD", () => {
    // Sorted history 7 8 9 9 10 10 10 10 11 11 12 13: median 10; |deviations| 0 0 0 0 1 1 1 1 2 2 3 3: MAD 1.
    // Band 10 ± 4 × 1.4826 = [4.0696, 15.9304].
    const r = rule({ kind: "adaptive", metric: "predictions" });
    const js = judgeSeries(
      r,
      [...history, 15.9, 16, 4.1, 4].map((v, i) => pt(i, v)),
    );
    expect(states(js.slice(0, 12))).toEqual(Array(12).fill("unknown"));
    expect(js[0]!.reason).toBe("learning the band: 0 of 12 windows of history");
    expect(js[11]!.reason).toBe("learning the band: 11 of 12 windows of history");
    expect(js[12]!.state).toBe("ok");
    expect(js[12]!.threshold).toBeCloseTo(4.0696, 9);
    expect(js[13]!.state).toBe("breach");
    expect(js[13]!.threshold).toBeCloseTo(15.9304, 9);
    expect(js[13]!.deviation).toBeCloseTo((16 - 15.9304) / 15.9304, 9);
    expect(js[13]!.reason).toContain("4 robust deviations around 10.000");
    // 15.9 joined the history: 13 values, median still 10, MAD still 1.
    expect(js[14]!.state).toBe("ok");
    expect(js[15]!.state).toBe("breach");
    expect(js[15]!.threshold).toBeCloseTo(4.0696, 9);
  });

  it("a flat history gets a band of at least 1 % of the median per k", () => {
    // Median 200, MAD 0 → scale 2; k 3 → [194, 206].
    const r = rule({ kind: "adaptive", metric: "predictions", k: 3, min_history: 3 });
    const js = judgeSeries(
      r,
      [200, 200, 200, 205, 206, 207, 193].map((v, i) => pt(i, v)),
    );
    expect(states(js)).toEqual(["unknown", "unknown", "unknown", "ok", "ok", "breach", "breach"]);
    expect(js[5]!.threshold).toBeCloseTo(206, 9);
    expect(js[6]!.threshold).toBeCloseTo(194, 9);
  });

  it("direction restricts the side", () => {
    const base = [100, 100, 100];
    const down = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", min_history: 3, direction: "down" }),
      [...base, 150, 50].map((v, i) => pt(i, v)),
    );
    expect(states(down.slice(3))).toEqual(["ok", "breach"]);
    const up = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", min_history: 3, direction: "up" }),
      [...base, 50, 150].map((v, i) => pt(i, v)),
    );
    expect(states(up.slice(3))).toEqual(["ok", "breach"]);
    expect(up[3]!.threshold).toBeCloseTo(104, 9); // a fine window reports the upper bound for "up"
  });

  it("looks back over history_windows only", () => {
    // k 4, min_history 3. Five 100s, then four 103s, all fine. With history_windows 4 the last
    // four are 103: median 103, MAD 0, scale 1.03 → band [98.88, 107.12], so 98.5 breaches.
    // Over all nine (five 100s, four 103s): median 100, MAD 0, scale 1 → [96, 104]: 98.5 is fine.
    const values = [100, 100, 100, 100, 100, 103, 103, 103, 103, 98.5];
    const short = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", min_history: 3, history_windows: 4 }),
      values.map((v, i) => pt(i, v)),
    );
    expect(states(short)).toEqual(["unknown", "unknown", "unknown", "ok", "ok", "ok", "ok", "ok", "ok", "breach"]);
    expect(short[9]!.threshold).toBeCloseTo(98.88, 9);
    const long = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", min_history: 3 }),
      values.map((v, i) => pt(i, v)),
    );
    expect(long[9]!.state).toBe("ok");
    expect(long[9]!.threshold).toBeCloseTo(96, 9);
  });
});

describe("judgeSeries: seasonal baselines", () => {
  const HOUR = 3_600_000;
  const WEEK = 7 * 24 * HOUR;
  /** Hourly traffic: 1,000 an hour on weekdays from 08:00 to 20:00, 100 at night and at the weekend (epoch 0 was a Thursday). */
  const traffic = (t: number) => {
    const day = Math.floor(t / (24 * HOUR)) % 7; // 0 Thursday … 2 Saturday, 3 Sunday
    const hour = Math.floor(t / HOUR) % 24;
    return day === 2 || day === 3 || hour < 8 || hour >= 20 ? 100 : 1000;
  };
  const hourly = (weeks: number, value: (t: number) => number) =>
    Array.from({ length: weeks * 7 * 24 }, (_, i) => ({ start: i * HOUR, end: (i + 1) * HOUR, value: value(i * HOUR), n: 10_000 }));

  it("does not alert on nightly and weekend cycles that a plain adaptive band flags", () => {
    const points = hourly(4, traffic);
    const plain = judgeSeries(rule({ kind: "adaptive", metric: "predictions", window: "1h", k: 3, min_history: 3 }), points);
    const weekly = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", window: "1h", k: 3, min_history: 3, seasonality: "weekly" }),
      points,
    );
    expect(plain.filter((j) => j.state === "breach").length).toBeGreaterThan(10);
    expect(weekly.filter((j) => j.state === "breach")).toEqual([]);
    // Three weeks to learn each hour of the week, then every hour of the fourth is judged and fine.
    expect(weekly.slice(3 * 168).every((j) => j.state === "ok")).toBe(true);
    expect(weekly[0]!.reason).toBe("learning the band: 0 of 3 windows of history at this hour of the week");
  });

  it("compares a window with the same hour of the same weekday only: a Monday-morning drop is caught", () => {
    // In the fifth week, Monday 10:00 (day 4 of the week from Thursday) falls to Saturday's level.
    const drop = 4 * WEEK + 4 * 24 * HOUR + 10 * HOUR;
    const points = hourly(5, (t) => (t === drop ? 100 : traffic(t)));
    const weekly = judgeSeries(
      rule({ kind: "adaptive", metric: "predictions", window: "1h", min_history: 3, seasonality: "weekly" }),
      points,
    );
    expect(weekly.filter((j) => j.state === "breach").map((j) => j.start)).toEqual([drop]);
  });

  it("a daily season for relative_change: each hour against the same hour on past days", () => {
    const day = (t: number) => (Math.floor(t / HOUR) % 24 < 8 ? 50 : 500);
    const points = hourly(1, (t) => (t === 5 * 24 * HOUR + 3 * HOUR ? 80 : day(t)));
    const js = judgeSeries(
      rule({ kind: "relative_change", metric: "predictions", window: "1h", change: 0.3, baseline_windows: 3, seasonality: "daily" }),
      points,
    );
    expect(js.filter((j) => j.state === "breach").map((j) => j.start)).toEqual([5 * 24 * HOUR + 3 * HOUR]);
  });

  it("is refused on threshold rules and on windows that do not divide the season", () => {
    expect(
      RuleSchema.safeParse({ id: "r", kind: "threshold", metric: "predictions", op: "<", threshold: 1, seasonality: "daily" }).success,
    ).toBe(false);
    expect(RuleSchema.safeParse({ id: "r", kind: "adaptive", metric: "predictions", window: "7h", seasonality: "daily" }).success).toBe(
      false,
    );
  });
});

describe("judgeSeries: confidence (Wilson interval, z = 1.959964 at 95 %)", () => {
  const accBelow = (extra: Record<string, unknown> = {}) =>
    rule({ kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9, confidence: 0.95, ...extra });

  it("3 labels never page anyone under the default min_samples", () => {
    const j = judgeSeries(accBelow(), [pt(0, 0, { n: 3, successes: 0 })])[0]!;
    expect(j).toMatchObject({ state: "unknown", reason: "3 samples, fewer than min_samples 30" });
  });

  it("2 of 3 correct is inconclusive: the interval [0.208, 0.939] contains 0.9", () => {
    // p = 2/3, z²/n = 1.280486; centre (0.666667 + 0.640243) / 2.280486 = 0.573083;
    // half = 1.959964 × sqrt(0.074074 + 0.106707) / 2.280486 = 0.365425 → [0.207659, 0.938508].
    const j = judgeSeries(accBelow({ min_samples: 0 }), [pt(0, 2 / 3, { n: 3, successes: 2 })])[0]!;
    expect(j).toMatchObject({ state: "unknown", threshold: 0.9, deviation: 0 });
    expect(j.reason).toBe("inconclusive: 95 % interval [0.208, 0.939] contains 0.900");
  });

  it("without min_samples, 0 of 3 does breach: the interval [0, 0.561] lies wholly below 0.9", () => {
    // p = 0: centre = half = (1.920722 / 3) / 2.280486 = 0.280749 → [0, 0.561497].
    const j = judgeSeries(accBelow({ min_samples: 0 }), [pt(0, 0, { n: 3, successes: 0 })])[0]!;
    expect(j.state).toBe("breach");
    expect(j.reason).toContain("95 % interval [0.00, 0.561] entirely beyond");
  });

  it("800 of 1000 correct breaches: the interval [0.774, 0.824] lies wholly below 0.9", () => {
    // p = 0.8, z²/n = 0.003841459; centre 0.801921 / 1.003841 = 0.798852;
    // half = 1.959964 × sqrt(0.00016 + 0.00000096) / 1.003841 = 0.024771 → [0.774081, 0.823623].
    const j = judgeSeries(accBelow(), [pt(0, 0.8, { n: 1000, successes: 800 })])[0]!;
    expect(j).toMatchObject({ state: "breach", threshold: 0.9 });
    expect(j.deviation).toBeCloseTo(0.1 / 0.9, 12);
    expect(j.reason).toBe("0.800 < 0.900, 95 % interval [0.774, 0.824] entirely beyond");
  });

  it("880 of 1000 just breaches (upper end 0.8987), 20 of 30 too (upper end 0.8077)", () => {
    expect(judgeSeries(accBelow(), [pt(0, 0.88, { n: 1000, successes: 880 })])[0]!.state).toBe("breach");
    expect(judgeSeries(accBelow(), [pt(0, 20 / 30, { n: 30, successes: 20 })])[0]!.state).toBe("breach");
  });

  it("a value on the fine side is fine, interval or not", () => {
    expect(judgeSeries(accBelow(), [pt(0, 0.9, { n: 30, successes: 27 })])[0]).toMatchObject({ state: "ok", reason: "within" });
  });

  it("successes default to round(value × n)", () => {
    // round(0.667 × 3) = 2: the same inconclusive interval as 2 of 3.
    const j = judgeSeries(accBelow({ min_samples: 0 }), [pt(0, 0.667, { n: 3 })])[0]!;
    expect(j.reason).toBe("inconclusive: 95 % interval [0.208, 0.939] contains 0.900");
  });

  it("for '>' the lower end must lie above the threshold", () => {
    // 95 of 100: [0.888250, 0.978456]; 27 of 30: [0.743789, 0.965400].
    const r = rule({ kind: "threshold", metric: "recall", op: ">", threshold: 0.8, confidence: 0.95 });
    const [a, b] = judgeSeries(r, [pt(0, 0.95, { n: 100, successes: 95 }), pt(1, 0.9, { n: 30, successes: 27 })]);
    expect(a!.state).toBe("breach");
    expect(a!.reason).toBe("0.950 > 0.800, 95 % interval [0.888, 0.978] entirely beyond");
    expect(b!.state).toBe("unknown");
    expect(b!.reason).toBe("inconclusive: 95 % interval [0.744, 0.965] contains 0.800");
  });

  it("applies to an SLO's objective", () => {
    const r = rule({ kind: "slo", metric: "accuracy", objective: 0.9, confidence: 0.95 });
    expect(judgeSeries(r, [pt(0, 0.8, { n: 1000, successes: 800 })])[0]!.state).toBe("breach");
    expect(judgeSeries(r, [pt(0, 0.9 - 1 / 30, { n: 30, successes: 26 })])[0]!.state).toBe("unknown");
  });

  it("applies to a relative change's band edge", () => {
    // Baseline 0.9 over three windows; 10 % down → 0.81. 24 of 30 = 0.8 breaches the point but
    // its interval [0.627, 0.905] reaches past 0.81; 700 of 1000 lies wholly below.
    const r = rule({ kind: "relative_change", metric: "accuracy", change: 0.1, confidence: 0.95 });
    const base = [pt(0, 0.9, { n: 1000 }), pt(1, 0.9, { n: 1000 }), pt(2, 0.9, { n: 1000 })];
    const js = judgeSeries(r, [...base, pt(3, 0.8, { n: 30, successes: 24 }), pt(4, 0.7, { n: 1000, successes: 700 })]);
    expect(js[3]!.state).toBe("unknown");
    expect(js[3]!.reason).toMatch(/^inconclusive: 95 % interval \[0\.627, 0\.905\] contains 0\.810/);
    expect(js[4]!.state).toBe("breach");
    // The inconclusive window is not part of the baseline.
    expect(js[4]!.threshold).toBeCloseTo(0.81, 12);
  });

  it("99 % is wider than 95 %: 880 of 1000 becomes inconclusive", () => {
    // z = 2.575829: centre (0.88 + 0.003317) / 1.006635 = 0.877502; half = 2.575829 × sqrt(0.0001056 + 0.00000166) / 1.006635 = 0.026505
    // → [0.850997, 0.904008], which contains 0.9.
    const r = rule({ kind: "threshold", metric: "accuracy", op: "<", threshold: 0.9, confidence: 0.99 });
    const j = judgeSeries(r, [pt(0, 0.88, { n: 1000, successes: 880 })])[0]!;
    expect(j.state).toBe("unknown");
    expect(j.reason).toBe("inconclusive: 99 % interval [0.851, 0.904] contains 0.900");
  });
});

describe("judgeSeries: an estimated metric's own interval", () => {
  const r = rule({ kind: "threshold", metric: "estimated_f1", op: "<", threshold: 0.7, confidence: 0.95 });

  it("decides on the window's interval, not Wilson's: a point breach whose interval reaches 0.7 is inconclusive", () => {
    const [a, b] = judgeSeries(r, [pt(0, 0.6, { interval: [0.55, 0.65] }), pt(1, 0.6, { interval: [0.5, 0.72] })]);
    expect(a!.state).toBe("breach");
    expect(a!.reason).toBe("0.600 < 0.700, 95 % interval [0.550, 0.650] entirely beyond");
    expect(b!.state).toBe("unknown");
    expect(b!.reason).toBe("inconclusive: 95 % interval [0.500, 0.720] contains 0.700");
  });

  it("is label-free: judged at any label coverage, and higher is better", () => {
    const slo = rule({ kind: "slo", metric: "estimated_roc_auc", objective: 0.8 });
    expect(judgeSeries(slo, [pt(0, 0.75, { coverage: 0 })])[0]!.state).toBe("breach");
    expect(judgeSeries(slo, [pt(0, 0.85, { coverage: 0 })])[0]!.state).toBe("ok");
  });
});

describe("judgeSeries: drift and quality signals", () => {
  it("a drift rule without a threshold follows the signal's own decision and threshold", () => {
    const r = rule({ kind: "threshold", metric: "drift.amount" });
    const [a, b] = judgeSeries(r, [
      pt(0, 0.3, { signal: { breach: true, threshold: 0.2 } }),
      pt(1, 0.1, { signal: { breach: false, threshold: 0.2 } }),
    ]);
    expect(a).toMatchObject({ state: "breach", threshold: 0.2, reason: "breaches" });
    expect(a!.deviation).toBeCloseTo(0.5, 12);
    expect(b).toMatchObject({ state: "ok", threshold: 0.2, deviation: 0, reason: "within" });
  });

  it("a drift rule's own threshold overrides the signal's decision", () => {
    const r = rule({ kind: "threshold", metric: "drift.amount", op: ">", threshold: 0.5 });
    const [a, b] = judgeSeries(r, [
      pt(0, 0.3, { signal: { breach: true, threshold: 0.2 } }),
      pt(1, 0.6, { signal: { breach: false, threshold: 0.2 } }),
    ]);
    expect(a).toMatchObject({ state: "ok", threshold: 0.5 });
    expect(b).toMatchObject({ state: "breach", threshold: 0.5 });
    expect(b!.deviation).toBeCloseTo(0.2, 12);
  });

  it("signals are judged whatever the sample size or coverage", () => {
    const r = rule({ kind: "threshold", metric: "drift" });
    expect(judgeSeries(r, [pt(0, 0.3, { n: 1, coverage: 0, signal: { breach: true, threshold: 0.2 } })])[0]!.state).toBe("breach");
  });

  it("a quality rule fires on violated checks", () => {
    const r = rule({ kind: "threshold", metric: "quality.null_fraction" });
    const js = judgeSeries(r, [
      pt(0, 0.25, { signal: { breach: true, threshold: 0.1 } }),
      pt(1, 0.05, { signal: { breach: false, threshold: 0.1 } }),
    ]);
    expect(states(js)).toEqual(["breach", "ok"]);
    expect(js[0]!.deviation).toBeCloseTo(1.5, 12);
  });

  it("a signal window without a value is unknown", () => {
    const r = rule({ kind: "threshold", metric: "drift.amount" });
    expect(judgeSeries(r, [pt(0, null, { signal: { breach: true, threshold: 0.2 } })])[0]!.state).toBe("unknown");
  });
});
