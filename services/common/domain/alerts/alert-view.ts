/**
 * An alert as stored (one replacing row in `alerts_state`) and as the API, the dashboard and
 * every notification show it.
 */

/** The stored row; times of windows are event time (epoch ms), *_wall_ms are when the evaluator saw it. */
export interface AlertRow {
  alert_id: string;
  fingerprint: string;
  rule_id: string;
  rule_version: number;
  rule_kind: string;
  rule_name: string;
  severity: "info" | "warning" | "critical";
  model_id: string;
  model_version: string;
  stage: string;
  slice: string;
  metric: string;
  feature: string;
  window_seconds: number;
  started_ms: number;
  fired_ms: number;
  last_breach_ms: number;
  resolved_ms: number | null;
  value: number;
  threshold: number;
  deviation: number;
  sample_size: number;
  worst_value: number;
  summary: string;
  disposition: "surfaced" | "suppressed" | "held";
  parent_id: string;
  group_reason: string;
  suppress_score: number | null;
  suppressor_version: string;
  suppress_reason: string;
  first_seen_wall_ms: number;
  updated_wall_ms: number;
}

export type AlertStatus = "firing" | "resolved" | "suppressed" | "held";

export interface ApiAlert {
  id: string;
  fingerprint: string;
  parent_id: string | null;
  rule: { id: string; version: number; kind: string; name: string };
  severity: AlertRow["severity"];
  model_id: string;
  model_version: string;
  stage: string;
  slice: string;
  metric: string;
  feature: string | null;
  /** Suppressed and held alerts keep that status when they resolve; resolved_at tells. */
  status: AlertStatus;
  value: number;
  threshold: number;
  deviation: number;
  sample_size: number;
  window: string;
  started_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  first_seen_at: string;
  summary: string;
  group_reason: string | null;
  suppression: { score: number | null; model_version: string | null; decision: "surface" | "suppress"; reason: string } | null;
  feedback: { action: string; at: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function windowLabel(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export function statusOf(a: Pick<AlertRow, "disposition" | "resolved_ms">): AlertStatus {
  if (a.disposition === "suppressed") return "suppressed";
  if (a.disposition === "held") return "held";
  return a.resolved_ms === null ? "firing" : "resolved";
}

export function toApiAlert(a: AlertRow, feedback?: { action: string; at_ms: number }): ApiAlert {
  return {
    id: a.alert_id,
    fingerprint: a.fingerprint,
    parent_id: a.parent_id || null,
    rule: { id: a.rule_id, version: a.rule_version, kind: a.rule_kind, name: a.rule_name },
    severity: a.severity,
    model_id: a.model_id,
    model_version: a.model_version,
    stage: a.stage,
    slice: a.slice,
    metric: a.metric,
    feature: a.feature || null,
    status: statusOf(a),
    value: a.value,
    threshold: a.threshold,
    deviation: a.deviation,
    sample_size: a.sample_size,
    window: windowLabel(a.window_seconds),
    started_at: iso(a.started_ms),
    last_seen_at: iso(a.last_breach_ms),
    resolved_at: a.resolved_ms === null ? null : iso(a.resolved_ms),
    first_seen_at: iso(a.first_seen_wall_ms),
    summary: a.summary,
    group_reason: a.group_reason || null,
    suppression: a.suppress_reason
      ? {
          score: a.suppress_score,
          model_version: a.suppressor_version || null,
          decision: a.disposition === "suppressed" ? "suppress" : "surface",
          reason: a.suppress_reason,
        }
      : null,
    feedback: feedback ? { action: feedback.action, at: iso(feedback.at_ms) } : null,
  };
}
