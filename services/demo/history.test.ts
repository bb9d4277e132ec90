import { describe, expect, it } from "vitest";
import { demoHistory } from "./history.js";

const NOW = Date.UTC(2026, 11, 6, 9, 30);

describe("the demo's week of history", () => {
  const history = demoHistory({ seed: 1, nowMs: NOW });
  const { predictions, labels } = history.traffic.advance(NOW);

  it("covers the week before now at about the rate asked, every event in the past", () => {
    expect(history.startMs).toBe(Date.UTC(2026, 10, 29, 9));
    expect(predictions.length).toBeGreaterThan(0.1 * 7 * 86_400 * 0.95);
    expect(predictions.length).toBeLessThan(0.1 * 7 * 86_400 * 1.05);
    expect(Math.min(...predictions.map((p) => p.timestamp))).toBeLessThan(history.startMs + 3_600_000);
    expect(Math.max(...predictions.map((p) => p.timestamp))).toBeLessThanOrEqual(NOW);
    expect(Math.max(...labels.map((l) => l.labeled_at))).toBeLessThanOrEqual(NOW);
  });

  it("labels most of it, and has the three incidents inside the week, each in the tour", () => {
    expect(labels.length / predictions.length).toBeGreaterThan(0.6);
    expect(history.incidents.map((i) => i.kind)).toEqual(["feature_drift", "segment_accuracy_drop", "category_vanish"]);
    for (const i of history.incidents) {
      expect(i.fromMs).toBeGreaterThanOrEqual(history.startMs);
      expect(i.toMs).toBeLessThanOrEqual(NOW);
    }
    expect(history.tour).toHaveLength(6);
    // One incident is under way at the end of the history, so something is firing at once.
    expect(history.ongoing.fromMs).toBeLessThan(NOW);
    expect(history.ongoing.toMs).toBeGreaterThan(NOW);
    // A shorter past keeps only the incidents that fit before now.
    expect(demoHistory({ seed: 1, nowMs: NOW, days: 2 }).incidents.map((i) => i.kind)).toEqual(["feature_drift"]);
  });

  it("has the regression model's week beside it, with madrid's slowdown inside the week", () => {
    const eta = history.eta.advance(NOW);
    expect(eta.predictions.length).toBeGreaterThan(0.0125 * 7 * 86_400 * 0.9);
    expect(eta.predictions.length).toBeLessThan(0.0125 * 7 * 86_400 * 1.1);
    expect(Math.min(...eta.predictions.map((p) => p.timestamp))).toBeGreaterThan(history.startMs);
    expect(Math.max(...eta.labels.map((l) => l.labeled_at))).toBeLessThanOrEqual(NOW);
    expect(history.slowdowns.map((s) => s.city)).toEqual(["madrid"]);
    expect(history.slowdowns[0]!.fromMs).toBeGreaterThan(history.startMs);
  });

  it("has the multi-class model's week beside it, with its mix-up of queues inside the week", () => {
    const triage = history.triage.advance(NOW);
    expect(triage.predictions.length).toBeGreaterThan(0.0125 * 7 * 86_400 * 0.9);
    expect(triage.predictions.length).toBeLessThan(0.0125 * 7 * 86_400 * 1.1);
    expect(Math.max(...triage.labels.map((l) => l.labeled_at))).toBeLessThanOrEqual(NOW);
    expect(history.mixUps.map((m) => [m.truth, m.predicted])).toEqual([["shipping", "billing"]]);
    expect(history.mixUps[0]!.fromMs).toBeGreaterThan(history.startMs);
    expect(history.tour.some((line) => line.includes("model 'triage'"))).toBe(true);
  });

  it("is the same for the same seed and differs for another", () => {
    const again = demoHistory({ seed: 1, nowMs: NOW }).traffic.advance(NOW);
    expect(again.predictions.slice(0, 50)).toEqual(predictions.slice(0, 50));
    expect(demoHistory({ seed: 2, nowMs: NOW }).traffic.advance(NOW).predictions[0]).not.toEqual(predictions[0]);
  });
});
