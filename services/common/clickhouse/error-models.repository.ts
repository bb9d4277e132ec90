/**
 * Regression error models (migration 020): the latest fit of each version, the versions that have
 * enough labelled rows to fit one, and a version's fitting sample. Every read is bounded: by the
 * number of versions, by the label horizon, or by the sample's size, never by a model's history.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import { ident, list, listSlices, sql } from "./sql.js";
import type { SampleRow } from "../domain/estimation/version-error-model.js";

export interface StoredErrorModelHead {
  model_id: string;
  model_version: string;
  fitted_at_ms: number;
  rows: number;
}

const Head = row({ model_id: str, model_version: str, latest_ms: int, rows: int }).transform(({ latest_ms, ...r }) => ({
  ...r,
  fitted_at_ms: latest_ms,
}));
const Json = row({ model_id: str, model_version: str, latest_ms: int, model: str }).transform(({ latest_ms, ...r }) => ({
  ...r,
  fitted_at_ms: latest_ms,
}));
const Summary = row({ model_version: str, fitted_at_ms: int, rows: int, kurtosis: float, mean_abs: float, mean_sq: float });
const Labelled = row({ model_id: str, model_version: str, labelled: int });
const SampleIds = row({ prediction_id: str, pred_value: float, value: float });
const Features = row({
  prediction_id: str,
  feature_keys: z.array(str),
  feature_types: z.array(z.enum(["null", "number", "string", "boolean"])),
  feature_numbers: z.array(float.nullable()),
  feature_strings: z.array(str.nullable()),
});

const LOOKUP_SLICE = 5_000;

export function errorModelsRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  return {
    /** The latest fit of every version: which, when, on how many rows (not the trees). */
    async heads(): Promise<StoredErrorModelHead[]> {
      return ch.rows(
        Head,
        sql`SELECT model_id, model_version, max(fitted_at_ms) AS latest_ms, argMax(rows, fitted_at_ms) AS rows
            FROM ${t("error_models")} GROUP BY model_id, model_version`,
      );
    },

    /** The stored JSON of these versions' latest fits. */
    async load(keys: readonly { model_id: string; model_version: string }[]) {
      if (keys.length === 0) return [];
      const wanted = new Set(keys.map((k) => JSON.stringify([k.model_id, k.model_version])));
      const found = await ch.rows(
        Json,
        sql`SELECT model_id, model_version, max(fitted_at_ms) AS latest_ms, argMax(model, fitted_at_ms) AS model
            FROM ${t("error_models")}
            WHERE model_id IN ${list([...new Set(keys.map((k) => k.model_id))])}
              AND model_version IN ${list([...new Set(keys.map((k) => k.model_version))])}
            GROUP BY model_id, model_version`,
      );
      return found.filter((r) => wanted.has(JSON.stringify([r.model_id, r.model_version])));
    },

    /** What the estimate needs of a model's versions' latest fits: the kurtosis and the sample's mean |e| and e². */
    async summaries(modelId: string) {
      return ch.rows(
        Summary,
        sql`SELECT model_version, latest_ms AS fitted_at_ms, rows,
                   JSONExtractFloat(latest, 'model', 'kurtosis') AS kurtosis,
                   JSONExtractFloat(latest, 'model', 'abs', 'base') AS mean_abs,
                   JSONExtractFloat(latest, 'model', 'sq', 'base') AS mean_sq
            FROM
            (
                SELECT model_version, max(fitted_at_ms) AS latest_ms, argMax(rows, fitted_at_ms) AS rows,
                       argMax(model, fitted_at_ms) AS latest
                FROM ${t("error_models")} WHERE model_id = ${modelId}
                GROUP BY model_version
            )`,
      );
    },

    /** The model's JSON goes in the insert's body (a query parameter would be too long for it). */
    async save(modelId: string, version: string, fittedAtMs: number, rows: number, json: string): Promise<void> {
      const record = { model_id: modelId, model_version: version, fitted_at_ms: fittedAtMs, rows, model: json };
      await ch.insertJsonEachRow(t("error_models").name, [`${JSON.stringify(record)}\n`]);
    },

    /** Labelled regression rows per version of these models in base windows of [fromS, toS) (whole population). */
    async labelledCounts(models: readonly string[], fromS: number, toS: number) {
      if (models.length === 0) return [];
      return ch.rows(
        Labelled,
        sql`SELECT model_id, model_version, sum(reg_n) AS labelled
            FROM ${t("window_label_stats")} FINAL
            PREWHERE model_id IN ${list(models)} AND slice_key = ''
                     AND window_start >= toDateTime(${fromS}) AND window_start < toDateTime(${toS})
            GROUP BY model_id, model_version`,
      );
    },

    /**
     * The version's latest `limit` labelled rows with a true and a predicted value since `fromMs`,
     * with their features (read by prediction id through the raw table's primary index).
     */
    async sample(modelId: string, version: string, fromMs: number, limit: number): Promise<SampleRow[]> {
      const labelled = await ch.rows(
        SampleIds,
        sql`SELECT prediction_id, assumeNotNull(pred_value) AS pred_value, assumeNotNull(value) AS value
            FROM ${t("labeled_predictions")} FINAL
            WHERE model_id = ${modelId} AND model_version = ${version} AND event_time >= fromUnixTimestamp64Milli(${fromMs})
              AND value IS NOT NULL AND pred_value IS NOT NULL
            ORDER BY event_time DESC, prediction_id
            LIMIT ${limit}`,
      );
      const features = new Map<string, z.output<typeof Features>>();
      for (const ids of listSlices(
        labelled.map((r) => r.prediction_id),
        LOOKUP_SLICE,
      )) {
        const found = await ch.rows(
          Features,
          sql`SELECT prediction_id, feature_keys, feature_types, feature_numbers, feature_strings
              FROM ${t("predictions")} FINAL
              WHERE model_id = ${modelId} AND prediction_id IN ${list(ids)}`,
        );
        for (const f of found) features.set(f.prediction_id, f);
      }
      return labelled.flatMap((r) => {
        const f = features.get(r.prediction_id);
        return f ? [{ ...f, pred_value: r.pred_value, value: r.value }] : [];
      });
    },
  };
}

export type ErrorModelsRepository = ReturnType<typeof errorModelsRepository>;
