/**
 * Two evaluators against one Kafka and one ClickHouse: Kafka elects one leader, which evaluates
 * and delivers; the other stands by. Each notification reaches the webhook exactly once, and when
 * the leader stops, the other takes over and delivers the next incident's notifications, again
 * once each.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsRepository } from "../services/common/clickhouse/alerts.repository.js";
import { createProducer, type KafkaProducer } from "../services/common/kafka/client.js";
import { createLeadership, type Leadership } from "../services/common/kafka/leadership.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createAlerting, type Alerting } from "../services/evaluator/service.js";
import { startReceiver, type Receiver } from "./helpers/receiver.js";
import {
  postAll,
  postJson,
  startPipeline,
  stopPipeline,
  TEST_TOKEN,
  waitForProcessor,
  waitUntil,
  type Pipeline,
} from "./helpers/harness.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Event time in the recent past (within the evaluator's look-back), whole hours.
const START = Math.floor((Date.now() - 10 * HOUR) / HOUR) * HOUR;
const INCIDENTS = [
  { from: START + 60 * MINUTE, to: START + 120 * MINUTE },
  { from: START + 300 * MINUTE, to: START + 360 * MINUTE },
];

/** Forty labelled predictions per 5 minutes; right every time, but only one in five during an incident. */
function traffic(fromMs: number, toMs: number) {
  const predictions: unknown[] = [];
  const labels: unknown[] = [];
  for (let t = fromMs; t < toMs; t += 7_500) {
    const id = `e-${t}`;
    const bad = INCIDENTS.some((i) => t >= i.from && t < i.to);
    const wrong = bad && (t / 7_500) % 5 !== 0;
    predictions.push({ prediction_id: id, model_id: "risk", model_version: "v1", timestamp: t, prediction: { label: "yes" } });
    labels.push({ prediction_id: id, model_id: "risk", label: wrong ? "no" : "yes", labeled_at: t + MINUTE });
  }
  return { predictions, labels };
}

describe("two evaluators", () => {
  let p: Pipeline;
  let hook: Receiver;
  let producer: KafkaProducer;
  const evaluators: Array<{ alerting: Alerting; leadership: Leadership; stopped: boolean }> = [];
  const logger = createLogger("evaluators-test", "warn");

  async function send(fromMs: number, toMs: number): Promise<void> {
    const { predictions, labels } = traffic(fromMs, toMs);
    await postAll(p.gateway.url, "/v1/predictions", predictions);
    await postAll(p.gateway.url, "/v1/labels", labels);
    await waitForProcessor(p.stack);
  }
  const events = () =>
    hook.accepted
      .filter((r) => r.body?.kind === "firing" || r.body?.kind === "resolved")
      .map((r) => `${r.body.alert.started_at} ${r.body.kind}`);
  /** A timeout names what the rule saw last and the alerts stored. */
  async function explain(err: Error): Promise<never> {
    const repo = alertsRepository(p.stack.clickhouse);
    const status = (await repo.ruleStatus()).map((s) => `${s.rule_id} ${s.slice || "all"} ${s.state}: ${s.reason}`);
    throw new Error(`${err.message}\nrule status:\n${status.join("\n")}\nalerts: ${JSON.stringify(await repo.alerts({ status: "all" }))}`);
  }
  /** Per alert, the kinds of notification the webhook received, in order of alert. */
  const alertsReceived = () => {
    const byAlert = new Map<string, string[]>();
    for (const r of hook.accepted.filter((x) => x.body?.kind === "firing" || x.body?.kind === "resolved"))
      byAlert.set(r.body.alert.id, [...(byAlert.get(r.body.alert.id) ?? []), r.body.kind].sort());
    return [...byAlert.values()];
  };
  const leaders = () => evaluators.filter((e) => !e.stopped && e.leadership.isLeader());

  beforeAll(async () => {
    hook = await startReceiver();
    p = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600", HINDSIGHT_EVAL_INTERVAL_MS: "300", HINDSIGHT_DELIVERY_INTERVAL_MS: "200" });
    producer = await createProducer(p.stack.kafka);
    const rules = `
receivers:
  - { name: oncall, type: webhook, url: "${hook.url}/hook" }
settings: { repeat_interval: 24h, hold: 15m, digest_hour_utc: 0 }
rules:
  - { id: risk-accuracy, kind: threshold, metric: accuracy, op: "<", threshold: 0.7, window: 5m, for: 10m, target: { model: risk } }
`;
    expect((await postJson(`${p.gateway.url}/v1/rules`, rules, TEST_TOKEN, "application/yaml")).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const { leaderTopic: topic, leaderGroupId: groupId } = p.stack.config.alerts;
      const leadership = createLeadership(p.stack.kafka, { topic, groupId, logger });
      const alerting = createAlerting(p.stack.config, { clickhouse: p.stack.clickhouse, producer, logger, leadership });
      await alerting.start();
      evaluators.push({ alerting, leadership, stopped: false });
    }
    await waitUntil(
      "one leader",
      async () => leaders().length,
      (n) => n === 1,
      60_000,
    );
  }, 300_000);

  afterAll(async () => {
    for (const e of evaluators) if (!e.stopped) await e.alerting.stop();
    await producer?.disconnect();
    await stopPipeline(p ?? {});
    await hook?.close();
  });

  it("delivers each notification once, and the other evaluator takes over when the leader stops", async () => {
    await send(START, START + 240 * MINUTE);
    await waitUntil(
      "the first incident delivered",
      async () => events().length,
      (n) => n >= 2,
      120_000,
    ).catch(explain);
    expect(alertsReceived()).toEqual([["firing", "resolved"]]);

    const [leader] = leaders();
    await leader!.alerting.stop();
    leader!.stopped = true;
    await waitUntil(
      "the other to lead",
      async () => leaders().length,
      (n) => n === 1,
      60_000,
    );

    await send(START + 240 * MINUTE, START + 480 * MINUTE);
    await waitUntil(
      "the second incident delivered",
      async () => events().length,
      (n) => n >= 4,
      120_000,
    ).catch(explain);
    // A moment more, so that a second delivery would be seen.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(alertsReceived()).toEqual([
      ["firing", "resolved"],
      ["firing", "resolved"],
    ]);
    // Each episode starts at its incident, or a window later when the evaluator first saw the
    // incident's first window only partly labelled (too few samples to judge: unknown).
    const starts = events()
      .filter((e) => e.endsWith("resolved"))
      .map((e) => Date.parse(e.split(" ")[0]!))
      .sort((a, b) => a - b);
    for (const [i, incident] of INCIDENTS.entries()) {
      expect(starts[i]! - incident.from).toBeGreaterThanOrEqual(0);
      expect(starts[i]! - incident.from).toBeLessThanOrEqual(10 * MINUTE);
    }
    const ids = hook.accepted.map((r) => String(r.headers["x-hindsight-notification-id"]));
    expect(ids.length).toBe(new Set(ids).size);
  }, 600_000);
});
