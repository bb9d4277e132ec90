import { describe, expect, it } from "vitest";
import { createTriageTraffic, QUEUES, type TriageLabel, type TriagePrediction } from "./triage.js";

const START = Date.UTC(2026, 10, 29, 0);
const HOUR = 3_600_000;

function run(mixUp: boolean, slices = 1) {
  const traffic = createTriageTraffic({
    seed: 5,
    startMs: START,
    predictionsPerSecond: 0.2,
    mixUps: mixUp ? [{ truth: "shipping", predicted: "billing", share: 0.6, fromMs: START + 10 * HOUR, toMs: START + 20 * HOUR }] : [],
  });
  const predictions: TriagePrediction[] = [];
  const labels: TriageLabel[] = [];
  for (let i = 1; i <= slices; i++) {
    const b = traffic.advance(START + (48 * HOUR * i) / slices);
    predictions.push(...b.predictions);
    labels.push(...b.labels);
  }
  return { predictions, labels };
}

/** Recall of queue `q` (labelled tickets of q routed to q), counted here from the events alone. */
function recall(r: ReturnType<typeof run>, q: string, pick: (p: TriagePrediction) => boolean = () => true): number {
  const truth = new Map(r.labels.map((l) => [l.prediction_id, l.label]));
  const ofQ = r.predictions.filter((p) => pick(p) && truth.get(p.prediction_id) === q);
  return ofQ.filter((p) => p.prediction.label === q).length / ofQ.length;
}

describe("the demo's multi-class model (ticket triage)", () => {
  const plain = run(false);

  it("routes tickets to four queues with scores that sum to one, the label being the top score", () => {
    expect(plain.predictions.length).toBeGreaterThan(0.2 * 48 * 3600 * 0.95);
    expect(plain.predictions.length).toBeLessThan(0.2 * 48 * 3600 * 1.05);
    for (const p of plain.predictions.slice(0, 500)) {
      const scores = Object.values(p.prediction.scores);
      expect(Object.keys(p.prediction.scores)).toEqual([...QUEUES]);
      expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(p.prediction.scores[p.prediction.label]).toBe(Math.max(...scores));
    }
    expect(new Set(plain.labels.map((l) => l.label))).toEqual(new Set(QUEUES));
    // 90 % are labelled, a few hours late: the last hours still wait for theirs.
    expect(plain.labels.length / plain.predictions.length).toBeGreaterThan(0.8);
    const times = plain.labels.map((l) => l.labeled_at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("mistakes account tickets for billing ones more than any other pair", () => {
    expect(recall(plain, "account")).toBeLessThan(0.8);
    for (const q of ["billing", "technical", "shipping"]) expect(recall(plain, q)).toBeGreaterThan(recall(plain, "account"));
  });

  it("a mix-up lowers only that queue's recall, only while it lasts", () => {
    const mixed = run(true);
    const during = (p: TriagePrediction) => p.timestamp >= START + 10 * HOUR && p.timestamp < START + 20 * HOUR;
    expect(recall(mixed, "shipping", during)).toBeLessThan(recall(plain, "shipping", during) - 0.4);
    expect(recall(mixed, "shipping", (p) => !during(p))).toBe(recall(plain, "shipping", (p) => !during(p)));
    expect(recall(mixed, "technical")).toBe(recall(plain, "technical"));
  });

  it("gives the same events however time is sliced", () => {
    const sliced = run(false, 7);
    expect(sliced.predictions).toEqual(plain.predictions);
    expect(sliced.labels).toEqual(plain.labels);
  });
});
