import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../test/helpers/seeded-random.js";
import { compileBoostedTrees, fitBoostedTrees, predictBoostedTrees, predictCompiled } from "./boosted-trees.js";

describe("boosted regression trees", () => {
  it("learns a step in one column and ignores a useless one", () => {
    // y = 3 below x = 0.5 and 1 above; the second column is noise-free junk.
    const rows = Array.from({ length: 1000 }, (_, i) => [i / 1000, (i * 7919) % 13]);
    const y = rows.map(([x]) => ((x as number) < 0.5 ? 3 : 1));
    const model = fitBoostedTrees(rows, y);
    // Each round closes 0.1·n/(n + 1) of the gap: after 150 rounds it is below 0.0003.
    expect(predictBoostedTrees(model, [0.2, 5])).toBeCloseTo(3, 3);
    expect(predictBoostedTrees(model, [0.9, 5])).toBeCloseTo(1, 3);
    expect(model.trees[0]?.column[0]).toBe(0);
  });

  it("needs depth for an interaction, and sends missing values right", () => {
    // XOR of two halves plus a small main effect of the first (a pure XOR gives a greedy root
    // split no gain at all): one level cannot fit it, two can.
    const rows = Array.from({ length: 2000 }, (_, i) => [(i % 40) / 40, Math.floor(i / 40) / 50]);
    const y = rows.map(([a, b]) => ((a as number) < 0.5 !== (b as number) < 0.5 ? 1 : 0) + ((a as number) < 0.5 ? 0.2 : 0));
    const deep = fitBoostedTrees(rows, y, { rounds: 100, learningRate: 0.3, maxDepth: 2, minLeaf: 20, bins: 16, lambda: 0 });
    expect(predictBoostedTrees(deep, [0.1, 0.9])).toBeCloseTo(1.2, 2);
    expect(predictBoostedTrees(deep, [0.1, 0.1])).toBeCloseTo(0.2, 2);
    expect(predictBoostedTrees(deep, [0.9, 0.1])).toBeCloseTo(1, 2);
    expect(predictBoostedTrees(deep, [Number.NaN, Number.NaN])).toBeCloseTo(predictBoostedTrees(deep, [0.9, 0.9]), 12);
    expect(fitBoostedTrees([], [])).toEqual({ base: 0, trees: [] });
  });
});

it("predicts the same from its compiled form, missing values included", () => {
  const r = seededRandom(11);
  const rows = Array.from({ length: 600 }, () => [r() * 10, r() < 0.1 ? Number.NaN : Math.floor(r() * 4), r()]);
  const model = fitBoostedTrees(
    rows,
    rows.map((x) => (x[0] as number) * 2 + (Number.isNaN(x[1]) ? 5 : (x[1] as number))),
    { rounds: 30, learningRate: 0.2, maxDepth: 3, minLeaf: 20, bins: 16, lambda: 1 },
  );
  const compiled = compileBoostedTrees(model);
  for (const x of [...rows.slice(0, 100), [Number.NaN, Number.NaN, Number.NaN]])
    expect(predictCompiled(compiled, x)).toBe(predictBoostedTrees(model, x));
});
