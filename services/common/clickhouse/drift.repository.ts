/**
 * ClickHouse access for drift and data quality: building a reference's profile from a sample or a
 * time range, reducing base windows to summaries on the reference's bins (recomputed from the raw
 * rows, so replays change nothing; the statements are in drift-summary.query.ts), and storing
 * and reading scores and checks.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { serialize } from "./batch-writer.js";
import { flag, float, int, jsonText, row, str } from "./row-schema.js";
import { carried, mergedSummaries, ROWS_MARKER, summarySelect } from "./drift-summary.query.js";
import { eventSeconds, ident, join, list, raw, sql, type Sql, typed } from "./sql.js";
import {
  MAX_CATEGORIES,
  PERCENTILES,
  featureKind,
  numericEdges,
  type FeatureProfile,
  type RawFeatureStats,
} from "../domain/drift/profile.js";
import { emptySummary, type FeatureSummary } from "../domain/drift/summary.js";
import type { FeatureDrift } from "../domain/drift/feature-drift.js";
import type { QualityCheck } from "../domain/drift/data-quality.js";
import { FeatureRule } from "../../../schemas/models.js";

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

/** A reference being uploaded in parts (reference-uploads route). */
export interface ReferenceUpload {
  upload_id: string;
  model_id: string;
  model_version: string;
  state: "open" | "completed";
  created_at_ms: number;
  updated_at_ms: number;
}

const ReferenceRow = row({
  reference_id: str,
  model_id: str,
  model_version: str,
  source: str,
  from_ms: int,
  to_ms: int,
  rows: int,
  created_at_ms: int,
}) satisfies z.ZodType<ReferenceMeta>;

const UploadRow = row({
  upload_id: str,
  model_id: str,
  model_version: str,
  state: z.enum(["open", "completed"]),
  created_at_ms: int,
  updated_at_ms: int,
}) satisfies z.ZodType<ReferenceUpload>;

const Count = row({ n: int });

/** A source's statistics of one feature; mean and std are NaN (null) for a feature without numbers. */
const FeatureStatsRow = row({
  feature: str,
  present: int,
  nulls: int,
  numbers: int,
  strings: int,
  q: z.array(float),
  min: float,
  max: float,
  mean: float.nullable(),
  std: float.nullable(),
});

/** A window's (or a whole source's) sums of one feature on the profile's bins: (bins, counts, sums). */
export const SummaryRow = row({
  ws: int,
  feature: str,
  rows: int,
  present: int,
  nulls: int,
  mismatches: int,
  n: int,
  m: z.tuple([z.array(int), z.array(int), z.array(float)]),
  min: float,
  max: float,
  unseen_distinct: int,
  unseen_top: z.array(str),
});
export type SummaryRow = z.output<typeof SummaryRow>;

/** A summary row on a profile's bins (bins beyond them, from another reference, are dropped). */
export function toSummary(r: SummaryRow, bins: number, numeric: boolean): FeatureSummary {
  const s = emptySummary(r.feature, bins, numeric);
  s.rows = r.rows;
  s.present = r.present;
  s.nulls = r.nulls;
  s.mismatches = r.mismatches;
  s.n = r.n;
  const [keys, counts, sums] = r.m;
  keys.forEach((k, i) => {
    if (k >= bins) return;
    s.counts[k] = counts[i]!;
    if (numeric) s.sums[k] = sums[i]!;
  });
  if (numeric && s.n > 0) {
    s.min = r.min;
    s.max = r.max;
  }
  s.unseenDistinct = r.unseen_distinct;
  s.unseenTop = r.unseen_top;
  return s;
}

const ProfileRow = row({
  feature: str,
  kind: z.enum(["numeric", "categorical"]),
  rows: int,
  present: int,
  nulls: int,
  mismatches: int,
  n: int,
  counts: z.array(int),
  edges: z.array(float),
  coarse_edges: z.array(float),
  categories: z.array(str),
  sums: z.array(float),
  min: float,
  max: float,
  mean: float,
  std: float,
}).transform(
  ({ kind, edges, coarse_edges, categories, sums, min, max, mean, std, ...base }): FeatureProfile =>
    kind === "numeric" ? { ...base, kind, edges, coarseEdges: coarse_edges, sums, min, max, mean, std } : { ...base, kind, categories },
);

/** Drift scores and quality checks as the API serves them: counts as numbers, flags as booleans, the rest as they come. */
const DriftScoreRow = z.looseObject({ window_start_ms: int, n: int, reference_n: int, drifted: flag });
const QualityCheckRow = z.looseObject({ window_start_ms: int, count: int, violated: flag });

export function driftRepository(ch: ClickHouse) {
  const db = ch.database;
  const t = (name: string) => ident(`${db}.${name}`);

  /** The rows of a reference sample or of a model version's traffic, in the raw layout. */
  function source(modelId: string, version: string, referenceId: string, src: ReferenceSource): Sql {
    if (src.kind === "sample")
      return sql`SELECT *, toDateTime(0) AS event_time FROM ${t("reference_samples")} FINAL WHERE reference_id = ${referenceId}`;
    return sql`SELECT * FROM ${t("features_by_time")} FINAL
               WHERE model_id = ${modelId} AND model_version = ${version}
                 AND event_time >= ${eventSeconds(Math.floor(src.fromMs / 1000))} AND event_time < ${eventSeconds(Math.ceil(src.toMs / 1000))}`;
  }

  return {
    /** The reference a version is compared with: its own, else the model's ('' version). */
    async activeReference(modelId: string, version: string): Promise<ReferenceMeta | undefined> {
      const rows = await ch.rows(
        ReferenceRow,
        sql`
        SELECT reference_id, model_id, model_version, source, from_ms, to_ms, rows, created_at_ms
        FROM ${t("drift_references")} FINAL
        WHERE model_id = ${modelId} AND model_version IN ${list([version, ""])}
        ORDER BY model_version = '' ASC, created_at_ms DESC LIMIT 1`,
      );
      return rows[0];
    },

    async listReferences(modelId: string): Promise<ReferenceMeta[]> {
      return ch.rows(
        ReferenceRow,
        sql`
        SELECT reference_id, model_id, model_version, source, from_ms, to_ms, rows, created_at_ms
        FROM ${t("drift_references")} FINAL WHERE model_id = ${modelId} ORDER BY created_at_ms DESC`,
      );
    },

    /** Time range of a version's first `rows` predictions, once it has that many. */
    async firstRows(modelId: string, version: string, rows: number): Promise<{ fromMs: number; toMs: number } | undefined> {
      const [r] = await ch.rows(
        row({ n: int, first: int, last: int }),
        sql`
        SELECT count() AS n, toUInt32(min(event_time)) AS first, toUInt32(max(event_time)) AS last
        FROM (SELECT event_time FROM ${t("features_by_time")} WHERE model_id = ${modelId} AND model_version = ${version} ORDER BY event_time LIMIT ${rows})`,
      );
      if (!r || r.n < rows) return undefined;
      return { fromMs: r.first * 1000, toMs: (r.last + 1) * 1000 };
    },

    async insertSample(_referenceId: string, rows: object[]): Promise<void> {
      await ch.insertJsonEachRow(t("reference_samples").name, await serialize(rows, 2_000));
    },

    /** Rows stored for a reference (or an upload session) so far. */
    async sampleRows(referenceId: string): Promise<number> {
      const [r] = await ch.rows(Count, sql`SELECT count() AS n FROM ${t("reference_samples")} FINAL WHERE reference_id = ${referenceId}`);
      return r?.n ?? 0;
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
      const [r] = await ch.rows(UploadRow, sql`SELECT * FROM ${t("reference_uploads")} FINAL WHERE upload_id = ${uploadId}`);
      return r;
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
      const total = (await ch.rows(Count, sql`SELECT count() AS n FROM (${from})`))[0]?.n ?? 0;
      if (total === 0) return { rows: 0, profiles: [] };
      const stats = await ch.rows(
        FeatureStatsRow,
        sql`
        SELECT feature, count() AS present, countIf(t = 0) AS nulls, countIf(t = 1) AS numbers, countIf(t IN (2, 3)) AS strings,
               quantilesExactIf(${raw(PERCENTILES.join(", "))})(x, t = 1) AS q, minIf(x, t = 1) AS min, maxIf(x, t = 1) AS max,
               avgIf(x, t = 1) AS mean, stddevPopIf(x, t = 1) AS std
        FROM (${carried(from)}) WHERE t < 254
        GROUP BY feature ORDER BY feature`,
      );
      const raws = stats.map((r) => ({
        stats: {
          feature: r.feature,
          rows: total,
          present: r.present,
          nulls: r.nulls,
          numbers: r.numbers,
          strings: r.strings,
          percentiles: r.q,
          min: r.min,
          max: r.max,
        } satisfies RawFeatureStats,
        mean: r.mean ?? 0,
        std: r.std ?? 0,
      }));
      const categorical = raws.filter((r) => featureKind(r.stats, rules[r.stats.feature]) === "categorical").map((r) => r.stats.feature);
      const categories = new Map<string, string[]>();
      if (categorical.length > 0) {
        const rows = await ch.rows(
          row({ feature: str, s: str }),
          sql`
          SELECT feature, s, count() AS c
          FROM (${carried(from)})
          WHERE t IN (2, 3) AND feature IN ${list(categorical)}
          GROUP BY feature, s ORDER BY feature, c DESC, s LIMIT ${MAX_CATEGORIES} BY feature`,
        );
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
      const sums = await ch.rows(SummaryRow, summarySelect(from, shells, raw("0")));
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
      return ch.rows(ProfileRow, sql`SELECT * FROM ${t("reference_features")} FINAL WHERE reference_id = ${referenceId} ORDER BY feature`);
    },

    async loadRules(): Promise<Map<string, Record<string, FeatureRule>>> {
      const rows = await ch.rows(
        row({ model_id: str, rules: jsonText(z.record(z.string(), FeatureRule)) }),
        sql`SELECT model_id, argMax(rules, updated_at_ms) AS rules FROM ${t("model_rules")} GROUP BY model_id`,
      );
      return new Map(rows.map((r) => [r.model_id, r.rules]));
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
                         AND event_time >= ${eventSeconds(min)} AND event_time < ${eventSeconds(max)}
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
      /** The windows' length: the base windows in range merged per window of it (default: each base window). */
      windowSeconds = 1,
    ): Promise<Map<number, FeatureSummary[]>> {
      const stored = sql`
        SELECT * FROM ${t("window_feature_summaries")} FINAL
        WHERE model_id = ${modelId} AND model_version = ${version} AND reference_id = ${referenceId}
          AND window_start >= toDateTime(${fromS}) AND window_start < toDateTime(${toS})`;
      const rows = await ch.rows(SummaryRow, mergedSummaries(stored, windowSeconds));
      const byName = new Map(profiles.map((p) => [p.feature, p]));
      const byWindow = new Map<number, SummaryRow[]>();
      for (const r of rows) {
        const group = byWindow.get(r.ws);
        if (group) group.push(r);
        else byWindow.set(r.ws, [r]);
      }
      const out = new Map<number, FeatureSummary[]>();
      for (const [w, group] of byWindow) {
        const total = group.find((r) => r.feature === ROWS_MARKER)?.rows ?? 0;
        const summaries = group
          .filter((r) => r.feature !== ROWS_MARKER && (byName.has(r.feature) || r.present > 0))
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
      return ch.rows(
        DriftScoreRow,
        sql`
        SELECT toUInt32(window_start) * 1000 AS window_start_ms, model_version, feature, kind, method, score, p_value, threshold,
               drifted, decision, reference_id, toUInt64(n) AS n, toUInt64(reference_n) AS reference_n, psi, ks, ks_p_value, ks_error_bound, jensen_shannon,
               wasserstein, wasserstein_error_bound, chi2, chi2_p_value, unseen_share
        FROM ${t("drift_scores")}
        WHERE ${windowFilter(q)} ${q.flaggedOnly ? raw("AND drifted = 1") : raw("")}
        ORDER BY window_start DESC, model_version, feature LIMIT ${q.limit}`,
      );
    },

    async qualityChecks(q: WindowQuery): Promise<Array<Record<string, unknown>>> {
      return ch.rows(
        QualityCheckRow,
        sql`
        SELECT toUInt32(window_start) * 1000 AS window_start_ms, model_version, feature, check, value, expected, violated, count, rule, detail
        FROM ${t("data_quality")}
        WHERE ${windowFilter(q)} ${q.flaggedOnly ? raw("AND violated = 1") : raw("")}
        ORDER BY window_start DESC, model_version, feature, check LIMIT ${q.limit}`,
      );
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

export function binCount(p: FeatureProfile | undefined): number {
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

/** JSON has no Infinity or NaN: those are stored as NULL. */
export function finite(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}
