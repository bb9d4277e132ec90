/**
 * ClickHouse access for drift and data quality: building a reference's profile from a sample or a
 * time range, reducing base windows to summaries on the reference's bins (recomputed from the raw
 * rows, so replays change nothing), and storing and reading scores and checks.
 *
 * Values are binned in SQL with a branch-free binary search over each feature's edges, padded to
 * MAX_EDGES slots in one constant array: seven look-ups per value where a scan of 100 edges
 * costs ten times as much on 18.16.
 */
import type { ClickHouse } from "./client.js";
import { serialize } from "./batch-writer.js";
import { ident, join, list, raw, sql, typed, type Sql } from "./sql.js";
import {
  MAX_CATEGORIES,
  MAX_EDGES,
  PERCENTILES,
  featureKind,
  numericEdges,
  type FeatureProfile,
  type RawFeatureStats,
} from "../domain/drift/profile.js";
import { emptySummary, type FeatureSummary } from "../domain/drift/summary.js";
import type { FeatureDrift } from "../domain/drift/feature-drift.js";
import type { QualityCheck } from "../domain/drift/data-quality.js";
import type { FeatureRule } from "../../../schemas/models.js";

export type ReferenceSource = { kind: "range"; fromMs: number; toMs: number } | { kind: "sample" };

export interface ReferenceMeta {
  reference_id: string;
  model_id: string;
  model_version: string;
  source: string;
  from_ms: number;
  to_ms: number;
  rows: number;
  created_at_ms: number;
}

/**
 * The pseudo-feature counting a window's rows: the empty name, which no feature can have (every
 * schema refuses an empty key). A NUL character was used before, and a feature named by one NUL
 * was then merged with the marker and lost from drift and quality.
 */
export const ROWS_MARKER = "";
/** A padding edge above every value (finite, so it survives SQL literals). */
const PAD = 1.7e308;
const BINARY_STEPS = [64, 32, 16, 8, 4, 2, 1];

/** A reference being uploaded in parts (reference-uploads route). */
export interface ReferenceUpload {
  upload_id: string;
  model_id: string;
  model_version: string;
  state: "open" | "completed";
  created_at_ms: number;
  updated_at_ms: number;
}

export function driftRepository(ch: ClickHouse) {
  const db = ch.database;
  const t = (name: string) => ident(`${db}.${name}`);

  /** The rows of a reference sample or of a model version's traffic, in the raw layout. */
  function source(modelId: string, version: string, referenceId: string, src: ReferenceSource): Sql {
    if (src.kind === "sample")
      return sql`SELECT *, toDateTime(0) AS event_time FROM ${t("reference_samples")} FINAL WHERE reference_id = ${referenceId}`;
    return sql`SELECT * FROM ${t("features_by_time")} FINAL
               WHERE model_id = ${modelId} AND model_version = ${version}
                 AND event_time >= toDateTime(${Math.floor(src.fromMs / 1000)}) AND event_time < toDateTime(${Math.ceil(src.toMs / 1000)})`;
  }

  /**
   * Each row expanded into one entry per feature it carries, plus a marker entry (whose count is
   * the rows) and the prediction's outputs as features: t = 255 absent, 254 marker, 0 null,
   * 1 number, 2 string, 3 boolean; x the number, s the string. The parallel arrays are zipped,
   * never indexed: that is several times cheaper on 18.16 than looking features up, and 18.16
   * crashes reading an element of an empty Array(Nullable) after an ARRAY JOIN.
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
  const carried = (from: Sql) => sql`SELECT ${values} FROM (${from}) ${expand}`;

  /**
   * Sums per group (a base window, or the whole source) and feature, on the profiles' bins.
   */
  function summarySelect(from: Sql, profiles: FeatureProfile[], windowStart: Sql): Sql {
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
      catKeys.length === 0 ? raw("toUInt16(0)") : sql`toUInt16(transform(concat(toString(fi), ':', s), ${catKeys}, ${catBins}, 0))`;
    const featureIndex =
      names.length === 0 ? raw("toUInt32(0)") : sql`toUInt32(transform(feature, ${names}, ${names.map((_, i) => i + 1)}, 0))`;
    // Two levels: sums per (window, feature, bin) first, then one row per (window, feature) with
    // the bins as arrays. One sumMap over a one-element array per entry was three times slower.
    return sql`
      SELECT ws, feature,
             sum(b_rows) AS rows, sum(b_present) AS present, sum(b_nulls) AS nulls, sum(b_mismatches) AS mismatches, sum(b_n) AS n,
             arraySort(groupArrayIf((bin, b_n, b_sum), b_n > 0)) AS g,
             (arrayMap(e -> e.1, g), arrayMap(e -> e.2, g), arrayMap(e -> e.3, g)) AS m,
             ifNull(min(b_min), 0) AS min, ifNull(max(b_max), 0) AS max,
             sum(b_unseen_distinct) AS unseen_distinct, anyIf(b_unseen_top, bin = 0) AS unseen_top
      FROM
      (
          SELECT ws, feature, bin,
                 count() AS b_rows, countIf(t != 255) AS b_present, countIf(t = 0) AS b_nulls, countIf(mismatch) AS b_mismatches,
                 countIf(valid) AS b_n, sumIf(if(numeric, x, 0.), valid) AS b_sum,
                 minIfOrNull(x, valid AND numeric) AS b_min, maxIfOrNull(x, valid AND numeric) AS b_max,
                 uniqExactIf(s, valid AND NOT numeric AND bin = 0) AS b_unseen_distinct,
                 topKIf(10)(s, valid AND NOT numeric AND bin = 0) AS b_unseen_top
          FROM
          (
              SELECT *, toUInt8(fi > 0 AND if(numeric, t = 1, t IN (2, 3))) AS valid,
                     toUInt8(fi > 0 AND t NOT IN (0, 255) AND NOT valid) AS mismatch,
                     if(numeric, toUInt16(b7), ${categoryBin}) AS bin
              FROM
              (
                  -- The edges as a constant of this SELECT: projected from the subquery below, the
                  -- array would be copied into every row (26.9's analyzer materialises it).
                  WITH ${edges.length === 0 ? raw("[0.]") : sql`${edges}`} AS E
                  SELECT *, ${join(steps, ",\n                         ")}
                  FROM
                  (
                      SELECT ${windowStart} AS ws, ${values}, ${featureIndex} AS fi,
                             toUInt8(fi > 0 AND ${numericFlags.length === 0 ? raw("0") : sql`${numericFlags}`}[fi] = 1) AS numeric,
                             (toUInt32(fi) - 1) * ${MAX_EDGES} AS o
                      FROM (${from}) ${expand}
                  )
              )
          )
          GROUP BY ws, feature, bin
      )
      GROUP BY ws, feature`;
  }

  interface SummaryRow {
    ws: string;
    feature: string;
    rows: string;
    present: string;
    nulls: string;
    mismatches: string;
    n: string;
    m: [number[], string[], number[]];
    min: number;
    max: number;
    unseen_distinct: string;
    unseen_top: string[];
  }

  function toSummary(r: SummaryRow, bins: number, numeric: boolean): FeatureSummary {
    const s = emptySummary(r.feature, bins, numeric);
    s.rows = Number(r.rows);
    s.present = Number(r.present);
    s.nulls = Number(r.nulls);
    s.mismatches = Number(r.mismatches);
    s.n = Number(r.n);
    const [keys, counts, sums] = r.m;
    keys.forEach((k, i) => {
      if (k >= bins) return;
      s.counts[k] = Number(counts[i]);
      if (numeric) s.sums[k] = sums[i]!;
    });
    if (numeric && s.n > 0) {
      s.min = r.min;
      s.max = r.max;
    }
    s.unseenDistinct = Number(r.unseen_distinct);
    s.unseenTop = r.unseen_top;
    return s;
  }

  return {
    /** The reference a version is compared with: its own, else the model's ('' version). */
    async activeReference(modelId: string, version: string): Promise<ReferenceMeta | undefined> {
      const rows = await ch.rows<ReferenceMeta>(sql`
        SELECT reference_id, model_id, model_version, source, from_ms, to_ms, rows, created_at_ms
        FROM ${t("drift_references")} FINAL
        WHERE model_id = ${modelId} AND model_version IN ${list([version, ""])}
        ORDER BY model_version = '' ASC, created_at_ms DESC LIMIT 1`);
      const r = rows[0];
      return (
        r && { ...r, from_ms: Number(r.from_ms), to_ms: Number(r.to_ms), rows: Number(r.rows), created_at_ms: Number(r.created_at_ms) }
      );
    },

    async listReferences(modelId: string): Promise<ReferenceMeta[]> {
      const rows = await ch.rows<ReferenceMeta>(sql`
        SELECT reference_id, model_id, model_version, source, from_ms, to_ms, rows, created_at_ms
        FROM ${t("drift_references")} FINAL WHERE model_id = ${modelId} ORDER BY created_at_ms DESC`);
      return rows.map((r) => ({
        ...r,
        from_ms: Number(r.from_ms),
        to_ms: Number(r.to_ms),
        rows: Number(r.rows),
        created_at_ms: Number(r.created_at_ms),
      }));
    },

    /** Time range of a version's first `rows` predictions, once it has that many. */
    async firstRows(modelId: string, version: string, rows: number): Promise<{ fromMs: number; toMs: number } | undefined> {
      const r = await ch.rows<{ n: string; first: string; last: string }>(sql`
        SELECT count() AS n, toUInt32(min(event_time)) AS first, toUInt32(max(event_time)) AS last
        FROM (SELECT event_time FROM ${t("features_by_time")} WHERE model_id = ${modelId} AND model_version = ${version} ORDER BY event_time LIMIT ${rows})`);
      const row = r[0];
      if (!row || Number(row.n) < rows) return undefined;
      return { fromMs: Number(row.first) * 1000, toMs: (Number(row.last) + 1) * 1000 };
    },

    async insertSample(_referenceId: string, rows: object[]): Promise<void> {
      await ch.insertJsonEachRow(t("reference_samples").name, await serialize(rows, 2_000));
    },

    /** Rows stored for a reference (or an upload session) so far. */
    async sampleRows(referenceId: string): Promise<number> {
      const [r] = await ch.rows<{ n: string }>(
        sql`SELECT count() AS n FROM ${t("reference_samples")} FINAL WHERE reference_id = ${referenceId}`,
      );
      return Number(r?.n ?? 0);
    },

    /** Removes the rows of a reference whose row numbers fall in [from, to): one part of an upload. */
    async deleteSampleRange(referenceId: string, from: number, to: number): Promise<void> {
      await ch.command(
        sql`DELETE FROM ${t("reference_samples")} WHERE reference_id = ${referenceId} AND row_number >= ${typed(from, "UInt64")} AND row_number < ${typed(to, "UInt64")}`,
      );
    },

    async saveUpload(u: ReferenceUpload): Promise<void> {
      await ch.insertJsonEachRow(t("reference_uploads").name, [JSON.stringify(u)]);
    },

    async upload(uploadId: string): Promise<ReferenceUpload | undefined> {
      const [r] = await ch.rows<Record<string, unknown>>(sql`SELECT * FROM ${t("reference_uploads")} FINAL WHERE upload_id = ${uploadId}`);
      return r
        ? { ...(r as unknown as ReferenceUpload), created_at_ms: Number(r.created_at_ms), updated_at_ms: Number(r.updated_at_ms) }
        : undefined;
    },

    /** Profiles every feature of the source: kinds, bins, and the source's own counts on them. */
    async buildProfiles(
      modelId: string,
      version: string,
      referenceId: string,
      src: ReferenceSource,
      rules: Record<string, FeatureRule>,
    ): Promise<{ rows: number; profiles: FeatureProfile[] }> {
      const from = source(modelId, version, referenceId, src);
      const total = Number((await ch.rows<{ n: string }>(sql`SELECT count() AS n FROM (${from})`))[0]?.n ?? 0);
      if (total === 0) return { rows: 0, profiles: [] };
      const stats = await ch.rows<{
        feature: string;
        present: string;
        nulls: string;
        numbers: string;
        strings: string;
        q: number[];
        min: number;
        max: number;
        mean: number;
        std: number;
      }>(sql`
        SELECT feature, count() AS present, countIf(t = 0) AS nulls, countIf(t = 1) AS numbers, countIf(t IN (2, 3)) AS strings,
               quantilesExactIf(${raw(PERCENTILES.join(", "))})(x, t = 1) AS q, minIf(x, t = 1) AS min, maxIf(x, t = 1) AS max,
               avgIf(x, t = 1) AS mean, stddevPopIf(x, t = 1) AS std
        FROM (${carried(from)}) WHERE t < 254
        GROUP BY feature ORDER BY feature`);
      const raws = stats.map((r) => ({
        stats: {
          feature: r.feature,
          rows: total,
          present: Number(r.present),
          nulls: Number(r.nulls),
          numbers: Number(r.numbers),
          strings: Number(r.strings),
          percentiles: r.q,
          min: r.min,
          max: r.max,
        } satisfies RawFeatureStats,
        mean: Number(r.mean),
        std: Number(r.std),
      }));
      const categorical = raws.filter((r) => featureKind(r.stats, rules[r.stats.feature]) === "categorical").map((r) => r.stats.feature);
      const categories = new Map<string, string[]>();
      if (categorical.length > 0) {
        const rows = await ch.rows<{ feature: string; s: string }>(sql`
          SELECT feature, s, count() AS c
          FROM (${carried(from)})
          WHERE t IN (2, 3) AND feature IN ${list(categorical)}
          GROUP BY feature, s ORDER BY feature, c DESC, s LIMIT ${MAX_CATEGORIES} BY feature`);
        for (const r of rows) categories.set(r.feature, [...(categories.get(r.feature) ?? []), r.s]);
      }
      const shells: FeatureProfile[] = raws.map(({ stats: s, mean, std }) => {
        const base = { feature: s.feature, rows: total, present: s.present, nulls: s.nulls, mismatches: 0, n: 0 };
        if (featureKind(s, rules[s.feature]) === "numeric") {
          const { edges, coarseEdges } = numericEdges(s, rules[s.feature]);
          return { ...base, kind: "numeric", edges, coarseEdges, counts: [], sums: [], min: s.min, max: s.max, mean, std };
        }
        return { ...base, kind: "categorical", categories: categories.get(s.feature) ?? [], counts: [] };
      });
      // The source's own counts on those bins, computed exactly as a window's are.
      const sums = await ch.rows<SummaryRow>(summarySelect(from, shells, raw("toDateTime(0)")));
      const byFeature = new Map(sums.map((r) => [r.feature, r]));
      const profiles = shells.map((p) => {
        const bins = p.kind === "numeric" ? p.edges.length + 1 : p.categories.length + 1;
        const row = byFeature.get(p.feature);
        const s = row ? toSummary(row, bins, p.kind === "numeric") : emptySummary(p.feature, bins, p.kind === "numeric");
        return p.kind === "numeric"
          ? { ...p, n: s.n, mismatches: s.mismatches, counts: s.counts, sums: s.sums }
          : { ...p, n: s.n, mismatches: s.mismatches, counts: s.counts };
      });
      return { rows: total, profiles };
    },

    async saveReference(meta: ReferenceMeta, profiles: FeatureProfile[]): Promise<void> {
      if (profiles.length > 0) {
        const rows = profiles.map((p) => ({
          reference_id: meta.reference_id,
          feature: p.feature,
          kind: p.kind,
          rows: p.rows,
          present: p.present,
          nulls: p.nulls,
          mismatches: p.mismatches,
          n: p.n,
          edges: p.kind === "numeric" ? p.edges : [],
          coarse_edges: p.kind === "numeric" ? p.coarseEdges : [],
          categories: p.kind === "categorical" ? p.categories : [],
          counts: p.counts,
          sums: p.kind === "numeric" ? p.sums : [],
          min: p.kind === "numeric" ? p.min : 0,
          max: p.kind === "numeric" ? p.max : 0,
          mean: p.kind === "numeric" ? p.mean : 0,
          std: p.kind === "numeric" ? p.std : 0,
        }));
        await ch.insertJsonEachRow(t("reference_features").name, await serialize(rows, 200));
      }
      // Written last: a reference is only visible once its profiles are stored.
      await ch.insertJsonEachRow(t("drift_references").name, await serialize([meta], 1));
    },

    async loadProfiles(referenceId: string): Promise<FeatureProfile[]> {
      const rows = await ch.rows<Record<string, unknown>>(
        sql`SELECT * FROM ${t("reference_features")} FINAL WHERE reference_id = ${referenceId} ORDER BY feature`,
      );
      return rows.map((r) => {
        const base = {
          feature: String(r.feature),
          rows: Number(r.rows),
          present: Number(r.present),
          nulls: Number(r.nulls),
          mismatches: Number(r.mismatches),
          n: Number(r.n),
          counts: (r.counts as string[]).map(Number),
        };
        if (r.kind === "numeric") {
          return {
            ...base,
            kind: "numeric" as const,
            edges: r.edges as number[],
            coarseEdges: r.coarse_edges as number[],
            sums: r.sums as number[],
            min: Number(r.min),
            max: Number(r.max),
            mean: Number(r.mean),
            std: Number(r.std),
          };
        }
        return { ...base, kind: "categorical" as const, categories: r.categories as string[] };
      });
    },

    async loadRules(): Promise<Map<string, Record<string, FeatureRule>>> {
      const rows = await ch.rows<{ model_id: string; rules: string }>(
        sql`SELECT model_id, argMax(rules, updated_at_ms) AS rules FROM ${t("model_rules")} GROUP BY model_id`,
      );
      return new Map(rows.map((r) => [r.model_id, JSON.parse(r.rules) as Record<string, FeatureRule>]));
    },

    async saveRules(modelId: string, rules: Record<string, FeatureRule>, nowMs: number): Promise<void> {
      await ch.command(
        sql`INSERT INTO ${t("model_rules")} (model_id, rules, updated_at_ms) VALUES (${modelId}, ${JSON.stringify(rules)}, ${nowMs})`,
      );
    },

    /** Rewrites the summaries of the given base windows (epoch seconds) from the raw rows. */
    async recomputeSummaries(
      modelId: string,
      version: string,
      referenceId: string,
      profiles: FeatureProfile[],
      baseSeconds: number,
      windows: number[],
      nowMs: number,
    ): Promise<void> {
      const min = Math.min(...windows);
      const max = Math.max(...windows) + baseSeconds;
      const from = sql`SELECT * FROM ${t("features_by_time")} FINAL
                       WHERE model_id = ${modelId} AND model_version = ${version}
                         AND event_time >= toDateTime(${min}) AND event_time < toDateTime(${max})
                         AND intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds} IN ${list(windows)}`;
      const select = summarySelect(from, profiles, sql`toDateTime(intDiv(toUInt32(event_time), ${baseSeconds}) * ${baseSeconds})`);
      await ch.command(sql`
        INSERT INTO ${t("window_feature_summaries")}
          (model_id, model_version, window_start, feature, reference_id, rows, present, nulls, mismatches, n, bins, counts, sums, min, max, unseen_distinct, unseen_top, computed_at_ms)
        SELECT ${modelId}, ${version}, ws, feature, ${referenceId}, rows, present, nulls, mismatches, n,
               tupleElement(m, 1), tupleElement(m, 2), tupleElement(m, 3), if(n = 0, 0, min), if(n = 0, 0, max), unseen_distinct, unseen_top, ${nowMs}
        FROM (${select})`);
    },

    /** Summaries of the base windows in [fromS, toS), on the given reference's bins, by window. */
    async readSummaries(
      modelId: string,
      version: string,
      referenceId: string,
      profiles: FeatureProfile[],
      fromS: number,
      toS: number,
    ): Promise<Map<number, FeatureSummary[]>> {
      const rows = await ch.rows<SummaryRow>(sql`
        SELECT toUInt32(window_start) AS ws, feature, rows, present, nulls, mismatches, n, (bins, counts, sums) AS m, min, max, unseen_distinct, unseen_top
        FROM ${t("window_feature_summaries")} FINAL
        WHERE model_id = ${modelId} AND model_version = ${version} AND reference_id = ${referenceId}
          AND window_start >= toDateTime(${fromS}) AND window_start < toDateTime(${toS})`);
      const byName = new Map(profiles.map((p) => [p.feature, p]));
      const byWindow = new Map<number, SummaryRow[]>();
      for (const r of rows) byWindow.set(Number(r.ws), [...(byWindow.get(Number(r.ws)) ?? []), r]);
      const out = new Map<number, FeatureSummary[]>();
      for (const [w, group] of byWindow) {
        const total = Number(group.find((r) => r.feature === ROWS_MARKER)?.rows ?? 0);
        const summaries = group
          .filter((r) => r.feature !== ROWS_MARKER && (byName.has(r.feature) || Number(r.present) > 0))
          .map((r) => toSummary(r, binCount(byName.get(r.feature)), byName.get(r.feature)?.kind === "numeric"));
        // A reference feature no row of the window carried is still there, entirely missing.
        for (const p of profiles)
          if (!summaries.some((s) => s.feature === p.feature)) summaries.push(emptySummary(p.feature, binCount(p), p.kind === "numeric"));
        for (const s of summaries) s.rows = total;
        out.set(w, summaries);
      }
      return out;
    },

    /** Scores for the API, newest window first. */
    async driftScores(q: WindowQuery): Promise<Array<Record<string, unknown>>> {
      return ch
        .rows<Record<string, unknown>>(sql`
        SELECT toUInt32(window_start) * 1000 AS window_start_ms, model_version, feature, kind, method, score, p_value, threshold,
               drifted, decision, reference_id, toUInt64(n) AS n, toUInt64(reference_n) AS reference_n, psi, ks, ks_p_value, ks_error_bound, jensen_shannon,
               wasserstein, wasserstein_error_bound, chi2, chi2_p_value, unseen_share
        FROM ${t("drift_scores")}
        WHERE ${windowFilter(q)} ${q.flaggedOnly ? raw("AND drifted = 1") : raw("")}
        ORDER BY window_start DESC, model_version, feature LIMIT ${q.limit}`)
        .then(numbers("n", "reference_n", "drifted"));
    },

    async qualityChecks(q: WindowQuery): Promise<Array<Record<string, unknown>>> {
      return ch
        .rows<Record<string, unknown>>(sql`
        SELECT toUInt32(window_start) * 1000 AS window_start_ms, model_version, feature, check, value, expected, violated, count, rule, detail
        FROM ${t("data_quality")}
        WHERE ${windowFilter(q)} ${q.flaggedOnly ? raw("AND violated = 1") : raw("")}
        ORDER BY window_start DESC, model_version, feature, check LIMIT ${q.limit}`)
        .then(numbers("count", "violated"));
    },

    /** One insert for all the windows of a run: per-window inserts were the slow part. */
    async writeDrift(
      modelId: string,
      version: string,
      referenceId: string,
      windows: Array<WindowResult<FeatureDrift>>,
      nowMs: number,
    ): Promise<void> {
      const rows = windows.flatMap((w) =>
        w.items.map((d) => ({
          model_id: modelId,
          model_version: version,
          window_start: w.startS,
          window_seconds: w.seconds,
          feature: d.feature,
          kind: d.kind,
          reference_id: referenceId,
          n: d.n,
          reference_n: d.referenceN,
          method: d.method,
          score: finite(d.score),
          p_value: finite(d.pValue),
          threshold: d.threshold,
          drifted: d.drifted ? 1 : 0,
          decision: d.decision,
          psi: finite(d.psi),
          ks: finite(d.ks),
          ks_p_value: finite(d.ksPValue),
          ks_error_bound: finite(d.ksErrorBound),
          jensen_shannon: finite(d.jensenShannon),
          wasserstein: finite(d.wasserstein),
          wasserstein_error_bound: finite(d.wassersteinErrorBound),
          chi2: finite(d.chi2),
          chi2_p_value: finite(d.chi2PValue),
          unseen_share: finite(d.unseenShare),
          computed_at_ms: nowMs,
        })),
      );
      if (rows.length > 0) await ch.insertJsonEachRow(t("window_drift").name, await serialize(rows, 500));
    },

    async writeQuality(modelId: string, version: string, windows: Array<WindowResult<QualityCheck>>, nowMs: number): Promise<void> {
      const rows = windows.flatMap((w) =>
        w.items.map((c) => ({
          model_id: modelId,
          model_version: version,
          window_start: w.startS,
          window_seconds: w.seconds,
          feature: c.feature,
          check: c.check,
          value: finite(c.value) ?? 0,
          expected: finite(c.expected) ?? 0,
          violated: c.violated ? 1 : 0,
          count: c.count,
          rule: c.rule,
          detail: c.detail,
          computed_at_ms: nowMs,
        })),
      );
      if (rows.length > 0) await ch.insertJsonEachRow(t("window_quality").name, await serialize(rows, 500));
    },
  };
}

export type DriftRepository = ReturnType<typeof driftRepository>;

function binCount(p: FeatureProfile | undefined): number {
  if (!p) return 0;
  return p.kind === "numeric" ? p.edges.length + 1 : p.categories.length + 1;
}

export interface WindowResult<T> {
  startS: number;
  seconds: number;
  items: T[];
}

export interface WindowQuery {
  modelId: string;
  window: number;
  from?: number | undefined;
  to?: number | undefined;
  model_version?: string | undefined;
  feature?: string | undefined;
  flaggedOnly: boolean;
  limit: number;
}

function windowFilter(q: WindowQuery): Sql {
  return join(
    [
      sql`model_id = ${q.modelId} AND window_seconds = ${q.window}`,
      ...(q.from === undefined ? [] : [sql`window_start >= toDateTime(${Math.floor(q.from / 1000)})`]),
      ...(q.to === undefined ? [] : [sql`window_start < toDateTime(${Math.ceil(q.to / 1000)})`]),
      ...(q.model_version === undefined ? [] : [sql`model_version = ${q.model_version}`]),
      ...(q.feature === undefined ? [] : [sql`feature = ${q.feature}`]),
    ],
    " AND ",
  );
}

/** UInt64 and UInt8 columns arrive as strings or numbers; the API answers numbers (and booleans). */
function numbers(...columns: string[]) {
  return (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => {
      const out: Record<string, unknown> = { ...r, window_start_ms: Number(r.window_start_ms) };
      for (const c of columns) out[c] = c === "drifted" || c === "violated" ? Number(r[c]) === 1 : Number(r[c]);
      return out;
    });
}

/** JSON has no Infinity or NaN: those are stored as NULL. */
function finite(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}
