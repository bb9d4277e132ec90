/**
 * Receivers isolated from each other, on the real ClickHouse outbox and Kafka topic: a webhook
 * that keeps failing with hundreds of notifications owed does not starve the other receivers
 * (each takes its own share of every delivery pass); and a resolution the evaluator stored but
 * never owed (it died in between) is owed when it comes back, however long it was away; and an
 * alert found already resolved reaches a real Alertmanager's routes as a firing, then a resolution.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receiver as ReceiverSpec } from "../schemas/rules.js";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { alertsRepository, type AlertsRepository, type NotificationRow } from "../services/common/clickhouse/alerts.repository.js";
import { alertRowFixture } from "../services/common/domain/alerts/alert-row.fixture.js";
import { notificationId } from "../services/common/domain/alerts/lifecycle.js";
import { createProducer, type KafkaProducer } from "../services/common/kafka/client.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createDelivery } from "../services/evaluator/delivery.js";
import { createEvaluator, KAFKA_RECEIVER, NO_SUPPRESSION } from "../services/evaluator/evaluator.js";
import { startAlertmanager } from "./helpers/alertmanager.js";
import { createTestStack, waitUntil, type TestStack } from "./helpers/harness.js";
import { readTopic } from "./helpers/kafka.js";
import { startReceiver, type Receiver } from "./helpers/receiver.js";

const HOUR = 3_600_000;
const log = createLogger("delivery-test", "fatal");

function owed(alertId: string, receiver: string, createdMs: number, deliveredMs = 0, kind = "firing"): NotificationRow {
  return {
    notification_id: notificationId(alertId, kind, receiver),
    alert_id: alertId,
    kind,
    receiver,
    created_wall_ms: createdMs,
    attempts: 0,
    next_attempt_wall_ms: createdMs,
    delivered_wall_ms: deliveredMs,
    last_error: "",
    updated_wall_ms: createdMs,
  };
}

describe("receivers isolated", () => {
  let stack: TestStack;
  let repo: AlertsRepository;
  let producer: KafkaProducer;
  let broken: Receiver;
  let healthy: Receiver;

  beforeAll(async () => {
    stack = await createTestStack();
    repo = alertsRepository(stack.clickhouse);
    producer = await createProducer(stack.kafka);
    broken = await startReceiver();
    broken.failAtFirstFor(3_600_000);
    healthy = await startReceiver();
  });
  const deliveryOnTheStack = () =>
    createDelivery({ alerts: repo, producer, topic: stack.config.alerts.topic, clock: Date.now, log, publicUrl: undefined });
  afterAll(async () => {
    await producer?.disconnect();
    await broken?.close();
    await healthy?.close();
    await stack?.cleanup();
  });

  it("delivers to every other receiver while a failing webhook owes 300 notifications", async () => {
    const now = Date.now();
    const receivers: ReceiverSpec[] = [
      { name: "broken", type: "webhook", url: `${broken.url}/hook`, headers: {} },
      { name: "oncall", type: "webhook", url: `${healthy.url}/hook`, headers: {} },
      { name: "chat", type: "slack", url: `${healthy.url}/slack` },
    ];
    // A backlog built up while the webhook was down: the other receivers took theirs long ago.
    const old = Array.from({ length: 300 }, (_, i) =>
      alertRowFixture({
        alert_id: `old-${i}`,
        fingerprint: `fp-old-${i}`,
        first_seen_wall_ms: now - 2 * HOUR + i,
        updated_wall_ms: now - 2 * HOUR + i,
      }),
    );
    const fresh = Array.from({ length: 3 }, (_, i) =>
      alertRowFixture({ alert_id: `new-${i}`, fingerprint: `fp-new-${i}`, first_seen_wall_ms: now - 1000, updated_wall_ms: now - 1000 }),
    );
    await repo.writeAlerts([...old, ...fresh]);
    const rows: NotificationRow[] = [];
    for (const [i, a] of old.entries()) {
      rows.push(owed(a.alert_id, "broken", now - 2 * HOUR + i));
      for (const r of ["oncall", "chat", KAFKA_RECEIVER]) rows.push(owed(a.alert_id, r, now - 2 * HOUR + i, now - 2 * HOUR + i + 5));
    }
    for (const a of fresh) for (const r of ["broken", "oncall", "chat", KAFKA_RECEIVER]) rows.push(owed(a.alert_id, r, now - 1000));
    await repo.writeNotifications(rows);

    const delivery = deliveryOnTheStack();
    const pass = await delivery.deliverDue(receivers, 24 * HOUR);
    expect(pass.failed).toBeGreaterThanOrEqual(1);
    expect(broken.refused).toBeGreaterThanOrEqual(1);

    // One pass was enough for each healthy receiver to take everything it was owed.
    expect(
      healthy.accepted
        .filter((r) => r.path === "/hook")
        .map((r) => r.body.alert.id)
        .sort(),
    ).toEqual(["new-0", "new-1", "new-2"]);
    expect(healthy.accepted.filter((r) => r.path === "/slack")).toHaveLength(3);
    const onTopic = await readTopic(stack.kafka, stack.config.alerts.topic, 3);
    expect(onTopic.map((m) => JSON.parse(m.value.toString()).alert.id).sort()).toEqual(["new-0", "new-1", "new-2"]);
    for (const a of fresh) {
      const sent = await repo.notifications(a.alert_id);
      expect(
        sent
          .filter((n) => n.delivered_wall_ms > 0)
          .map((n) => n.receiver)
          .sort(),
      ).toEqual(["chat", "kafka", "oncall"]);
    }
    // The failing webhook keeps its order and its backlog; nothing of it was dropped.
    const stillDue = await repo.dueNotifications(Date.now() + 24 * HOUR, 1000);
    expect(stillDue.filter((n) => n.receiver === "broken")).toHaveLength(303);
    expect(stillDue.filter((n) => n.receiver !== "broken")).toEqual([]);
  });

  it("owes a stored resolution that was never owed, after a restart more than an hour later", async () => {
    const now = Date.now();
    // Stored resolved two hours ago; the evaluator died before writing what that resolution is owed.
    const resolved = alertRowFixture({
      alert_id: "resolved-while-down",
      fingerprint: "fp-down",
      resolved_ms: now - 3 * HOUR,
      first_seen_wall_ms: now - 5 * HOUR,
      updated_wall_ms: now - 2 * HOUR,
    });
    await repo.writeAlerts([resolved]);
    await repo.writeNotifications([owed(resolved.alert_id, KAFKA_RECEIVER, now - 5 * HOUR, now - 5 * HOUR + 10)]);

    const evaluator = createEvaluator(
      { windowSizes: [300, 3600], lookbackMs: 8 * 24 * HOUR },
      { alerts: repo, series: alertSeriesRepository(stack.clickhouse), suppression: NO_SUPPRESSION, clock: () => now, log },
    );
    await evaluator.evaluateOnce();
    const sent = await repo.notifications(resolved.alert_id);
    expect(sent.map((n) => `${n.receiver}:${n.kind}`).sort()).toEqual(["kafka:firing", "kafka:resolved"]);
    // Owed once: the next pass finds nothing more to owe for it.
    await evaluator.evaluateOnce(true);
    expect(await repo.notifications(resolved.alert_id)).toHaveLength(2);
  });

  it("gets an alert found already resolved through Alertmanager: the firing first, the resolution after its minimum", async () => {
    const amHook = await startReceiver();
    const am = await startAlertmanager(`${amHook.url}/am`);
    try {
      const now = Date.now();
      // Labels came late: the alert was stored resolved before anything was delivered.
      const late = alertRowFixture({
        alert_id: "found-resolved",
        fingerprint: "fp-found-resolved",
        resolved_ms: now - HOUR,
        first_seen_wall_ms: now,
        updated_wall_ms: now,
      });
      await repo.writeAlerts([late]);
      await repo.writeNotifications([owed(late.alert_id, "am", now), owed(late.alert_id, "am", now, 0, "resolved")]);
      const receivers: ReceiverSpec[] = [{ name: "am", type: "alertmanager", url: am.url, min_firing: "3s" }];
      const delivery = deliveryOnTheStack();

      // One pass sends the firing and holds the resolution back: not a failure, not an attempt.
      await delivery.deliverDue(receivers, 24 * HOUR);
      const held = (await repo.notifications(late.alert_id)).find((n) => n.kind === "resolved")!;
      expect(held).toMatchObject({ delivered_wall_ms: 0, attempts: 0, last_error: "" });
      const firing = (await repo.notifications(late.alert_id)).find((n) => n.kind === "firing")!;
      expect(held.next_attempt_wall_ms).toBe(firing.delivered_wall_ms + 3000);

      type AmAlert = { status: string; labels: Record<string, string> };
      const routed = () => amHook.accepted.flatMap((r) => r.body.alerts as AmAlert[]).filter((a) => a.labels.alertname === late.rule_id);
      await waitUntil(
        "Alertmanager to route the firing",
        async () => routed(),
        (a) => a.some((x) => x.status === "firing"),
        30_000,
      );
      expect(routed().some((x) => x.status === "resolved")).toBe(false);
      await waitUntil(
        "Alertmanager to route the resolution",
        async () => {
          await delivery.deliverDue(receivers, 24 * HOUR);
          return routed();
        },
        (a) => a.some((x) => x.status === "resolved"),
        30_000,
      );
      expect((await repo.notifications(late.alert_id)).every((n) => n.delivered_wall_ms > 0)).toBe(true);
    } finally {
      await am.stop();
      await amHook.close();
    }
  });
});
