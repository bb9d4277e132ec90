import { describe, expect, it } from "vitest";
import { alertId, fingerprint } from "../common/domain/alerts/lifecycle.js";
import { alertMonth, monthEndBefore } from "./alert-month.js";

const END = Date.UTC(2026, 10, 29, 9);
const DAY = 86_400_000;
const WEEK = 7 * DAY;

describe("the demo's month of answered alerts", () => {
  const month = alertMonth({ seed: 1, endMs: END });

  it("spreads about a dozen alerts a day over the month, every one over an hour before the week of history", () => {
    expect(month.length).toBeGreaterThan(30 * 8);
    expect(month.length).toBeLessThan(30 * 16);
    for (const { row } of month) {
      expect(row.started_ms).toBeGreaterThanOrEqual(END - 30 * DAY - row.window_seconds * 1000);
      expect(row.resolved_ms!).toBeLessThan(END - 3_600_000);
      expect(row.fired_ms).toBeGreaterThan(row.started_ms);
      expect(row.first_seen_wall_ms).toBeGreaterThan(row.fired_ms);
      expect(row.last_breach_ms).toBeLessThan(row.resolved_ms!);
    }
    const seen = month.map((p) => p.row.first_seen_wall_ms);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("names each alert's series as the evaluator would, and its episode by its place in the month, with no two alike", () => {
    for (const { row } of month.slice(0, 50)) {
      const fp = fingerprint({
        ruleId: row.rule_id,
        modelId: row.model_id,
        modelVersion: row.model_version,
        slice: row.slice,
        metric: row.metric,
        feature: row.feature,
      });
      expect([row.fingerprint, row.alert_id]).toEqual([fp, alertId(fp, row.started_ms - END)]);
    }
    expect(new Set(month.map((p) => p.row.alert_id)).size).toBe(month.length);
  });

  it("is the same month, ids included, on whole weeks later: only its times move", () => {
    const later = alertMonth({ seed: 1, endMs: END + 5 * WEEK });
    expect(later.map((p) => p.row.alert_id)).toEqual(month.map((p) => p.row.alert_id));
    expect(later.map((p) => p.row.first_seen_wall_ms - 5 * WEEK)).toEqual(month.map((p) => p.row.first_seen_wall_ms));
    expect(later.map((p) => p.answer?.action)).toEqual(month.map((p) => p.answer?.action));
  });

  it("ends on the last Monday 00:00 UTC at or before a time", () => {
    const monday = Date.UTC(2026, 10, 23);
    expect(new Date(monday).getUTCDay()).toBe(1);
    expect(monthEndBefore(monday)).toBe(monday);
    expect(monthEndBefore(monday - 1)).toBe(monday - WEEK);
    expect(monthEndBefore(monday + WEEK - 1)).toBe(monday);
    for (const ms of [END, Date.UTC(2027, 1, 28, 23, 59), Date.UTC(2026, 0, 1, 0, 0, 1)]) {
      const end = monthEndBefore(ms);
      expect(new Date(end).toISOString()).toMatch(/T00:00:00.000Z$/);
      expect(new Date(end).getUTCDay()).toBe(1);
      expect(ms - end).toBeGreaterThanOrEqual(0);
      expect(ms - end).toBeLessThan(WEEK);
    }
  });

  it("has on-call's habits a model can learn: risky countries' accuracy acted on, null fractions and volume hardly ever", () => {
    const actedShare = (pick: (p: (typeof month)[number]) => boolean) => {
      const some = month.filter(pick);
      return some.filter((p) => p.answer?.action === "acted").length / some.length;
    };
    const risky = actedShare((p) => p.row.metric === "accuracy" && /BR|MX|NG/.test(p.row.slice));
    const safe = actedShare((p) => p.row.metric === "accuracy" && p.row.slice !== "" && !/BR|MX|NG/.test(p.row.slice));
    expect(risky).toBeGreaterThan(0.6);
    expect(safe).toBeLessThan(0.4);
    expect(actedShare((p) => p.row.metric === "quality.null_fraction")).toBeLessThan(0.2);
    expect(actedShare((p) => p.row.metric === "predictions")).toBeLessThan(0.15);
    // Every kind the demo's rules raise appears often enough for the policy's minimum of feedback (20).
    for (const metric of ["accuracy", "drift.amount", "quality.null_fraction", "predictions"]) {
      expect(month.filter((p) => p.row.metric === metric && p.answer).length).toBeGreaterThan(20);
    }
    // Some are never answered, and no answer comes before its alert was seen.
    expect(month.some((p) => p.answer === null)).toBe(true);
    for (const p of month) if (p.answer) expect(p.answer.atMs).toBeGreaterThan(p.row.first_seen_wall_ms);
  });

  it("is stored as surfaced and unjudged (the caller judges it), critical only for the SLO, and the same for the same seed", () => {
    expect(new Set(month.map((p) => p.row.disposition))).toEqual(new Set(["surfaced"]));
    expect(month.every((p) => p.row.suppress_score === null && p.row.suppressor_version === "")).toBe(true);
    expect(month.filter((p) => p.row.severity === "critical").every((p) => p.row.rule_kind === "slo")).toBe(true);
    expect(alertMonth({ seed: 1, endMs: END })).toEqual(month);
    expect(alertMonth({ seed: 2, endMs: END })[0]).not.toEqual(month[0]);
  });
});
