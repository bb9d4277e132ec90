/**
 * Watches, per type within a model, whether the answers to alerts the model scored below the
 * threshold agree with their scores. A score is the model's chance the alert is acted on, so over
 * such alerts the acted-on count should be about the sum of their scores. When responders' behaviour
 * changes (a type that was noise starts to matter), acted-on alerts pile up where the model
 * expected almost none: the type is then surfaced whole ("disagreement") until the model is
 * retrained on the new answers, instead of one changed type dragging the threshold down for all.
 *
 * Only answers count: a suppressed alert nobody answered says nothing. Answers come from alerts
 * surfaced by exploration (an unbiased sample of the would-be-suppressed ones) or, in shadow mode,
 * from every alert; each counts once, so the test is a plain Poisson tail.
 */
import { typeModelKey } from "./features.js";
import { isActed, type AlertRecord } from "./types.js";

export interface DisagreementOptions {
  /** Half-life of the observed and expected counts (default 14 days). */
  halfLifeMs: number;
  /** Acted-on alerts below the threshold needed before a type can be flagged (default 3). */
  minActed: number;
  /** Flag when P(Poisson(expected) ≥ observed) is below this (default 0.001). */
  pValue: number;
  /** An unanswered alert counts as not acted on this long after it fired (default 24 h). */
  unacknowledgedTimeoutMs: number;
}

export const DEFAULT_DISAGREEMENT: DisagreementOptions = {
  halfLifeMs: 14 * 86_400_000,
  minActed: 3,
  pValue: 0.001,
  unacknowledgedTimeoutMs: 24 * 3_600_000,
};

interface Tally {
  observed: number;
  expected: number;
  at: number;
}

interface Pending {
  at: number;
  key: string;
  acted: number;
  score: number;
}

/** P(X ≥ k) for X ~ Poisson(mean), k a whole number ≥ 0. */
export function poissonUpperTail(mean: number, k: number): number {
  if (k <= 0) return 1;
  if (mean <= 0) return 0;
  let term = Math.exp(-mean);
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= mean / i;
    below += term;
  }
  return Math.max(0, 1 - below);
}

export class DisagreementMonitor {
  readonly options: DisagreementOptions;
  private tallies = new Map<string, Tally>();
  /** Answers not known yet, by the time they become known (kept sorted; they arrive nearly in order). */
  private pending: Pending[] = [];

  constructor(options: Partial<DisagreementOptions> = {}) {
    this.options = { ...DEFAULT_DISAGREEMENT, ...options };
  }

  /** An alert scored `score` against `threshold`; its answer (if any) counts once known, when it was below. */
  observe(alert: AlertRecord, score: number, threshold: number): void {
    if (!(score < threshold)) return;
    let at: number;
    if (alert.action != null) at = Math.max(alert.time, alert.action_time ?? alert.time);
    else if (alert.suppressed) return;
    else at = alert.time + this.options.unacknowledgedTimeoutMs;
    const event = { at, key: typeModelKey(alert), acted: isActed(alert) ? 1 : 0, score };
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1]!.at > at) i--;
    this.pending.splice(i, 0, event);
  }

  /** Observed and expected acted-on counts of the alert's type within its model, as known at `time`. */
  tally(alert: Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model">, time: number): { observed: number; expected: number } {
    this.advance(time);
    const t = this.tallies.get(typeModelKey(alert));
    if (!t) return { observed: 0, expected: 0 };
    const f = 2 ** (-Math.max(0, time - t.at) / this.options.halfLifeMs);
    return { observed: t.observed * f, expected: t.expected * f };
  }

  /** Whether the alert's type within its model is acted on far more than its scores say. */
  disagrees(alert: Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model">, time: number): boolean {
    const { observed, expected } = this.tally(alert, time);
    return observed >= this.options.minActed && poissonUpperTail(expected, Math.floor(observed + 1e-6)) < this.options.pValue;
  }

  private advance(time: number): void {
    let k = 0;
    for (; k < this.pending.length && this.pending[k]!.at <= time; k++) {
      const e = this.pending[k]!;
      const t = this.tallies.get(e.key) ?? { observed: 0, expected: 0, at: e.at };
      const f = 2 ** (-Math.max(0, e.at - t.at) / this.options.halfLifeMs);
      t.observed = t.observed * f + e.acted;
      t.expected = t.expected * f + e.score;
      t.at = Math.max(t.at, e.at);
      this.tallies.set(e.key, t);
    }
    if (k > 0) this.pending.splice(0, k);
  }
}
