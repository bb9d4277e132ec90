import { describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES, SuppressorHistory, deviationBucket, hourBucket } from "./features.js";
import type { AlertRecord } from "./types.js";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
const f = (x: Float32Array, name: (typeof FEATURE_NAMES)[number]) => x[FEATURE_NAMES.indexOf(name)]!;
const rec = (over: Partial<AlertRecord>): AlertRecord => ({
  time: T0, rule_kind: "threshold", metric: "accuracy", severity: "info", scope: "global", model: "m", slice: "", deviation: 0.1, sample_size: 999, ...over,
});
const logit = (p: number) => Math.log(p / (1 - p));

describe("SuppressorHistory", () => {
  it("describes an alert from feedback known before it fired, smoothed toward the global rate", () => {
    const h = new SuppressorHistory({ priorStrength: 5, unacknowledgedTimeoutMs: 10 * H, recentHalfLifeMs: 1e15, memoryHalfLifeMs: 1e15 });
    h.add(rec({ id: "1", time: T0, action: "acted", action_time: T0 + H }));
    h.add(rec({ id: "2", time: T0 + 2 * H, action: "ignored", action_time: T0 + 3 * H }));
    h.add(rec({ id: "3", time: T0 + 2 * H, action: "acted", action_time: T0 + 9 * H })); // known only later
    h.add(rec({ id: "4", time: T0 + 3 * H, metric: "latency" })); // unanswered: ignored after 10 h
    const x = h.features(rec({ time: T0 + 4 * H, deviation: 0.3 }));
    expect(x.length).toBe(FEATURE_COUNT);
    // Known at 4 h: #1 acted, #2 ignored. Global rate (1+1)/(2+2) = 0.5; type rate (1 + 5·0.5)/(2 + 5) = 0.5.
    expect(h.feedbackCount(rec({ time: T0 + 4 * H }))).toBe(2);
    expect(f(x, "type_acted_logit")).toBeCloseTo(logit(0.5), 5);
    expect(f(x, "kind_threshold")).toBe(1);
    expect(f(x, "kind_other")).toBe(0);
    expect(f(x, "log_deviation")).toBeCloseTo(Math.log1p(0.3), 6);
    expect(f(x, "log_sample_size")).toBeCloseTo(3, 6);
    expect(f(x, "hours_since_type_acted_log")).toBeCloseTo(Math.log1p(4), 5);
    expect(f(x, "type_never_acted")).toBe(0);
    // Fires within 24 h of type threshold|accuracy|global: #1, #2, #3.
    expect(f(x, "type_fired_24h_log")).toBeCloseTo(Math.log1p(3), 5);
    expect(f(x, "stream_fired_1h_log")).toBe(0);
    // 14 h: #3 acted is known and #4 timed out as ignored (another type): type 2 of 3, global 2 of 4.
    const later = h.features(rec({ time: T0 + 14 * H }));
    const global = (2 + 1) / (4 + 2);
    expect(f(later, "type_acted_logit")).toBeCloseTo(logit((2 + 5 * global) / (3 + 5)), 5);
    expect(h.feedbackCount(rec({ time: T0 + 14 * H, metric: "latency" }))).toBe(1);
  });

  it("does not count a suppressed alert nobody answered, but counts an action taken on it", () => {
    const h = new SuppressorHistory({ unacknowledgedTimeoutMs: H });
    h.add(rec({ time: T0, suppressed: true }));
    h.add(rec({ time: T0, suppressed: true, action: "acted", action_time: T0 + H }));
    expect(h.feedbackCount(rec({ time: T0 + 100 * H }))).toBe(1);
  });

  it("puts unknown rule kinds in 'other' and never fails on odd values", () => {
    const h = new SuppressorHistory();
    const x = h.features(rec({ rule_kind: "team_specific", deviation: Number.NaN, sample_size: -5 }));
    expect(f(x, "kind_other")).toBe(1);
    expect([...x].every(Number.isFinite)).toBe(true);
  });

  it("buckets deviations and hours as documented", () => {
    expect([0, 0.03, 0.07, 0.15, 0.3, 0.4, 0.7, 1.5, 9].map(deviationBucket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(hourBucket(T0 + 4 * H)).toBe(1); // Monday 04:00
    expect(hourBucket(T0 - 1)).toBe(8 + 7); // Sunday 23:59
  });
});
