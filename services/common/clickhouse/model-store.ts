/** What the gateway reads and writes about models and their metrics (the HTTP API's storage). */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import { metricsRepository } from "./metrics.repository.js";
import { sliceMetricsQuery } from "./slice-metrics.query.js";
import { ident, join, sql, type Sql } from "./sql.js";
import type { ModelSpec } from "../domain/model-spec.js";
import { deleteModelData, type DeletionReport } from "./model-deletion.js";
import { recomputeJobsRepository, type RecomputeJob } from "./recompute-jobs.repository.js";

export interface MetricsQuery {
  modelId: string;
  window: number;
  from?: number | undefined;
  to?: number | undefined;
  slice_key: string;
  slice_value: string;
  stage?: string | undefined;
  model_version?: string | undefined;
}

export interface SliceCount {
  slice_key: string;
  slice_value: string;
  predictions: number;
  correct: number;
  class_n: number;
  /** Binary models' confusion counts (0 for other tasks). */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** Regression: labelled predictions, Σ|e| and Σe² (0 for other tasks). */
  reg_n: number;
  abs_err_sum: number;
  sq_err_sum: number;
}

/** A slice_metrics row as the API serves it: its counts as numbers, every other column as it comes. */
const MetricsRow = z.looseObject({
  predictions: int,
  labeled: int,
  correct: int,
  class_n: int,
  tp: int,
  fp: int,
  fn: int,
  tn: int,
});

const SliceCountRow = row({
  slice_key: str,
  slice_value: str,
  predictions: int,
  correct: int,
  class_n: int,
  tp: int,
  fp: int,
  fn: int,
  tn: int,
  reg_n: int,
  abs_err_sum: float,
  sq_err_sum: float,
}) satisfies z.ZodType<SliceCount>;

const DelayRow = row({ model_version: str, stage: str, labeled: int, bins: z.array(z.number()), counts: z.array(int) });

export interface ModelStore {
  declare(spec: ModelSpec): Promise<void>;
  list(): Promise<Array<Record<string, unknown>>>;
  hasWindow(seconds: number): Promise<boolean>;
  metrics(q: MetricsQuery): Promise<Array<Record<string, unknown>>>;
  /** Counts summed over [from, to) per slice: every slice, or only those of `sliceKey` (the population then left out). */
  sliceCounts(q: {
    modelId: string;
    window: number;
    from?: number | undefined;
    to?: number | undefined;
    sliceKey?: string | undefined;
  }): Promise<SliceCount[]>;
  delayHistogram(q: { modelId: string; from?: number | undefined; to?: number | undefined }): Promise<DelayHistogram[]>;
  /** Removes the model's rows from every table (model-deletion.ts). */
  delete(modelId: string): Promise<DeletionReport>;
  /** Per-class counts per window of a multi-class model, with the classes' names. */
  classWindows(q: {
    modelId: string;
    window: number;
    from?: number | undefined;
    to?: number | undefined;
    stage?: string | undefined;
    model_version?: string | undefined;
  }): Promise<ClassWindow[]>;
  /** Recompute jobs, running ones first; `models` limits them to those models. */
  jobs(models?: readonly string[]): Promise<RecomputeJob[]>;
}

/** One window's per-class counts of a multi-class model (its whole population). */
export interface ClassWindow {
  window_start: number;
  model_version: string;
  stage: string;
  classes: Array<{ class: string; tp: number; fp: number; fn: number }>;
  /** The confusion matrix's non-zero cells: labelled predictions of class `truth` predicted as `predicted`. */
  confusion: Array<{ truth: string; predicted: string; count: number }>;
}

const ClassWindowRow = row({
  window_start: int,
  model_version: str,
  stage: str,
  cm_keys: z.array(z.string().regex(/^\d+$/)),
  cm_tp: z.array(int),
  cm_fp: z.array(int),
  cm_fn: z.array(int),
  pm_keys: z.array(z.string().regex(/^\d+$/)),
  pm_counts: z.array(int),
});

const LOW_32 = 2n ** 32n;

/** Labelled predictions per feedback-delay bin (see DELAY_BIN_RATIO), for one version and stage. */
export interface DelayHistogram {
  model_version: string;
  stage: string;
  labeled: number;
  bins: number[];
  counts: number[];
}

export function createModelStore(ch: ClickHouse): ModelStore {
  const repo = metricsRepository(ch);
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const timeRange = (from?: number, to?: number): Sql[] => [
    ...(from === undefined ? [] : [sql`window_start >= toDateTime(${Math.floor(from / 1000)})`]),
    ...(to === undefined ? [] : [sql`window_start < toDateTime(${Math.ceil(to / 1000)})`]),
  ];
  /** The API's bounds (epoch ms, `window_start >= from`, `< to`) in whole seconds, as the view was filtered. */
  const seconds = (from?: number, to?: number) => ({
    fromS: from === undefined ? undefined : Math.floor(from / 1000),
    toS: to === undefined ? undefined : Math.ceil(to / 1000),
  });
  return {
    declare: (spec) => repo.saveModelSpec(spec, Date.now()),
    delete: (modelId) => deleteModelData(ch, modelId),
    jobs: (models) => recomputeJobsRepository(ch).recent(models),
    async list() {
      const specs = await repo.loadModelSpecs();
      return [...specs.values()].map((s) => ({
        model_id: s.modelId,
        task: s.task,
        positive_class: s.positiveClass || null,
        threshold: s.threshold,
        slice_keys: s.sliceKeys,
        declared: s.declared,
      }));
    },
    async hasWindow(seconds) {
      const [r] = await ch.rows(row({ n: int }), sql`SELECT count() AS n FROM ${t("window_sizes")} WHERE window_seconds = ${seconds}`);
      return (r?.n ?? 0) > 0;
    },
    async metrics(q) {
      // The view's rows narrowed inside its base-window reads (18.16 would compute the whole view).
      const query = sliceMetricsQuery(ch.database, {
        models: [q.modelId],
        windowSeconds: q.window,
        ...seconds(q.from, q.to),
        // The whole population is the slice ('', '').
        slices: { kind: "slice", key: q.slice_key, value: q.slice_value },
        stage: q.stage,
        modelVersion: q.model_version,
      });
      return ch.rows(
        MetricsRow,
        sql`
        SELECT * FROM (${query})
        ORDER BY window_start, model_version, stage LIMIT 10000`,
      );
    },
    async sliceCounts(q) {
      const query = sliceMetricsQuery(ch.database, {
        models: [q.modelId],
        windowSeconds: q.window,
        ...seconds(q.from, q.to),
        slices: q.sliceKey === undefined ? { kind: "all" } : { kind: "key", key: q.sliceKey },
        errorSums: true,
      });
      return ch.rows(
        SliceCountRow,
        sql`
        SELECT slice_key, slice_value, sum(predictions) AS predictions, sum(correct) AS correct, sum(class_n) AS class_n,
               sum(tp) AS tp, sum(fp) AS fp, sum(fn) AS fn, sum(tn) AS tn,
               sum(reg_n) AS reg_n, sum(abs_err_sum) AS abs_err_sum, sum(sq_err_sum) AS sq_err_sum
        FROM (${query})
        GROUP BY slice_key, slice_value`,
      );
    },
    async classWindows(q) {
      const query = sliceMetricsQuery(ch.database, {
        models: [q.modelId],
        windowSeconds: q.window,
        ...seconds(q.from, q.to),
        slices: { kind: "population" },
        stage: q.stage,
        modelVersion: q.model_version,
        classSums: true,
      });
      const windows = await ch.rows(
        ClassWindowRow,
        sql`
        SELECT toUInt32(window_start) AS window_start, model_version, stage,
               arrayMap(k -> toString(k), cm_keys) AS cm_keys, cm_tp, cm_fp, cm_fn,
               arrayMap(k -> toString(k), pm_keys) AS pm_keys, pm_counts
        FROM (${query})
        ORDER BY window_start, model_version, stage LIMIT 10000`,
      );
      // One row per class of the model: the table grows with the classes, not the history.
      const names = new Map(
        (
          await ch.rows(
            row({ class_key: z.string().regex(/^\d+$/), class: str }),
            sql`SELECT toString(class_key) AS class_key, class FROM ${t("class_names")} FINAL WHERE model_id = ${q.modelId} LIMIT 100000`,
          )
        ).map((r) => [r.class_key, r.class]),
      );
      // A confusion pair packs the low 32 bits of both class keys (014_confusion_pairs.sql).
      const byLow = new Map([...names].map(([k, name]) => [(BigInt(k) % LOW_32).toString(), name]));
      const nameOfLow = (low: bigint) => byLow.get(low.toString()) ?? `#${low}`;
      return windows.map((w) => ({
        window_start: w.window_start,
        model_version: w.model_version,
        stage: w.stage,
        classes: w.cm_keys.map((k, i) => ({ class: names.get(k) ?? `#${k}`, tp: w.cm_tp[i]!, fp: w.cm_fp[i]!, fn: w.cm_fn[i]! })),
        confusion: w.pm_keys.map((k, i) => {
          const key = BigInt(k);
          return { truth: nameOfLow(key / LOW_32), predicted: nameOfLow(key % LOW_32), count: w.pm_counts[i]! };
        }),
      }));
    },
    async delayHistogram(q) {
      // The base windows' delay histograms summed: exact bin counts, without touching the labelled rows.
      const where = [sql`model_id = ${q.modelId}`, sql`slice_key = ''`, ...timeRange(q.from, q.to)];
      return ch.rows(
        DelayRow,
        sql`
        SELECT model_version, stage, sum(labeled) AS labeled,
               tupleElement(sumMap(delay_bins, delay_counts), 1) AS bins, tupleElement(sumMap(delay_bins, delay_counts), 2) AS counts
        FROM ${t("window_label_stats")} FINAL WHERE ${join(where, " AND ")}
        GROUP BY model_version, stage ORDER BY model_version, stage`,
      );
    },
  };
}
