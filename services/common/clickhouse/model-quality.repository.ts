/**
 * Each model's latest window, per version and stage, for Prometheus: quality (accuracy, MAE),
 * label coverage, feedback delay, declared slices, drifted features and open alerts. Reads the
 * analysts' views (the `slice_metrics` query with its filters pushed down, `drift_scores`,
 * `alerts`) over a bounded look-back, so a scrape costs the same however long a model's history.
 * Every value is a typed query parameter; the answers are capped (`limit`) and say when they were.
 */
import type { z } from "zod";
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import { sliceMetricsQuery } from "./slice-metrics.query.js";
import { ident, list, raw, sql, type Sql } from "./sql.js";

export interface QualityQuery {
  windowSeconds: number;
  /** Windows starting at or after this (epoch seconds) are considered. */
  sinceS: number;
  /** Only these models; every model when omitted (never an empty list). */
  models?: readonly string[] | undefined;
  /** Most rows returned; one more is asked for to tell that the answer was cut. */
  limit: number;
}

export interface QualityRow {
  model_id: string;
  model_version: string;
  stage: string;
  slice_key: string;
  slice_value: string;
  task: string;
  /** Epoch seconds. */
  window_start: number;
  predictions: number;
  labeled: number;
  label_coverage: number | null;
  accuracy: number | null;
  mae: number | null;
  delay_p50_s: number | null;
  delay_p90_s: number | null;
}

export interface DriftRow {
  model_id: string;
  model_version: string;
  window_start: number;
  features: number;
  drifted_features: number;
}

export interface OpenAlertsRow {
  model_id: string;
  severity: string;
  open: number;
}

export interface Capped<T> {
  rows: T[];
  truncated: boolean;
}

const QualityRowShape = row({
  model_id: str,
  model_version: str,
  stage: str,
  // The population query has no slice columns.
  slice_key: str.default(""),
  slice_value: str.default(""),
  task: str,
  window_start: int,
  predictions: int,
  labeled: int,
  label_coverage: float.nullable(),
  accuracy: float.nullable(),
  mae: float.nullable(),
  delay_p50_s: float.nullable(),
  delay_p90_s: float.nullable(),
}) satisfies z.ZodType<QualityRow, unknown>;

// `ws`, not `window_start`: an alias would shadow the column in the WHERE clause.
const DriftRowShape = row({ model_id: str, model_version: str, ws: int, features: int, drifted_features: int }).transform(
  ({ ws, ...r }): DriftRow => ({ ...r, window_start: ws }),
);

const OpenAlertsShape = row({ model_id: str, severity: str, open: int }) satisfies z.ZodType<OpenAlertsRow, unknown>;

function capped<T>(rows: T[], limit: number): Capped<T> {
  return { rows: rows.slice(0, limit), truncated: rows.length > limit };
}

/** The newest window per group of `keys`: every value taken from that one window (a tuple, so a NULL in it does not make argMax skip the window). */
function latestPerGroup(source: Sql, keys: string): Sql {
  return sql`
    SELECT ${raw(keys)}, toUInt32(max(window_start)) AS latest_start,
           argMax(tuple(task, predictions, labeled, label_coverage, accuracy, mae, delay_p50_s, delay_p90_s), window_start) AS v
    FROM (${source})
    GROUP BY ${raw(keys)}`;
}

const VALUES = raw(`tupleElement(v, 1) AS task, tupleElement(v, 2) AS predictions, tupleElement(v, 3) AS labeled,
       tupleElement(v, 4) AS label_coverage, tupleElement(v, 5) AS accuracy, tupleElement(v, 6) AS mae,
       tupleElement(v, 7) AS delay_p50_s, tupleElement(v, 8) AS delay_p90_s`);

export function modelQualityRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const modelFilter = (models: readonly string[] | undefined, column = "model_id"): Sql => {
    if (models === undefined) return raw("1");
    if (models.length === 0) throw new Error("refusing an empty list of models");
    return sql`${ident(column)} IN ${list(models)}`;
  };
  return {
    /** Each model version and stage: its whole population in its newest window. */
    async latest(q: QualityQuery): Promise<Capped<QualityRow>> {
      const source = sliceMetricsQuery(ch.database, {
        models: q.models,
        windowSeconds: q.windowSeconds,
        fromS: q.sinceS,
        slices: { kind: "population" },
      });
      const rows = await ch.rows(
        QualityRowShape,
        sql`
        SELECT model_id, model_version, stage, latest_start AS window_start, ${VALUES}
        FROM (${latestPerGroup(source, "model_id, model_version, stage")})
        ORDER BY latest_start DESC, model_id, model_version, stage
        LIMIT ${q.limit + 1}`,
      );
      return capped(rows, q.limit);
    },

    /**
     * Slices of the models that declared slice keys (PUT /v1/models/:id), each in its newest
     * window: at most `perModel` per model, the busiest first, and `limit` in all.
     */
    async latestSlices(q: QualityQuery & { perModel: number }): Promise<Capped<QualityRow>> {
      const source = sliceMetricsQuery(ch.database, {
        models: q.models,
        windowSeconds: q.windowSeconds,
        fromS: q.sinceS,
        slices: { kind: "all" },
      });
      const rows = await ch.rows(
        QualityRowShape,
        sql`
        SELECT model_id, model_version, stage, slice_key, slice_value, latest_start AS window_start, ${VALUES}
        FROM (${latestPerGroup(source, "model_id, model_version, stage, slice_key, slice_value")})
        WHERE slice_key != '' AND (model_id, slice_key) IN (
          SELECT model_id, arrayJoin(keys) FROM (
            SELECT model_id, argMax(slice_keys, updated_at_ms) AS keys FROM ${t("models")} WHERE ${modelFilter(q.models)} GROUP BY model_id))
        ORDER BY model_id, predictions DESC, model_version, stage, slice_key, slice_value
        LIMIT ${q.perModel} BY model_id
        LIMIT ${q.limit + 1}`,
      );
      return capped(rows, q.limit);
    },

    /** Each model version's newest drift window: how many input features drifted (prediction drift left out). */
    async latestDrift(q: QualityQuery): Promise<Capped<DriftRow>> {
      const rows = await ch.rows(
        DriftRowShape,
        sql`
        SELECT model_id, model_version, toUInt32(window_start) AS ws,
               countIf(NOT startsWith(feature, 'prediction.')) AS features,
               countIf(drifted = 1 AND NOT startsWith(feature, 'prediction.')) AS drifted_features
        FROM ${t("drift_scores")}
        WHERE window_seconds = ${q.windowSeconds} AND window_start >= toDateTime(${q.sinceS}) AND ${modelFilter(q.models)}
        GROUP BY model_id, model_version, ws
        ORDER BY model_id, model_version, ws DESC
        LIMIT 1 BY model_id, model_version
        LIMIT ${q.limit + 1}`,
      );
      return capped(rows, q.limit);
    },

    /** Firing alerts per model and severity (suppressed ones included: they are open too). */
    async openAlerts(q: Omit<QualityQuery, "windowSeconds" | "sinceS">): Promise<Capped<OpenAlertsRow>> {
      const rows = await ch.rows(
        OpenAlertsShape,
        sql`
        SELECT model_id, severity, count() AS open
        FROM ${t("alerts")}
        WHERE state = 'firing' AND ${modelFilter(q.models)}
        GROUP BY model_id, severity
        ORDER BY model_id, severity
        LIMIT ${q.limit + 1}`,
      );
      return capped(rows, q.limit);
    },
  };
}

export type ModelQualityRepository = ReturnType<typeof modelQualityRepository>;
