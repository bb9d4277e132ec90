import { describe, expect, it } from "vitest";
import { toApiAlert, type AlertRow } from "../common/domain/alerts/alert-view.js";
import { alertRowFixture, T0 } from "../common/domain/alerts/alert-row.fixture.js";
import { alertEvent, alertmanagerAlerts, slackMessage, type DigestEvent } from "./payloads.js";

const BASE = "https://hindsight.example.com/";
const LINK = "https://hindsight.example.com/#/alerts/a1";

// The population of a model, where the shared fixture is a slice.
const row = (over: Partial<AlertRow> = {}): AlertRow =>
  alertRowFixture({ stage: "", slice: "", summary: "accuracy 0.800 < 0.900 on fraud v3", ...over });

describe("alertEvent", () => {
  it("carries the alert, its children and a link to it", () => {
    const child = row({ alert_id: "d1", metric: "drift.amount", feature: "amount", disposition: "held", parent_id: "a1" });
    const e = alertEvent("n1", "firing", row(), [child], BASE);
    expect(e).toEqual({ notification_id: "n1", kind: "firing", alert: toApiAlert(row()), children: [toApiAlert(child)], link: LINK });
    expect(alertEvent("n1", "firing", row(), [], "https://hindsight.example.com").link).toBe(LINK);
    expect(alertEvent("n1", "firing", row(), [], undefined).link).toBeNull();
  });
});

describe("slackMessage", () => {
  it("a firing alert: the same text as plain text and as one mrkdwn section", () => {
    const msg = slackMessage(alertEvent("n1", "firing", row(), [], BASE));
    const text = [
      ":rotating_light: *[FIRING] Accuracy below 90 %* (critical)",
      "accuracy 0.800 < 0.900 on fraud v3",
      `<${LINK}|Open in Hindsight>`,
    ].join("\n");
    expect(msg).toEqual({ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
  });

  it("names the channel only when given", () => {
    const e = alertEvent("n1", "firing", row(), [], undefined);
    expect(slackMessage(e, "#ml-alerts").channel).toBe("#ml-alerts");
    expect("channel" in slackMessage(e)).toBe(false);
  });

  it("a resolution says RESOLVED with a check mark", () => {
    const msg = slackMessage(alertEvent("n2", "resolved", row({ resolved_ms: T0 + 1_800_000 }), [], undefined));
    expect(msg.text).toBe(":white_check_mark: *[RESOLVED] Accuracy below 90 %* (critical)\naccuracy 0.800 < 0.900 on fraud v3");
  });

  it("a repeat says STILL FIRING", () => {
    expect(slackMessage(alertEvent("n3", "repeat-2", row({ severity: "warning" }), [], undefined)).text).toBe(
      ":warning: *[STILL FIRING] Accuracy below 90 %* (warning)\naccuracy 0.800 < 0.900 on fraud v3",
    );
  });

  it("info severity has its own emoji", () => {
    expect(slackMessage(alertEvent("n1", "firing", row({ severity: "info" }), [], undefined)).text).toMatch(
      /^:information_source: \*\[FIRING\] /,
    );
  });

  it("lists what is grouped beneath the alert", () => {
    const children = [row({ alert_id: "d1", metric: "drift.amount" }), row({ alert_id: "d2", metric: "drift.age" })];
    const text = slackMessage(alertEvent("n1", "firing", row(), children, BASE)).text as string;
    expect(text.split("\n")).toEqual([
      ":rotating_light: *[FIRING] Accuracy below 90 %* (critical)",
      "accuracy 0.800 < 0.900 on fraud v3",
      "Grouped beneath it: drift.amount, drift.age",
      `<${LINK}|Open in Hindsight>`,
    ]);
  });

  it("a digest counts and lists the suppressed alerts", () => {
    const suppressed = toApiAlert(
      row({
        alert_id: "s1",
        disposition: "suppressed",
        suppress_score: 0.123,
        suppress_reason: "usually ignored",
        summary: "recall dipped",
      }),
    );
    const unscored = toApiAlert(
      row({ alert_id: "s2", disposition: "suppressed", suppress_score: null, suppress_reason: "muted", summary: "f1 dipped" }),
    );
    const digest: DigestEvent = {
      notification_id: "d",
      kind: "digest",
      from: "2024-04-30T08:00:00.000Z",
      to: "2024-05-01T08:00:00.000Z",
      counts: { firing: 2, resolved: 1, suppressed: 2, held: 0 },
      open: [],
      suppressed: [suppressed, unscored],
      link: null,
    };
    const msg = slackMessage(digest, "#digest");
    const text = [
      "*Hindsight digest* 2024-04-30T08:00:00.000Z – 2024-05-01T08:00:00.000Z: 2 firing, 1 resolved, 2 suppressed, 0 held",
      "• suppressed (usually ignored, score 0.12): recall dipped",
      "• suppressed (muted, score –): f1 dipped",
    ].join("\n");
    expect(msg).toEqual({ channel: "#digest", text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
  });

  it("a digest lists at most 20 suppressed alerts and counts the rest", () => {
    const many = Array.from({ length: 23 }, (_, i) =>
      toApiAlert(row({ alert_id: `s${i}`, disposition: "suppressed", suppress_score: 0.5, suppress_reason: "r", summary: `alert ${i}` })),
    );
    const digest: DigestEvent = {
      notification_id: "d",
      kind: "digest",
      from: "f",
      to: "t",
      counts: { firing: 0, resolved: 0, suppressed: 23, held: 0 },
      open: [],
      suppressed: many,
      link: null,
    };
    const lines = (slackMessage(digest).text as string).split("\n");
    expect(lines).toHaveLength(1 + 20 + 1);
    expect(lines[20]).toBe("• suppressed (r, score 0.50): alert 19");
    expect(lines[21]).toBe("… and 3 more");
  });
});

describe("alertmanagerAlerts", () => {
  const until = T0 + 5 * 3_600_000; // 2024-05-01T17:00:00.000Z

  it("a firing alert: labels identify it, active until the given time", () => {
    const [am, ...rest] = alertmanagerAlerts(alertEvent("n1", "firing", row(), [], BASE), until);
    expect(rest).toEqual([]);
    expect(am).toEqual({
      labels: {
        alertname: "acc-low",
        severity: "critical",
        model: "fraud",
        model_version: "3",
        metric: "accuracy",
        fingerprint: "fp1",
        source: "hindsight",
      },
      annotations: { summary: "accuracy 0.800 < 0.900 on fraud v3", value: "0.8", threshold: "0.9", rule_version: "2", alert_id: "a1" },
      startsAt: "2024-05-01T12:00:00.000Z",
      endsAt: "2024-05-01T17:00:00.000Z",
      generatorURL: LINK,
    });
  });

  it("slice, feature and stage labels appear only when set", () => {
    const [am] = alertmanagerAlerts(
      alertEvent(
        "n1",
        "firing",
        row({ slice: "country=BR", feature: "amount", metric: "drift.amount", stage: "production" }),
        [],
        undefined,
      ),
      until,
    );
    expect(am!.labels).toEqual({
      alertname: "acc-low",
      severity: "critical",
      model: "fraud",
      model_version: "3",
      metric: "drift.amount",
      fingerprint: "fp1",
      source: "hindsight",
      slice: "country=BR",
      feature: "amount",
      stage: "production",
    });
    expect("generatorURL" in am!).toBe(false);
  });

  it("a resolved alert ends at its resolution time, whatever the active-until time", () => {
    const [am] = alertmanagerAlerts(alertEvent("n2", "resolved", row({ resolved_ms: T0 + 1_800_000 }), [], undefined), until);
    expect(am!.startsAt).toBe("2024-05-01T12:00:00.000Z");
    expect(am!.endsAt).toBe("2024-05-01T12:30:00.000Z");
  });

  it("the firing of an alert found already resolved stays active until the active-until time", () => {
    // Labels arrive late, so an alert is often stored resolved before its firing is delivered.
    const [am] = alertmanagerAlerts(alertEvent("n1", "firing", row({ resolved_ms: T0 + 1_800_000 }), [], undefined), until);
    expect(am!.endsAt).toBe(new Date(until).toISOString());
  });
});
