/**
 * Base windows waiting to be recomputed (migration 015). Marks and clears both carry ClickHouse's
 * clock, so instances with different clocks agree on which came last.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, list, sql } from "./sql.js";

export const DIRTY_KINDS = ["volume", "labels", "drift"] as const;
export type DirtyKind = (typeof DIRTY_KINDS)[number];
/**
 * Drift windows of a version with too few predictions for its automatic reference: kept aside,
 * neither pending nor taken, until the reference exists and releases them (`release`).
 */
export const AWAITING_REFERENCE = "drift_awaiting_reference";

export interface DirtyWindow {
  kind: DirtyKind;
  model_id: string;
  /** the version for drift; '' for a model's quality metrics */
  model_version: string;
  /** epoch seconds, base-aligned */
  window_start: number;
  /** Rows the marking batch stored in the window (window_rows sums them); 1 when left out. */
  rows?: number;
}

const WindowRow = row({ kind: z.enum(DIRTY_KINDS), model_id: str, model_version: str, window_start: int }) satisfies z.ZodType<DirtyWindow>;
const Now = row({ ms: int });
const Count = row({ n: int });
const Progress = row({ pending: int, last_cleared: int });
const WindowRows = row({ window_start: int, rows: int });

/** Each window once (kind, model, version and start), in first-seen order, with the rows of all its entries. */
export function distinctWindows(windows: readonly DirtyWindow[]): DirtyWindow[] {
  const byKey = new Map<string, DirtyWindow>();
  for (const w of windows) {
    const k = `${w.kind}\u0000${w.model_id}\u0000${w.model_version}\u0000${w.window_start}`;
    const seen = byKey.get(k);
    if (seen) seen.rows! += w.rows ?? 1;
    else byKey.set(k, { ...w, rows: w.rows ?? 1 });
  }
  return [...byKey.values()];
}

/**
 * One JSONEachRow line; `marked_at` omitted takes ClickHouse's `now64(3)`. Only a mark carries
 * rows (window_rows sums them); a clear or a release counts none.
 */
function line(w: Omit<DirtyWindow, "kind"> & { kind: string }, dirty: 0 | 1, markedAtMs?: number, rows = 0): string {
  const record = {
    kind: w.kind,
    model_id: w.model_id,
    model_version: w.model_version,
    window_start: w.window_start,
    dirty,
    rows,
    ...(markedAtMs === undefined ? {} : { marked_at: markedAtMs / 1000 }),
  };
  return `${JSON.stringify(record)}\n`;
}

/** Chunks of the lines, so that no single string grows with a backfill's thousands of windows. */
function chunks(lines: string[], size = 5_000): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += size) out.push(lines.slice(i, i + size).join(""));
  return out;
}

export function dirtyWindowsRepository(ch: ClickHouse) {
  const table = ident(`${ch.database}.dirty_windows`);
  return {
    async mark(windows: readonly DirtyWindow[]): Promise<void> {
      if (windows.length === 0) return;
      await ch.insertJsonEachRow(table.name, chunks(windows.map((w) => line(w, 1, undefined, w.rows ?? 1))));
    },

    /**
     * Rows marked per base window of a kind, model and version in [fromS, toS] (windows never
     * marked are absent): what a statement over that range would read, to size it. At most one
     * row per base window of the range, which the caller bounds.
     */
    async rowsIn(kind: DirtyKind, modelId: string, version: string, fromS: number, toS: number): Promise<Map<number, number>> {
      const rows = await ch.rows(
        WindowRows,
        sql`SELECT toUInt32(window_start) AS window_start, sum(rows) AS rows FROM ${ident(`${ch.database}.window_rows`)}
            WHERE kind = ${kind} AND model_id = ${modelId} AND model_version = ${version}
              AND window_start >= toDateTime(${fromS}) AND window_start <= toDateTime(${toS})
            GROUP BY window_start`,
      );
      return new Map(rows.map((r) => [r.window_start, r.rows]));
    },

    /** ClickHouse's clock, epoch ms: a recomputation notes it before it reads. */
    async now(): Promise<number> {
      const [r] = await ch.rows(Now, sql`SELECT toUnixTimestamp64Milli(now64(3)) AS ms`);
      return r!.ms;
    },

    /** Clears windows a recomputation that began at `startedAtMs` has read; later marks win. */
    async clear(windows: readonly DirtyWindow[], startedAtMs: number): Promise<void> {
      if (windows.length === 0) return;
      await ch.insertJsonEachRow(table.name, chunks(windows.map((w) => line(w, 0, startedAtMs - 1))));
    },

    /**
     * Up to `perKind` pending windows of each of these kinds from one end of time: the newest (live
     * traffic), or the oldest after leaving each kind's newest `skipNewest` to the workers that take
     * those. The oldest come from one model (and version) per kind, the one whose pending window is
     * the oldest: a backlog spread over several versions then goes in a few full statements rather
     * than many small ones, each of which costs ClickHouse about as much as a full one.
     */
    async pending(perKind: number, end: "newest" | "oldest", kinds: readonly DirtyKind[], skipNewest = 0): Promise<DirtyWindow[]> {
      const columns = sql`kind, model_id, model_version, toUInt32(window_start) AS window_start`;
      // `kind IN` leads the sorting key, so a worker reads only its kinds' rows.
      const source = sql`SELECT ${columns} FROM ${table} FINAL WHERE kind IN ${list(kinds, "String")} AND dirty = 1`;
      if (end === "newest")
        return ch.rows(WindowRow, sql`${source} ORDER BY window_start DESC, model_id, model_version LIMIT ${perKind} BY kind`);
      return ch.rows(
        WindowRow,
        sql`
        WITH beyond AS (${source} ORDER BY window_start DESC, model_id, model_version LIMIT ${skipNewest}, 18446744073709551615 BY kind)
        SELECT * FROM beyond
        WHERE (kind, model_id, model_version) IN (
            SELECT kind, argMin((model_id, model_version), (window_start, model_id, model_version)).1,
                   argMin((model_id, model_version), (window_start, model_id, model_version)).2
            FROM beyond GROUP BY kind)
        ORDER BY window_start LIMIT ${perKind} BY kind`,
      );
    },

    /** Drift windows of a version without a reference yet, set aside until it has one (at most its predictions). */
    async awaitReference(modelId: string, version: string, windows: readonly number[]): Promise<void> {
      if (windows.length === 0) return;
      const lines = windows.map((w) => line({ kind: AWAITING_REFERENCE, model_id: modelId, model_version: version, window_start: w }, 1));
      await ch.insertJsonEachRow(table.name, chunks(lines));
    },

    /** The version has its reference: its windows set aside become pending drift windows. Returns how many. */
    async releaseAwaiting(modelId: string, version: string): Promise<number> {
      const rows = await ch.rows(
        row({ window_start: int }),
        sql`SELECT toUInt32(window_start) AS window_start FROM ${table} FINAL
            WHERE kind = ${AWAITING_REFERENCE} AND model_id = ${modelId} AND model_version = ${version} AND dirty = 1`,
      );
      if (rows.length === 0) return 0;
      const of = (kind: string, dirty: 0 | 1) =>
        chunks(rows.map((r) => line({ kind, model_id: modelId, model_version: version, window_start: r.window_start }, dirty)));
      // Marked before released: a crash in between leaves them both marked and aside, never lost.
      await ch.insertJsonEachRow(table.name, of("drift", 1));
      await ch.insertJsonEachRow(table.name, of(AWAITING_REFERENCE, 0));
      return rows.length;
    },

    /** Windows still waiting (for `hindsight status`, /metrics, and tests that wait for the pipeline). */
    async pendingCount(): Promise<number> {
      const [r] = await ch.rows(
        Count,
        sql`SELECT count() AS n FROM ${table} FINAL WHERE dirty = 1 AND kind IN ${list(DIRTY_KINDS, "String")}`,
      );
      return r?.n ?? 0;
    },

    /** Drift windows set aside until their version has a reference (`hindsight status`). */
    async awaitingCount(): Promise<number> {
      const [r] = await ch.rows(Count, sql`SELECT count() AS n FROM ${table} FINAL WHERE dirty = 1 AND kind = ${AWAITING_REFERENCE}`);
      return r?.n ?? 0;
    },

    /** Windows waiting, and when one was last cleared (epoch ms, ClickHouse's clock; 0 if never): the self-watch's input. */
    async progress(): Promise<{ pending: number; lastCleared: number }> {
      const [r] = await ch.rows(
        Progress,
        sql`SELECT countIf(dirty = 1) AS pending, toUnixTimestamp64Milli(maxIf(marked_at, dirty = 0)) AS last_cleared
            FROM ${table} FINAL WHERE kind IN ${list(DIRTY_KINDS, "String")}`,
      );
      return { pending: r?.pending ?? 0, lastCleared: r?.last_cleared ?? 0 };
    },
  };
}

export type DirtyWindowsRepository = ReturnType<typeof dirtyWindowsRepository>;
