import { describe, expect, it } from "vitest";
import { chooseThreshold, fitSuppressor, labelAt, replay, sortByTime } from "./replay.js";
import { DEFAULT_DISAGREEMENT } from "./disagreement.js";
import type { AlertRecord } from "./types.js";

describe("chooseThreshold", () => {
  it("picks the highest threshold that keeps the target recall of acted-on alerts", () => {
    // 10 acted (one already surfaced by a guard rail), target 0.8 → 2 misses allowed among the decidable.
    const acted = [0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.46, 0.47].map((score) => ({ score, acted: true, decidable: true, weight: 1 }));
    const scored = [
      ...acted,
      { score: 0, acted: true, decidable: false, weight: 1 },
      { score: 0.01, acted: false, decidable: true, weight: 1 },
    ];
    expect(chooseThreshold(scored, 0.8)).toBe(0.2);
    expect(chooseThreshold(scored, 1)).toBe(0.05);
  });
  it("counts an explored alert for the would-be-suppressed alerts it stands for", () => {
    // Acted weights 1 + 20 + 1 + 1 + 1 = 24; target 0.9 allows 2.4 misses. The lowest (weight 1) fits,
    // the explored one (weight 20) does not: it must surface, so the threshold is its score.
    const scored = [0.02, 0.05, 0.2, 0.3, 0.4].map((score) => ({ score, acted: true, decidable: true, weight: score === 0.05 ? 20 : 1 }));
    expect(chooseThreshold(scored, 0.9)).toBe(0.05);
    // Unweighted, two misses fit and the threshold would be 0.2.
    expect(
      chooseThreshold(
        scored.map((s) => ({ ...s, weight: 1 })),
        0.6,
      ),
    ).toBe(0.2);
  });
  it("keeps each type's recall above its floor once the type has used its allowance", () => {
    // 100 acted: type x at 0.01, 0.02, 0.03 and type y (97) at 0.4. A 95 % target allows 5 misses overall,
    // enough for x's three; a 90 % floor with an allowance of 1 lets x miss only one (0.3 of 3 < 1).
    const scored = [
      ...[0.01, 0.02, 0.03].map((score) => ({ score, acted: true, decidable: true, weight: 1, key: "x" })),
      ...Array.from({ length: 97 }, () => ({ score: 0.4, acted: true, decidable: true, weight: 1, key: "y" })),
    ];
    expect(chooseThreshold(scored, 0.95)).toBe(0.4);
    expect(chooseThreshold(scored, 0.95, { floor: 0.9, allowance: 1 })).toBe(0.02);
    expect(chooseThreshold(scored, 0.95, { floor: 0.9, allowance: 3 })).toBe(0.4);
  });
  it("never goes above 0.5, nor without acted alerts", () => {
    expect(chooseThreshold([{ score: 0.9, acted: true, decidable: true, weight: 1 }], 1)).toBe(0.5);
    expect(chooseThreshold([{ score: 0.1, acted: false, decidable: true, weight: 1 }], 0.99)).toBe(0.5);
  });
});

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
    for (const algorithm of ["logistic", "boosted_trees"] as const) {
      const report = replay(history, { algorithm, policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" } });
      expect(report.train.alerts).toBe(320);
      expect(report.test.alerts).toBe(80);
      expect(report.suppressor).toMatchObject({ alerts: 80, acted: 20, actedSurfaced: 20, suppressed: 60 });
      expect(report.suppressor.precision).toBe(1);
      expect(report.baselines[0]!.figures).toMatchObject({ suppressed: 0, recall: 1 });
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

  it("sorts by time without losing equal-time order, and refuses a history it cannot split", () => {
    const [a, b] = [history[1]!, { ...history[2]!, time: history[1]!.time }];
    expect(sortByTime([history[3]!, a, b]).map((r) => r.id)).toEqual(["a1", "a2", "a3"]);
    expect(() => replay(history.slice(0, 1))).toThrow(/cannot split 1 alerts/);
    expect(() => replay(history.map((r) => ({ ...r, action: "ignored" as const })))).toThrow(/none of the .* acted on/);
  });

  it("takes the median of the validation folds' thresholds, skipping a fold too early to fit", () => {
    // Noisy labels so each fold's threshold differs: "real" is acted on 70% of the time, "noisy" 10%.
    const noisy = history.map((r, i) => ({
      ...r,
      deviation: (i % 13) / 10,
      action: (i * 0.6180339887) % 1 < (r.metric === "real" ? 0.7 : 0.1) ? ("acted" as const) : ("ignored" as const),
    }));
    const options = {
      algorithm: "boosted_trees" as const,
      trees: { trees: 10 },
      policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" },
    };
    const single = [0.55, 0.65, 0.75].map((f) => fitSuppressor(noisy, { ...options, calibrationFolds: [f] }).threshold);
    const median = [...single].sort((a, b) => a - b)[1];
    expect(fitSuppressor(noisy, { ...options, calibrationFolds: [0.55, 0.65, 0.75] }).threshold).toBe(median);
    expect(fitSuppressor(noisy, { ...options, calibrationFolds: [0, 0.75] }).threshold).toBe(single[2]);
  });

  it("carries earlier trainings' fold thresholds into the median, keeping the newest", () => {
    const options = { algorithm: "logistic" as const, policy: { minFeedback: 10, exploreRate: 0, seedKey: "k" }, carriedFoldThresholds: 5 };
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
