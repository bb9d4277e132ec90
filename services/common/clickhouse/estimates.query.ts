/**
 * The reads behind the label-free estimates (migration 018). Pure: they return SQL whose every
 * value is a typed parameter, so a statement's text does not depend on the model, its ids or the
 * range (estimates.query.test.ts).
 *   - `windowBinsQuery`: per window of one configured size (and version, stage, slice), the score
 *     histogram of every scored prediction and that of the labelled ones, summed from base windows
 *     with the filters pushed into the base-window reads (as sliceMetricsQuery does).
 *   - `calibrationBinsQuery`: per version, the labelled score bins summed over [fromS, toS), the
 *     whole population only: a bounded span (the label horizon), never the version's history.
 */
import { AUC_BINS } from "./window-stats.query.js";
import { baseWhere, type SliceMetricsFilter } from "./slice-metrics.query.js";
import { ident, list, raw, sql, type Sql } from "./sql.js";

export const ESTIMATE_BINS = AUC_BINS;

const KEYS = raw("model_id, model_version, stage, window_start, slice_key, slice_value");

/** What one read sums per window from each table (trusted SQL text: base columns in, sums out). */
interface WindowColumns {
  out: Sql;
  volume: { base: Sql; sums: Sql };
  labels: { base: Sql; sums: Sql };
}

/** Per window of one size: the volume's sums joined with the label statistics', filters pushed into the base reads. */
function windowStateQuery(database: string, f: SliceMetricsFilter & { limit: number }, c: WindowColumns): Sql {
  if (!Number.isInteger(f.windowSeconds) || f.windowSeconds <= 0)
    throw new Error(`window size must be a positive whole number of seconds, got ${f.windowSeconds}`);
  if (f.models !== undefined && f.models.length === 0) throw new Error("refusing an empty list of models");
  const t = (name: string) => ident(`${database}.${name}`);
  const where = baseWhere(f);
  const w = f.windowSeconds;
  const windowStart = sql`toDateTime(intDiv(toUInt32(base_start), ${w}) * ${w}) AS window_start`;
  return sql`
SELECT model_id, model_version, stage, toUInt32(window_start) AS window_start_s, slice_key, slice_value,
       ${c.out}
FROM
(
    SELECT model_id, model_version, stage, ${windowStart}, slice_key, slice_value,
           ${c.volume.sums}
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               ${c.volume.base}
        FROM ${t("window_volume")} FINAL
        ${where}
    )
    GROUP BY ${KEYS}
) AS volume
ANY LEFT JOIN
(
    SELECT model_id, model_version, stage, ${windowStart}, slice_key, slice_value,
           ${c.labels.sums}
    FROM
    (
        SELECT model_id, model_version, stage, window_start AS base_start, slice_key, slice_value,
               ${c.labels.base}
        FROM ${t("window_label_stats")} FINAL
        ${where}
    )
    GROUP BY ${KEYS}
) AS label_stats
USING (${KEYS})
ORDER BY window_start, model_id, model_version, stage, slice_key, slice_value
LIMIT ${f.limit}`;
}

export function windowBinsQuery(database: string, f: SliceMetricsFilter & { limit: number }): Sql {
  return windowStateQuery(database, f, {
    out: raw("predictions, score_bins, score_counts, labeled, labeled_bins, labeled_positives, labeled_negatives"),
    volume: {
      base: raw("predictions AS v_predictions, score_bins AS v_bins, score_counts AS v_counts"),
      sums: raw("sum(v_predictions) AS predictions, sumMap(v_bins, v_counts) AS vm, vm.1 AS score_bins, vm.2 AS score_counts"),
    },
    labels: {
      base: raw("labeled AS s_labeled, auc_bins AS s_bins, auc_pos AS s_pos, auc_neg AS s_neg"),
      sums: raw(
        "sum(s_labeled) AS labeled,\n           sumMap(s_bins, s_pos, s_neg) AS am, am.1 AS labeled_bins, am.2 AS labeled_positives, am.3 AS labeled_negatives",
      ),
    },
  });
}

const EXP = ["exp_n", "exp_abs_sum", "exp_sq_sum", "exp_var_sum", "exp_sq2_sum"];
/** Base columns renamed `b<prefix>c`, summed as `<prefix>c` (an alias may not shadow the column it sums). */
const renamed = (prefix: string, columns: string[]) => columns.map((c) => `${c} AS b${prefix}${c}`).join(", ");
const sums = (prefix: string, columns: string[]) => columns.map((c) => `sum(b${prefix}${c}) AS ${prefix}${c}`).join(", ");

/**
 * Per window of one size (regression models, migration 020): the predictions and the sums of
 * their stamped expectations (v_exp_*), the labelled rows' count and realised Σ|e|, Σe² and the sums
 * of their stamps (l_exp_*); the difference of the two sums is the unlabelled stamped rows.
 */
export function windowErrorsQuery(database: string, f: SliceMetricsFilter & { limit: number }): Sql {
  const labelled = ["reg_n", "abs_err_sum", "sq_err_sum", ...EXP];
  const volume = ["predictions", ...EXP];
  return windowStateQuery(database, f, {
    out: raw([...volume.map((c) => `v_${c}`), ...labelled.map((c) => `l_${c}`)].join(", ")),
    volume: { base: raw(renamed("v_", volume)), sums: raw(sums("v_", volume)) },
    labels: { base: raw(renamed("l_", labelled)), sums: raw(sums("l_", labelled)) },
  });
}

export function calibrationBinsQuery(database: string, modelId: string, versions: readonly string[], fromS: number, toS: number): Sql {
  if (versions.length === 0) throw new Error("refusing an empty list of versions");
  return sql`
SELECT model_version, sum(labeled) AS labelled_rows,
       sumMap(auc_bins, auc_pos, auc_neg) AS am, am.1 AS bins, am.2 AS positives, am.3 AS negatives
FROM ${ident(`${database}.window_label_stats`)} FINAL
PREWHERE model_id = ${modelId} AND model_version IN ${list(versions)} AND slice_key = ''
         AND window_start >= toDateTime(${fromS}) AND window_start < toDateTime(${toS})
GROUP BY model_version`;
}
