/**
 * ClickHouse access for the label join and the windowed metrics: batched look-ups of the other
 * side of a join, the joined rows, model specifications, and the recomputation of per-window
 * statistics from the joined rows (so a recomputation after a replay gives the same numbers).
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { serialize } from "./batch-writer.js";
import { flag, float, int, row, str } from "./row-schema.js";
import { ident, type Identifier, join, list, listSlices, sql, type Sql } from "./sql.js";
import {
  type CellSelection,
  labelCellsSql,
  labelStatsFromCellsSql,
  volumeCellsSql,
  volumeFromCellsSql,
  windowsWithCellsSql,
} from "./window-stats.query.js";
import { pairedRange, pairedStatsSql } from "./paired-stats.query.js";
import { joinedRecord, type JoinableLabel, type JoinablePrediction, type JoinedRow } from "../domain/label-join.js";
import type { ModelSpec } from "../domain/model-spec.js";
import { TASKS } from "../../../schemas/models.js";

export interface ModelKey {
  model_id: string;
  prediction_id: string;
  /** Also every prediction (or label) of this request, when not ''. */
  request_id?: string;
}

// Look-ups go out in slices so that no single query text grows without bound.
const LOOKUP_SLICE = 5_000;

const PredictionRow = row({
  prediction_id: str,
  model_id: str,
  model_version: str,
  stage: str,
  event_time_ms: int,
  pred_label: str.nullable(),
  pred_score: float.nullable(),
  pred_class_keys: z.array(str),
  pred_class_scores: z.array(float),
  pred_value: float.nullable(),
  exp_abs_err: float.nullable(),
  exp_sq_err: float.nullable(),
  segment_keys: z.array(str),
  segment_values: z.array(str),
  request_id: str,
}) satisfies z.ZodType<JoinablePrediction>;

const LabelRow = row({
  prediction_id: str,
  model_id: str,
  request_id: str,
  label: str.nullable(),
  value: float.nullable(),
  labeled_at_ms: int,
  source: str,
}) satisfies z.ZodType<JoinableLabel>;

const SpecRow = row({
  model_id: str,
  task: z.enum(TASKS),
  positive_class: str,
  threshold: float,
  slice_keys: z.array(str),
  declared: flag,
});

export function metricsRepository(ch: ClickHouse) {
  const db = ch.database;
  const t = (name: string) => ident(`${db}.${name}`);

  /**
   * Windows (table, model, start) seen with cells, so that a live window's cells are not looked for
   * every cycle. Forgotten every 10 minutes and past 100,000 entries: cells leave only with their
   * model's deletion or retention, and a window met again after that is looked up again.
   */
  const knownWithCells = new Set<string>();
  let knownSince = Date.now();

  /**
   * A kind of window statistics kept in cells (migrations 023 and 024): with `cells`, only those
   * cells are recomputed from the rows, and every cell of a window that has none yet (computed
   * before cells existed); without, every cell of the windows. Each window is then the sum of its
   * cells.
   */
  async function recomputeThroughCells(
    kind: { cells: string; compute: (cells: Identifier, selection: CellSelection) => Sql; merge: (cells: Identifier) => Sql },
    modelId: string,
    baseSeconds: number,
    windows: number[],
    cells: number[] | undefined,
  ): Promise<void> {
    const table = t(kind.cells);
    if (cells === undefined) await ch.command(kind.compute(table, { windows }));
    else {
      if (Date.now() - knownSince > 600_000 || knownWithCells.size > 100_000) {
        knownWithCells.clear();
        knownSince = Date.now();
      }
      const key = (w: number) => `${kind.cells}\u0000${modelId}\u0000${w}`;
      const unknown = windows.filter((w) => !knownWithCells.has(key(w)));
      if (unknown.length > 0) {
        const found = await ch.rows(row({ window_start: int }), windowsWithCellsSql(table, modelId, unknown));
        for (const r of found) knownWithCells.add(key(r.window_start));
      }
      const whole = windows.filter((w) => !knownWithCells.has(key(w)));
      const partial = cells.filter((c) => knownWithCells.has(key(c - (c % baseSeconds))));
      if (whole.length > 0) await ch.command(kind.compute(table, { windows: whole }));
      if (partial.length > 0) await ch.command(kind.compute(table, { cells: partial }));
      for (const w of whole) knownWithCells.add(key(w));
    }
    await ch.command(kind.merge(table));
  }

  /**
   * The rows of these keys' (model, id) pairs, the id being the prediction's or the request's. One
   * statement per slice of LOOKUP_SLICE ids for every model in it (the slice's models and ids as
   * two lists, and rows pairing a model with another model's id dropped here), the slices side by
   * side: a batch of many models costs no more round trips than a batch of one.
   */
  async function lookup<S extends z.ZodType<{ model_id: string; prediction_id: string; request_id: string }>>(
    keys: ModelKey[],
    shape: S,
    columns: Sql,
    table: string,
    by: "prediction_id" | "request_id",
  ): Promise<z.output<S>[]> {
    const pairs = new Map<string, { model: string; id: string }>();
    for (const k of keys) {
      const value = k[by];
      if (value) pairs.set(`${k.model_id}\u0000${value}`, { model: k.model_id, id: value });
    }
    const all = [...pairs.values()];
    const idIn = (ids: string[]) => (by === "prediction_id" ? sql`prediction_id IN ${list(ids)}` : sql`request_id IN ${list(ids)}`);
    let at = 0;
    const statements = listSlices(
      all.map((p) => p.id),
      LOOKUP_SLICE,
    ).map((ids) => {
      const models = [...new Set(all.slice(at, (at += ids.length)).map((p) => p.model))];
      return sql`SELECT ${columns} FROM ${t(table)} FINAL WHERE model_id IN ${list(models)} AND ${idIn(ids)}`;
    });
    const found = await Promise.all(statements.map((q) => ch.rows(shape, q)));
    return found.flat().filter((r) => pairs.has(`${r.model_id}\u0000${r[by]}`));
  }

  /** Rows of a table by the keys' own prediction ids and of its by-request twin by their requests, side by side, each once. */
  async function ownAndByRequest<S extends z.ZodType<{ model_id: string; prediction_id: string; request_id: string }>>(
    keys: ModelKey[],
    shape: S,
    columns: Sql,
    tables: { own: string; byRequest: string },
  ): Promise<z.output<S>[]> {
    const [own, variants] = await Promise.all([
      lookup(keys, shape, columns, tables.own, "prediction_id"),
      lookup(keys, shape, columns, tables.byRequest, "request_id"),
    ]);
    return variants.length === 0 ? own : [...new Map([...own, ...variants].map((r) => [JSON.stringify(r), r])).values()];
  }

  return {
    /** The predictions these labels refer to (those already stored): by prediction, and every variant of a labelled request. */
    findPredictions(keys: ModelKey[]): Promise<JoinablePrediction[]> {
      const columns = sql`prediction_id, model_id, model_version, stage, toUnixTimestamp64Milli(event_time) AS event_time_ms, pred_label, pred_score,
                 pred_class_keys, pred_class_scores, pred_value, exp_abs_err, exp_sq_err, segment_keys, segment_values, request_id`;
      return ownAndByRequest(keys, PredictionRow, columns, { own: "predictions", byRequest: "predictions_by_request" });
    },

    /** Every label observation stored for these predictions: their own, and their requests'. */
    findLabels(keys: ModelKey[]): Promise<JoinableLabel[]> {
      const columns = sql`prediction_id, model_id, request_id, label, value, toUnixTimestamp64Milli(labeled_at) AS labeled_at_ms, source`;
      return ownAndByRequest(keys, LabelRow, columns, { own: "labels", byRequest: "labels_by_request" });
    },

    async insertJoined(rows: JoinedRow[]): Promise<void> {
      if (rows.length > 0) await ch.insertJsonEachRow(t("labeled_predictions").name, await serialize(rows, 2_000, joinedRecord));
    },

    async loadModelSpecs(): Promise<Map<string, ModelSpec>> {
      const rows = await ch.rows(
        SpecRow,
        sql`
        SELECT model_id, argMax(task, updated_at_ms) AS task, argMax(positive_class, updated_at_ms) AS positive_class,
               argMax(threshold, updated_at_ms) AS threshold, argMax(slice_keys, updated_at_ms) AS slice_keys,
               argMax(declared, updated_at_ms) AS declared
        FROM ${t("models")} GROUP BY model_id`,
      );
      return new Map(
        rows.map((r) => [
          r.model_id,
          {
            modelId: r.model_id,
            task: r.task,
            positiveClass: r.positive_class,
            threshold: r.threshold,
            sliceKeys: r.slice_keys,
            declared: r.declared,
          },
        ]),
      );
    },

    /**
     * Declared specs carry the time of declaration as version, so a declaration always wins;
     * inferred ones 1, or 2 once their positive class is known, so the refinement wins over the guess.
     */
    async saveModelSpec(spec: ModelSpec, nowMs: number): Promise<void> {
      await ch.command(sql`
        INSERT INTO ${t("models")} (model_id, task, positive_class, threshold, slice_keys, declared, updated_at_ms)
        VALUES (${spec.modelId}, ${spec.task}, ${spec.positiveClass}, ${spec.threshold}, ${spec.sliceKeys}, ${spec.declared ? 1 : 0}, ${spec.declared ? nowMs : spec.positiveClass ? 2 : 1})`);
    },

    async writeWindowSizes(sizes: number[]): Promise<void> {
      await ch.command(sql`TRUNCATE TABLE ${t("window_sizes")}`);
      await ch.command(
        sql`INSERT INTO ${t("window_sizes")} (window_seconds) VALUES ${join(
          sizes.map((s) => sql`(${s})`),
          ", ",
        )}`,
      );
    },

    /** Volume of base windows through their cells: those given, or every cell of the windows. */
    recomputeVolume(spec: ModelSpec, baseSeconds: number, windows: number[], cells?: number[]): Promise<void> {
      const kind = {
        cells: "window_volume_cells",
        compute: (cells: Identifier, s: CellSelection) => volumeCellsSql(t("predictions_by_time"), cells, spec, baseSeconds, s),
        merge: (cells: Identifier) => volumeFromCellsSql(cells, t("window_volume"), spec.modelId, windows),
      };
      return recomputeThroughCells(kind, spec.modelId, baseSeconds, windows, cells);
    },

    /** Label statistics of base windows through their cells: those given, or every cell of the windows. */
    recomputeLabelStats(spec: ModelSpec, baseSeconds: number, windows: number[], cells?: number[]): Promise<void> {
      const kind = {
        cells: "window_label_cells",
        compute: (cells: Identifier, s: CellSelection) => labelCellsSql(t("labeled_predictions"), cells, spec, baseSeconds, s),
        merge: (cells: Identifier) => labelStatsFromCellsSql(cells, t("window_label_stats"), spec.modelId, windows),
      };
      return recomputeThroughCells(kind, spec.modelId, baseSeconds, windows, cells);
    },

    async recomputePairedStats(spec: ModelSpec, baseSeconds: number, windows: number[], nowMs: number): Promise<void> {
      const sources = { predictions: t("request_predictions_by_time"), labeled: t("labeled_predictions") };
      // Without a request id in the range there is no pair, and never was one (raw rows are only
      // added): one look by the sorting key instead of planning the statement, which cost as much as
      // the label statistics it follows.
      const [requests] = await ch.rows(
        row({ n: int }),
        sql`SELECT count() AS n FROM (SELECT 1 FROM ${sources.predictions} WHERE ${pairedRange(spec.modelId, baseSeconds, windows)} LIMIT 1)`,
      );
      if (!requests?.n) return;
      await ch.command(pairedStatsSql(sources, t("window_paired_stats"), spec, baseSeconds, windows, nowMs));
    },
  };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
