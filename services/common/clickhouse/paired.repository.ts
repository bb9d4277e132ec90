/**
 * Reads the paired statistics of a model (migration 017's window_paired_stats) summed over a time
 * range, one row per pair of variants: counts add up, and the moments of d = |error B| − |error A|
 * merge exactly by Chan's formula (Σ M2ᵢ + Σ nᵢ (meanᵢ − mean)²), computed in the query so that
 * the answer is one row per pair of variants however long the range.
 */
import type { ClickHouse } from "./client.js";
import { float, int, row, str } from "./row-schema.js";
import { ident, join, sql, type Sql, typed } from "./sql.js";

export interface PairedTotals {
  version_a: string;
  stage_a: string;
  version_b: string;
  stage_b: string;
  pairs: number;
  agreeing: number;
  labelled: number;
  both_right: number;
  only_a: number;
  only_b: number;
  both_wrong: number;
  reg_n: number;
  d_sum: number;
  d_m2: number;
  abs_err_a: number;
  abs_err_b: number;
}

const TotalsRow = row({
  version_a: str,
  stage_a: str,
  version_b: str,
  stage_b: str,
  pairs: int,
  agreeing: int,
  labelled: int,
  both_right: int,
  only_a: int,
  only_b: int,
  both_wrong: int,
  reg_n: int,
  d_sum: float,
  d_m2: float,
  abs_err_a: float,
  abs_err_b: float,
});

export interface PairedQuery {
  modelId: string;
  /** Base windows starting in [fromS, toS), epoch seconds. */
  fromS?: number | undefined;
  toS?: number | undefined;
  sliceKey: string;
  sliceValue: string;
}

/** Epoch seconds as DateTime's range holds them (a bound past either end reads as that end), typed so the text never changes. */
const epochS = (s: number) => typed(Math.min(Math.max(0, s), 4_294_967_295), "UInt32");

const rangeWhere = (q: PairedQuery): Sql[] => [
  sql`model_id = ${q.modelId}`,
  sql`slice_key = ${q.sliceKey}`,
  sql`slice_value = ${q.sliceValue}`,
  ...(q.fromS === undefined ? [] : [sql`window_start >= toDateTime(${epochS(q.fromS)})`]),
  ...(q.toS === undefined ? [] : [sql`window_start < toDateTime(${epochS(q.toS)})`]),
];

/** Pure: the statement for `totals`, every value a parameter. */
export function pairedTotalsSql(table: ReturnType<typeof ident>, q: PairedQuery): Sql {
  const where = rangeWhere(q);
  return sql`
    SELECT version_a, stage_a, version_b, stage_b,
           sum(w_pairs) AS pairs, sum(w_agreeing) AS agreeing, sum(w_labelled) AS labelled,
           sum(w_both_right) AS both_right, sum(w_only_a) AS only_a, sum(w_only_b) AS only_b, sum(w_both_wrong) AS both_wrong,
           sum(w_reg_n) AS reg_n, sum(w_d_sum) AS d_sum,
           sum(w_d_m2) + sum(if(w_reg_n = 0, 0, w_reg_n * pow(w_d_sum / w_reg_n - mean_all, 2))) AS d_m2,
           sum(w_abs_err_a) AS abs_err_a, sum(w_abs_err_b) AS abs_err_b
    FROM
    (
        SELECT version_a, stage_a, version_b, stage_b, pairs AS w_pairs, agreeing AS w_agreeing, labelled AS w_labelled,
               both_right AS w_both_right, only_a AS w_only_a, only_b AS w_only_b, both_wrong AS w_both_wrong,
               reg_n AS w_reg_n, d_sum AS w_d_sum, d_m2 AS w_d_m2, abs_err_a AS w_abs_err_a, abs_err_b AS w_abs_err_b,
               if(sum(reg_n) OVER variants = 0, 0, sum(d_sum) OVER variants / sum(reg_n) OVER variants) AS mean_all
        FROM ${table} FINAL
        WHERE ${join(where, " AND ")}
        WINDOW variants AS (PARTITION BY version_a, stage_a, version_b, stage_b)
    )
    GROUP BY version_a, stage_a, version_b, stage_b
    ORDER BY pairs DESC, version_a, stage_a, version_b, stage_b`;
}

/** One pair of variants as stored (A < B by version, then stage), per window of `windowSeconds`. */
export interface PairedWindowsQuery extends PairedQuery {
  versionA: string;
  stageA: string;
  versionB: string;
  stageB: string;
  windowSeconds: number;
  /** Most windows read; one more is asked for, to tell a truncated answer. */
  limit: number;
}

export type PairedWindow = Omit<PairedTotals, "version_a" | "stage_a" | "version_b" | "stage_b"> & { window_start_s: number };

const WindowRow = TotalsRow.omit({ version_a: true, stage_a: true, version_b: true, stage_b: true }).extend({ window_start_s: int });

/**
 * Pure: the statement for `windows`: the stored pair's base windows in the range grouped into
 * windows of `windowSeconds` (UTC-aligned), each with its counts and its moments merged by Chan's
 * formula as in the totals, so that a window's figures are those the totals would give over it.
 * Every value is a parameter (the window size and limit typed, so the text never changes).
 * The alert series (pairedSeriesSql) keeps only the gain of production pairs, hence a statement of its own.
 */
export function pairedWindowsSql(table: ReturnType<typeof ident>, q: PairedWindowsQuery): Sql {
  const w = typed(q.windowSeconds, "UInt32");
  const where = [
    ...rangeWhere(q),
    sql`version_a = ${q.versionA}`,
    sql`stage_a = ${q.stageA}`,
    sql`version_b = ${q.versionB}`,
    sql`stage_b = ${q.stageB}`,
  ];
  return sql`
    SELECT toUInt32(ws) AS window_start_s,
           sum(w_pairs) AS pairs, sum(w_agreeing) AS agreeing, sum(w_labelled) AS labelled,
           sum(w_both_right) AS both_right, sum(w_only_a) AS only_a, sum(w_only_b) AS only_b, sum(w_both_wrong) AS both_wrong,
           sum(w_reg_n) AS reg_n, sum(w_d_sum) AS d_sum,
           sum(w_d_m2) + sum(if(w_reg_n = 0, 0, w_reg_n * pow(w_d_sum / w_reg_n - mean_ws, 2))) AS d_m2,
           sum(w_abs_err_a) AS abs_err_a, sum(w_abs_err_b) AS abs_err_b
    FROM
    (
        SELECT toDateTime(intDiv(toUInt32(window_start), ${w}) * ${w}) AS ws,
               pairs AS w_pairs, agreeing AS w_agreeing, labelled AS w_labelled,
               both_right AS w_both_right, only_a AS w_only_a, only_b AS w_only_b, both_wrong AS w_both_wrong,
               reg_n AS w_reg_n, d_sum AS w_d_sum, d_m2 AS w_d_m2, abs_err_a AS w_abs_err_a, abs_err_b AS w_abs_err_b,
               if(sum(reg_n) OVER windows = 0, 0, sum(d_sum) OVER windows / sum(reg_n) OVER windows) AS mean_ws
        FROM ${table} FINAL
        WHERE ${join(where, " AND ")}
        WINDOW windows AS (PARTITION BY ws)
    )
    GROUP BY ws
    HAVING pairs > 0
    ORDER BY ws
    LIMIT ${typed(q.limit + 1, "UInt32")}`;
}

export function pairedRepository(ch: ClickHouse) {
  const table = ident(`${ch.database}.window_paired_stats`);
  return {
    /** Every pair of variants seen on the same requests in the range and slice, the most paired first. */
    totals(q: PairedQuery): Promise<PairedTotals[]> {
      return ch.rows(TotalsRow, pairedTotalsSql(table, q));
    },
    /** One pair's windows with pairs, in window order; `truncated` when more than `q.limit` matched. */
    async windows(q: PairedWindowsQuery): Promise<{ rows: PairedWindow[]; truncated: boolean }> {
      const read = await ch.rows(WindowRow, pairedWindowsSql(table, q));
      return { rows: read.slice(0, q.limit), truncated: read.length > q.limit };
    },
  };
}

export type PairedRepository = ReturnType<typeof pairedRepository>;

/** What a rule on `paired_accuracy_difference` reads: its target, in windows of `windowSeconds` from `fromS`. */
export interface PairedSeriesQuery {
  modelId?: string | undefined;
  /** The candidate's version and stage (the variant that is not in production). */
  version?: string | undefined;
  stage?: string | undefined;
  windowSeconds: number;
  fromS: number;
  /** Omitted: the whole population; "key": every slice of it; "slice": that one; "all": every slice and the population. */
  slices: { kind: "population" | "all" } | { kind: "key"; key: string } | { kind: "slice"; key: string; value: string };
}

/**
 * The alert series of `paired_accuracy_difference`: per window, slice and pair of a production
 * variant with another variant (the candidate: canary, shadow) on the same requests, accuracy of
 * the candidate − accuracy of production over their labelled pairs, as the candidate's row (its
 * version and stage), with `n` the labelled pairs and `coverage` the labelled share of the pairs.
 * Pairs of two production variants, or of none, have no incumbent and are left out. Pure.
 */
export function pairedSeriesSql(table: ReturnType<typeof ident>, q: PairedSeriesQuery): Sql {
  const w = q.windowSeconds;
  const where = [
    sql`window_start >= toDateTime(${q.fromS})`,
    sql`(stage_a = 'production') != (stage_b = 'production')`,
    ...(q.modelId === undefined ? [] : [sql`model_id = ${q.modelId}`]),
    ...(q.slices.kind === "population" ? [sql`slice_key = ''`] : []),
    ...(q.slices.kind === "key" || q.slices.kind === "slice" ? [sql`slice_key = ${q.slices.key}`] : []),
    ...(q.slices.kind === "slice" ? [sql`slice_value = ${q.slices.value}`] : []),
  ];
  const candidate = [
    ...(q.version === undefined ? [] : [sql`model_version = ${q.version}`]),
    ...(q.stage === undefined ? [] : [sql`stage = ${q.stage}`]),
  ];
  return sql`
    SELECT model_id, model_version, stage, slice_key, slice_value, toUInt64(ws) * 1000 AS window_start_ms,
           if(labelled = 0, NULL, gain / labelled) AS value, labelled AS n, NULL AS successes,
           if(pairs = 0, NULL, labelled / pairs) AS coverage
    FROM
    (
        SELECT model_id, if(stage_a = 'production', version_b, version_a) AS model_version, if(stage_a = 'production', stage_b, stage_a) AS stage,
               slice_key, slice_value, toDateTime(intDiv(toUInt32(window_start), ${w}) * ${w}) AS ws,
               sum(pairs) AS pairs, sum(labelled) AS labelled,
               sum(if(stage_a = 'production', toInt64(only_b) - toInt64(only_a), toInt64(only_a) - toInt64(only_b))) AS gain
        FROM ${table} FINAL
        WHERE ${join(where, " AND ")}
        GROUP BY model_id, model_version, stage, slice_key, slice_value, ws
    )
    ${candidate.length === 0 ? sql`` : sql`WHERE ${join(candidate, " AND ")}`}
    ORDER BY ws`;
}
