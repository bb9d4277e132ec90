/**
 * The pipeline's own problems (migration 007): pieces of work set aside after a deterministic
 * failure, a stalled or lagging metrics consumer group. Written by the processor, read by the
 * gateway's /readyz, `hindsight status` and the evaluator (which raises Hindsight's own alert).
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

const KINDS = ["set_aside", "stalled", "metrics_lag"] as const;
export type PipelineProblemKind = (typeof KINDS)[number];

export interface PipelineProblem {
  failure_id: string;
  kind: PipelineProblemKind;
  /** volume, label_stats, drift, drift_reference, metrics_consumer */
  step: string;
  model_id: string;
  model_version: string;
  /** epoch seconds of the base window (0 when not about a window) */
  window_start: number;
  error_code: string;
  reason: string;
  first_seen_ms: number;
  updated_ms: number;
  /** 0 while open */
  resolved_ms: number;
}

export interface ProblemGroup {
  kind: PipelineProblemKind;
  /** '' for problems of the whole pipeline (stalled, lag) */
  modelId: string;
  open: number;
  firstSeenMs: number;
  steps: string[];
  /** the latest reason in the group */
  reason: string;
}

/** At most this many open problems are listed (the count is always exact). */
export const PROBLEMS_LISTED = 50;

const ProblemRow = row({
  failure_id: str,
  kind: z.enum(KINDS),
  step: str,
  model_id: str,
  model_version: str,
  window_start: int,
  error_code: str,
  reason: str,
  first_seen_ms: int,
  updated_ms: int,
  resolved_ms: int,
}) satisfies z.ZodType<PipelineProblem>;

const GroupRow = row({ kind: z.enum(KINDS), model_id: str, n: int, first_seen_ms: int, steps: z.array(str), reason: str });

export function pipelineFailuresRepository(ch: ClickHouse) {
  const table = ident(`${ch.database}.pipeline_failures`);
  return {
    async write(rows: PipelineProblem[]): Promise<void> {
      if (rows.length === 0) return;
      await ch.insertJsonEachRow(
        table.name,
        rows.map((r) => `${JSON.stringify(r)}\n`),
      );
    },

    /** Open problems, oldest first (at most PROBLEMS_LISTED), and how many are open in all, by kind. */
    async open(): Promise<{ problems: PipelineProblem[]; counts: Record<PipelineProblemKind, number> }> {
      const problems = await ch.rows(
        ProblemRow,
        sql`
        SELECT failure_id, kind, step, model_id, model_version, toUInt32(window_start) AS window_start, error_code, reason,
               first_seen_ms, updated_ms, resolved_ms
        FROM ${table} FINAL WHERE resolved_ms = 0 ORDER BY first_seen_ms, failure_id LIMIT ${PROBLEMS_LISTED}`,
      );
      const counted = await ch.rows(
        row({ kind: z.enum(KINDS), n: int }),
        sql`SELECT kind, count() AS n FROM ${table} FINAL WHERE resolved_ms = 0 GROUP BY kind`,
      );
      const counts: Record<PipelineProblemKind, number> = { set_aside: 0, stalled: 0, metrics_lag: 0 };
      for (const c of counted) counts[c.kind] = c.n;
      return { problems, counts };
    },

    /** Every open problem of a kind, whole (the processor keeps them to resolve them later). */
    async openOfKind(kind: PipelineProblemKind): Promise<PipelineProblem[]> {
      return ch.rows(
        ProblemRow,
        sql`
        SELECT failure_id, kind, step, model_id, model_version, toUInt32(window_start) AS window_start, error_code, reason,
               first_seen_ms, updated_ms, resolved_ms
        FROM ${table} FINAL WHERE kind = ${kind} AND resolved_ms = 0`,
      );
    },

    /** Open problems grouped by kind and model (one of Hindsight's own alerts per group). */
    async openGroups(): Promise<ProblemGroup[]> {
      const rows = await ch.rows(
        GroupRow,
        sql`
        SELECT kind, model_id, count() AS n, min(first_seen_ms) AS first_seen_ms, arraySort(groupUniqArray(step)) AS steps,
               argMax(reason, updated_ms) AS reason
        FROM ${table} FINAL WHERE resolved_ms = 0 GROUP BY kind, model_id ORDER BY kind, model_id LIMIT 1000`,
      );
      return rows.map((r) => ({
        kind: r.kind,
        modelId: r.model_id,
        open: r.n,
        firstSeenMs: r.first_seen_ms,
        steps: r.steps,
        reason: r.reason,
      }));
    },
  };
}

export type PipelineFailuresRepository = ReturnType<typeof pipelineFailuresRepository>;

/** One line for a person: what is stuck and why. */
export function describeProblem(p: PipelineProblem): string {
  if (p.kind === "set_aside") {
    const where = [p.model_id, p.model_version].filter(Boolean).join(" ");
    const window = p.window_start > 0 ? ` window ${new Date(p.window_start * 1000).toISOString()}` : "";
    return `${p.step} for ${where}${window} set aside: ${p.reason}`;
  }
  return p.reason;
}
