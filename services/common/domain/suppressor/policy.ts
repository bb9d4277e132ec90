/**
 * What happens to an alert given the model's score. The guard rails come first and no score can
 * override them: critical alerts and SLO breaches always surface, a missing model suppresses
 * nothing, and a type with too little feedback is not judged yet. Below the threshold, a type
 * whose answers disagree with its scores surfaces until the model is retrained. Exploration surfaces a fixed
 * share of would-be-suppressed alerts, chosen by a hash of the alert's id so a replay or a restart
 * decides exactly as before.
 */
import { alertStream, type AlertRecord, type PolicyOutcome } from "./types.js";

export interface DecideInput {
  /** The model's predicted chance the alert is acted on; undefined/null when no model is active. */
  score: number | null | undefined;
  alert: AlertRecord;
  /** Feedback records known for the alert's type (SuppressorHistory.feedbackCount). */
  typeFeedbackCount: number;
  threshold: number;
  minFeedback: number;
  exploreRate: number;
  seedKey: string;
  /**
   * The alert's type within its model is acted on far more than the model's scores say
   * (DisagreementMonitor): it surfaces until the model is retrained.
   */
  disagreeing?: boolean;
}

export function decide(input: DecideInput): PolicyOutcome {
  const { score, alert } = input;
  if (alert.severity === "critical") return { decision: "surface", reason: "critical" };
  if (alert.rule_kind === "slo") return { decision: "surface", reason: "slo" };
  if (score === null || score === undefined || Number.isNaN(score)) return { decision: "surface", reason: "no_model" };
  if (input.typeFeedbackCount < input.minFeedback) return { decision: "surface", reason: "insufficient_feedback" };
  if (score >= input.threshold) return { decision: "surface", reason: "above_threshold" };
  if (input.disagreeing) return { decision: "surface", reason: "disagreement" };
  if (explorationDraw(alert, input.seedKey) < input.exploreRate) return { decision: "surface", reason: "explore" };
  return { decision: "suppress", reason: "below_threshold" };
}

/** A uniform number in [0, 1) fixed by the alert (its id, else its stream and time) and the seed key. */
export function explorationDraw(alert: AlertRecord, seedKey: string): number {
  const key = alert.id ?? `${alertStream(alert)}|${alert.time}`;
  return fnv1a(`${seedKey}\u0000${key}`) / 4294967296;
}

/** FNV-1a over UTF-16 code units, with a final avalanche so nearby ids spread over [0, 2^32). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
