import { describe, expect, it } from "vitest";
import { statusOf, toApiAlert, windowLabel } from "./alert-view.js";
import { alertRowFixture, T0 } from "./alert-row.fixture.js";

const row = alertRowFixture;

describe("windowLabel", () => {
  it.each([
    [60, "1m"],
    [300, "5m"],
    [5400, "90m"],
    [3600, "1h"],
    [7200, "2h"],
    [86_400, "1d"],
    [172_800, "2d"],
    [90, "90s"],
    [30, "30s"],
  ])("%i s is %s", (seconds, label) => {
    expect(windowLabel(seconds)).toBe(label);
  });
});

describe("statusOf", () => {
  it("surfaced alerts are firing until resolved", () => {
    expect(statusOf({ disposition: "surfaced", resolved_ms: null })).toBe("firing");
    expect(statusOf({ disposition: "surfaced", resolved_ms: T0 })).toBe("resolved");
  });

  it("suppressed and held alerts keep that status when they resolve", () => {
    expect(statusOf({ disposition: "suppressed", resolved_ms: null })).toBe("suppressed");
    expect(statusOf({ disposition: "suppressed", resolved_ms: T0 })).toBe("suppressed");
    expect(statusOf({ disposition: "held", resolved_ms: null })).toBe("held");
    expect(statusOf({ disposition: "held", resolved_ms: T0 })).toBe("held");
  });
});

describe("toApiAlert", () => {
  it("maps a firing performance alert, empty strings becoming null", () => {
    expect(toApiAlert(row())).toEqual({
      id: "a1",
      fingerprint: "fp1",
      parent_id: null,
      rule: { id: "acc-low", version: 2, kind: "threshold", name: "Accuracy below 90 %" },
      severity: "critical",
      model_id: "fraud",
      model_version: "3",
      stage: "production",
      slice: "country=BR",
      metric: "accuracy",
      feature: null,
      status: "firing",
      value: 0.8,
      threshold: 0.9,
      deviation: 0.111,
      sample_size: 1000,
      window: "5m",
      started_at: "2024-05-01T12:00:00.000Z",
      last_seen_at: "2024-05-01T12:15:00.000Z",
      resolved_at: null,
      first_seen_at: "2024-05-01T12:11:00.000Z",
      summary: "accuracy 0.800 < 0.900 on fraud v3 (country=BR)",
      group_reason: null,
      suppression: null,
      feedback: null,
    });
  });

  it("a resolved alert carries its resolution time", () => {
    const api = toApiAlert(row({ resolved_ms: T0 + 1_800_000 }));
    expect(api.status).toBe("resolved");
    expect(api.resolved_at).toBe("2024-05-01T12:30:00.000Z");
  });

  it("a held drift alert names its feature, parent and reason", () => {
    const api = toApiAlert(
      row({
        metric: "drift.amount",
        feature: "amount",
        disposition: "held",
        parent_id: "q1",
        group_reason: "held under the open quality.null_fraction alert on amount",
      }),
    );
    expect(api).toMatchObject({
      metric: "drift.amount",
      feature: "amount",
      status: "held",
      parent_id: "q1",
      group_reason: "held under the open quality.null_fraction alert on amount",
    });
  });

  it("a suppressed alert carries the suppressor's decision", () => {
    const api = toApiAlert(
      row({ disposition: "suppressed", suppress_score: 0.12, suppressor_version: "s-7", suppress_reason: "usually ignored" }),
    );
    expect(api.status).toBe("suppressed");
    expect(api.suppression).toEqual({ score: 0.12, model_version: "s-7", decision: "suppress", reason: "usually ignored" });
  });

  it("a surfaced alert the suppressor looked at says so, with no version when none is recorded", () => {
    const api = toApiAlert(row({ suppress_score: 0.91, suppress_reason: "rarely ignored" }));
    expect(api.suppression).toEqual({ score: 0.91, model_version: null, decision: "surface", reason: "rarely ignored" });
  });

  it("feedback, when given, is dated", () => {
    expect(toApiAlert(row(), { action: "ack", at_ms: T0 + 120_000 }).feedback).toEqual({ action: "ack", at: "2024-05-01T12:02:00.000Z" });
  });

  it("labels hour and day windows", () => {
    expect(toApiAlert(row({ window_seconds: 3600 })).window).toBe("1h");
    expect(toApiAlert(row({ window_seconds: 86_400 })).window).toBe("1d");
  });
});
