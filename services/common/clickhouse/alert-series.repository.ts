/**
 * The window series that alert rules judge: performance metrics from `slice_metrics` (read
 * through sliceMetricsQuery, the view with the rule's target pushed into its base windows), drift
 * decisions from `drift_scores`, quality checks from `data_quality`, each narrowed to a rule's
 * target. Metric names reach SQL only from the rules schema's whitelist.
 */
import { ESTIMATED_ERROR_METRICS, ESTIMATED_METRICS, PERFORMANCE_METRICS, type Rule } from "../../../schemas/rules.js";
import { type EstimatedMetric, estimatedValue } from "../domain/estimation/window-estimates.js";
import { estimatesRepository } from "./estimates.repository.js";
import { pairedSeriesSql } from "./paired.repository.js";
import type { ClickHouse } from "./client.js";
import { flag, float, int, numeric, row, str } from "./row-schema.js";
import { sliceMetricsQuery, type SliceSelection } from "./slice-metrics.query.js";
import { ident, join, list, raw, sql, type Sql } from "./sql.js";

export interface SeriesRow {
  model_id: string;
  model_version: string;
  stage: string;
  /** "" for the whole population, else "key=value". */
  slice: string;
  metric: string;
  feature: string;
  window_start_ms: number;
  value: number | null;
  n: number;
  successes: number | null;
  coverage: number | null;
  /** Drift and quality rows carry their own decision. */
  breach: boolean | null;
  signal_threshold: number | null;
  /** Estimated metrics: the value's interval at the rule's confidence (0.95 without one). */
  interval?: readonly [number, number] | null;
}

/** Most windows of estimates one rule's series reads (every model, version, stage and slice it targets). */
export const ESTIMATE_SERIES_LIMIT = 20_000;

/** For each metric: the sample size behind it and, for proportions, the successes. */
const SAMPLE: Record<string, { n: string; successes?: string }> = {
  accuracy: { n: "class_n", successes: "correct" },
  precision: { n: "tp + fp", successes: "tp" },
  recall: { n: "tp + fn", successes: "tp" },
  label_coverage: { n: "predictions", successes: "labeled" },
  estimated_accuracy: { n: "predictions" },
  selection_rate_ratio: { n: "tp + fp + fn + tn" },
  predictions: { n: "predictions" },
};

/**
 * A group's selection rate over that of the most selected group of its key in the same window
 * (the four-fifths rule; the `slice_fairness` view's formula). 1 when no group is selected.
 */
const GROUPS = "PARTITION BY model_id, model_version, stage, window_start, slice_key";
const SELECTION_RATE_RATIO = raw(`if(max(sr) OVER (${GROUPS}) = 0, 1, sr / max(sr) OVER (${GROUPS})) AS selection_rate_ratio`);

/** The tables whose inserts mean a window was recomputed. */
const MARKER_TABLES = ["window_volume", "window_label_stats", "window_drift", "window_quality", "window_slice_drift"];

const PerformanceRow = row({
  model_id: str,
  model_version: str,
  stage: str,
  slice_key: str,
  slice_value: str,
  window_start_ms: int,
  // A count (predictions, UInt64) or a ratio.
  value: numeric.nullable(),
  n: int,
  successes: int.nullable(),
  coverage: float.nullable(),
});

const DriftRow = row({
  model_id: str,
  model_version: str,
  slice_key: str,
  slice_value: str,
  feature: str,
  window_start_ms: int,
  score: float.nullable(),
  threshold: float,
  drifted: flag,
  n: int,
});

const QualityRow = row({
  model_id: str,
  model_version: str,
  feature: str,
  check: str,
  window_start_ms: int,
  value: float.nullable(),
  expected: float.nullable(),
  violated: flag,
  count: int,
});

export function alertSeriesRepository(ch: ClickHouse, options: { labelHorizonMs?: number } = {}) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  // One per evaluator: its calibrations are cached across ticks and refitted at most once a minute.
  const estimates = estimatesRepository(ch, { horizonMs: options.labelHorizonMs ?? 30 * 86_400_000 });

  /** The windows a rule judges: its target's model, version, stage and slices, from `fromS`. */
  const ruleWindows = (rule: Rule, windowSeconds: number, fromS: number) => ({
    models: rule.target.model === "*" ? undefined : [rule.target.model],
    modelVersion: rule.target.version,
    stage: rule.target.stage,
    windowSeconds,
    fromS,
    slices: sliceSelection(rule),
  });

  /** What the estimates repository reads for a rule's series. */
  const estimatesQuery = (rule: Rule, windowSeconds: number, fromS: number) => ({
    ...ruleWindows(rule, windowSeconds, fromS),
    confidence: rule.confidence ?? 0.95,
    limit: ESTIMATE_SERIES_LIMIT,
  });

  /** One window's estimate as a series row: its value and interval, over `rows` predictions of which `labelled` have labels. */
  const estimateRow = (
    rule: Rule,
    r: { model_id: string; model_version: string; stage: string; slice_key: string; slice_value: string; window_start_s: number },
    e: { value: number; low: number; high: number } | null,
    rows: number,
    labelled: number,
  ): SeriesRow => ({
    model_id: r.model_id,
    model_version: r.model_version,
    stage: r.stage,
    slice: r.slice_key === "" ? "" : `${r.slice_key}=${r.slice_value}`,
    metric: rule.metric,
    feature: "",
    window_start_ms: r.window_start_s * 1000,
    value: e?.value ?? null,
    n: rows,
    successes: null,
    coverage: rows === 0 ? null : Math.min(1, labelled / rows),
    breach: null,
    signal_threshold: null,
    interval: e && [e.low, e.high],
  });

  /** `estimated_*`: binary models' label-free estimates (estimates.repository.ts), with their intervals. */
  async function estimated(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
    const metric = rule.metric as EstimatedMetric;
    const { rows } = await estimates.windows(estimatesQuery(rule, windowSeconds, fromS));
    return rows.map((r) => estimateRow(rule, r, estimatedValue(r.estimate, metric), r.estimate.rows, r.estimate.labelled));
  }

  /** `estimated_mae`, `estimated_rmse`: regression models' label-free estimates (error models), with their intervals. */
  async function estimatedError(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
    const { rows } = await estimates.regressionWindows(estimatesQuery(rule, windowSeconds, fromS));
    return rows.map((r) =>
      estimateRow(rule, r, rule.metric === "estimated_mae" ? r.estimate.mae : r.estimate.rmse, r.estimate.rows, r.estimate.labelled),
    );
  }

  /** `paired_accuracy_difference`: a candidate against production on the same requests (migration 017), as the candidate's series. */
  async function paired(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
    const query = {
      modelId: rule.target.model === "*" ? undefined : rule.target.model,
      version: rule.target.version,
      stage: rule.target.stage,
      windowSeconds,
      fromS,
      slices: sliceSelection(rule),
    };
    const rows = await ch.rows(PerformanceRow, pairedSeriesSql(t("window_paired_stats"), query));
    return rows.map(({ slice_key, slice_value, ...r }) => ({
      ...r,
      slice: slice_key === "" ? "" : `${slice_key}=${slice_value}`,
      metric: rule.metric,
      feature: "",
      breach: null,
      signal_threshold: null,
    }));
  }

  function targetWhere(rule: Rule, fromS: number, withStage: boolean): Sql[] {
    const where: Sql[] = [sql`window_start >= toDateTime(${fromS})`];
    if (rule.target.model !== "*") where.push(sql`model_id = ${rule.target.model}`);
    if (rule.target.version) where.push(sql`model_version = ${rule.target.version}`);
    if (rule.target.stage && withStage) where.push(sql`stage = ${rule.target.stage}`);
    return where;
  }

  function sliceSelection(rule: Rule): SliceSelection {
    const s = rule.target.slice;
    if (s === undefined) return { kind: "population" };
    if (s === "*") return { kind: "all" };
    const eq = s.indexOf("=");
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    return value === "*" ? { kind: "key", key } : { kind: "slice", key, value };
  }

  /** Drift and quality have no stage column: each version's stage comes from its traffic, and a stage target picks versions. */
  async function versionStages(rule: Rule, fromS: number): Promise<Map<string, string>> {
    const rows = await ch.rows(
      row({ model_version: str, version_stage: str }),
      sql`
      SELECT model_version, any(stage) AS version_stage FROM ${t("window_volume")}
      WHERE ${join([...targetWhere(rule, fromS, true), sql`slice_key = ''`], " AND ")} GROUP BY model_version`,
    );
    return new Map(rows.map((r) => [r.model_version, r.version_stage]));
  }

  return {
    async performance(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
      if (!(PERFORMANCE_METRICS as readonly string[]).includes(rule.metric)) throw new Error(`not a performance metric: ${rule.metric}`);
      if (ESTIMATED_ERROR_METRICS.has(rule.metric)) return estimatedError(rule, windowSeconds, fromS);
      // Binary models' calibrated estimates; a multi-class model's estimated_accuracy stays the view's mean top-class confidence.
      const calibrated = ESTIMATED_METRICS.has(rule.metric) ? await estimated(rule, windowSeconds, fromS) : undefined;
      if (calibrated && rule.metric !== "estimated_accuracy") return calibrated;
      if (rule.metric === "paired_accuracy_difference") return paired(rule, windowSeconds, fromS);
      const column = ident(rule.metric);
      const sample = SAMPLE[rule.metric] ?? { n: "labeled" };
      // The view's rows narrowed inside its base-window reads (18.16 would compute the whole view).
      const metrics = sliceMetricsQuery(ch.database, ruleWindows(rule, windowSeconds, fromS));
      // Fairness compares the groups (slices) of one key with each other, so every group of the key is read.
      const source =
        rule.metric === "selection_rate_ratio"
          ? sql`SELECT *, ${SELECTION_RATE_RATIO}
                FROM (SELECT *, (tp + fp) / (tp + fp + fn + tn) AS sr FROM (${metrics}) WHERE slice_key != '' AND tp + fp + fn + tn > 0)`
          : metrics;
      const rows = await ch.rows(
        PerformanceRow,
        sql`
        SELECT model_id, model_version, stage, slice_key, slice_value, toUInt64(window_start) * 1000 AS window_start_ms,
               ${column} AS value, toUInt64(${raw(sample.n)}) AS n,
               ${sample.successes ? raw(`toUInt64(${sample.successes})`) : raw("NULL")} AS successes,
               label_coverage AS coverage
        FROM (${source})
        ${calibrated ? raw("WHERE task = 'multiclass'") : raw("")}
        ORDER BY window_start`,
      );
      const fromView = rows.map(({ slice_key, slice_value, ...r }) => ({
        ...r,
        slice: slice_key === "" ? "" : `${slice_key}=${slice_value}`,
        metric: rule.metric,
        feature: "",
        breach: null,
        signal_threshold: null,
      }));
      return calibrated ? [...calibrated, ...fromView] : fromView;
    },

    async drift(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
      const feature = rule.metric.startsWith("drift.") ? rule.metric.slice("drift.".length) : undefined;
      const stages = await versionStages(rule, fromS);
      const versions = rule.target.stage ? [...stages.keys()] : undefined;
      if (versions?.length === 0) return [];
      const where = [...targetWhere(rule, fromS, false), sql`window_seconds = ${windowSeconds}`];
      if (versions) where.push(sql`model_version IN ${list(versions)}`);
      const decided = [sql`decision != 'insufficient_data'`, ...(feature === undefined ? [] : [sql`feature = ${feature}`])];
      // A target slice reads drift per slice (migration 019); "*" reads it beside the whole population's.
      const selection = sliceSelection(rule);
      const columns = raw("feature, toUInt64(window_start) * 1000 AS window_start_ms, score, threshold, drifted, n");
      const rows = [
        ...(selection.kind === "population" || selection.kind === "all"
          ? await ch.rows(
              DriftRow,
              sql`
              SELECT model_id, model_version, '' AS slice_key, '' AS slice_value, ${columns}
              FROM ${t("drift_scores")} WHERE ${join([...where, ...decided], " AND ")} ORDER BY window_start`,
            )
          : []),
        ...(selection.kind === "population"
          ? []
          : await ch.rows(
              DriftRow,
              sql`
              SELECT model_id, model_version, slice_key, slice_value, ${columns}
              FROM (
                  SELECT * FROM ${t("window_slice_drift")} FINAL WHERE ${join(where, " AND ")}
                  -- each window's latest computation, chosen before narrowing to a slice
                  QUALIFY computed_at_ms = max(computed_at_ms) OVER (PARTITION BY model_id, model_version, window_seconds, window_start)
              )
              WHERE ${join(
                [
                  ...decided,
                  ...(selection.kind === "key" || selection.kind === "slice" ? [sql`slice_key = ${selection.key}`] : []),
                  ...(selection.kind === "slice" ? [sql`slice_value = ${selection.value}`] : []),
                ],
                " AND ",
              )}
              ORDER BY window_start`,
            )),
      ];
      return rows.map((r) => ({
        model_id: r.model_id,
        model_version: r.model_version,
        stage: stages.get(r.model_version) ?? "",
        slice: r.slice_key === "" ? "" : `${r.slice_key}=${r.slice_value}`,
        metric: `drift.${r.feature}`,
        feature: r.feature,
        window_start_ms: r.window_start_ms,
        value: r.score,
        n: r.n,
        successes: null,
        coverage: null,
        breach: r.drifted,
        signal_threshold: r.threshold,
      }));
    },

    async quality(rule: Rule, windowSeconds: number, fromS: number): Promise<SeriesRow[]> {
      const check = rule.metric.startsWith("quality.") ? rule.metric.slice("quality.".length) : undefined;
      const stages = await versionStages(rule, fromS);
      const versions = rule.target.stage ? [...stages.keys()] : undefined;
      if (versions?.length === 0) return [];
      const where = [...targetWhere(rule, fromS, false), sql`window_seconds = ${windowSeconds}`];
      if (check !== undefined) where.push(sql`check = ${check}`);
      if (versions) where.push(sql`model_version IN ${list(versions)}`);
      const rows = await ch.rows(
        QualityRow,
        sql`
        SELECT model_id, model_version, feature, check, toUInt64(window_start) * 1000 AS window_start_ms, value, expected, violated, count
        FROM ${t("data_quality")} WHERE ${join(where, " AND ")} ORDER BY window_start`,
      );
      return rows.map((r) => ({
        model_id: r.model_id,
        model_version: r.model_version,
        stage: stages.get(r.model_version) ?? "",
        slice: "",
        metric: `quality.${r.check}`,
        feature: r.feature,
        window_start_ms: r.window_start_ms,
        value: r.value,
        n: r.count,
        successes: null,
        coverage: null,
        breach: r.violated,
        signal_threshold: r.expected ?? 0,
      }));
    },

    /**
     * Changes whenever any window is recomputed: the evaluator skips a tick when it has not moved.
     * It is ClickHouse's own insert sequence, the block numbers of the window tables' parts (each
     * insert takes the next one; merges keep the highest), summed over each table's partitions.
     * Not `max(computed_at_ms)`: rows are stamped when their recomputation starts, so a slow one
     * (drift) lands below a faster one that started later and would never be noticed.
     */
    async marker(): Promise<string> {
      const rows = await ch.rows(
        row({ m: str }),
        sql`
        SELECT toString(sum(top)) AS m FROM (
          SELECT max(max_block_number) AS top FROM system.parts
          WHERE database = ${ch.database} AND table IN ${list(MARKER_TABLES)} AND active
          GROUP BY table, partition_id)`,
      );
      return rows[0]?.m ?? "0";
    },
  };
}

export type AlertSeriesRepository = ReturnType<typeof alertSeriesRepository>;
