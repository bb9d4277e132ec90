/**
 * The suppressor inside the evaluator: the latest model version (trained or imported) scores
 * each new alert from the same features the trainer used, computed from the stored alert and
 * feedback history, and the policy decides. Nothing is dropped: a suppressed alert is stored
 * with its score, the model version and the reason, and goes to the digest.
 */
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { DisagreementMonitor } from "../common/domain/suppressor/disagreement.js";
import { SuppressorHistory } from "../common/domain/suppressor/features.js";
import { decide } from "../common/domain/suppressor/policy.js";
import { calibrated, type TypeFactors } from "../common/domain/suppressor/type-calibration.js";
import { ALERT_ACTIONS, type AlertAction, type AlertRecord } from "../common/domain/suppressor/types.js";
import type { AlertsRepository, SuppressorModelRow } from "../common/clickhouse/alerts.repository.js";
import type { Logger } from "../common/observability/logger.js";
import type { Suppression, SuppressionDecision } from "./evaluator.js";

/** A model ready to score feature rows (FEATURE_NAMES order) into chances of action. */
export interface LoadedSuppressor {
  score(rows: Float32Array[]): Promise<number[]>;
  /** Per-type factors the model's score is multiplied by before the threshold (its ONNX metadata). */
  typeFactors?: TypeFactors;
}

export interface SuppressionOptions {
  ackTimeoutMs: number;
  exploreRate: number;
  minFeedback: number;
}

/** How far back the history behind the features reaches. */
export const HISTORY_MS = 90 * 86_400_000;

/**
 * A stored alert as the suppressor sees it, with its latest feedback. An alert surfaced by
 * exploration carries the exploration rate as its chance of surfacing, so its answer counts for
 * the would-be-suppressed alerts it was drawn from (the rate configured now: a changed rate
 * weighs older explored answers slightly off, never drops them).
 */
export function toAlertRecord(a: AlertRow, known: { action?: string; actionMs?: number; exploreRate?: number } = {}): AlertRecord {
  const { action, actionMs, exploreRate } = known;
  return {
    id: a.alert_id,
    time: a.first_seen_wall_ms,
    rule_kind: a.rule_kind,
    metric: a.metric,
    severity: a.severity,
    scope: a.slice ? "slice" : "global",
    model: a.model_id,
    slice: a.slice,
    deviation: a.deviation,
    sample_size: a.sample_size,
    action: action && (ALERT_ACTIONS as readonly string[]).includes(action) ? (action as AlertAction) : null,
    action_time: action ? (actionMs ?? null) : null,
    suppressed: a.disposition === "suppressed",
    ...(a.suppress_reason === "explore" && exploreRate !== undefined && exploreRate > 0 ? { surface_probability: exploreRate } : {}),
  };
}

/** Every stored alert and its latest feedback, as suppressor records in time order. */
export async function loadHistory(alerts: AlertsRepository, sinceMs: number, exploreRate: number): Promise<AlertRecord[]> {
  return (await alerts.history(sinceMs)).map((r) => toAlertRecord(r, { action: r.action, actionMs: r.action_ms, exploreRate }));
}

/**
 * The watch on types whose answers disagree with their scores, over the alerts the active model
 * version scored (its stored score against its threshold): a retrained model starts a fresh watch.
 */
export function watchDisagreement(
  scored: Iterable<{ record: AlertRecord; row: Pick<AlertRow, "suppress_score" | "suppressor_version"> }>,
  version: string,
  threshold: number,
  ackTimeoutMs: number,
): DisagreementMonitor {
  const monitor = new DisagreementMonitor({ unacknowledgedTimeoutMs: ackTimeoutMs });
  for (const { record, row } of scored) {
    if (row.suppressor_version === version && row.suppress_score !== null) monitor.observe(record, row.suppress_score, threshold);
  }
  return monitor;
}

export function createSuppression(
  options: SuppressionOptions,
  deps: { alerts: AlertsRepository; logger: Logger; load: (m: SuppressorModelRow) => Promise<LoadedSuppressor> },
): Suppression {
  let cached: { version: string; model: SuppressorModelRow; loaded: LoadedSuppressor } | undefined;

  async function current(): Promise<typeof cached> {
    const latest = await deps.alerts.latestSuppressorModel();
    if (!latest) return undefined;
    if (cached?.version !== latest.version) {
      try {
        cached = { version: latest.version, model: latest, loaded: await deps.load(latest) };
        deps.logger.info({ version: latest.version, origin: latest.origin }, "suppressor model loaded");
      } catch (err) {
        deps.logger.error({ err, version: latest.version }, "suppressor model failed to load; alerts surface unscored");
        return undefined;
      }
    }
    return cached;
  }

  return {
    async decide(alert: AlertRow, nowMs: number): Promise<SuppressionDecision> {
      const record = toAlertRecord(alert);
      const model = await current();
      const history = new SuppressorHistory({ unacknowledgedTimeoutMs: options.ackTimeoutMs });
      let score: number | null = null;
      let feedbackCount = 0;
      let disagreeing = false;
      if (model) {
        const earlier = (await deps.alerts.history(nowMs - HISTORY_MS))
          .map((row) => ({
            row,
            record: toAlertRecord(row, { action: row.action, actionMs: row.action_ms, exploreRate: options.exploreRate }),
          }))
          .filter(({ record: r }) => r.id !== alert.alert_id && r.time <= record.time);
        for (const { record: r } of earlier) history.add(r);
        feedbackCount = history.feedbackCount(record);
        const raw = (await model.loaded.score([history.features(record)]))[0];
        // The stored score is the one the threshold judged: the model's times its type's factor.
        score = raw === undefined ? null : calibrated(raw, model.loaded.typeFactors ?? {}, record);
        disagreeing = watchDisagreement(earlier, model.version, model.model.threshold, options.ackTimeoutMs).disagrees(record, record.time);
      }
      const outcome = decide({
        score: score ?? null,
        alert: record,
        typeFeedbackCount: feedbackCount,
        threshold: model?.model.threshold ?? 0,
        minFeedback: options.minFeedback,
        exploreRate: options.exploreRate,
        seedKey: "hindsight",
        disagreeing,
      });
      return {
        disposition: outcome.decision === "suppress" ? "suppressed" : "surfaced",
        score: score ?? null,
        version: model?.version ?? "",
        reason: outcome.reason,
      };
    },
  };
}
