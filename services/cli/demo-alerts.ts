/**
 * The demo's month of answered alerts (services/demo/alert-month.ts), played through the product's
 * own alerting paths so the suppressor is trained and active when the newcomer first looks:
 *
 * - the first half month is stored as the evaluator stores alerts (drift grouped under a concurrent
 *   performance or data-check alert and held, everything else surfaced with no model yet), with the
 *   notifications it delivered and on-call's answers at the times they were given;
 * - a first model is trained as of that time, as `hindsight suppressor train` trains (on every answer,
 *   so that the rest of the month is judged the same whenever it is played);
 * - the second half is judged alert by alert, in time order, by the evaluator's own suppression
 *   (createSuppression: the same features, policy, exploration and guard rails), so some alerts are
 *   suppressed with their score and reason and a few surfaced by exploration; only what surfaced
 *   is answered, as nobody saw the rest;
 * - `hindsight suppressor train` again, as of now: the active model that judges the demo's alerts.
 *
 * Answers are written with the repository's addFeedback rather than POST /v1/alerts/:id/feedback,
 * which stamps the wall clock: a month of answers all given "now" would teach the suppressor that
 * nothing was ever known when an alert fired.
 */
import { alertsRepository, type AlertsRepository, type FeedbackRow, type NotificationRow } from "../common/clickhouse/alerts.repository.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { parentForDrift, type GroupingView } from "../common/domain/alerts/grouping.js";
import { notificationId } from "../common/domain/alerts/lifecycle.js";
import { createLogger } from "../common/observability/logger.js";
import { alertMonth, monthEndBefore, type PastAlert } from "../demo/alert-month.js";
import { concurrent, KAFKA_RECEIVER } from "../evaluator/evaluator.js";
import { createSuppression } from "../evaluator/suppression.js";
import { clickHouseSuppressorStore } from "../evaluator/suppressor-store.js";
import { loadOnnxModel } from "../evaluator/suppressor/onnx-scorer.js";
import type { Config } from "../common/config/env.js";
import type { SuppressorStore } from "../evaluator/suppressor/store.js";
import { trainSuppressor } from "../evaluator/suppressor/trainer.js";
import type { CliContext } from "./context.js";
import { isTrainingError, runSuppressorCommand } from "./suppressor.js";

const DAY = 86_400_000;
/** The share of the month, at its end, judged by the first model (trained on what came before). */
const FIRST_MODEL_SHARE = 0.4;

export interface AlertMonthReport {
  alerts: number;
  answered: number;
  held: number;
  suppressed: number;
  explored: number;
  /** The active suppressor model's version, or why there is none. */
  model: string;
  /** Where the month ends: the last Monday 00:00 UTC before the `endMs` asked for (monthEndBefore). */
  endMs: number;
  /** Where the first model starts judging: trained on the answers before it. */
  judgedFromMs: number;
}

/** What the month needs of the alert store: the repository's methods the evaluator and the suppressor's store use. */
export type MonthStore = Pick<
  AlertsRepository,
  "latestSuppressorModel" | "saveSuppressorModel" | "history" | "writeAlerts" | "addFeedback" | "writeNotifications"
>;

/**
 * Sends the month once, on a store with no suppressor model yet; undefined when it was there already.
 * It ends at the last Monday 00:00 UTC before `endMs` (the week of history's start), so that the same
 * alerts are suppressed and explored whenever it is played (monthEndBefore).
 */
export async function sendAlertMonth(
  ctx: CliContext,
  opts: { seed: number; endMs: number; nowMs: number; days?: number },
): Promise<AlertMonthReport | undefined> {
  const ch = createClickHouse(ctx.config.clickhouse);
  try {
    return await playAlertMonth(alertsRepository(ch), ctx.config.alerts, opts, ctx.log);
  } finally {
    await ch.close();
  }
}

export async function playAlertMonth(
  repo: MonthStore,
  config: Config["alerts"],
  opts: { seed: number; endMs: number; nowMs: number; days?: number },
  log: (line: string) => void,
): Promise<AlertMonthReport | undefined> {
  if (await repo.latestSuppressorModel()) return undefined;
  const days = opts.days ?? 30;
  const endMs = monthEndBefore(opts.endMs);
  const past = alertMonth({ seed: opts.seed, endMs, days });
  const firstModelAt = endMs - Math.round(days * FIRST_MODEL_SHARE) * DAY;
  const report: AlertMonthReport = {
    alerts: past.length,
    answered: 0,
    held: 0,
    suppressed: 0,
    explored: 0,
    model: "",
    endMs,
    judgedFromMs: firstModelAt,
  };
  const stored: AlertRow[] = [];
  const earlier = past.filter((p) => p.row.first_seen_wall_ms < firstModelAt);
  const later = past.filter((p) => p.row.first_seen_wall_ms >= firstModelAt);
  const store = clickHouseSuppressorStore(repo as AlertsRepository, config.exploreRate);

  // Before any model: held when grouped, otherwise surfaced for want of a model.
  for (const p of earlier) {
    if (!hold(p.row, stored)) Object.assign(p.row, { suppress_reason: "no_model" });
    stored.push(p.row);
  }
  await repo.writeAlerts(earlier.map((p) => p.row));
  report.answered += await deliverAndAnswer(repo, earlier, opts.nowMs);
  await trainFirst(store, firstModelAt, log);

  // The suppression reads the history it scores from: the month so far, as the store would answer
  // (every alert with its latest answer), kept here so the month's alerts need not be written one by
  // one before the next is judged; they are written together once judged.
  const model = await repo.latestSuppressorModel();
  const answers = new Map<string, { action: string; atMs: number }>();
  for (const p of earlier)
    if (p.answer && p.answer.atMs <= opts.nowMs && p.row.disposition === "surfaced") answers.set(p.row.alert_id, p.answer);
  const monthSoFar: Pick<AlertsRepository, "latestSuppressorModel" | "history"> = {
    latestSuppressorModel: async () => model,
    history: async (fromMs) =>
      stored
        .filter((a) => a.first_seen_wall_ms >= fromMs)
        .map((a) => ({ ...a, action: answers.get(a.alert_id)?.action ?? "", action_ms: answers.get(a.alert_id)?.atMs ?? 0 })),
  };
  const suppression = createSuppression(config, {
    alerts: monthSoFar as AlertsRepository,
    logger: createLogger("demo", "warn"),
    load: async (m) => {
      const scorer = await loadOnnxModel(m.model);
      return { score: async (rows) => [...(await scorer.score(rows))], typeFactors: scorer.metadata.typeFactors };
    },
  });
  for (const p of later) {
    if (!hold(p.row, stored)) {
      const d = await suppression.decide(p.row, p.row.first_seen_wall_ms);
      Object.assign(p.row, {
        disposition: d.disposition,
        suppress_score: d.score,
        suppressor_version: d.version,
        suppress_reason: d.reason,
      });
    }
    stored.push(p.row);
    // Only what surfaced is answered: nobody saw the rest.
    if (p.answer && p.answer.atMs <= opts.nowMs && p.row.disposition === "surfaced") answers.set(p.row.alert_id, p.answer);
  }
  await repo.writeAlerts(later.map((p) => p.row));
  report.answered += await deliverAndAnswer(repo, later, opts.nowMs);
  for (const p of past) {
    if (p.row.disposition === "held") report.held++;
    if (p.row.disposition === "suppressed") report.suppressed++;
    if (p.row.suppress_reason === "explore") report.explored++;
  }
  report.model = await train(store, opts.nowMs, log);
  return report;
}

/** Drift beneath a concurrent performance or data-check alert, as the evaluator groups it. */
function hold(row: AlertRow, stored: readonly AlertRow[]): boolean {
  const view = (o: AlertRow): GroupingView => ({
    id: o.alert_id,
    metric: o.metric,
    feature: o.feature,
    modelId: o.model_id,
    modelVersion: o.model_version,
    open: concurrent(o, row),
    parentId: o.parent_id,
  });
  const parent = parentForDrift(view(row), stored.map(view));
  if (!parent) return false;
  Object.assign(row, { disposition: "held", parent_id: parent.parentId, group_reason: parent.reason });
  return true;
}

/** What surfaced was delivered on the Kafka topic and answered (when on-call answers it); returns the answers written. */
async function deliverAndAnswer(repo: MonthStore, alerts: readonly PastAlert[], nowMs: number): Promise<number> {
  const notifications: NotificationRow[] = [];
  const feedback: FeedbackRow[] = [];
  for (const { row, answer } of alerts) {
    if (row.disposition !== "surfaced") continue;
    for (const [kind, at] of [
      ["firing", row.first_seen_wall_ms],
      ["resolved", row.updated_wall_ms],
    ] as const) {
      notifications.push({
        notification_id: notificationId(row.alert_id, kind, KAFKA_RECEIVER),
        alert_id: row.alert_id,
        kind,
        receiver: KAFKA_RECEIVER,
        created_wall_ms: at,
        attempts: 1,
        next_attempt_wall_ms: at,
        delivered_wall_ms: at,
        last_error: "",
        updated_wall_ms: at,
      });
    }
    if (answer && answer.atMs <= nowMs) {
      feedback.push({ alert_id: row.alert_id, action: answer.action, comment: "", source: "demo on-call", at_ms: answer.atMs });
    }
  }
  await repo.writeNotifications(notifications);
  // One insert per answer, as the feedback API makes them; a few at a time.
  for (let i = 0; i < feedback.length; i += 16) await Promise.all(feedback.slice(i, i + 16).map((f) => repo.addFeedback(f)));
  return feedback.length;
}

/**
 * The first model (twelve days before the month's end), trained as `hindsight suppressor train` trains, but on every answer: the
 * trainer keeps a share of the not-acted answers chosen by a hash of each alert's id and time, and
 * times follow the clock, so that share (and with it every decision on the rest of the month,
 * which alerts are explored included) would change from one run to the next.
 */
async function trainFirst(store: SuppressorStore, atMs: number, log: (line: string) => void): Promise<void> {
  let trained: ReturnType<typeof trainSuppressor>;
  try {
    trained = trainSuppressor(await store.loadHistory(), { clock: () => atMs, negativesPerPositive: 0 });
  } catch (err) {
    // As `hindsight suppressor train` answers too little feedback: said, and the month goes on unjudged.
    if (!isTrainingError(err)) throw err;
    log(
      `demo: no suppressor as of ${new Date(atMs).toISOString().slice(0, 10)} (${(err as Error).message}): the rest of the month surfaces unjudged`,
    );
    return;
  }
  await store.saveModel(trained);
  log(
    `demo: suppressor ${trained.version}: threshold ${trained.threshold.toPrecision(3)}, trained on ${trained.counts.labelled} ` +
      `alerts with feedback (${trained.counts.acted} acted on) as of ${new Date(atMs).toISOString().slice(0, 10)}`,
  );
}

/** `hindsight suppressor train` as of `atMs`, saved as the active model; its version, or why not. */
async function train(store: SuppressorStore, atMs: number, log: (line: string) => void): Promise<string> {
  let out = "";
  let err = "";
  const code = await runSuppressorCommand(["train"], { out: (t) => (out += t), err: (t) => (err += t), clock: () => atMs }, store);
  const saved = /saved as the active model (\S+)/.exec(out)?.[1];
  if (code !== 0 || !saved) return `not trained: ${(err || out).trim().split("\n").at(-1)}`;
  log(`demo: suppressor ${out.split("\n")[0]?.replace(/^model /, "")}`);
  return saved;
}
