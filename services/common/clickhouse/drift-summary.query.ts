/**
 * The statements that reduce raw rows to drift summaries on a reference's bins. Pure: a profile's
 * feature names, edges and categories travel as Array parameters, so the text is the same however
 * many features, bins or categories a reference has (drift-summary.query.test.ts).
 *
 * Values are binned in SQL with a branch-free binary search over each feature's edges, padded to
 * MAX_EDGES slots in one constant array: seven look-ups per value where a scan of 100 edges
 * costs ten times as much.
 */
import { MAX_EDGES, type FeatureProfile } from "../domain/drift/profile.js";
import { CROSS, splitCross } from "../domain/model-spec.js";
import { join, raw, sql, type Sql, typed } from "./sql.js";

/**
 * The pseudo-feature counting a window's rows: the empty name, which no feature can have (every
 * schema refuses an empty key). A NUL character was used before, and a feature named by one NUL
 * was then merged with the marker and lost from drift and quality.
 */
export const ROWS_MARKER = "";
/** A padding edge above every value (finite, so it survives SQL literals). */
const PAD = 1.7e308;
const BINARY_STEPS = [64, 32, 16, 8, 4, 2, 1];

/**
 * Each row expanded into one entry per feature it carries, plus a marker entry (whose count is
 * the rows) and the prediction's outputs as features: t = 255 absent, 254 marker, 0 null,
 * 1 number, 2 string, 3 boolean; x the number, s the string. The parallel arrays are zipped
 * by ARRAY JOIN, never indexed per feature.
 */
const expand = sql`
    ARRAY JOIN
        arrayConcat(feature_keys, [${ROWS_MARKER}, 'prediction.score', 'prediction.value', 'prediction.label']) AS feature,
        arrayConcat(arrayMap(e -> toUInt8(CAST(e AS Int8)), feature_types),
                    [toUInt8(254), if(isNull(pred_score), 255, 1), if(isNull(pred_value), 255, 1), if(isNull(pred_label), 255, 2)]) AS t,
        arrayConcat(feature_numbers, [NULL, pred_score, pred_value, NULL]) AS xn,
        arrayConcat(feature_strings, [NULL, NULL, NULL, pred_label]) AS sn`;
const values = raw("feature, t, ifNull(xn, 0) AS x, ifNull(sn, '') AS s");
/** The features a source's rows actually carry, as (feature, t, x, s). */
export const carried = (from: Sql) => sql`SELECT ${values} FROM (${from}) ${expand}`;

/** The columns a slice's summaries are grouped by, besides the window (slicedSource makes them). */
export type SliceGroupColumn = "slice_key" | "other" | "slice_value";
export const SLICE_GROUPS: readonly SliceGroupColumn[] = ["slice_key", "other", "slice_value"];

/**
 * A source's rows (features_by_time's columns) once per declared slice they fall in: a plain key
 * the row carries, or an intersection "a × b" of two keys it carries both of (value "x × y"). With
 * bw, the base window's start; slice_key; and, per base window and key, slice_value for the
 * `perKey` busiest values (ties by value) and other = 1 with value '' for the rest, so a window's
 * state holds at most perKey + 1 groups per key however many values it sees. The keys travel as
 * Array parameters: the text is the same for any keys and any number of them.
 */
export function slicedSource(source: Sql, sliceKeys: readonly string[], baseSeconds: number, perKey: number): Sql {
  const crosses = sliceKeys.flatMap((k) => {
    const parts = splitCross(k);
    return parts ? [parts] : [];
  });
  const plain = sliceKeys.filter((k) => !splitCross(k));
  const slices = sql`arrayConcat(
        arrayFilter(p -> has(${typed(plain, "Array(String)")}, p.1), arrayMap((k, v) -> (toString(k), toString(v)), segment_keys, segment_values)),
        arrayMap(k -> (concat(k[1], ${CROSS}, k[2]),
                       concat(toString(segment_values[indexOf(segment_keys, k[1])]), ${CROSS}, toString(segment_values[indexOf(segment_keys, k[2])]))),
                 arrayFilter(k -> has(segment_keys, k[1]) AND has(segment_keys, k[2]), ${typed(crosses, "Array(Array(String))")})))`;
  const expanded = sql`
      SELECT intDiv(toUInt32(event_time), ${typed(baseSeconds, "UInt32")}) * ${typed(baseSeconds, "UInt32")} AS bw,
             slice.1 AS slice_key, slice.2 AS raw_value, feature_keys AS fk, feature_types AS ft, feature_numbers AS fn,
             feature_strings AS fs, pred_label AS pl, pred_score AS ps, pred_value AS pv
      FROM (${source}) ARRAY JOIN ${slices} AS slice`;
  // The rest of a key's values only count their rows: their features are not expanded at all.
  return sql`
    SELECT bw, slice_key, other, slice_value,
           if(other = 1, [], fk) AS feature_keys, if(other = 1, [], ft) AS feature_types, if(other = 1, [], fn) AS feature_numbers,
           if(other = 1, [], fs) AS feature_strings, if(other = 1, NULL, pl) AS pred_label, if(other = 1, NULL, ps) AS pred_score,
           if(other = 1, NULL, pv) AS pred_value
    FROM (
        SELECT *, (bw, slice_key, raw_value) IN (
                   SELECT bw, slice_key, raw_value FROM (${expanded})
                   GROUP BY bw, slice_key, raw_value
                   ORDER BY count() DESC, raw_value LIMIT ${typed(perKey, "UInt32")} BY bw, slice_key
               ) AS tracked,
               toUInt8(NOT tracked) AS other, if(tracked, raw_value, '') AS slice_value
        FROM (${expanded})
    )`;
}

/**
 * Stored base-window summaries merged per window of `windowSeconds` in ClickHouse, as mergeInto
 * merges them: counts and sums added bin by bin (sumMap), the first ten unseen values in window
 * order. The reader receives one row per window, group and feature however many base windows the
 * window covers; a drift run over a week of 5-minute windows read every one of them back, and
 * parsing them was most of its time. `source`: rows with window_start, the group columns, feature
 * and the stored summary columns.
 */
export function mergedSummaries(source: Sql, windowSeconds: number, groups: readonly SliceGroupColumn[] = []): Sql {
  const by = raw(groups.map((g) => `${g}, `).join(""));
  const size = typed(windowSeconds, "UInt32");
  // The stored columns renamed, so that an aggregate's alias (sum(n) AS n) is never read inside another.
  return sql`
    SELECT intDiv(toUInt32(bw), ${size}) * ${size} AS ws, ${by}feature,
           sum(b_rows) AS rows, sum(b_present) AS present, sum(b_nulls) AS nulls, sum(b_mismatches) AS mismatches, sum(b_n) AS n,
           sumMap(b_bins, b_counts, b_sums) AS m, minIf(b_min, b_n > 0) AS min, maxIf(b_max, b_n > 0) AS max,
           sum(b_unseen_distinct) AS unseen_distinct,
           arraySlice(arrayDistinct(arrayFlatten(arrayMap(e -> e.2, arraySort(groupArray((bw, b_unseen_top)))))), 1, 10) AS unseen_top
    FROM (
        SELECT window_start AS bw, ${by}feature, rows AS b_rows, present AS b_present, nulls AS b_nulls, mismatches AS b_mismatches,
               n AS b_n, bins AS b_bins, counts AS b_counts, sums AS b_sums, min AS b_min, max AS b_max,
               unseen_distinct AS b_unseen_distinct, unseen_top AS b_unseen_top
        FROM (${source})
    )
    GROUP BY ws, ${by}feature`;
}

/**
 * Sums per group (a base window, or the whole source) and feature, on the profiles' bins.
 * `groups`: further columns of `from` to group by (a slice's key and value), trusted names.
 */
export function summarySelect(from: Sql, profiles: FeatureProfile[], windowStart: Sql, groups: readonly SliceGroupColumn[] = []): Sql {
  const by = raw(groups.map((g) => `${g}, `).join(""));
  const names = profiles.map((p) => p.feature);
  const numericFlags = profiles.map((p) => (p.kind === "numeric" ? 1 : 0));
  const edges: number[] = [];
  const catKeys: string[] = [];
  const catBins: number[] = [];
  profiles.forEach((p, i) => {
    const own = p.kind === "numeric" ? p.edges : [];
    for (let k = 0; k < MAX_EDGES; k++) edges.push(own[k] ?? PAD);
    if (p.kind === "categorical") {
      p.categories.forEach((c, b) => {
        catKeys.push(`${i + 1}:${c}`);
        catBins.push(b + 1);
      });
    }
  });
  // Binary search: b ends as the number of the feature's edges at or below x.
  let b = raw("0");
  const steps: Sql[] = [];
  BINARY_STEPS.forEach((step, i) => {
    const next = raw(`b${i + 1}`);
    steps.push(sql`${b} + ${step} * (x >= E[o + ${b} + ${step}]) AS ${next}`);
    b = next;
  });
  const categoryBin =
    catKeys.length === 0
      ? raw("toUInt16(0)")
      : sql`toUInt16(transform(concat(toString(fi), ':', s), ${catKeys}, ${typed(catBins, "Array(UInt16)")}, 0))`;
  const featureIndex =
    names.length === 0
      ? raw("toUInt32(0)")
      : sql`toUInt32(transform(feature, ${names}, ${typed(
          names.map((_, i) => i + 1),
          "Array(UInt32)",
        )}, 0))`;
  // Two levels: sums per (window, feature, bin) first, then one row per (window, feature) with
  // the bins as arrays. One sumMap over a one-element array per entry was three times slower.
  return sql`
    SELECT ws, ${by}feature,
           sum(b_rows) AS rows, sum(b_present) AS present, sum(b_nulls) AS nulls, sum(b_mismatches) AS mismatches, sum(b_n) AS n,
           arraySort(groupArrayIf((bin, b_n, b_sum), b_n > 0)) AS g,
           (arrayMap(e -> e.1, g), arrayMap(e -> e.2, g), arrayMap(e -> e.3, g)) AS m,
           ifNull(min(b_min), 0) AS min, ifNull(max(b_max), 0) AS max,
           sum(b_unseen_distinct) AS unseen_distinct, anyIf(b_unseen_top, bin = 0) AS unseen_top
    FROM
    (
        SELECT ws, ${by}feature, bin,
               count() AS b_rows, countIf(t != 255) AS b_present, countIf(t = 0) AS b_nulls, countIf(mismatch) AS b_mismatches,
               countIf(valid) AS b_n, sumIf(if(numeric, x, 0.), valid) AS b_sum,
               minIfOrNull(x, valid AND numeric) AS b_min, maxIfOrNull(x, valid AND numeric) AS b_max,
               uniqExactIf(s, valid AND NOT numeric AND bin = 0) AS b_unseen_distinct,
               topKIf(10)(s, valid AND NOT numeric AND bin = 0) AS b_unseen_top
        FROM
        (
            SELECT *, toUInt8(fi > 0 AND if(numeric, t = 1, t IN (2, 3))) AS valid,
                   toUInt8(fi > 0 AND t NOT IN (0, 255) AND NOT valid) AS mismatch,
                   -- Arithmetic, not if(): 26.9 evaluates if() branches lazily on the rows that take
                   -- them, which copies the constant edge array E into every row first (about 8×
                   -- the whole statement's time). Both bins are cheap, so both are computed.
                   toUInt16(numeric * b7 + (1 - numeric) * ${categoryBin}) AS bin
            FROM
            (
                -- The edges as a constant of this SELECT: projected from the subquery below, the
                -- array would be copied into every row (26.9's analyzer materialises it).
                WITH ${edges.length === 0 ? raw("[0.]") : sql`${typed(edges, "Array(Float64)")}`} AS E
                SELECT *, ${join(steps, ",\n                         ")}
                FROM
                (
                    SELECT ${windowStart} AS ws, ${by}${values}, ${featureIndex} AS fi,
                           toUInt8(fi > 0 AND ${typed(numericFlags.length === 0 ? [0] : numericFlags, "Array(UInt8)")}[fi] = 1) AS numeric,
                           (toUInt32(fi) - 1) * ${MAX_EDGES} AS o
                    FROM (${from}) ${expand}
                )
            )
        )
        GROUP BY ws, ${by}feature, bin
    )
    GROUP BY ws, ${by}feature`;
}
