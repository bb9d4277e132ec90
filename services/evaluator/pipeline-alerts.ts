/**
 * Hindsight's own alert: while the pipeline has open problems (work set aside after a
 * deterministic failure, a stalled or lagging metrics consumer group), one critical alert per
 * kind of problem and model, resolved when its last problem is. These alerts bypass grouping and
 * the suppressor (critical alerts are never suppressed) and go to every receiver.
 */
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { alertId, fingerprint } from "../common/domain/alerts/lifecycle.js";
import type { ProblemGroup } from "../common/clickhouse/pipeline-failures.repository.js";

export const PIPELINE_RULE_ID = "hindsight.pipeline";

const METRIC: Record<ProblemGroup["kind"], string> = {
  set_aside: "pipeline_set_aside",
  stalled: "pipeline_stalled",
  metrics_lag: "pipeline_metrics_lag",
};

function summaryOf(g: ProblemGroup): string {
  if (g.kind === "set_aside")
    return `${g.open} window(s) of ${g.modelId} set aside (${g.steps.join(", ")}) after failing deterministically: ${g.reason}`;
  return g.reason;
}

/** The rows to write this pass: new alerts, changed counts, and resolutions of groups now clear. */
export function pipelineAlertChanges(groups: readonly ProblemGroup[], open: readonly AlertRow[], now: number): AlertRow[] {
  const mine = new Map(open.filter((a) => a.rule_id === PIPELINE_RULE_ID).map((a) => [a.fingerprint, a]));
  const out: AlertRow[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    const fp = fingerprint({
      ruleId: PIPELINE_RULE_ID,
      modelId: g.modelId,
      modelVersion: "",
      slice: "",
      metric: METRIC[g.kind],
      feature: "",
    });
    seen.add(fp);
    const prev = mine.get(fp);
    const summary = summaryOf(g);
    if (prev && prev.value === g.open && prev.summary === summary) continue;
    out.push({
      alert_id: prev?.alert_id ?? alertId(fp, g.firstSeenMs),
      fingerprint: fp,
      rule_id: PIPELINE_RULE_ID,
      rule_version: 1,
      rule_kind: "pipeline",
      rule_name: "Hindsight pipeline health",
      severity: "critical",
      model_id: g.modelId,
      model_version: "",
      stage: "",
      slice: "",
      metric: METRIC[g.kind],
      feature: "",
      window_seconds: 0,
      started_ms: prev?.started_ms ?? g.firstSeenMs,
      fired_ms: prev?.fired_ms ?? now,
      last_breach_ms: now,
      resolved_ms: null,
      value: g.open,
      threshold: 0,
      deviation: g.open,
      sample_size: g.open,
      worst_value: Math.max(g.open, prev?.worst_value ?? 0),
      summary,
      disposition: "surfaced",
      parent_id: "",
      group_reason: "",
      suppress_score: null,
      suppressor_version: "",
      suppress_reason: "critical: the pipeline's own alert is never suppressed",
      first_seen_wall_ms: prev?.first_seen_wall_ms ?? now,
      updated_wall_ms: now,
    });
  }
  for (const [fp, a] of mine)
    if (!seen.has(fp)) out.push({ ...a, resolved_ms: now, value: 0, summary: `${a.summary} (cleared)`, updated_wall_ms: now });
  return out;
}
