/**
 * What each kind of receiver is sent: our JSON (webhook and the Kafka topic), a Slack-compatible
 * message, and Alertmanager's v2 alerts (labels identify the alert, endsAt resolves it).
 */
import { toApiAlert, type AlertRow, type ApiAlert } from "../common/domain/alerts/alert-view.js";

export interface AlertEvent {
  notification_id: string;
  kind: string;
  alert: ApiAlert;
  /** Alerts held or grouped beneath this one. */
  children: ApiAlert[];
  link: string | null;
}

export interface DigestEvent {
  notification_id: string;
  kind: "digest";
  from: string;
  to: string;
  counts: { firing: number; resolved: number; suppressed: number; held: number };
  open: ApiAlert[];
  suppressed: ApiAlert[];
  link: string | null;
}

export function alertEvent(
  notificationId: string,
  kind: string,
  alert: AlertRow,
  children: AlertRow[],
  baseUrl: string | undefined,
): AlertEvent {
  return {
    notification_id: notificationId,
    kind,
    alert: toApiAlert(alert),
    children: children.map((c) => toApiAlert(c)),
    link: baseUrl ? `${baseUrl.replace(/\/$/, "")}/#/alerts/${alert.alert_id}` : null,
  };
}

const EMOJI: Record<string, string> = { critical: ":rotating_light:", warning: ":warning:", info: ":information_source:" };

export function slackMessage(event: AlertEvent | DigestEvent, channel?: string): Record<string, unknown> {
  const text = event.kind === "digest" ? slackDigestText(event as DigestEvent) : slackAlertText(event as AlertEvent);
  return { ...(channel ? { channel } : {}), text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

function slackAlertText(e: AlertEvent): string {
  const a = e.alert;
  const state = e.kind === "resolved" ? "RESOLVED" : e.kind.startsWith("repeat") ? "STILL FIRING" : "FIRING";
  const lines = [
    `${e.kind === "resolved" ? ":white_check_mark:" : (EMOJI[a.severity] ?? "")} *[${state}] ${a.rule.name}* (${a.severity})`,
    a.summary,
  ];
  if (e.children.length) lines.push(`Grouped beneath it: ${e.children.map((c) => c.metric).join(", ")}`);
  if (e.link) lines.push(`<${e.link}|Open in Hindsight>`);
  return lines.join("\n");
}

function slackDigestText(d: DigestEvent): string {
  const lines = [
    `*Hindsight digest* ${d.from} – ${d.to}: ${d.counts.firing} firing, ${d.counts.resolved} resolved, ${d.counts.suppressed} suppressed, ${d.counts.held} held`,
  ];
  for (const s of d.suppressed.slice(0, 20))
    lines.push(`• suppressed (${s.suppression?.reason ?? ""}, score ${s.suppression?.score?.toFixed(2) ?? "–"}): ${s.summary}`);
  if (d.suppressed.length > 20) lines.push(`… and ${d.suppressed.length - 20} more`);
  return lines.join("\n");
}

/** Alertmanager v2 `POST /api/v2/alerts` body for one alert. A firing alert stays active until `activeUntil`. */
export function alertmanagerAlerts(e: AlertEvent, activeUntilMs: number): Array<Record<string, unknown>> {
  const a = e.alert;
  const labels: Record<string, string> = {
    alertname: a.rule.id,
    severity: a.severity,
    model: a.model_id,
    model_version: a.model_version,
    metric: a.metric,
    fingerprint: a.fingerprint,
    source: "hindsight",
  };
  if (a.slice) labels.slice = a.slice;
  if (a.feature) labels.feature = a.feature;
  if (a.stage) labels.stage = a.stage;
  return [
    {
      labels,
      annotations: {
        summary: a.summary,
        value: String(a.value),
        threshold: String(a.threshold),
        rule_version: String(a.rule.version),
        alert_id: a.id,
      },
      startsAt: a.started_at,
      // Only the resolution ends it: a firing sent for an alert found already resolved must reach
      // Alertmanager as firing, or Alertmanager never notifies it at all.
      endsAt: (e.kind === "resolved" ? a.resolved_at : null) ?? new Date(activeUntilMs).toISOString(),
      ...(e.link ? { generatorURL: e.link } : {}),
    },
  ];
}
