/**
 * Delivers the outbox: every owed notification is sent until its receiver accepts it, with
 * capped exponential backoff between attempts. Receivers are served concurrently, so one that
 * hangs or fails delays only its own notifications; a notification is marked delivered only
 * after a 2xx (or the broker's ack), so a crash can repeat a delivery but never lose one.
 * Receivers can drop repeats by the `notification_id` (also sent as a header).
 */
import { durationMs, type Receiver } from "../../schemas/rules.js";
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import type { AlertsRepository, NotificationRow } from "../common/clickhouse/alerts.repository.js";
import type { KafkaProducer } from "../common/kafka/client.js";
import type { Logger } from "../common/observability/logger.js";
import { KAFKA_RECEIVER } from "./evaluator.js";
import { alertEvent, alertmanagerAlerts, slackMessage, type AlertEvent, type DigestEvent } from "./payloads.js";
import { toApiAlert } from "../common/domain/alerts/alert-view.js";

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 60_000;
const TIMEOUT_MS = 5000;
/** Each receiver's share of a pass: its oldest due notifications, fetched per receiver. */
export const PER_RECEIVER_PER_PASS = 50;
/** After this long a receiver takes no more of its queue in this pass, so a slow one cannot hold the next pass back for long. */
const RECEIVER_PASS_BUDGET_MS = 15_000;

/**
 * How long an Alertmanager resolution must still wait: until the alert's firing, delivered to the
 * same receiver, has been active `minFiringMs`. Alertmanager sends a resolution only for an alert
 * it notified firing, and notifies a group only if a firing alert is left when its group_wait
 * ends; with late labels an alert is often found already resolved, and firing and resolution
 * posted together would reach no one. 0: send now (no firing is owed to this receiver).
 */
export function alertmanagerResolutionWaitMs(firing: NotificationRow | undefined, minFiringMs: number, nowMs: number): number {
  if (!firing) return 0;
  if (firing.delivered_wall_ms === 0) return minFiringMs;
  return Math.max(0, firing.delivered_wall_ms + minFiringMs - nowMs);
}

/** Delay before attempt n+1 after n failures: 1 s, 2 s, 4 s … capped at a minute. */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

export interface DeliveryDeps {
  alerts: AlertsRepository;
  producer: KafkaProducer;
  topic: string;
  clock: () => number;
  log: Logger;
  publicUrl: string | undefined;
}

export function createDelivery(deps: DeliveryDeps) {
  const { alerts, clock, log } = deps;

  async function post(url: string, body: unknown, headers: Record<string, string>): Promise<void> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).host}`);
    await res.arrayBuffer();
  }

  async function eventFor(n: NotificationRow): Promise<AlertEvent | DigestEvent | undefined> {
    if (n.kind === "digest") {
      const to = clock();
      const from = to - 86_400_000;
      const recent = await alerts.alerts({ status: "all", fromMs: from, limit: 5000 });
      const count = (s: string) => recent.filter((a) => toApiAlert(a).status === s).length;
      return {
        notification_id: n.notification_id,
        kind: "digest",
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        counts: { firing: count("firing"), resolved: count("resolved"), suppressed: count("suppressed"), held: count("held") },
        open: recent.filter((a) => a.resolved_ms === null && a.disposition === "surfaced").map((a) => toApiAlert(a)),
        suppressed: recent.filter((a) => a.disposition === "suppressed").map((a) => toApiAlert(a)),
        link: deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, "")}/#/alerts/digest` : null,
      };
    }
    const alert = await alerts.alert(n.alert_id);
    if (!alert) return undefined;
    const children: AlertRow[] = await alerts.children(n.alert_id);
    return alertEvent(n.notification_id, n.kind, alert, children, deps.publicUrl);
  }

  async function send(
    receiver: Receiver | undefined,
    n: NotificationRow,
    event: AlertEvent | DigestEvent,
    repeatMs: number,
  ): Promise<void> {
    const headers = { "x-hindsight-notification-id": n.notification_id, "idempotency-key": n.notification_id };
    if (n.receiver === KAFKA_RECEIVER) {
      const key = event.kind === "digest" ? n.alert_id : (event as AlertEvent).alert.id;
      await deps.producer.send(deps.topic, [
        { key, value: Buffer.from(JSON.stringify(event)), headers: { "notification-id": n.notification_id, kind: n.kind } },
      ]);
      return;
    }
    if (!receiver) throw new Error(`receiver '${n.receiver}' is no longer configured`);
    switch (receiver.type) {
      case "webhook":
        return post(receiver.url, event, { ...receiver.headers, ...headers });
      case "slack":
        return post(receiver.url, slackMessage(event, receiver.channel), {});
      case "alertmanager":
        // Alertmanager routes alerts, not digests; it has its own grouping.
        if (event.kind === "digest") return;
        // Stays active one repeat interval and an hour beyond; each repeat extends it, a resolution ends it.
        return post(
          `${receiver.url.replace(/\/$/, "")}/api/v2/alerts`,
          alertmanagerAlerts(event as AlertEvent, clock() + repeatMs + 3_600_000),
          {},
        );
    }
  }

  return {
    /**
     * One pass over the due notifications; returns how many were delivered. Each receiver gets
     * its own share (fetched per receiver) and its own queue, so one that fails or hangs with a
     * long backlog delays only itself.
     */
    async deliverDue(
      receivers: Receiver[],
      repeatMs: number,
      leading: () => boolean = () => true,
    ): Promise<{ delivered: number; failed: number }> {
      const due = await alerts.dueNotifications(clock(), PER_RECEIVER_PER_PASS);
      const byName = new Map(receivers.map((r) => [r.name, r]));
      const queues = new Map<string, NotificationRow[]>();
      for (const n of due) {
        const queue = queues.get(n.receiver);
        if (queue) queue.push(n);
        else queues.set(n.receiver, [n]);
      }
      let delivered = 0;
      let failed = 0;
      const started = performance.now();
      await Promise.all(
        [...queues.values()].map(async (queue) => {
          for (const n of queue) {
            // Leadership lost mid-pass: the new leader delivers the rest.
            if (performance.now() - started > RECEIVER_PASS_BUDGET_MS || !leading()) return;
            const now = clock();
            try {
              const receiver = byName.get(n.receiver);
              if (receiver?.type === "alertmanager" && n.kind === "resolved") {
                const sent = await alerts.notifications(n.alert_id);
                const firing = sent.find((x) => x.kind === "firing" && x.receiver === n.receiver);
                const waitMs = alertmanagerResolutionWaitMs(firing, durationMs(receiver.min_firing), now);
                if (waitMs > 0) {
                  // Not an attempt: the resolution is simply not due yet; the rest of the queue goes on.
                  await alerts.writeNotifications([
                    { ...n, next_attempt_wall_ms: now + waitMs, updated_wall_ms: Math.max(now, n.updated_wall_ms + 1) },
                  ]);
                  continue;
                }
              }
              const event = await eventFor(n);
              if (event) await send(receiver, n, event, repeatMs);
              await alerts.writeNotifications([
                {
                  ...n,
                  attempts: n.attempts + 1,
                  delivered_wall_ms: clock(),
                  last_error: event ? "" : "alert not found",
                  updated_wall_ms: Math.max(clock(), n.updated_wall_ms + 1),
                },
              ]);
              delivered++;
            } catch (err) {
              failed++;
              const attempts = n.attempts + 1;
              log.warn({ receiver: n.receiver, kind: n.kind, attempts, err: (err as Error).message }, "notification failed; will retry");
              await alerts.writeNotifications([
                {
                  ...n,
                  attempts,
                  next_attempt_wall_ms: now + backoffMs(attempts),
                  last_error: (err as Error).message.slice(0, 500),
                  updated_wall_ms: Math.max(now, n.updated_wall_ms + 1),
                },
              ]);
              // Keep this receiver's order: the rest of its queue waits for the next pass.
              return;
            }
          }
        }),
      );
      return { delivered, failed };
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
