import { describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES, SuppressorHistory, deviationBin, hourBucket, sampleBin } from "./features.js";
import type { AlertRecord } from "./types.js";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
const f = (x: Float32Array, name: (typeof FEATURE_NAMES)[number]) => x[FEATURE_NAMES.indexOf(name)]!;
const rec = (over: Partial<AlertRecord>): AlertRecord => ({
  time: T0,
  rule_kind: "threshold",
  metric: "accuracy",
  severity: "info",
  scope: "global",
  model: "m",
  slice: "",
  deviation: 0.1,
  sample_size: 999,
  ...over,
});
const logit = (p: number) => Math.log(p / (1 - p));

const NEVER = 1e15; // a half-life no test lives to see fade
const FLOOR = Math.log(1e-3 / (1 - 1e-3));

describe("SuppressorHistory", () => {
  it("describes an alert from feedback known before it fired, each grain smoothed toward the coarser one", () => {
    const h = new SuppressorHistory({
      priorStrength: 5,
      unacknowledgedTimeoutMs: 10 * H,
      recentHalfLifeMs: NEVER,
      memoryHalfLifeMs: NEVER,
    });
    h.add(rec({ id: "1", time: T0, model: "a", action: "acted", action_time: T0 + H }));
    h.add(rec({ id: "2", time: T0 + 2 * H, model: "b", action: "ignored", action_time: T0 + 3 * H }));
    h.add(rec({ id: "3", time: T0 + 2 * H, model: "a", action: "acted", action_time: T0 + 9 * H })); // known only later
    h.add(rec({ id: "4", time: T0 + 3 * H, metric: "latency" })); // unanswered: ignored after 10 h
    const x = h.features(rec({ time: T0 + 4 * H, model: "a", deviation: 0.3 }));
    expect(x.length).toBe(FEATURE_COUNT);
    // Known at 4 h: #1 acted (model a), #2 ignored (model b), both threshold|accuracy|global.
    const global = (1 + 1) / (2 + 2);
    const kind = (1 + 5 * global) / (2 + 5);
    const type = (1 + 5 * kind) / (2 + 5);
    const onA = (1 + 5 * type) / (1 + 5);
    expect(h.feedbackCount(rec({ time: T0 + 4 * H }))).toBe(2);
    expect(f(x, "kind_acted_logit")).toBeCloseTo(logit(kind), 5);
    expect(f(x, "type_acted_logit")).toBeCloseTo(logit(type), 5);
    expect(f(x, "type_model_acted_logit")).toBeCloseTo(logit(onA), 5);
    // The stream (type, model a, no slice) holds the same answer as the type within model a.
    expect(f(x, "stream_acted_logit")).toBeCloseTo(logit((1 + 5 * onA) / (1 + 5)), 5);
    expect(f(h.features(rec({ time: T0 + 4 * H, model: "b" })), "type_model_acted_logit")).toBeCloseTo(logit((0 + 5 * type) / (1 + 5)), 5);
    // A model never seen speaks with its type's voice.
    expect(f(h.features(rec({ time: T0 + 4 * H, model: "new" })), "type_model_acted_logit")).toBeCloseTo(logit(type), 5);
    expect(f(x, "log_deviation")).toBeCloseTo(Math.log1p(0.3), 6);
    expect(f(x, "log_sample_size")).toBeCloseTo(3, 6);
    expect(f(x, "hours_since_type_model_acted_log")).toBeCloseTo(Math.log1p(4), 5);
    // 14 h: #3 acted is known and #4 timed out as ignored (another type): global 2 of 4.
    const later = h.features(rec({ time: T0 + 14 * H, model: "a" }));
    const global2 = (2 + 1) / (4 + 2);
    const kind2 = (2 + 5 * global2) / (4 + 5); // threshold|accuracy and threshold|latency share the kind
    const type2 = (2 + 5 * kind2) / (3 + 5);
    expect(f(later, "type_acted_logit")).toBeCloseTo(logit(type2), 5);
    expect(f(later, "type_model_acted_logit")).toBeCloseTo(logit((2 + 5 * type2) / (2 + 5)), 5);
    expect(h.feedbackCount(rec({ time: T0 + 14 * H, metric: "latency" }))).toBe(1);
  });

  it("learns a cut-off on the breach size per type within a model: rates below, above and near", () => {
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, recentHalfLifeMs: NEVER, memoryHalfLifeMs: NEVER });
    for (let i = 0; i < 3; i++) h.add(rec({ time: T0 + i * H, deviation: 0.1, action: "ignored" }));
    for (let i = 0; i < 2; i++) h.add(rec({ time: T0 + i * H, deviation: 0.5, action: "acted" }));
    const small = h.features(rec({ time: T0 + 10 * H, deviation: 0.1 }));
    // At 0.1: below it 0 of 3, at or above it 2 of 5; near it (±35 %) only the three small ones.
    expect(f(small, "type_model_dev_below_acted_logit")).toBeCloseTo(FLOOR, 5);
    expect(f(small, "type_model_dev_above_acted_logit")).toBeCloseTo(logit(2 / 5), 5);
    expect(f(small, "type_dev_above_acted_logit")).toBeCloseTo(logit(2 / 5), 5);
    expect(f(small, "type_model_dev_near_acted_logit")).toBeCloseTo(FLOOR, 5);
    const large = h.features(rec({ time: T0 + 10 * H, deviation: 0.5 }));
    expect(f(large, "type_model_dev_below_acted_logit")).toBeCloseTo(logit(2 / 5), 5);
    expect(f(large, "type_model_dev_above_acted_logit")).toBeCloseTo(-FLOOR, 5);
    // Sample sizes were all 999: every answer is at or below a sample of 999, none above 10,000.
    expect(f(large, "type_model_samples_below_acted_logit")).toBeCloseTo(logit(2 / 5), 5);
    const bigSample = h.features(rec({ time: T0 + 10 * H, sample_size: 10_000 }));
    // No answer above: the prior, the type's own rate (2 of 5).
    expect(f(bigSample, "type_model_samples_above_acted_logit")).toBeCloseTo(logit(2 / 5), 5);
  });

  it("fades answers with the half-life and shifts a type within a model from its type's conditional rates", () => {
    const D = 24 * H;
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, recentHalfLifeMs: D, memoryHalfLifeMs: D });
    h.add(rec({ time: T0, action: "acted" }));
    h.add(rec({ time: T0 + D, action: "ignored" }));
    // A day later the acted answer weighs 1/2: 0.5 of 1.5.
    expect(f(h.features(rec({ time: T0 + D })), "type_acted_logit")).toBeCloseTo(logit(1 / 3), 5);
    expect(f(h.features(rec({ time: T0 + D })), "type_model_recent_acted_logit")).toBeCloseTo(logit(1 / 3), 5);
    // A model with no answers of its own takes its type's rate in the hour block, shifted by nothing
    // (its overall rate is the type's); one answer at 00:00 and the alert at 01:00 share block 0.
    const s = new SuppressorHistory({ priorStrength: 5, unacknowledgedTimeoutMs: H, recentHalfLifeMs: NEVER, memoryHalfLifeMs: NEVER });
    s.add(rec({ time: T0, model: "a", action: "acted" }));
    const x = s.features(rec({ time: T0 + H, model: "b" }));
    const type = (1 + (5 * (1 + 5 * (2 / 3))) / 6) / 6;
    expect(f(x, "type_acted_logit")).toBeCloseTo(logit(type), 5);
    expect(f(x, "type_model_hour_acted_logit")).toBeCloseTo(logit((1 + 5 * type) / 6), 5);
  });

  it("does not count a suppressed alert nobody answered, but counts an action taken on it", () => {
    const h = new SuppressorHistory({ unacknowledgedTimeoutMs: H });
    h.add(rec({ time: T0, suppressed: true }));
    h.add(rec({ time: T0, suppressed: true, action: "acted", action_time: T0 + H }));
    expect(h.feedbackCount(rec({ time: T0 + 100 * H }))).toBe(1);
  });

  it("counts an explored alert's answer once per alert it was drawn from, and the policy's count once", () => {
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, recentHalfLifeMs: NEVER, memoryHalfLifeMs: NEVER });
    h.add(rec({ time: T0, action: "acted" }));
    h.add(rec({ time: T0, action: "acted" }));
    h.add(rec({ time: T0, action: "ignored" }));
    // Surfaced by 10 % exploration and ignored: it stands for 10 would-be-suppressed alerts.
    h.add(rec({ time: T0, action: "ignored", surface_probability: 0.1 }));
    // The other would-be-suppressed alerts were held back and never answered: they do not count.
    for (let i = 0; i < 9; i++) h.add(rec({ time: T0, suppressed: true }));
    const x = h.features(rec({ time: T0 + 2 * H }));
    expect(f(x, "type_acted_logit")).toBeCloseTo(logit(2 / 13), 5);
    expect(f(x, "type_model_recent_acted_logit")).toBeCloseTo(logit(2 / 13), 5);
    expect(h.feedbackCount(rec({ time: T0 + 2 * H }))).toBe(4);
    // A probability of 1, or one that makes no sense, counts the answer once.
    const plain = new SuppressorHistory({ priorStrength: 0, recentHalfLifeMs: NEVER, memoryHalfLifeMs: NEVER });
    plain.add(rec({ time: T0, action: "acted", surface_probability: 1 }));
    plain.add(rec({ time: T0, action: "ignored", surface_probability: 0 }));
    plain.add(rec({ time: T0, action: "ignored", surface_probability: Number.NaN }));
    expect(f(plain.features(rec({ time: T0 + H })), "type_acted_logit")).toBeCloseTo(logit(1 / 3), 5);
  });

  it("never fails on odd values", () => {
    const h = new SuppressorHistory();
    h.add(rec({ rule_kind: "team_specific", deviation: Number.NaN, sample_size: -5, action: "acted" }));
    const x = h.features(rec({ time: T0 + 48 * H, rule_kind: "team_specific", deviation: Number.NaN, sample_size: -5 }));
    expect([...x].every(Number.isFinite)).toBe(true);
  });

  it("places an alert in its stream's burst and learns the acted rate of first alerts apart from repeats", () => {
    const M = 60_000;
    const h = new SuppressorHistory({ priorStrength: 0, unacknowledgedTimeoutMs: H, burstGapMs: 30 * M, memoryHalfLifeMs: NEVER });
    // Two bursts on one stream: 0, 20, 45 min (each gap <= 30 min) and 3 h later; firsts acted, repeats ignored.
    for (const [at, action] of [
      [0, "acted"],
      [20, "ignored"],
      [45, "ignored"],
      [180, "acted"],
      [195, "ignored"],
    ] as const) {
      h.add(rec({ time: T0 + at * M, deviation: at === 180 ? 0.4 : 0.1, action, action_time: T0 + (at + 1) * M }));
    }
    const third = h.features(rec({ time: T0 + 205 * M, deviation: 0.11 }));
    expect(f(third, "stream_burst_position_log")).toBeCloseTo(Math.log1p(2), 6);
    expect(f(third, "minutes_since_stream_fired_log")).toBeCloseTo(Math.log1p(10), 5);
    expect(f(third, "deviation_change_from_stream_previous")).toBeCloseTo(Math.abs(Math.log(0.111 / 0.101)), 5);
    expect(f(third, "type_model_burst_role_acted_logit")).toBeCloseTo(FLOOR, 5); // third or later: 0 of 1 (the 45-min one)
    const first = h.features(rec({ time: T0 + 300 * M }));
    expect(f(first, "stream_burst_position_log")).toBe(0);
    expect(f(first, "type_model_burst_role_acted_logit")).toBeCloseTo(-FLOOR, 5); // 2 of 2 firsts
    // Another stream (other model) has no earlier fire: position 0, capped minutes and deviation change.
    const fresh = h.features(rec({ time: T0 + 205 * M, model: "other" }));
    expect(f(fresh, "stream_burst_position_log")).toBe(0);
    expect(f(fresh, "minutes_since_stream_fired_log")).toBeCloseTo(Math.log1p(7 * 24 * 60), 5);
    expect(f(fresh, "deviation_change_from_stream_previous")).toBe(5);
  });

  it("bins breach sizes, sample sizes and hours as documented", () => {
    // ln(d + 0.001) in steps of 0.1 from −7: ln(0.101) = −2.293 → bin 47; ln(1.001) → bin 70; the ends clamp.
    expect([0.1, 1, 0, 1e9].map(deviationBin)).toEqual([47, 70, 0, 119]);
    // log10(1 + n) in quarter decades from 1: 9 → 0, 999 → 8, 10^7 → 19 (clamped).
    expect([9, 999, 1e7].map(sampleBin)).toEqual([0, 8, 19]);
    expect(hourBucket(T0 + 4 * H)).toBe(1); // Monday 04:00
    expect(hourBucket(T0 - 1)).toBe(8 + 7); // Sunday 23:59
  });
});
