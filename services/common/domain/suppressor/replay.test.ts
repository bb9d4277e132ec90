import { describe, expect, it } from "vitest";
import { fitSuppressor, labelAt, replay, sortByTime } from "./replay.js";
import { DEFAULT_DISAGREEMENT } from "./disagreement.js";
import type { AlertRecord } from "./types.js";
import { SuppressorHistory } from "./features.js";
import { predict } from "./model.js";
import { factorFor } from "./type-calibration.js";
import { generateAlertHistory } from "../../../../bench/alert-history.js";

describe("labelAt", () => {
  it("labels by action, timeout and what is known at the time", () => {
    const r = {
      time: 0,
      rule_kind: "x",
      metric: "m",
      severity: "info",
      scope: "global",
      model: "m",
      slice: "",
      deviation: 0,
      sample_size: 1,
    } as const;
    expect(labelAt({ ...r, action: "acted", action_time: 5 }, 10, 100)).toBe(1);
    expect(labelAt({ ...r, action: "acted", action_time: 50 }, 10, 100)).toBeUndefined();
    expect(labelAt({ ...r, action: "snoozed" }, 10, 100)).toBe(0);
    expect(labelAt({ ...r }, 10, 100)).toBeUndefined();
    expect(labelAt({ ...r }, 100, 100)).toBe(0);
    expect(labelAt({ ...r, suppressed: true }, 1000, 100)).toBeUndefined();
  });
});

describe("replay", () => {
  // Two types: "noisy" is never acted on, "real" always; every alert answered at once.
  const history: AlertRecord[] = Array.from({ length: 400 }, (_, i) => {
    const real = i % 4 === 0;
    return {
      id: `a${i}`,
      time: i * 60_000,
      rule_kind: "threshold",
      metric: real ? "real" : "noisy",
      severity: "info",
      scope: "global",
      model: "m",
      slice: "",
      deviation: 0.1,
      sample_size: 100,
      action: real ? "acted" : "ignored",
      action_time: i * 60_000,
    };
  });

  it("trains on the earlier part, scores the later part, and beats both baselines on a learnable history", () => {
    for (const [algorithm, thresholdRule] of [
      ["logistic", "margin"],
      ["boosted_trees", "margin"],
      ["boosted_trees", "median"],
    ] as const) {
      const report = replay(history, { algorithm, thresholdRule, policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" } });
      expect(report.train.alerts).toBe(320);
      expect(report.test.alerts).toBe(80);
      expect(report.suppressor).toMatchObject({ alerts: 80, acted: 20, actedSurfaced: 20, suppressed: 60 });
      expect(report.suppressor.precision).toBe(1);
      expect(report.baselines[0]!.figures).toMatchObject({ suppressed: 0, recall: 1 });
      // One score per scored alert; no retraining in 80 minutes, so the 60 held back are those below the first threshold.
      expect(report.scores).toHaveLength(80);
      expect(report.scores.filter((score) => score < report.fitted.threshold)).toHaveLength(60);
      expect(report.perType).toEqual([
        {
          rule_kind: "threshold",
          metric: "noisy",
          scope: "global",
          model: "m",
          alerts: 60,
          heldBack: 60,
          acted: 0,
          actedMissed: 0,
          disagreement: 0,
        },
        {
          rule_kind: "threshold",
          metric: "real",
          scope: "global",
          model: "m",
          alerts: 20,
          heldBack: 0,
          acted: 20,
          actedMissed: 0,
          disagreement: 0,
        },
      ]);
    }
  });

  it("surfaces a type whose answers turn against its scores after three acted-on misses, instead of missing them all", () => {
    // From the scored part on, "noisy" is always acted on: the model, trained before, still scores it low.
    const changed = history.map((r, i) => (i >= 320 && r.metric === "noisy" ? { ...r, action: "acted" as const } : r));
    const options = { algorithm: "logistic" as const, feedback: "all" as const, policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" } };
    const watched = replay(changed, options);
    const noisy = watched.perType.find((t) => t.metric === "noisy")!;
    expect(noisy.acted).toBe(60);
    // The watch needs at least 3 acted-on answers below the threshold (each known at once), and few more
    // while their expected count (the sum of their low scores) keeps the Poisson tail above 0.001.
    expect(noisy.actedMissed).toBeGreaterThanOrEqual(3);
    expect(noisy.actedMissed).toBeLessThanOrEqual(5);
    expect(noisy.disagreement + noisy.actedMissed + watched.reasons.above_threshold - 20).toBe(60);
    const unwatched = replay(changed, { ...options, disagreement: { ...DEFAULT_DISAGREEMENT, minActed: Infinity } });
    expect(unwatched.perType.find((t) => t.metric === "noisy")!.actedMissed).toBeGreaterThan(10);
  });

  it("judges the acted-rate baseline per type within a model, with a cut-off chosen on the training part", () => {
    // One type on two models: acted on every other time on "a", never on "b". Pooled across models
    // its rate is 25 %, and no cut-off would tell the two apart.
    const twoModels: AlertRecord[] = history.map((r, i) => ({
      ...r,
      metric: "shared",
      model: i % 2 === 0 ? "a" : "b",
      action: i % 4 === 0 ? "acted" : "ignored",
    }));
    const report = replay(twoModels, { algorithm: "logistic", policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" } });
    const chosen = report.baselines[1]!;
    expect(chosen.name).toBe("acted rate < x (x chosen on training)");
    // The first 240 alerts rate "a" at 60/120 and "b" at 0/120; the cut-off keeps every "a" alert of
    // the tail (its score, 0.5, is the lowest an acted-on alert has), so "b" alone falls below it.
    expect(chosen.rate).toBe(0.5);
    // Scored part: the last 80 alerts, 40 of each model, 20 of "a" acted on.
    expect(chosen.figures).toMatchObject({ alerts: 80, acted: 20, suppressed: 40, actedSurfaced: 20 });
  });

  it("sorts by time without losing equal-time order, and refuses a history it cannot split", () => {
    const [a, b] = [history[1]!, { ...history[2]!, time: history[1]!.time }];
    expect(sortByTime([history[3]!, a, b]).map((r) => r.id)).toEqual(["a1", "a2", "a3"]);
    expect(() => replay(history.slice(0, 1))).toThrow(/cannot split 1 alerts/);
    expect(() => replay(history.map((r) => ({ ...r, action: "ignored" as const })))).toThrow(/none of the .* acted on/);
  });

  it("under the median rule, takes the median of the validation folds' thresholds, skipping a fold too early to fit", () => {
    // Noisy labels so each fold's threshold differs: "real" is acted on 70% of the time, "noisy" 10%.
    const noisy = history.map((r, i) => ({
      ...r,
      deviation: (i % 13) / 10,
      action: (i * 0.6180339887) % 1 < (r.metric === "real" ? 0.7 : 0.1) ? ("acted" as const) : ("ignored" as const),
    }));
    const options = {
      thresholdRule: "median" as const,
      algorithm: "boosted_trees" as const,
      trees: { trees: 10 },
      policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" },
    };
    const single = [0.55, 0.65, 0.75].map((f) => fitSuppressor(noisy, { ...options, calibrationFolds: [f] }).threshold);
    const median = [...single].sort((a, b) => a - b)[1];
    expect(fitSuppressor(noisy, { ...options, calibrationFolds: [0.55, 0.65, 0.75] }).threshold).toBe(median);
    expect(fitSuppressor(noisy, { ...options, calibrationFolds: [0, 0.75] }).threshold).toBe(single[2]);
  });

  it("under the median rule, carries earlier trainings' fold thresholds into the median, keeping the newest", () => {
    const options = {
      thresholdRule: "median" as const,
      algorithm: "logistic" as const,
      policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" },
      carriedFoldThresholds: 5,
    };
    const own = fitSuppressor(history, options).foldThresholds;
    expect(own).toHaveLength(3);
    // Carried [0.001, 0.002, 0.3] + own 3, the newest 5 kept: [0.002, 0.3, ...own]; the median is the middle one.
    const carried = fitSuppressor(history, { ...options, previousFoldThresholds: [0.001, 0.002, 0.3] });
    expect(carried.foldThresholds).toEqual([0.002, 0.3, ...own]);
    expect(carried.threshold).toBe([...carried.foldThresholds].sort((a, b) => a - b)[2]);
    // A fixed threshold chooses nothing and passes the carried ones on unchanged.
    expect(fitSuppressor(history, { ...options, threshold: 0.2, previousFoldThresholds: [0.1] }).foldThresholds).toEqual([0.1]);
  });

  it("retrains while scoring on what was known by then, and trains once with retrainEveryMs 0", () => {
    const policy = { minFeedback: 10, exploreRate: 0, seedKey: "k" };
    // The test part spans 80 alerts a minute apart: a retraining every 20 minutes happens 3 times.
    const retrained = replay(history, { algorithm: "logistic", policy, retrainEveryMs: 20 * 60_000 });
    expect(retrained.retrains).toBe(3);
    expect(retrained.suppressor).toMatchObject({ alerts: 80, acted: 20, actedSurfaced: 20, suppressed: 60 });
    expect(replay(history, { algorithm: "logistic", policy, retrainEveryMs: 0 }).retrains).toBe(0);
  });
});

describe("the margin rule's fit", () => {
  const history = sortByTime(generateAlertHistory({ days: 20, seed: 5 }));
  const trees = { trees: 20 };

  it("with a margin, holds back no more than without one, and a wider margin no more still", () => {
    const at = (marginZ: number) => fitSuppressor(history, { marginZ, trees, carriedFoldThresholds: 1 }).threshold;
    const [none, one, two] = [at(0), at(1), at(2)];
    expect(one).toBeLessThanOrEqual(none);
    expect(two).toBeLessThanOrEqual(one);
    expect(two).toBeLessThan(none);
  }, 60_000);

  it("a larger fold optimism holds back no more", () => {
    const at = (foldOptimism: number) => fitSuppressor(history, { foldOptimism, trees, carriedFoldThresholds: 1 }).threshold;
    expect(at(3)).toBeLessThanOrEqual(at(1));
  }, 60_000);

  it("learns per-type factors on the folds, within their bounds, and none when told not to", () => {
    const fitted = fitSuppressor(history, { trees, carriedFoldThresholds: 1 });
    const factors = Object.values(fitted.typeFactors);
    expect(factors.length).toBeGreaterThan(0);
    for (const f of factors) {
      expect(f).toBeGreaterThanOrEqual(1 / 3);
      expect(f).toBeLessThanOrEqual(3);
    }
    expect(Object.keys(fitted.typeFactors).some((k) => k.startsWith("tm:"))).toBe(true);
    expect(fitSuppressor(history, { trees, carriedFoldThresholds: 1, calibrationSpan: 0 }).typeFactors).toEqual({});
    // A threshold given, not chosen on the folds: nothing to learn the factors on.
    expect(fitSuppressor(history, { trees, threshold: 0.01 }).typeFactors).toEqual({});
  }, 60_000);

  it("scores each alert live as the model's chance times its type's factor", () => {
    const report = replay(history, { trees, retrainEveryMs: 0, feedback: "all" });
    // Every answer fed back: the live history is the plain walk over the alerts in time order.
    const state = new SuppressorHistory();
    const expected: number[] = [];
    history.forEach((r, i) => {
      if (i >= report.train.alerts)
        expected.push(Math.min(1, predict(report.fitted.model, state.features(r)) * factorFor(report.fitted.typeFactors, r)));
      state.add(r);
    });
    expect(report.scores).toHaveLength(expected.length);
    report.scores.forEach((score, i) => expect(score).toBeCloseTo(expected[i]!, 12));
  }, 60_000);

  it("takes the median of its own threshold and the carried ones", () => {
    const own = fitSuppressor(history, { trees, carriedFoldThresholds: 1 }).threshold;
    const carried = fitSuppressor(history, { trees, carriedFoldThresholds: 3, previousFoldThresholds: [0.9, 0.0001, 0.2] });
    // The newest two carried (0.0001 and 0.2) and its own: the median of three.
    expect(carried.foldThresholds).toEqual([0.0001, 0.2, own]);
    expect(carried.threshold).toBe([0.0001, 0.2, own].sort((a, b) => a - b)[1]);
  }, 60_000);
});
