/**
 * The suppressor's contract: what an alert looks like to it (also one line of the history JSON
 * Lines file), what it decides, and the figures a replay reports. Pure types and constants.
 */

export const ALERT_ACTIONS = ["acted", "ignored", "false_positive", "snoozed"] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];
export type Severity = "info" | "warning" | "critical";
export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];
export const SCOPES = ["global", "slice"] as const;

/** One alert as the suppressor sees it; also one line of the history JSON Lines file. */
export interface AlertRecord {
  id?: string;
  time: number; // epoch ms the alert fired
  rule_kind: string; // "threshold" | "slo" | "relative_change" | "adaptive" | "drift" | "quality" | anything a team's history uses
  metric: string; // e.g. "accuracy", "drift.amount", "quality.null_fraction"
  severity: Severity;
  scope: "global" | "slice";
  model: string;
  slice: string; // "" when global, else e.g. "country=BR"
  deviation: number; // relative size of the breach, >= 0
  sample_size: number;
  action?: AlertAction | null; // the responder's action; null/absent = none (yet)
  action_time?: number | null; // epoch ms the action was recorded (optional)
  /**
   * True when the suppressor held this alert back. A suppressed alert nobody acted on is not
   * feedback (nobody saw it), so it never turns into "ignored" by the timeout; an action taken
   * on it from the digest still counts.
   */
  suppressed?: boolean;
  /**
   * The chance the policy gave this alert of surfacing, when below 1: the exploration rate for an
   * alert surfaced by exploration. Its answer then counts 1/surface_probability times in the acted
   * rates (absent: 1, an alert every responder saw).
   */
  surface_probability?: number | null;
}

/** The label the model learns: only "acted" is a positive; snoozed, ignored and false positives are not. */
export const isActed = (r: Pick<AlertRecord, "action">): boolean => r.action === "acted";

/**
 * The alert "type" the acted-rate features and the policy's feedback count group by. Scope is part
 * of it: a global accuracy alert and a slice one are answered very differently by on-call.
 */
export const alertType = (r: Pick<AlertRecord, "rule_kind" | "metric" | "scope">): string => `${r.rule_kind}|${r.metric}|${r.scope}`;

/** One alert stream: the same type on the same model and slice (what the lead's fingerprint narrows further). */
export const alertStream = (r: Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model" | "slice">): string =>
  `${alertType(r)}|${r.model}|${r.slice}`;

export type Decision = "surface" | "suppress";

/** Why the policy decided as it did; a small fixed set, safe as a metric label. */
export const DECISION_REASONS = [
  "critical",
  "slo",
  "no_model",
  "insufficient_feedback",
  "above_threshold",
  "disagreement",
  "explore",
  "below_threshold",
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export interface PolicyOutcome {
  decision: Decision;
  reason: DecisionReason;
}

/** The knobs of the policy besides the threshold, with the defaults the trainer and evaluator use. */
export interface PolicySettings {
  /** Feedback records an alert type needs before any alert of it may be suppressed. */
  minFeedback: number;
  /** Share of would-be-suppressed alerts surfaced anyway so feedback keeps coming. */
  exploreRate: number;
  /** Salt of the exploration hash: the same alert id and key always explore alike. */
  seedKey: string;
}

export const DEFAULT_POLICY: PolicySettings = { minFeedback: 20, exploreRate: 0.05, seedKey: "hindsight" };

/** Replay figures: the share of alerts held back and what that costs in acted-on alerts. */
export interface Figures {
  alerts: number;
  acted: number;
  surfaced: number;
  suppressed: number;
  /** acted alerts that were surfaced */
  actedSurfaced: number;
  /** suppressed / alerts */
  suppressedShare: number;
  /** actedSurfaced / acted (1 when nothing was acted on) */
  recall: number;
  /** actedSurfaced / surfaced (0 when nothing was surfaced) */
  precision: number;
}

export const figures = (counts: { alerts: number; acted: number; surfaced: number; actedSurfaced: number }): Figures => ({
  ...counts,
  suppressed: counts.alerts - counts.surfaced,
  suppressedShare: counts.alerts === 0 ? 0 : (counts.alerts - counts.surfaced) / counts.alerts,
  recall: counts.acted === 0 ? 1 : counts.actedSurfaced / counts.acted,
  precision: counts.surfaced === 0 ? 0 : counts.actedSurfaced / counts.surfaced,
});
