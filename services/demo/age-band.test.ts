import { describe, expect, it } from "vitest";
import { AGE_BANDS, ageBand, withAgeBand } from "./age-band.js";
import { createDemoTraffic } from "./generator.js";

describe("the fraud demo's age band (its sensitive segment)", () => {
  const { predictions } = createDemoTraffic({ seed: 1, startMs: Date.UTC(2026, 10, 29), predictionsPerSecond: 0.1 }).advance(
    Date.UTC(2026, 11, 6),
  );
  const banded = predictions.map(withAgeBand);

  it("adds age_band to the segments and changes nothing else", () => {
    for (const [i, p] of banded.slice(0, 200).entries()) {
      const { age_band, ...rest } = p.segments;
      expect(AGE_BANDS).toContain(age_band);
      expect(rest).toEqual(predictions[i]!.segments);
      expect({ ...p, segments: rest }).toEqual(predictions[i]);
    }
    expect(ageBand(predictions[0]!)).toBe(ageBand(predictions[0]!));
  });

  it("holds every band, the young ones on newer accounts", () => {
    const count = (band: string) => banded.filter((p) => p.segments.age_band === band).length;
    for (const band of AGE_BANDS) expect(count(band) / banded.length).toBeGreaterThan(0.05);
    const newShare = (band: string) => {
      const of = banded.filter((p) => p.segments.age_band === band);
      return of.filter((p) => typeof p.features.account_age_days !== "number" || p.features.account_age_days < 365).length / of.length;
    };
    expect(newShare("18-24")).toBeGreaterThan(2 * newShare("65+"));
  });

  it("so the model, which never sees it, flags the young most often: below four fifths of their rate for the older bands", () => {
    const rate = (band: string) => {
      const of = banded.filter((p) => p.segments.age_band === band);
      return of.filter((p) => p.prediction.score >= 0.5).length / of.length;
    };
    expect(rate("18-24")).toBeGreaterThan(rate("25-39"));
    expect(rate("40-64") / rate("18-24")).toBeLessThan(0.8);
  });
});
