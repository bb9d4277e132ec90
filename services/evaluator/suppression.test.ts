import { describe, expect, it } from "vitest";
import { alertRowFixture, T0 } from "../common/domain/alerts/alert-row.fixture.js";
import type { AlertsRepository } from "../common/clickhouse/alerts.repository.js";
import { createLogger } from "../common/observability/logger.js";
import { createSuppression, toAlertRecord, watchDisagreement } from "./suppression.js";

describe("toAlertRecord", () => {
  it("maps a stored alert and its feedback, and weighs an explored alert's answer by the exploration rate", () => {
    const explored = toAlertRecord(alertRowFixture({ suppress_reason: "explore", disposition: "surfaced" }), {
      action: "ignored",
      actionMs: T0 + 5,
      exploreRate: 0.05,
    });
    expect(explored).toMatchObject({
      id: "a1",
      scope: "slice",
      slice: "country=BR",
      action: "ignored",
      action_time: T0 + 5,
      suppressed: false,
      surface_probability: 0.05,
    });
    // Surfaced on its score, or with exploration switched off: every responder saw it, weight 1.
    expect(toAlertRecord(alertRowFixture({ suppress_reason: "above_threshold" }), { exploreRate: 0.05 })).not.toHaveProperty(
      "surface_probability",
    );
    expect(toAlertRecord(alertRowFixture({ suppress_reason: "explore" }), { exploreRate: 0 })).not.toHaveProperty("surface_probability");
    // A suppressed alert nobody answered carries no action; an unknown action string is none either.
    expect(
      toAlertRecord(alertRowFixture({ disposition: "suppressed", suppress_reason: "below_threshold" }), { action: "thumbs_up" }),
    ).toMatchObject({ suppressed: true, action: null, action_time: null });
  });
});

describe("watchDisagreement", () => {
  it("flags a type within a model acted on far more than the active version scored it, and ignores other versions' scores", () => {
    const H = 3_600_000;
    // Four acted-on alerts the active version "v2" scored 0.01 against its threshold 0.1: expected 0.04 acted.
    const scored = [0, 1, 2, 3].map((i) => {
      const row = alertRowFixture({
        alert_id: `a${i}`,
        first_seen_wall_ms: T0 + i * H,
        suppress_score: 0.01,
        suppressor_version: "v2",
        disposition: "surfaced",
        suppress_reason: "explore",
      });
      return { row, record: toAlertRecord(row, { action: "acted", actionMs: T0 + i * H + 60_000 }) };
    });
    const probe = toAlertRecord(alertRowFixture({ first_seen_wall_ms: T0 + 5 * H }));
    expect(watchDisagreement(scored, "v2", 0.1, 24 * H).disagrees(probe, probe.time)).toBe(true);
    // Scored by an earlier version: the retrained model has not been shown wrong yet.
    expect(watchDisagreement(scored, "v3", 0.1, 24 * H).disagrees(probe, probe.time)).toBe(false);
    // Scored above the threshold: nothing the suppressor would have held back.
    expect(watchDisagreement(scored, "v2", 0.005, 24 * H).disagrees(probe, probe.time)).toBe(false);
  });
});

describe("createSuppression", () => {
  // 25 earlier answered alerts of the same type (enough feedback to judge it) and a model that scores every alert 0.04.
  const earlier = Array.from({ length: 25 }, (_, i) => ({
    ...alertRowFixture({ alert_id: `e${i}`, severity: "warning", first_seen_wall_ms: T0 - (i + 1) * 3_600_000 }),
    action: "ignored",
    action_ms: T0 - i * 3_600_000,
  }));
  const alerts = {
    latestSuppressorModel: async () => ({
      version: "v1",
      origin: "trained",
      trained_at_ms: T0,
      threshold: 0.05,
      model: new Uint8Array(),
      report: {},
    }),
    history: async () => earlier,
  } as unknown as AlertsRepository;
  const decideWith = (typeFactors?: Record<string, number>) =>
    createSuppression(
      { ackTimeoutMs: 86_400_000, exploreRate: 0, minFeedback: 20 },
      {
        alerts,
        logger: createLogger("suppression-test", "silent"),
        load: async () => ({ score: async (rows) => rows.map(() => 0.04), ...(typeFactors && { typeFactors }) }),
      },
    ).decide(alertRowFixture({ severity: "warning" }), T0);

  it("judges the model's score times its type's factor, and stores that product", async () => {
    expect(await decideWith()).toMatchObject({ disposition: "suppressed", reason: "below_threshold", score: 0.04 });
    const doubled = await decideWith({ "tm:threshold|accuracy|slice|fraud": 2 });
    expect(doubled).toMatchObject({ disposition: "surfaced", reason: "above_threshold" });
    expect(doubled.score).toBeCloseTo(0.08, 12);
    // Another model's factor does not apply; the rule kind's does when the type within the model has none.
    expect(await decideWith({ "tm:threshold|accuracy|slice|churn": 2 })).toMatchObject({ score: 0.04 });
    expect((await decideWith({ "k:threshold": 0.5 })).score).toBeCloseTo(0.02, 12);
  });
});
