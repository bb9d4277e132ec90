/**
 * The evaluator: when windows change, judge every active rule's series, turn episodes into
 * alerts (matched to the stored ones, so restarts and replays make no duplicates), group and
 * suppress new ones, and owe each surfaced alert its notifications through the outbox.
 * Delivery happens elsewhere (delivery.ts), so a slow receiver never holds evaluation up.
 */
import { durationMs, type Receiver, type Rule } from "../../schemas/rules.js";
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { sharedReceivers } from "../common/domain/alerts/rule-scope.js";
import { findEpisodes, type Episode } from "../common/domain/alerts/episodes.js";
import { childrenForPerformance, parentForDrift, type GroupingView } from "../common/domain/alerts/grouping.js";
import { fingerprint, notificationId, owedNotifications, reconcile, type SeriesKey } from "../common/domain/alerts/lifecycle.js";
import { judgeSeries, seasonMs, type Judgement, type SeriesPoint } from "../common/domain/alerts/predicates.js";
import type { AlertsRepository, NotificationRow, RuleStatusRow, Settings, StoredRule } from "../common/clickhouse/alerts.repository.js";
import type { AlertSeriesRepository, SeriesRow } from "../common/clickhouse/alert-series.repository.js";
import type { Logger } from "../common/observability/logger.js";
import type { ProblemGroup } from "../common/clickhouse/pipeline-failures.repository.js";
import { pipelineAlertChanges } from "./pipeline-alerts.js";

export interface SuppressionDecision {
  disposition: "surfaced" | "suppressed";
  score: number | null;
  version: string;
  reason: string;
}

export interface Suppression {
  decide(alert: AlertRow, nowMs: number): Promise<SuppressionDecision>;
}

export const NO_SUPPRESSION: Suppression = {
  decide: async () => ({ disposition: "surfaced", score: null, version: "", reason: "no_model" }),
};

/** Every notification also goes to the Kafka topic, as the stream of record of alert events. */
export const KAFKA_RECEIVER = "kafka";

export interface EvaluatorOptions {
  windowSizes: number[];
  lookbackMs: number;
}

export interface EvaluationReport {
  skipped: boolean;
  rules: number;
  series: number;
  created: number;
  updated: number;
  notificationsOwed: number;
}

/** What the evaluator needs of storage: narrow, so it can be unit-tested with in-memory fakes. */
export type EvaluatorAlerts = Pick<
  AlertsRepository,
  | "activeRules"
  | "settings"
  | "openAlerts"
  | "alertsOfRule"
  | "recentlyUpdated"
  | "resolvedNotOwed"
  | "writeAlerts"
  | "writeRuleStatus"
  | "knownNotifications"
  | "writeNotifications"
>;
export type EvaluatorSeries = Pick<AlertSeriesRepository, "performance" | "drift" | "quality" | "marker">;

/** After a restart, alerts updated this recently may still be owed their notifications. */
export const RESTART_OWE_LOOKBACK_MS = 3_600_000;

type Extent = Pick<AlertRow, "started_ms" | "resolved_ms" | "last_breach_ms">;

/**
 * Two alerts were concurrent when their episodes overlap in event time. An open episode is known
 * up to its last breach, not "until now": its later windows may simply not be scored yet (drift
 * runs on its own schedule), and an episode that ended an hour before another began must not be
 * grouped under it because the evaluator saw it before its end was computed.
 */
export function concurrent(a: Extent, b: Extent): boolean {
  const end = (x: Extent) => x.resolved_ms ?? x.last_breach_ms;
  return a.started_ms < end(b) && b.started_ms < end(a);
}

export function createEvaluator(
  options: EvaluatorOptions,
  deps: {
    alerts: EvaluatorAlerts;
    series: EvaluatorSeries;
    suppression: Suppression;
    clock: () => number;
    log: Logger;
    pipeline?: { openGroups(): Promise<ProblemGroup[]> };
  },
) {
  const { alerts, series, log, clock } = deps;
  let lastMarker = "";
  let lastRulesKey = "";
  /**
   * Every alert updated before this wall time has been owed its notifications. It moves only
   * after a pass's outbox write succeeded, so a pass that failed after writing its alerts (or a
   * restart) owes them on the next one; null until the first pass of this process.
   */
  let owedThrough: number | null = null;

  async function loadSeries(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
    if (rule.metric.startsWith("drift")) return series.drift(rule, windowSeconds, fromS);
    if (rule.metric.startsWith("quality")) return series.quality(rule, windowSeconds, fromS);
    return series.performance(rule, windowSeconds, fromS);
  }

  /** The rule's name travels beside the summary (API, Slack, Alertmanager), so it is not repeated here. */
  function summaryOf(rule: Rule, key: SeriesKey, j: Judgement): string {
    const where = [`${key.modelId} ${key.modelVersion}`, key.slice || "all traffic"].join(", ");
    return `${key.metric} ${j.reason} on ${where} (${rule.window} windows)`;
  }

  function rowFor(
    stored: StoredRule,
    key: SeriesKey,
    fp: string,
    stage: string,
    windowSeconds: number,
    id: string,
    e: Episode,
    prev: AlertRow | undefined,
    now: number,
  ): AlertRow {
    const { rule } = stored;
    return {
      alert_id: id,
      fingerprint: fp,
      rule_id: rule.id,
      // The version that fired it stays on the alert.
      rule_version: prev?.rule_version ?? stored.version,
      rule_kind: rule.metric.startsWith("drift") ? "drift" : rule.metric.startsWith("quality") ? "quality" : rule.kind,
      rule_name: rule.name ?? rule.id,
      severity: rule.severity,
      model_id: key.modelId,
      model_version: key.modelVersion,
      stage,
      slice: key.slice,
      metric: key.metric,
      feature: key.feature,
      window_seconds: windowSeconds,
      started_ms: e.start,
      fired_ms: e.firedAt,
      last_breach_ms: e.lastBreach,
      resolved_ms: e.resolvedAt,
      value: e.latest.value ?? 0,
      threshold: e.latest.threshold ?? 0,
      deviation: e.worst.deviation,
      sample_size: e.latest.n,
      worst_value: e.worst.value ?? 0,
      summary: summaryOf(rule, key, e.latest),
      disposition: prev?.disposition ?? "surfaced",
      parent_id: prev?.parent_id ?? "",
      group_reason: prev?.group_reason ?? "",
      suppress_score: prev?.suppress_score ?? null,
      suppressor_version: prev?.suppressor_version ?? "",
      suppress_reason: prev?.suppress_reason ?? "",
      first_seen_wall_ms: prev?.first_seen_wall_ms ?? now,
      updated_wall_ms: now,
    };
  }

  const changed = (a: AlertRow, b: AlertRow) =>
    a.last_breach_ms !== b.last_breach_ms ||
    a.resolved_ms !== b.resolved_ms ||
    a.started_ms !== b.started_ms ||
    a.value !== b.value ||
    a.deviation !== b.deviation ||
    a.parent_id !== b.parent_id ||
    a.disposition !== b.disposition;

  async function evaluateRule(
    stored: StoredRule,
    settings: Settings,
    now: number,
    out: { rows: AlertRow[]; status: RuleStatusRow[]; created: AlertRow[] },
  ): Promise<number> {
    const { rule } = stored;
    const windowSeconds = durationMs(rule.window) / 1000;
    if (!options.windowSizes.includes(windowSeconds)) {
      out.status.push({
        rule_id: rule.id,
        fingerprint: "",
        model_id: rule.target.model,
        model_version: "",
        slice: "",
        metric: rule.metric,
        state: "error",
        reason: `window ${rule.window} is not one of the configured HINDSIGHT_WINDOWS`,
        window_start_ms: 0,
        value: null,
        updated_wall_ms: now,
      });
      return 0;
    }
    const fromMs = now - Math.max(options.lookbackMs, seasonalLookbackMs(rule));
    const rows = await loadSeries(rule, windowSeconds, Math.floor(fromMs / 1000));
    const bySeries = new Map<string, { key: SeriesKey; stage: string; points: SeriesPoint[] }>();
    for (const r of rows) {
      const key: SeriesKey = {
        ruleId: rule.id,
        modelId: r.model_id,
        modelVersion: r.model_version,
        slice: r.slice,
        metric: r.metric,
        feature: r.feature,
      };
      const k = `${r.model_id}\u0001${r.model_version}\u0001${r.stage}\u0001${r.slice}\u0001${r.metric}\u0001${r.feature}`;
      let s = bySeries.get(k);
      if (!s) bySeries.set(k, (s = { key, stage: r.stage, points: [] }));
      s.points.push({
        start: r.window_start_ms,
        end: r.window_start_ms + windowSeconds * 1000,
        value: r.value,
        n: r.n,
        successes: r.successes ?? undefined,
        interval: r.interval ?? undefined,
        coverage: r.coverage,
        signal: r.breach === null ? undefined : { breach: r.breach, threshold: r.signal_threshold ?? 0 },
      });
    }
    const existing = await alerts.alertsOfRule(rule.id);
    const byFingerprint = new Map<string, AlertRow[]>();
    for (const a of existing) byFingerprint.set(a.fingerprint, [...(byFingerprint.get(a.fingerprint) ?? []), a]);
    const holdMs = durationMs(settings.hold);

    for (const { key, stage, points } of bySeries.values()) {
      const fp = fingerprint(key);
      const judgements = judgeSeries(rule, points);
      const { episodes, pending } = findEpisodes(judgements, durationMs(rule.for), holdMs);
      const previous = byFingerprint.get(fp) ?? [];
      const storedById = new Map(previous.map((a) => [a.alert_id, a]));
      const spans = previous.map((a) => ({ id: a.alert_id, start: a.started_ms, lastBreach: a.last_breach_ms, resolvedAt: a.resolved_ms }));
      const firstPoint = Math.min(...points.map((p) => p.start));
      for (const c of reconcile(fp, spans, episodes, holdMs, firstPoint)) {
        const prev = storedById.get(c.id);
        if (c.kind === "vanish") {
          if (prev)
            out.rows.push({
              ...prev,
              resolved_ms: prev.last_breach_ms,
              summary: `${prev.summary} (cleared: the windows were revised)`,
              updated_wall_ms: now,
            });
          continue;
        }
        const row = rowFor(stored, key, fp, stage, windowSeconds, c.id, c.episode, prev, now);
        if (!prev) out.created.push(row);
        else if (changed(prev, row)) out.rows.push(row);
      }
      const last = judgements.at(-1);
      const open = episodes.find((e) => e.resolvedAt === null);
      out.status.push({
        rule_id: rule.id,
        fingerprint: fp,
        model_id: key.modelId,
        model_version: key.modelVersion,
        slice: key.slice,
        metric: key.metric,
        state: open ? "firing" : pending ? "pending" : last?.state === "unknown" ? "waiting" : "ok",
        reason: open
          ? open.latest.reason
          : pending
            ? `breaching for ${Math.round(pending.lastedMs / 60_000)} of ${Math.round(pending.forMs / 60_000)} minutes`
            : (last?.reason ?? "no windows"),
        window_start_ms: last?.start ?? 0,
        value: last?.value ?? null,
        updated_wall_ms: now,
      });
    }
    return bySeries.size;
  }

  /**
   * Held and grouped alerts are not paged; the rest go through the suppressor. Grouping asks
   * whether two alerts were concurrent in event time, never whether the other one is open at the
   * moment of evaluation: which alert the evaluator happens to see first (drift is scored on its
   * own schedule, labels arrive late) must not decide whether an alert is paged.
   * `current` holds the alerts this pass knows besides the new ones, in their latest version.
   */
  async function dispose(created: AlertRow[], current: AlertRow[], now: number): Promise<AlertRow[]> {
    const moved: AlertRow[] = [];
    const all = [...current, ...created];
    const viewFrom =
      (a: AlertRow) =>
      (o: AlertRow): GroupingView => ({
        id: o.alert_id,
        metric: o.metric,
        feature: o.feature,
        modelId: o.model_id,
        modelVersion: o.model_version,
        open: concurrent(o, a),
        parentId: o.parent_id,
      });
    const othersOf = (a: AlertRow) => all.filter((o) => o.alert_id !== a.alert_id).map(viewFrom(a));
    // Data checks and performance first, so drift created in the same pass can find its parent.
    const order = (a: AlertRow) => (a.metric.startsWith("drift") ? 1 : 0);
    for (const a of [...created].sort((x, y) => order(x) - order(y))) {
      const self = viewFrom(a)(a);
      const parent = parentForDrift(self, othersOf(a));
      if (parent) {
        a.disposition = "held";
        a.parent_id = parent.parentId;
        a.group_reason = parent.reason;
      } else {
        const d = await deps.suppression.decide(a, now);
        a.disposition = d.disposition;
        a.suppress_score = d.score;
        a.suppressor_version = d.version;
        a.suppress_reason = d.reason;
      }
    }
    // Drift beneath the performance alerts it overlaps, every pass: a drift episode whose later
    // windows are scored after the performance alert fired is listed under it once they are, as
    // it would have been had they come first. What was paged stays paged.
    for (const a of all) {
      for (const childId of childrenForPerformance(viewFrom(a)(a), othersOf(a))) {
        const child = all.find((o) => o.alert_id === childId);
        if (!child || child === a) continue;
        child.parent_id = a.alert_id;
        child.group_reason = `grouped under the ${a.metric} alert on this model as a possible cause`;
        child.updated_wall_ms = now;
        if (!created.includes(child)) moved.push(child);
      }
    }
    return moved;
  }

  function receiversFor(rule: Rule | undefined, receivers: Receiver[]): string[] {
    // A receiver that belongs to some models (added by a model-limited token) gets only the alerts
    // of rules that name it: never another team's alerts by default, nor the all-models digest.
    const names = rule?.receivers ?? sharedReceivers(receivers).map((r) => r.name);
    return [...names, KAFKA_RECEIVER];
  }

  async function owe(
    touched: AlertRow[],
    rules: Map<string, Rule>,
    receivers: Receiver[],
    settings: Settings,
    now: number,
  ): Promise<number> {
    const wanted: NotificationRow[] = [];
    for (const a of touched) {
      const kinds = owedNotifications(
        { id: a.alert_id, disposition: a.disposition, resolvedAt: a.resolved_ms, firstSeenMs: a.first_seen_wall_ms },
        now,
        durationMs(settings.repeat_interval),
      );
      for (const [i, kind] of kinds.entries()) {
        for (const receiver of receiversFor(rules.get(a.rule_id), receivers)) {
          // created_wall_ms orders a firing before its resolution when both are owed at once.
          wanted.push({
            notification_id: notificationId(a.alert_id, kind, receiver),
            alert_id: a.alert_id,
            kind,
            receiver,
            created_wall_ms: now + i,
            attempts: 0,
            next_attempt_wall_ms: now,
            delivered_wall_ms: 0,
            last_error: "",
            updated_wall_ms: now,
          });
        }
      }
    }
    const digestDay = new Date(now).toISOString().slice(0, 10);
    if (new Date(now).getUTCHours() >= settings.digest_hour_utc) {
      for (const receiver of receiversFor(undefined, receivers)) {
        wanted.push({
          notification_id: notificationId(`digest-${digestDay}`, "digest", receiver),
          alert_id: `digest-${digestDay}`,
          kind: "digest",
          receiver,
          created_wall_ms: now,
          attempts: 0,
          next_attempt_wall_ms: now,
          delivered_wall_ms: 0,
          last_error: "",
          updated_wall_ms: now,
        });
      }
    }
    const known = new Set<string>();
    for (let i = 0; i < wanted.length; i += 500) {
      for (const id of await alerts.knownNotifications(wanted.slice(i, i + 500).map((w) => w.notification_id))) known.add(id);
    }
    const fresh = wanted.filter((w) => !known.has(w.notification_id));
    await alerts.writeNotifications(fresh);
    return fresh.length;
  }

  return {
    /** One pass; `force` evaluates even when no window changed (time-based work: repeats, digest). */
    async evaluateOnce(force = false): Promise<EvaluationReport> {
      const now = clock();
      const rules = await alerts.activeRules();
      const { receivers, settings } = await alerts.settings();
      const marker = await series.marker();
      const rulesKey = JSON.stringify([rules.map((r) => [r.rule.id, r.version]), receivers, settings]);
      const open = await alerts.openAlerts();
      const report: EvaluationReport = { skipped: false, rules: rules.length, series: 0, created: 0, updated: 0, notificationsOwed: 0 };
      const ruleMap = new Map(rules.map((r) => [r.rule.id, r.rule]));
      // What is owed follows from the stored alerts, not from what this pass wrote: alerts updated
      // since the last successful outbox write (a failed pass, a restart) are owed again here.
      const owing = new Map<string, AlertRow>();
      const oweAll = async (extra: AlertRow[]): Promise<number> => {
        for (const r of await alerts.recentlyUpdated(owedThrough ?? now - RESTART_OWE_LOOKBACK_MS)) owing.set(r.alert_id, r);
        // After a restart, resolutions stored but never owed, however long ago, are found through the outbox.
        if (owedThrough === null) for (const r of await alerts.resolvedNotOwed()) owing.set(r.alert_id, r);
        for (const r of extra) owing.set(r.alert_id, r);
        const owed = await owe([...owing.values()], ruleMap, receivers, settings, now);
        owedThrough = now;
        return owed;
      };
      for (const o of open) owing.set(o.alert_id, o);
      // Hindsight's own alert, every pass (the pipeline can stall precisely when no window changes).
      if (deps.pipeline) {
        const own = pipelineAlertChanges(await deps.pipeline.openGroups(), open, now);
        if (own.length > 0) {
          await alerts.writeAlerts(own);
          for (const r of own) owing.set(r.alert_id, r);
          log.warn({ alerts: own.map((r) => r.summary) }, "pipeline alerts updated");
        }
      }
      if (!force && marker === lastMarker && rulesKey === lastRulesKey) {
        // Nothing to judge; still owe repeats and the digest, which depend on the clock.
        report.skipped = true;
        report.notificationsOwed = await oweAll([]);
        return report;
      }
      const out = { rows: [] as AlertRow[], status: [] as RuleStatusRow[], created: [] as AlertRow[] };
      for (const stored of rules) {
        try {
          report.series += await evaluateRule(stored, settings, now, out);
        } catch (err) {
          log.error({ err, rule: stored.rule.id }, "rule evaluation failed; the other rules go on");
          out.status.push({
            rule_id: stored.rule.id,
            fingerprint: "",
            model_id: stored.rule.target.model,
            model_version: "",
            slice: "",
            metric: stored.rule.metric,
            state: "error",
            reason: (err as Error).message.slice(0, 500),
            window_start_ms: 0,
            value: null,
            updated_wall_ms: now,
          });
        }
      }
      // The latest version of every alert this pass knows, for grouping by event time.
      const current = new Map(open.map((o) => [o.alert_id, o]));
      for (const r of out.rows) current.set(r.alert_id, r);
      const moved = await dispose(out.created, [...current.values()], now);
      const writes = new Map<string, AlertRow>();
      for (const r of [...out.rows, ...moved, ...out.created]) writes.set(r.alert_id, r);
      // Alerts first, then what they are owed: a failure in between re-owes on the next pass (owedThrough).
      await alerts.writeAlerts([...writes.values()]);
      await alerts.writeRuleStatus(out.status);
      report.created = out.created.length;
      report.updated = writes.size - out.created.length;
      report.notificationsOwed = await oweAll([...writes.values()]);
      lastMarker = marker;
      lastRulesKey = rulesKey;
      if (report.created || report.updated) log.info({ ...report }, "alerts evaluated");
      return report;
    },
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;

/** A seasonal rule reads back as many past periods as its history asks for, at most 13 weeks. */
export const MAX_SEASONAL_LOOKBACK_MS = 13 * 7 * 86_400_000;

export function seasonalLookbackMs(rule: Rule): number {
  const period = seasonMs(rule);
  if (period === undefined) return 0;
  const periods = rule.kind === "adaptive" ? rule.history_windows : rule.baseline_windows;
  return Math.min((periods + 1) * period, MAX_SEASONAL_LOOKBACK_MS);
}
