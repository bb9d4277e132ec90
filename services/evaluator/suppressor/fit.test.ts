import { describe, expect, it } from "vitest";
import * as domain from "../../common/domain/suppressor/replay.js";
import { generateAlertHistory } from "../../../bench/alert-history.js";
import { aimedRecall, fitSuppressor, replay, sortByTime } from "./fit.js";

const history = sortByTime(generateAlertHistory({ days: 20, seed: 5 }));
const trees = { trees: 20 };

describe("the suppressor's fit and replay", () => {
  it("with the median rule, fits and replays exactly as the domain's fit and replay", () => {
    const median = { thresholdRule: "median", carriedFoldThresholds: 9, trees } as const;
    const ours = fitSuppressor(history, median);
    const theirs = domain.fitSuppressor(history, { trees });
    expect(ours.threshold).toBe(theirs.threshold);
    expect(ours.foldThresholds).toEqual(theirs.foldThresholds);
    const options = { retrainEveryMs: 3 * 86_400_000 };
    const replayed = replay(history, { ...median, ...options });
    const domainReplayed = domain.replay(history, { trees, ...options });
    expect(replayed.suppressor).toEqual(domainReplayed.suppressor);
    expect(replayed.perType).toEqual(domainReplayed.perType);
  }, 120_000);

  it("with a margin, holds back no more than without one, and a wider margin no more still", () => {
    const at = (marginZ: number) => fitSuppressor(history, { marginZ, trees, carriedFoldThresholds: 1 }).threshold;
    const [none, one, two] = [at(0), at(1), at(2)];
    expect(one).toBeLessThanOrEqual(none);
    expect(two).toBeLessThanOrEqual(one);
    expect(two).toBeLessThan(none);
  }, 60_000);

  it("aims on the folds at the target's missed share divided by the folds' optimism", () => {
    expect(aimedRecall({ targetRecall: 0.99, foldOptimism: 2 })).toBeCloseTo(0.995, 12);
    expect(aimedRecall({ targetRecall: 0.99, foldOptimism: 1 })).toBeCloseTo(0.99, 12);
    // Optimism below 1 would aim below the target: it counts as 1.
    expect(aimedRecall({ targetRecall: 0.98, foldOptimism: 0.5 })).toBeCloseTo(0.98, 12);
  });

  it("a larger fold optimism holds back no more", () => {
    const at = (foldOptimism: number) => fitSuppressor(history, { foldOptimism, trees, carriedFoldThresholds: 1 }).threshold;
    expect(at(3)).toBeLessThanOrEqual(at(1));
  }, 60_000);

  it("takes the median of its own threshold and the carried ones", () => {
    const own = fitSuppressor(history, { trees, carriedFoldThresholds: 1 }).threshold;
    const carried = fitSuppressor(history, { trees, carriedFoldThresholds: 3, previousFoldThresholds: [0.9, 0.0001, 0.2] });
    // The newest two carried (0.0001 and 0.2) and its own: the median of three.
    expect(carried.foldThresholds).toEqual([0.0001, 0.2, own]);
    expect(carried.threshold).toBe([0.0001, 0.2, own].sort((a, b) => a - b)[1]);
  }, 60_000);
});
