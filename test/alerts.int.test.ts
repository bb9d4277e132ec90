/**
 * Alerts end to end, through real Kafka, ClickHouse and a real Alertmanager: a seeded demo stream
 * where `amount` drifts (×2.5) for an hour and accuracy in Brazil collapses for another hour.
 * Each incident makes exactly one alert (not one per window), delivered once to a webhook that
 * refuses everything for its first seconds, to a Slack-compatible endpoint, to Alertmanager and
 * to the Kafka topic, and each resolves when its incident ends. The evaluator is restarted in the
 * middle of the second incident and notifies nothing twice; feedback goes through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PredictionHttp, LabelHttp } from "../schemas/events.js";
import { parseRuleFile } from "../schemas/rules.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { createProducer, type KafkaProducer } from "../services/common/kafka/client.js";
import { alertsRepository } from "../services/common/clickhouse/alerts.repository.js";
import { createDemoTraffic } from "../services/demo/generator.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createAlerting, type Alerting } from "../services/evaluator/service.js";
import { startAlertmanager, type Alertmanager } from "./helpers/alertmanager.js";
import { startReceiver, type Receiver } from "./helpers/receiver.js";
import { startPipeline, stopPipeline, waitForProcessor, waitUntil, TEST_TOKEN, postJson, type Pipeline } from "./helpers/harness.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// The evaluator runs on its own clock: 12:00 UTC at load (the latest noon at least an hour before
// the real time), so no day or hour boundary passes during the run whatever the time of day (the
// daily digest is owed once), and the events end well before both clocks' now.
const LOADED_AT = Date.now();
const NOON = Math.floor((LOADED_AT - HOUR - 12 * HOUR) / DAY) * DAY + 12 * HOUR;
const clock = () => Date.now() - (LOADED_AT - NOON);
// Recent event time, so the evaluator's default look-back covers it; whole hours keep windows aligned.
const START = NOON - 7 * HOUR;
const DRIFT = { from: START + 60 * MINUTE, to: START + 120 * MINUTE };
const DROP = { from: START + 150 * MINUTE, to: START + 210 * MINUTE };
const END = START + 300 * MINUTE;

function rulesYaml(hook: string, am: string): string {
  return `
receivers:
  - { name: oncall, type: webhook, url: "${hook}/hook" }
  - { name: chat, type: slack, url: "${hook}/slack" }
  - { name: am, type: alertmanager, url: "${am}", min_firing: 3s }
settings: { repeat_interval: 24h, hold: 15m, digest_hour_utc: 0 }
rules:
  - id: segment-accuracy
    name: Accuracy of a country below 0.7
    kind: threshold
    metric: accuracy
    op: "<"
    threshold: 0.7
    confidence: 0.95
    # The demo labels about 80 % of predictions, so a window is mature well below full coverage.
    min_coverage: 0.6
    window: 5m
    for: 10m
    target: { model: fraud, stage: production, slice: "country=*" }
  - id: amount-drift
    name: amount drifted
    kind: threshold
    metric: drift.amount
    window: 5m
    for: 10m
    target: { model: fraud, stage: production }
`;
}

describe("alerts end to end", () => {
  let p: Pipeline;
  let hook: Receiver;
  let amHook: Receiver;
  let am: Alertmanager;
  let alerting: Alerting;
  let producer: KafkaProducer;
  const logger = createLogger("evaluator-test", "warn");
  const demo = createDemoTraffic({
    seed: 11,
    startMs: START,
    predictionsPerSecond: 4,
    labelDelay: { medianMs: 2 * MINUTE, sigma: 0.5 },
    incidents: [
      { kind: "feature_drift", feature: "amount", fromMs: DRIFT.from, toMs: DRIFT.to, shift: 2.5 },
      { kind: "segment_accuracy_drop", segment: { key: "country", value: "BR" }, fromMs: DROP.from, toMs: DROP.to, flipRate: 0.6 },
    ],
  });
  const alertsOf = () => alertsRepository(p.stack.clickhouse).alerts({ status: "all" });
  const startAlerting = async () => {
    alerting = createAlerting(p.stack.config, { clickhouse: p.stack.clickhouse, producer, logger, clock });
    await alerting.start();
  };

  /** A timeout names what every rule saw last, which is what a failure needs. */
  async function explain(err: Error): Promise<never> {
    const status = await alertsRepository(p.stack.clickhouse).ruleStatus();
    const lines = status.map(
      (s) => `${s.rule_id} ${s.model_version} ${s.slice || "all"} ${s.state} @${new Date(s.window_start_ms).toISOString()}: ${s.reason}`,
    );
    throw new Error(`${err.message}\nrule status:\n${lines.join("\n")}\nalerts: ${JSON.stringify(await alertsOf())}`);
  }

  async function sendUntil(untilMs: number): Promise<void> {
    for (let at = demo.cursorMs + 10 * MINUTE; at <= untilMs; at += 10 * MINUTE) {
      const { predictions, labels } = demo.advance(at);
      const preds = predictions
        .filter((e) => e.timestamp < END)
        .map((e) => {
          const event = { ...PredictionHttp.parse(e), received_at: null };
          return { key: event.prediction_id, value: encode("prediction", event) };
        });
      const labs = labels.map((l) => {
        const event = { ...LabelHttp.parse(l), received_at: null };
        return { key: event.prediction_id, value: encode("label", event) };
      });
      await producer.send(p.stack.config.topics.predictions, preds);
      await producer.send(p.stack.config.topics.labels, labs);
    }
    await waitForProcessor(p.stack, p.stack.config, 300_000);
  }

  beforeAll(async () => {
    hook = await startReceiver();
    amHook = await startReceiver();
    am = await startAlertmanager(`${amHook.url}/am`);
    p = await startPipeline({
      HINDSIGHT_WINDOWS: "300,3600",
      HINDSIGHT_METRICS_INTERVAL_MS: "200",
      HINDSIGHT_EVAL_INTERVAL_MS: "300",
      HINDSIGHT_DELIVERY_INTERVAL_MS: "200",
    });
    producer = await createProducer(p.stack.kafka);
    const applied = await postJson(`${p.gateway.url}/v1/rules`, rulesYaml(hook.url, am.url), TEST_TOKEN, "application/yaml");
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.created).toEqual(["segment-accuracy", "amount-drift"]);
    // The webhook refuses everything for 4 seconds from the first notification on.
    hook.failAtFirstFor(4000);
    await startAlerting();
    await sendUntil(DROP.from + 30 * MINUTE);
    // Wait until the accuracy alert fires, then restart the evaluator in the middle of the incident.
    await waitUntil(
      "the accuracy alert",
      async () => (await alertsOf()).filter((a) => a.rule_id === "segment-accuracy").length,
      (n) => n > 0,
      120_000,
    ).catch(explain);
    await waitUntil(
      "its first notification",
      async () => hook.accepted.filter((r) => r.body?.alert?.rule?.id === "segment-accuracy").length,
      (n) => n > 0,
      60_000,
    );
    await alerting.stop();
    await startAlerting();
    await sendUntil(END + 40 * MINUTE);
    await waitUntil(
      "both alerts resolved",
      async () => (await alertsOf()).filter((a) => a.resolved_ms !== null).length,
      (n) => n >= 2,
      120_000,
    ).catch(explain);
    await waitUntil(
      "both resolutions delivered to every receiver",
      async () => [
        hook.accepted.filter((r) => r.path === "/hook" && r.body.kind === "resolved").length,
        hook.accepted.filter((r) => r.path === "/slack" && /RESOLVED/.test(r.body.text)).length,
      ],
      ([h, s]) => h! >= 2 && s! >= 2,
      60_000,
    ).catch(explain);
  }, 900_000);

  afterAll(async () => {
    await alerting?.stop();
    await producer?.disconnect();
    await stopPipeline(p ?? {});
    await am?.stop();
    await hook?.close();
    await amHook?.close();
  });

  it("makes exactly one alert per incident, each naming its rule version and window", async () => {
    const all = await alertsOf();
    expect(all.map((a) => `${a.rule_id} ${a.model_version} ${a.slice}`).sort()).toEqual([
      "amount-drift v3 ",
      "segment-accuracy v3 country=BR",
    ]);
    const drift = all.find((a) => a.rule_id === "amount-drift")!;
    const drop = all.find((a) => a.rule_id === "segment-accuracy")!;
    expect(drift.rule_version).toBe(1);
    expect(drift.metric).toBe("drift.amount");
    expect(drift.feature).toBe("amount");
    expect(drift.started_ms).toBe(DRIFT.from);
    expect(drop.started_ms).toBe(DROP.from);
    // Resolved at the first clean window after the incident.
    expect(drift.resolved_ms).toBe(DRIFT.to);
    expect(drop.resolved_ms).toBe(DROP.to);
    expect(drop.value).toBeLessThan(0.7);
    expect(drop.sample_size).toBeGreaterThan(30);
  });

  it("delivers each firing and resolution exactly once per receiver, though the webhook refused at first and the evaluator restarted", async () => {
    expect(hook.refused).toBeGreaterThan(0);
    const byNotification = new Map<string, number>();
    for (const r of hook.accepted.filter((x) => x.path === "/hook")) {
      const id = String(r.headers["x-hindsight-notification-id"]);
      byNotification.set(id, (byNotification.get(id) ?? 0) + 1);
    }
    expect([...byNotification.values()].every((n) => n === 1)).toBe(true);
    const events = hook.accepted
      .filter((x) => x.path === "/hook" && x.body.kind !== "digest")
      .map((x) => `${x.body.alert.rule.id} ${x.body.kind}`);
    expect(events.sort()).toEqual(["amount-drift firing", "amount-drift resolved", "segment-accuracy firing", "segment-accuracy resolved"]);
    const slack = hook.accepted.filter((x) => x.path === "/slack" && !/digest/.test(x.body.text));
    expect(slack).toHaveLength(4);
    // The daily digest (due from 00:00 UTC in this file) went out once per receiver, Alertmanager excepted.
    expect(hook.accepted.filter((x) => x.path === "/hook" && x.body.kind === "digest")).toHaveLength(1);
    expect(hook.accepted.filter((x) => x.path === "/slack" && /Hindsight digest/.test(x.body.text))).toHaveLength(1);
    expect(slack.every((s) => typeof s.body.text === "string" && s.body.blocks[0].type === "section")).toBe(true);
  });

  it("hands the alerts to Alertmanager, which routes the firing and the resolution", async () => {
    const seen = await waitUntil(
      "Alertmanager's webhook to report both resolutions",
      async () => amHook.accepted.flatMap((r) => r.body.alerts as Array<{ status: string; labels: Record<string, string> }>),
      (alerts) =>
        ["amount-drift", "segment-accuracy"].every((name) => alerts.some((a) => a.labels.alertname === name && a.status === "resolved")),
      60_000,
    );
    const firing = seen.filter((a) => a.status === "firing");
    expect(new Set(firing.map((a) => a.labels.alertname))).toEqual(new Set(["amount-drift", "segment-accuracy"]));
    expect(firing.find((a) => a.labels.alertname === "segment-accuracy")!.labels.slice).toBe("country=BR");
  });

  it("writes every notification to the Kafka topic too", async () => {
    const rows = await alertsRepository(p.stack.clickhouse).dueNotifications(clock() + HOUR);
    expect(rows).toEqual([]);
    const all = await alertsOf();
    for (const a of all) {
      const sent = await alertsRepository(p.stack.clickhouse).notifications(a.alert_id);
      expect(
        sent
          .filter((n) => n.receiver === "kafka")
          .map((n) => n.kind)
          .sort(),
      ).toEqual(["firing", "resolved"]);
      expect(sent.every((n) => n.delivered_wall_ms > 0)).toBe(true);
    }
  });

  it("takes feedback through the API and shows it on the alert", async () => {
    const [alert] = (await alertsOf()).filter((a) => a.rule_id === "segment-accuracy");
    const posted = await postJson(`${p.gateway.url}/v1/alerts/${alert!.alert_id}/feedback`, {
      action: "acted",
      comment: "rolled back v3 for BR",
    });
    expect(posted.status).toBe(201);
    const res = await fetch(`${p.gateway.url}/v1/alerts/${alert!.alert_id}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const body = (await res.json()) as { feedback: { action: string }; feedback_history: Array<{ comment: string }>; status: string };
    expect(body.feedback.action).toBe("acted");
    expect(body.feedback_history[0]!.comment).toBe("rolled back v3 for BR");
    expect(body.status).toBe("resolved");
    const bad = await postJson(`${p.gateway.url}/v1/alerts/${alert!.alert_id}/feedback`, { action: "maybe" });
    expect(bad.status).toBe(400);
    const missing = await postJson(`${p.gateway.url}/v1/alerts/ffffffffffffffff/feedback`, { action: "acted" });
    expect(missing.status).toBe(404);
  });

  it("re-evaluating from scratch changes nothing", async () => {
    const before = await alertsOf();
    await alerting.stop();
    const fresh = createAlerting(p.stack.config, { clickhouse: p.stack.clickhouse, producer, logger, clock });
    const report = await fresh.evaluator.evaluateOnce(true);
    expect(report.created).toBe(0);
    expect(report.notificationsOwed).toBe(0);
    const after = await alertsOf();
    expect(after.map((a) => [a.alert_id, a.started_ms, a.resolved_ms])).toEqual(
      before.map((a) => [a.alert_id, a.started_ms, a.resolved_ms]),
    );
  });

  it("says why a series is quiet, and names a rule whose window is not configured", async () => {
    const res = await fetch(`${p.gateway.url}/v1/rules`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const { rules } = (await res.json()) as {
      rules: Array<{ id: string; version: number; series: Array<{ slice: string; state: string; reason: string }> }>;
    };
    const accuracy = rules.find((r) => r.id === "segment-accuracy")!;
    expect(accuracy.series.map((s) => s.slice)).toContain("country=BR");
    expect(accuracy.series.every((s) => ["ok", "waiting", "pending", "firing"].includes(s.state) && s.reason.length > 0)).toBe(true);
    const withBadWindow = `${rulesYaml(hook.url, am.url)}
  - { id: ten-minutes, kind: threshold, metric: predictions, op: ">", threshold: 1, window: 10m }
`;
    expect((await postJson(`${p.gateway.url}/v1/rules`, withBadWindow, TEST_TOKEN, "application/yaml")).status).toBe(200);
    const fresh = createAlerting(p.stack.config, { clickhouse: p.stack.clickhouse, producer, logger, clock });
    await fresh.evaluator.evaluateOnce(true);
    const status = await alertsRepository(p.stack.clickhouse).ruleStatus("ten-minutes");
    expect(status).toMatchObject([{ state: "error", reason: "window 10m is not one of the configured HINDSIGHT_WINDOWS" }]);
  });

  it("keeps every applied rule version and refuses a bad rules file with the path of the problem", async () => {
    const changed = rulesYaml(hook.url, am.url).replace("threshold: 0.7", "threshold: 0.65");
    const applied = await postJson(`${p.gateway.url}/v1/rules`, changed, TEST_TOKEN, "application/yaml");
    expect(applied.body).toMatchObject({ changed: ["segment-accuracy"], unchanged: ["amount-drift"], deleted: ["ten-minutes"] });
    const res = await fetch(`${p.gateway.url}/v1/rules/segment-accuracy`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const { versions } = (await res.json()) as { versions: Array<{ version: number; rule: { threshold: number } }> };
    expect(versions.map((v) => [v.version, v.rule.threshold])).toEqual([
      [1, 0.7],
      [2, 0.65],
    ]);
    expect(() => parseRuleFile("rules: [{id: x, kind: threshold, metric: accuracy}]")).toThrow(/threshold/);
    const bad = await postJson(`${p.gateway.url}/v1/rules`, { rules: [{ id: "x", kind: "slo", metric: "accuracy" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0]).toMatch(/rules\.0\.objective/);
  });
});
