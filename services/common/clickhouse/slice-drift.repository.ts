/**
 * ClickHouse access for drift per slice (migration 019): base windows' summaries per slice on the
 * reference's bins (recomputed from the raw rows, the busiest slices of each key only), and the
 * scores per window, slice and feature. Every recomputation of a base window rewrites all its
 * slices with one computed_at_ms, and readers take each window's latest computation, so a slice that
 * dropped out of the busiest is not read back.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { serialize } from "./batch-writer.js";
import { flag, int, row, str } from "./row-schema.js";
import { mergedSummaries, ROWS_MARKER, SLICE_GROUPS, slicedSource, summarySelect } from "./drift-summary.query.js";
import { binCount, finite, SummaryRow, toSummary, type WindowResult } from "./drift.repository.js";
import { eventSeconds, ident, join, list, raw, sql, type Sql } from "./sql.js";
import type { FeatureProfile } from "../domain/drift/profile.js";
import { emptySummary } from "../domain/drift/summary.js";
import type { SliceDrift, SliceWindow } from "../domain/drift/slice-drift.js";

const SliceSummaryRow = SummaryRow.extend({ slice_key: str, other: int, slice_value: str });

const SliceScoreRow = z.looseObject({ window_start_ms: int, rows: int, other_rows: int, n: int, reference_n: int, drifted: flag });

const SliceListRow = row({
  slice_key: str,
  slice_value: str,
  windows: int,
  rows: int,
  drifted_windows: int,
  drifted_features: z.array(str),
});

export interface SliceQuery {
  modelId: string;
  window: number;
  from?: number | undefined;
  to?: number | undefined;
  model_version?: string | undefined;
  feature?: string | undefined;
  slice?: { key: string; value: string } | undefined;
  flaggedOnly: boolean;
  limit: number;
}

export function sliceDriftRepository(ch: ClickHouse) {
  const db = ch.database;
  const t = (name: string) => ident(`${db}.${name}`);

  /** Each window's latest computation, filtered (the filter applies before the latest is chosen). */
  function latestScores(q: SliceQuery): Sql {
    const where = join(
      [
        sql`model_id = ${q.modelId} AND window_seconds = ${q.window}`,
        ...(q.from === undefined ? [] : [sql`window_start >= toDateTime(${Math.floor(q.from / 1000)})`]),
        ...(q.to === undefined ? [] : [sql`window_start < toDateTime(${Math.ceil(q.to / 1000)})`]),
        ...(q.model_version === undefined ? [] : [sql`model_version = ${q.model_version}`]),
      ],
      " AND ",
    );
    return sql`
      SELECT * FROM ${t("window_slice_drift")} FINAL WHERE ${where}
      QUALIFY computed_at_ms = max(computed_at_ms) OVER (PARTITION BY model_id, model_version, window_seconds, window_start)`;
  }

  return {
    /** Declared slice keys of every stored model ([] for none; a deleted model is absent). */
    async loadSliceKeys(): Promise<Map<string, string[]>> {
      const rows = await ch.rows(
        row({ model_id: str, slice_keys: z.array(str) }),
        sql`SELECT model_id, slice_keys FROM ${t("models")} FINAL`,
      );
      return new Map(rows.map((r) => [r.model_id, r.slice_keys]));
    },

    /** Rewrites the slice summaries of the given base windows (epoch seconds) from the raw rows. */
    async recomputeSummaries(
      modelId: string,
      version: string,
      referenceId: string,
      profiles: FeatureProfile[],
      o: { baseSeconds: number; windows: number[]; sliceKeys: string[]; perKey: number; nowMs: number },
    ): Promise<void> {
      const min = Math.min(...o.windows);
      const max = Math.max(...o.windows) + o.baseSeconds;
      const source = sql`SELECT * FROM ${t("features_by_time")} FINAL
                         WHERE model_id = ${modelId} AND model_version = ${version}
                           AND event_time >= ${eventSeconds(min)} AND event_time < ${eventSeconds(max)}
                           AND intDiv(toUInt32(event_time), ${o.baseSeconds}) * ${o.baseSeconds} IN ${list(o.windows)}
                           AND notEmpty(segment_keys)`;
      const from = slicedSource(source, o.sliceKeys, o.baseSeconds, o.perKey);
      const select = summarySelect(from, profiles, raw("toDateTime(bw)"), SLICE_GROUPS);
      await ch.command(sql`
        INSERT INTO ${t("window_slice_summaries")}
          (model_id, model_version, window_start, slice_key, other, slice_value, feature, reference_id, rows, present, nulls, mismatches, n,
           bins, counts, sums, min, max, unseen_distinct, unseen_top, computed_at_ms)
        SELECT ${modelId}, ${version}, ws, slice_key, other, slice_value, feature, ${referenceId}, rows, present, nulls, mismatches, n,
               tupleElement(m, 1), tupleElement(m, 2), tupleElement(m, 3), if(n = 0, 0, min), if(n = 0, 0, max), unseen_distinct, unseen_top, ${o.nowMs}
        FROM (${select})
        WHERE other = 0 OR feature = ${ROWS_MARKER}`);
    },

    /**
     * The slices of the base windows in [fromS, toS) on the reference's bins (each window's latest
     * computation), merged per window of `o.windowSeconds` (default: each base window). A slice with
     * fewer than `o.minRows` rows in its window, which no feature can decide on, comes with its row
     * count only (its features as if empty): the rows of a week's small slices stay in ClickHouse.
     */
    async readSummaries(
      modelId: string,
      version: string,
      referenceId: string,
      profiles: FeatureProfile[],
      fromS: number,
      toS: number,
      o: { windowSeconds?: number; minRows?: number } = {},
    ): Promise<Map<number, SliceWindow>> {
      const stored = sql`
        SELECT * FROM ${t("window_slice_summaries")} FINAL
        WHERE model_id = ${modelId} AND model_version = ${version} AND reference_id = ${referenceId}
          AND window_start >= toDateTime(${fromS}) AND window_start < toDateTime(${toS})
        QUALIFY computed_at_ms = max(computed_at_ms) OVER (PARTITION BY window_start)`;
      const rows = await ch.rows(
        SliceSummaryRow,
        sql`
        SELECT * FROM (${mergedSummaries(stored, o.windowSeconds ?? 1, SLICE_GROUPS)})
        QUALIFY feature = ${ROWS_MARKER}
             OR max(if(feature = ${ROWS_MARKER}, rows, 0)) OVER (PARTITION BY ws, slice_key, other, slice_value) >= ${o.minRows ?? 0}`,
      );
      const byName = new Map(profiles.map((p) => [p.feature, p]));
      const out = new Map<number, SliceWindow>();
      const slices = new Map<string, { ws: number; key: string; value: string; rows: number; features: ReturnType<typeof toSummary>[] }>();
      for (const r of rows) {
        let w = out.get(r.ws);
        if (!w) out.set(r.ws, (w = { slices: [], otherRows: {} }));
        if (r.other === 1) {
          if (r.feature === ROWS_MARKER) w.otherRows[r.slice_key] = (w.otherRows[r.slice_key] ?? 0) + r.rows;
          continue;
        }
        const k = `${r.ws}\u0000${r.slice_key}\u0000${r.slice_value}`;
        let s = slices.get(k);
        if (!s) slices.set(k, (s = { ws: r.ws, key: r.slice_key, value: r.slice_value, rows: 0, features: [] }));
        if (r.feature === ROWS_MARKER) s.rows = r.rows;
        else if (byName.has(r.feature))
          s.features.push(toSummary(r, binCount(byName.get(r.feature)), byName.get(r.feature)?.kind === "numeric"));
      }
      for (const s of slices.values()) {
        // A reference feature no row of the slice carried is there too, entirely missing.
        for (const p of profiles)
          if (!s.features.some((f) => f.feature === p.feature)) s.features.push(emptySummary(p.feature, binCount(p), p.kind === "numeric"));
        for (const f of s.features) f.rows = s.rows;
        out.get(s.ws)!.slices.push({ key: s.key, value: s.value, rows: s.rows, features: s.features });
      }
      return out;
    },

    /** One insert for all the windows of a run. */
    async writeScores(modelId: string, version: string, referenceId: string, windows: Array<WindowResult<SliceDrift>>, nowMs: number) {
      const rows = windows.flatMap((w) =>
        w.items.flatMap((s) =>
          s.drift.map((d) => ({
            model_id: modelId,
            model_version: version,
            window_start: w.startS,
            window_seconds: w.seconds,
            slice_key: s.key,
            slice_value: s.value,
            feature: d.feature,
            kind: d.kind,
            reference_id: referenceId,
            rows: s.rows,
            other_rows: s.otherRows,
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
            jensen_shannon: finite(d.jensenShannon),
            wasserstein: finite(d.wasserstein),
            chi2: finite(d.chi2),
            unseen_share: finite(d.unseenShare),
            computed_at_ms: nowMs,
          })),
        ),
      );
      if (rows.length > 0) await ch.insertJsonEachRow(t("window_slice_drift").name, await serialize(rows, 500));
    },

    /** One slice's scores (or every slice's), newest window first. */
    async scores(q: SliceQuery): Promise<Array<Record<string, unknown>>> {
      const filter = join(
        [
          raw("1"),
          ...(q.slice === undefined ? [] : [sql`slice_key = ${q.slice.key} AND slice_value = ${q.slice.value}`]),
          ...(q.feature === undefined ? [] : [sql`feature = ${q.feature}`]),
          ...(q.flaggedOnly ? [raw("drifted = 1")] : []),
        ],
        " AND ",
      );
      return ch.rows(
        SliceScoreRow,
        sql`
        SELECT toUInt32(window_start) * 1000 AS window_start_ms, model_version, slice_key, slice_value, feature, kind, method, score, p_value,
               threshold, drifted, decision, reference_id, toUInt64(rows) AS rows, toUInt64(other_rows) AS other_rows, toUInt64(n) AS n,
               toUInt64(reference_n) AS reference_n, psi, ks, jensen_shannon, wasserstein, chi2, unseen_share
        FROM (${latestScores(q)})
        WHERE ${filter}
        ORDER BY window_start DESC, model_version, slice_key, slice_value, feature LIMIT ${q.limit}`,
      );
    },

    /** The slices scored in a time range: windows, rows, and how often and where they drifted; most drifted first. */
    async slices(q: SliceQuery): Promise<Array<z.output<typeof SliceListRow>>> {
      return ch.rows(
        SliceListRow,
        sql`
        SELECT slice_key, slice_value, toUInt64(count()) AS windows, toUInt64(sum(rows)) AS rows,
               toUInt64(countIf(drifted_features_n > 0)) AS drifted_windows,
               arraySort(groupUniqArrayArray(drifted_in)) AS drifted_features
        FROM (
            SELECT window_start, model_version, slice_key, slice_value, any(rows) AS rows,
                   countIf(drifted = 1) AS drifted_features_n, groupArrayIf(feature, drifted = 1) AS drifted_in
            FROM (${latestScores(q)})
            GROUP BY window_start, model_version, slice_key, slice_value
        )
        GROUP BY slice_key, slice_value
        ORDER BY drifted_windows DESC, rows DESC, slice_key, slice_value LIMIT ${q.limit}`,
      );
    },
  };
}

export type SliceDriftRepository = ReturnType<typeof sliceDriftRepository>;
