/**
 * The alerting side's storage as one object, for the evaluator, the API and the CLI: each part
 * lives in its own file (rules and rule status, alert state, the notification outbox, feedback,
 * suppressor model versions).
 */
import { alertFeedbackRepository } from "./alert-feedback.repository.js";
import { alertOutboxRepository } from "./alert-outbox.repository.js";
import { alertRulesRepository } from "./alert-rules.repository.js";
import { alertStateRepository } from "./alert-state.repository.js";
import type { ClickHouse } from "./client.js";
import { suppressorModelsRepository } from "./suppressor-models.repository.js";

export type { FeedbackRow } from "./alert-feedback.repository.js";
export type { NotificationRow } from "./alert-outbox.repository.js";
export { DEFAULT_SETTINGS, type RuleStatusRow, type Settings, type StoredRule } from "./alert-rules.repository.js";
export type { AlertQuery, AlertRow } from "./alert-state.repository.js";
export type { SuppressorModelRow } from "./suppressor-models.repository.js";

export function alertsRepository(ch: ClickHouse) {
  return {
    ...alertRulesRepository(ch),
    ...alertStateRepository(ch),
    ...alertOutboxRepository(ch),
    ...alertFeedbackRepository(ch),
    ...suppressorModelsRepository(ch),
  };
}

export type AlertsRepository = ReturnType<typeof alertsRepository>;
