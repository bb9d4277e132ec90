import { describe, expect, it } from "vitest";
import {
  MAX_EDGES,
  PERCENTILES,
  coarseCounts,
  featureKind,
  nextUp,
  numericBin,
  numericEdges,
  type NumericProfile,
  type RawFeatureStats,
} from "./profile.js";
import { seededRandom } from "./scipy-cases.fixture.js";

/** Nearest-rank percentile k/100 of a sorted sample, in integers so that no rounding moves the rank. */
function percentile(sorted: ArrayLike<number>, k: number): number {
  return sorted[Math.ceil((k * sorted.length) / 100) - 1]!;
}

function rawStats(values: number[], feature = "x"): RawFeatureStats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    feature,
    rows: values.length,
    present: values.length,
    nulls: 0,
    numbers: values.length,
    strings: 0,
    percentiles: PERCENTILES.map((_, i) => percentile(sorted, i + 1)),
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}

const countAtOrBelow = (edges: readonly number[], x: number) => edges.filter((e) => e <= x).length;

describe("numericBin", () => {
  it("is the number of edges at or below the value", () => {
    const edges = [-3, -1.5, 0, 0.25, 2, 10];
    // below all, exactly on each edge, between edges, above all
    const probes = [-Infinity, -1e9, -3.0000001, ...edges, -2, -0.1, 0.1, 1, 5, 10.5, 1e9, Infinity];
    for (const x of probes) expect(numericBin(edges, x), `x = ${x}`).toBe(countAtOrBelow(edges, x));
    expect(numericBin(edges, -3)).toBe(1);
    expect(numericBin(edges, 10)).toBe(6);
    expect(numericBin(edges, -4)).toBe(0);
    expect(numericBin([], 1)).toBe(0);
  });

  it("agrees with a brute-force count on random edges and values", () => {
    const random = seededRandom(101);
    for (let trial = 0; trial < 200; trial++) {
      const size = 1 + Math.floor(random() * 40);
      const edges = [...new Set(Array.from({ length: size }, () => Math.round((random() * 20 - 10) * 4) / 4))].sort((a, b) => a - b);
      for (let k = 0; k < 30; k++) {
        // half the probes sit exactly on an edge, where an off-by-one would show
        const x = random() < 0.5 ? edges[Math.floor(random() * edges.length)]! : random() * 24 - 12;
        expect(numericBin(edges, x)).toBe(countAtOrBelow(edges, x));
      }
    }
  });
});

describe("nextUp", () => {
  it("gives the next double above", () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    // below 1 the spacing halves: the double after −1 is −(1 − 2^-53)
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-0)).toBe(Number.MIN_VALUE);
    expect(nextUp(2 ** 52)).toBe(2 ** 52 + 1);
    expect(nextUp(2 ** 53)).toBe(2 ** 53 + 2);
    expect(nextUp(-Number.MIN_VALUE) === 0).toBe(true);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextUp(-Infinity)).toBe(-Number.MAX_VALUE);
    expect(nextUp(Infinity)).toBe(Infinity);
    expect(nextUp(Number.NaN)).toBeNaN();
  });

  it("leaves no double between x and nextUp(x)", () => {
    const random = seededRandom(202);
    for (let k = 0; k < 2000; k++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      const up = nextUp(x);
      expect(up).toBeGreaterThan(x);
      // a double strictly between them would make the rounded midpoint land strictly between too
      const mid = x / 2 + up / 2;
      expect(mid === x || mid === up, `x = ${x}`).toBe(true);
      // stepping down from −x is stepping up from x, mirrored
      expect(nextUp(-up)).toBe(-x);
    }
  });

  it("puts the value itself below an edge placed there", () => {
    for (const x of [-7.25, -1, 0, 0.1, 3, 1e300]) {
      expect(numericBin([nextUp(x)], x)).toBe(0);
      expect(numericBin([nextUp(x)], nextUp(x))).toBe(1);
    }
  });
});

describe("numericEdges", () => {
  it("holds the percentiles, the range, 0 and the declared bounds, ascending and distinct", () => {
    const random = seededRandom(303);
    // few distinct values, so that many percentiles coincide
    const values = Array.from({ length: 1000 }, () => 1 + Math.floor(random() * 6) + (random() < 0.1 ? 0.5 : 0));
    const stats = rawStats(values);
    const rule = { min: -2, max: 20 };
    const { edges, coarseEdges } = numericEdges(stats, rule);

    const expected = [...new Set([...stats.percentiles, stats.min, nextUp(stats.max), 0, -2, nextUp(20)])].sort((a, b) => a - b);
    expect(edges).toEqual(expected);
    for (const point of [stats.min, nextUp(stats.max), 0, -2, nextUp(20)]) expect(edges).toContain(point);
    expect(edges).not.toContain(stats.max);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    expect(edges.length).toBeLessThanOrEqual(MAX_EDGES);

    // the deciles, 10th to 90th percentile, without repeats
    const deciles = [...new Set([10, 20, 30, 40, 50, 60, 70, 80, 90].map((k) => stats.percentiles[k - 1]!))].sort((a, b) => a - b);
    expect(coarseEdges).toEqual(deciles);
    for (const e of coarseEdges) expect(edges).toContain(e);
  });

  it("keeps 99 distinct percentiles and every extra point of a continuous sample", () => {
    const random = seededRandom(304);
    const stats = rawStats(Array.from({ length: 5000 }, () => 3 + random() * 10));
    const { edges, coarseEdges } = numericEdges(stats);
    // 99 percentiles + min + just above max + 0, all distinct here
    expect(edges.length).toBe(102);
    expect(edges[0]).toBe(0);
    expect(edges[1]).toBe(stats.min);
    expect(edges.at(-1)).toBe(nextUp(stats.max));
    expect(coarseEdges.length).toBe(9);
  });

  it("drops points that are not finite (a feature without numbers)", () => {
    const stats: RawFeatureStats = {
      feature: "x",
      rows: 5,
      present: 5,
      nulls: 5,
      numbers: 0,
      strings: 0,
      percentiles: PERCENTILES.map(() => NaN),
      min: NaN,
      max: NaN,
    };
    expect(numericEdges(stats)).toEqual({ edges: [0], coarseEdges: [] });
  });

  it("refuses more edges than the SQL binary search has slots", () => {
    // Storage always sends 99 percentiles, which with the 5 extra points stay below MAX_EDGES;
    // only a malformed input with more percentiles reaches the guard.
    const stats = { ...rawStats([1, 2, 3]), percentiles: Array.from({ length: 130 }, (_, i) => i + 0.5) };
    expect(() => numericEdges(stats)).toThrow(/feature x: 13\d bin edges exceed 127/);
  });
});

describe("featureKind", () => {
  const stats = (numbers: number, strings: number, feature = "f"): RawFeatureStats => ({
    feature,
    rows: 10,
    present: numbers + strings,
    nulls: 0,
    numbers,
    strings,
    percentiles: [],
    min: 0,
    max: 0,
  });

  it("is numeric when numbers are at least as many as strings", () => {
    expect(featureKind(stats(6, 4))).toBe("numeric");
    expect(featureKind(stats(5, 5))).toBe("numeric");
    expect(featureKind(stats(4, 6))).toBe("categorical");
    expect(featureKind(stats(0, 0))).toBe("categorical");
    expect(featureKind(stats(0, 3))).toBe("categorical");
  });

  it("keeps the predicted label categorical and lets a rule decide", () => {
    expect(featureKind(stats(10, 0, "prediction.label"))).toBe("categorical");
    expect(featureKind(stats(10, 0, "prediction.score"))).toBe("numeric");
    expect(featureKind(stats(10, 0), { type: "categorical" })).toBe("categorical");
    expect(featureKind(stats(0, 10), { type: "numeric" })).toBe("numeric");
    expect(featureKind(stats(10, 0, "prediction.label"), { type: "numeric" })).toBe("numeric");
    expect(featureKind(stats(10, 0), { required: true })).toBe("numeric");
  });
});

describe("coarseCounts", () => {
  it("equals binning the raw values on the deciles directly", () => {
    const random = seededRandom(405);
    for (let trial = 0; trial < 40; trial++) {
      // integers (values exactly on edges, repeated percentiles) and continuous samples, some negative
      const discrete = trial % 2 === 0;
      const draw = () => (discrete ? Math.floor(random() * (2 + trial)) - 3 : (random() - 0.3) * 100);
      const reference = Array.from({ length: 200 + trial * 10 }, draw);
      const { edges, coarseEdges } = numericEdges(rawStats(reference), trial % 3 === 0 ? { min: -5, max: 50 } : undefined);
      const profile = { kind: "numeric", edges, coarseEdges } as NumericProfile;
      // a window drawn wider than the reference, so the outer bins hold values too
      const window = Array.from({ length: 300 }, () => draw() * 1.5 - 1);
      const fine = new Array<number>(edges.length + 1).fill(0);
      const coarse = new Array<number>(coarseEdges.length + 1).fill(0);
      for (const x of window) {
        fine[countAtOrBelow(edges, x)]!++;
        coarse[countAtOrBelow(coarseEdges, x)]!++;
      }
      expect(coarseCounts(profile, fine)).toEqual(coarse);
    }
  });
});
