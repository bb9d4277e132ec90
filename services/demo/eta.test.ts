import { describe, expect, it } from "vitest";
import { createEtaTraffic, type EtaLabel, type EtaPrediction } from "./eta.js";

const START = Date.UTC(2026, 10, 29, 0);
const HOUR = 3_600_000;

function run(slowdown: boolean, slices = 1) {
  const traffic = createEtaTraffic({
    seed: 3,
    startMs: START,
    predictionsPerSecond: 0.5,
    slowdowns: slowdown ? [{ city: "madrid", fromMs: START + 10 * HOUR, toMs: START + 20 * HOUR, factor: 1.5 }] : [],
  });
  const predictions: EtaPrediction[] = [];
  const labels: EtaLabel[] = [];
  for (let i = 1; i <= slices; i++) {
    const b = traffic.advance(START + (48 * HOUR * i) / slices);
    predictions.push(...b.predictions);
    labels.push(...b.labels);
  }
  return { predictions, labels };
}

/** Mean absolute error of the labelled predictions picked, computed here from the events alone. */
function mae(p: EtaPrediction[], l: EtaLabel[], pick: (x: EtaPrediction) => boolean): number {
  const truth = new Map(l.map((x) => [x.prediction_id, x.value]));
  const errors = p
    .filter((x) => pick(x) && truth.has(x.prediction_id))
    .map((x) => Math.abs(x.prediction.value - truth.get(x.prediction_id)!));
  return errors.reduce((a, b) => a + b, 0) / errors.length;
}

describe("the demo's regression model (delivery ETA)", () => {
  const plain = run(false);
  const slowed = run(true);

  it("emits predictions at about the rate asked, most labelled, each label after its prediction by the delivery's duration", () => {
    expect(plain.predictions.length).toBeGreaterThan(0.5 * 48 * 3600 * 0.95);
    expect(plain.predictions.length).toBeLessThan(0.5 * 48 * 3600 * 1.05);
    expect(plain.labels.length / plain.predictions.length).toBeGreaterThan(0.9);
    const at = new Map(plain.predictions.map((p) => [p.prediction_id, p.timestamp]));
    for (const l of plain.labels.slice(0, 500)) expect(l.labeled_at - at.get(l.prediction_id)!).toBeCloseTo(l.value * 60_000, -4);
    const times = plain.labels.map((l) => l.labeled_at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("has a few minutes of error normally, and a slowdown raises only that city's error during it", () => {
    const during = (p: EtaPrediction) => p.timestamp >= START + 10 * HOUR && p.timestamp < START + 20 * HOUR;
    const normal = mae(plain.predictions, plain.labels, () => true);
    expect(normal).toBeGreaterThan(2);
    expect(normal).toBeLessThan(8);
    const madrid = mae(slowed.predictions, slowed.labels, (p) => during(p) && p.segments.city === "madrid");
    expect(madrid).toBeGreaterThan(2 * mae(plain.predictions, plain.labels, (p) => during(p) && p.segments.city === "madrid"));
    expect(mae(slowed.predictions, slowed.labels, (p) => during(p) && p.segments.city === "porto")).toBe(
      mae(plain.predictions, plain.labels, (p) => during(p) && p.segments.city === "porto"),
    );
  });

  it("gives the same events however time is sliced", () => {
    const sliced = run(false, 7);
    expect(sliced.predictions).toEqual(plain.predictions);
    expect(sliced.labels).toEqual(plain.labels);
  });
});
