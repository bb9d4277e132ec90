import { describe, expect, it } from "vitest";
import { alertRowFixture, T0 } from "../common/domain/alerts/alert-row.fixture.js";
import { toAlertRecord } from "./suppression.js";

describe("toAlertRecord", () => {
  it("maps a stored alert and its feedback, and weighs an explored alert's answer by the exploration rate", () => {
    const explored = toAlertRecord(alertRowFixture({ suppress_reason: "explore", disposition: "surfaced" }), { action: "ignored", actionMs: T0 + 5, exploreRate: 0.05 });
    expect(explored).toMatchObject({ id: "a1", scope: "slice", slice: "country=BR", action: "ignored", action_time: T0 + 5, suppressed: false, surface_probability: 0.05 });
    // Surfaced on its score, or with exploration switched off: every responder saw it, weight 1.
    expect(toAlertRecord(alertRowFixture({ suppress_reason: "above_threshold" }), { exploreRate: 0.05 })).not.toHaveProperty("surface_probability");
    expect(toAlertRecord(alertRowFixture({ suppress_reason: "explore" }), { exploreRate: 0 })).not.toHaveProperty("surface_probability");
    // A suppressed alert nobody answered carries no action; an unknown action string is none either.
    expect(toAlertRecord(alertRowFixture({ disposition: "suppressed", suppress_reason: "below_threshold" }), { action: "thumbs_up" })).toMatchObject({ suppressed: true, action: null, action_time: null });
  });
});
