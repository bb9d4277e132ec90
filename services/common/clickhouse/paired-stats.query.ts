/**
 * The statement that rebuilds base windows' paired statistics (migration 017's window_paired_stats)
 * from the requests' predictions and their joined labels. Pure: every value is a typed parameter
 * (the windows one Array), so its text is the same whatever the model or the number of windows.
 *
 * Per request, each variant (model_version, stage) counts once: its earliest prediction in the rows
 * read. Two variants of a request pair when they are within the pair slack of each other
 * (domain/paired-windows.ts); the pair belongs to the window of the earlier one and is oriented
 * A < B by (version, stage). Its slices are A's segments. A pair is labelled when both predictions
 * are (each with its own joined label: a request's label reaches both).
 */
import type { ModelSpec } from "../domain/model-spec.js";
import { pairSlackSeconds } from "../domain/paired-windows.js";
import { eventSeconds, type Identifier, list, raw, sql, type Sql } from "./sql.js";
import { sliceExpansion } from "./window-stats.query.js";

/**
 * Per prediction, from its columns and its joined label (NULL when unlabelled): the predicted class
 * `pc` ('' when none, or for regression), `cls` (a labelled classification), `ok` (it was right),
 * `reg` (a labelled regression) and `err` (label − prediction). The same reading of the scores as
 * the label statistics (window-stats.query.ts): a binary prediction is positive when its score
 * reaches the threshold, else when its label is the positive class.
 */
function variantTerms(spec: ModelSpec): Sql {
  if (spec.task === "binary") {
    return sql`
        toString(toUInt8(if(pred_score IS NOT NULL, ifNull(pred_score, 0) >= ${spec.threshold}, ifNull(pred_label, '') = ${spec.positiveClass}))) AS pc,
        toUInt8(label IS NOT NULL) AS cls,
        toUInt8(cls AND toString(toUInt8(ifNull(label, '') = ${spec.positiveClass})) = pc) AS ok,
        toUInt8(0) AS reg, 0. AS err`;
  }
  if (spec.task === "multiclass") {
    return sql`
        if(pred_label IS NOT NULL, ifNull(pred_label, ''),
           if(length(pred_class_scores) = 0, '', pred_class_keys[indexOf(pred_class_scores, arrayReduce('max', pred_class_scores))])) AS pc,
        toUInt8(label IS NOT NULL AND pc != '') AS cls,
        toUInt8(cls AND ifNull(label, '') = pc) AS ok,
        toUInt8(0) AS reg, 0. AS err`;
  }
  return raw(`
        '' AS pc, toUInt8(0) AS cls, toUInt8(0) AS ok,
        toUInt8(value IS NOT NULL AND pred_value IS NOT NULL) AS reg,
        if(reg = 1, ifNull(value, 0) - ifNull(pred_value, 0), 0) AS err`);
}

/** The event times a recomputation of these windows reads: earlier by the slack too, so that a variant's duplicate just before them is seen. */
export function pairedRange(modelId: string, baseSeconds: number, windows: number[]): Sql {
  const slack = pairSlackSeconds(baseSeconds);
  const from = Math.min(...windows) - slack;
  const to = Math.max(...windows) + baseSeconds + slack;
  return sql`model_id = ${modelId} AND event_time >= ${eventSeconds(from)} AND event_time < ${eventSeconds(to)}`;
}

export function pairedStatsSql(
  sources: { predictions: Identifier; labeled: Identifier },
  target: Identifier,
  spec: ModelSpec,
  baseSeconds: number,
  windows: number[],
  nowMs: number,
): Sql {
  const slack = pairSlackSeconds(baseSeconds);
  const inRange = pairedRange(spec.modelId, baseSeconds, windows);
  const slices = sliceExpansion(spec);
  return sql`
    INSERT INTO ${target}
      (model_id, window_start, version_a, stage_a, version_b, stage_b, slice_key, slice_value, pairs, agreeing, labelled,
       both_right, only_a, only_b, both_wrong, reg_n, d_sum, d_m2, abs_err_a, abs_err_b, computed_at_ms)
    WITH variants AS
    (
        SELECT request_id, model_version, stage, event_time, segment_keys, segment_values,
               pred_label, pred_score, pred_class_keys, pred_class_scores, pred_value, label, value
        FROM
        (
            SELECT p.request_id AS request_id, p.prediction_id AS prediction_id, p.model_version AS model_version, p.stage AS stage,
                   p.event_time AS event_time, p.segment_keys AS segment_keys, p.segment_values AS segment_values,
                   p.pred_label AS pred_label, p.pred_score AS pred_score, p.pred_class_keys AS pred_class_keys,
                   p.pred_class_scores AS pred_class_scores, p.pred_value AS pred_value, l.label AS label, l.value AS value
            FROM (SELECT * FROM ${sources.predictions} FINAL WHERE ${inRange}) AS p
            -- Only the labels of requests' predictions: a model without request ids reads next to nothing.
            LEFT JOIN
            (
                SELECT prediction_id, label, value FROM ${sources.labeled} FINAL
                WHERE ${inRange} AND prediction_id IN (SELECT prediction_id FROM ${sources.predictions} WHERE ${inRange})
            ) AS l
            ON p.prediction_id = l.prediction_id
        )
        ORDER BY request_id, model_version, stage, event_time, prediction_id
        LIMIT 1 BY request_id, model_version, stage
    ),
    terms AS
    (
        SELECT request_id, model_version, stage, event_time, segment_keys, segment_values, ${variantTerms(spec)}
        FROM variants
    )
    SELECT ${spec.modelId}, ws, version_a, stage_a, version_b, stage_b, slice.1 AS sk, slice.2 AS sv,
           count(), sum(agree), sum(lab),
           sum(lab * ok_a * ok_b), sum(lab * ok_a * (1 - ok_b)), sum(lab * (1 - ok_a) * ok_b), sum(lab * (1 - ok_a) * (1 - ok_b)),
           sum(both_reg), sum(d), if(sum(both_reg) = 0, 0, varPopStableIf(d, both_reg = 1) * sum(both_reg)),
           sum(ae_a), sum(ae_b), ${nowMs}
    FROM
    (
        SELECT toDateTime(intDiv(toUInt32(least(a.event_time, b.event_time)), ${baseSeconds}) * ${baseSeconds}) AS ws,
               a.model_version AS version_a, a.stage AS stage_a, b.model_version AS version_b, b.stage AS stage_b,
               a.segment_keys AS segment_keys, a.segment_values AS segment_values,
               toUInt8(a.pc != '' AND a.pc = b.pc) AS agree,
               toUInt8(a.cls = 1 AND b.cls = 1) AS lab, a.ok AS ok_a, b.ok AS ok_b,
               toUInt8(a.reg = 1 AND b.reg = 1) AS both_reg,
               if(both_reg = 1, abs(b.err) - abs(a.err), 0) AS d,
               if(both_reg = 1, abs(a.err), 0) AS ae_a,
               if(both_reg = 1, abs(b.err), 0) AS ae_b
        FROM terms AS a
        INNER JOIN terms AS b ON a.request_id = b.request_id
        WHERE (a.model_version, a.stage) < (b.model_version, b.stage)
          AND abs(toUnixTimestamp64Milli(a.event_time) - toUnixTimestamp64Milli(b.event_time)) <= ${slack * 1000}
          AND toUInt32(ws) IN ${list(windows)}
    )
    ${slices.arrayJoin}
    WHERE ${slices.where}
    GROUP BY ws, version_a, stage_a, version_b, stage_b, sk, sv`;
}
