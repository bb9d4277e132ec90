import { describe, expect, it } from "vitest";
import { DisagreementMonitor, poissonUpperTail } from "./disagreement.js";
import type { AlertRecord } from "./types.js";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const rec = (over: Partial<AlertRecord>): AlertRecord => ({
  time: T0,
  rule_kind: "drift",
  metric: "drift.amount",
  severity: "info",
  scope: "slice",
  model: "a",
  slice: "country=BR",
  deviation: 0.2,
  sample_size: 500,
  ...over,
});

describe("poissonUpperTail", () => {
  it("is P(X >= k) for a Poisson mean", () => {
    expect(poissonUpperTail(2, 0)).toBe(1);
    expect(poissonUpperTail(2, 1)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonUpperTail(2, 3)).toBeCloseTo(1 - Math.exp(-2) * (1 + 2 + 2), 12);
    expect(poissonUpperTail(0, 1)).toBe(0);
  });
});

describe("DisagreementMonitor", () => {
  it("flags a type within a model whose answers below the threshold are acted on far more than scored, once known", () => {
    const m = new DisagreementMonitor({ halfLifeMs: 1e15, minActed: 3, pValue: 0.001 });
    // Ten alerts scored 0.01 (threshold 0.1): expected 0.1 acted; four acted, answered an hour later.
    for (let i = 0; i < 10; i++)
      m.observe(rec({ time: T0 + i * H, action: i < 4 ? "acted" : "ignored", action_time: T0 + (i + 1) * H }), 0.01, 0.1);
    expect(m.disagrees(rec({}), T0 + 2 * H)).toBe(false); // two acted answers known so far
    const known = m.tally(rec({}), T0 + 4 * H);
    expect(known.observed).toBeCloseTo(4, 6);
    expect(known.expected).toBeCloseTo(0.04, 6);
    expect(m.disagrees(rec({}), T0 + 4 * H)).toBe(true);
    // P(Poisson(0.1) >= 4) ≈ 3.8e-6 < 0.001 with all ten known.
    expect(m.disagrees(rec({}), T0 + 20 * H)).toBe(true);
    // Another model, another type: not flagged.
    expect(m.disagrees(rec({ model: "b" }), T0 + 20 * H)).toBe(false);
    expect(m.disagrees(rec({ metric: "drift.prediction" }), T0 + 20 * H)).toBe(false);
  });

  it("ignores alerts at or above the threshold and suppressed alerts nobody answered; unanswered ones count as not acted after the timeout", () => {
    const m = new DisagreementMonitor({ halfLifeMs: 1e15, minActed: 1, pValue: 0.5, unacknowledgedTimeoutMs: 10 * H });
    m.observe(rec({ action: "acted", action_time: T0 }), 0.2, 0.1);
    m.observe(rec({ suppressed: true }), 0.01, 0.1);
    expect(m.tally(rec({}), T0 + 100 * H)).toEqual({ observed: 0, expected: 0 });
    m.observe(rec({ time: T0 + 100 * H }), 0.05, 0.1);
    expect(m.tally(rec({}), T0 + 105 * H)).toEqual({ observed: 0, expected: 0 });
    expect(m.tally(rec({}), T0 + 110 * H)).toEqual({ observed: 0, expected: 0.05 });
  });

  it("fades old answers with its half-life", () => {
    const m = new DisagreementMonitor({ halfLifeMs: 24 * H, minActed: 1, pValue: 0.001 });
    m.observe(rec({ action: "acted", action_time: T0 }), 0.01, 0.1);
    const t = m.tally(rec({}), T0 + 48 * H);
    expect(t.observed).toBeCloseTo(0.25, 12);
    expect(t.expected).toBeCloseTo(0.0025, 12);
  });
});
