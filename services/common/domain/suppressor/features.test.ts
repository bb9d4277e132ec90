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

  it("counts an explored alert's answer once per alert it was drawn from, and the policy's count once", () => {
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, recentHalfLifeMs: 1e15, memoryHalfLifeMs: 1e15 });
    h.add(rec({ time: T0, action: "acted" }));
    h.add(rec({ time: T0, action: "acted" }));
    h.add(rec({ time: T0, action: "ignored" }));
    // Surfaced by 10 % exploration and ignored: it stands for 10 would-be-suppressed alerts.
    h.add(rec({ time: T0, action: "ignored", surface_probability: 0.1 }));
    // The other would-be-suppressed alerts were held back and never answered: they do not count.
    for (let i = 0; i < 9; i++) h.add(rec({ time: T0, suppressed: true }));
    const x = h.features(rec({ time: T0 + 2 * H }));
    expect(f(x, "type_acted_logit")).toBeCloseTo(logit(2 / 13), 5);
    expect(f(x, "type_recent_acted_logit")).toBeCloseTo(logit(2 / 13), 5);
    expect(h.feedbackCount(rec({ time: T0 + 2 * H }))).toBe(4);
    // A probability of 1, or one that makes no sense, counts the answer once.
    const plain = new SuppressorHistory({ priorStrength: 0, recentHalfLifeMs: 1e15, memoryHalfLifeMs: 1e15 });
    plain.add(rec({ time: T0, action: "acted", surface_probability: 1 }));
    plain.add(rec({ time: T0, action: "ignored", surface_probability: 0 }));
    plain.add(rec({ time: T0, action: "ignored", surface_probability: Number.NaN }));
    expect(f(plain.features(rec({ time: T0 + H })), "type_acted_logit")).toBeCloseTo(logit(1 / 3), 5);
  });

  it("puts unknown rule kinds in 'other' and never fails on odd values", () => {
    const h = new SuppressorHistory();
    const x = h.features(rec({ rule_kind: "team_specific", deviation: Number.NaN, sample_size: -5 }));
    expect(f(x, "kind_other")).toBe(1);
    expect([...x].every(Number.isFinite)).toBe(true);
  });

  it("places an alert in its stream's burst and learns the acted rate of first alerts apart from repeats", () => {
    const M = 60_000;
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, burstGapMs: 30 * M, memoryHalfLifeMs: 1e15 });
    // Two bursts on one stream: 0, 20, 45 min (each gap <= 30 min) and 3 h later; firsts acted, repeats ignored.
    for (const [at, action] of [[0, "acted"], [20, "ignored"], [45, "ignored"], [180, "acted"], [195, "ignored"]] as const) {
      h.add(rec({ time: T0 + at * M, deviation: at === 180 ? 0.4 : 0.1, action, action_time: T0 + (at + 1) * M }));
    }
    const repeat = h.features(rec({ time: T0 + 205 * M, deviation: 0.11 }));
    expect(f(repeat, "stream_burst_position_log")).toBeCloseTo(Math.log1p(2), 6);
    expect(f(repeat, "minutes_since_stream_fired_log")).toBeCloseTo(Math.log1p(10), 5);
    expect(f(repeat, "deviation_change_from_stream_previous")).toBeCloseTo(Math.abs(Math.log(0.111 / 0.101)), 5);
    expect(f(repeat, "type_burst_role_acted_logit")).toBeCloseTo(Math.log(1e-3 / (1 - 1e-3)), 5); // 0 of 3 repeats, floored
    const first = h.features(rec({ time: T0 + 300 * M }));
    expect(f(first, "stream_burst_position_log")).toBe(0);
    expect(f(first, "type_burst_role_acted_logit")).toBeCloseTo(Math.log((1 - 1e-3) / 1e-3), 5); // 2 of 2 firsts
    // Another stream (other model) has no earlier fire: position 0, capped minutes and deviation change.
    const fresh = h.features(rec({ time: T0 + 205 * M, model: "other" }));
    expect(f(fresh, "stream_burst_position_log")).toBe(0);
    expect(f(fresh, "minutes_since_stream_fired_log")).toBeCloseTo(Math.log1p(7 * 24 * 60), 5);
    expect(f(fresh, "deviation_change_from_stream_previous")).toBe(5);
  });

  it("buckets deviations and hours as documented", () => {
    expect([0, 0.03, 0.07, 0.15, 0.3, 0.4, 0.7, 1.5, 9].map(deviationBucket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(hourBucket(T0 + 4 * H)).toBe(1); // Monday 04:00
    expect(hourBucket(T0 - 1)).toBe(8 + 7); // Sunday 23:59
  });
});
