/**
 * Durable recompute jobs (migration 010): written by the processor, read by `hindsight status`
 * and `GET /v1/jobs`. Finding where a job goes next reads the raw rows in their table's order
 * (model, [version,] event time) and stops at the first row, so no step reads a model's history.
 */
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { int, row, str } from "./row-schema.js";
import { eventSeconds, ident, sql, type Sql, typed } from "./sql.js";

const KINDS = ["metrics", "drift"] as const;
export type JobKind = (typeof KINDS)[number];
/** failed: a step failed deterministically (the reason says why); the job is not retried. */
const STATES = ["running", "done", "superseded", "failed"] as const;
export type JobState = (typeof STATES)[number];

export interface RecomputeJob {
  job_id: string;
  kind: JobKind;
  model_id: string;
  /** '' for a metrics job (the spec is the model's) */
  model_version: string;
  basis: string;
  reason: string;
  /** event-time span to cover, epoch seconds, base-aligned; to_s is inclusive */
  from_s: number;
  to_s: number;
  /** windows before it are done */
  cursor_s: number;
  windows_done: number;
  state: JobState;
  created_at_ms: number;
  updated_at_ms: number;
}

/** How far a job has come, 0–1. */
export function jobProgress(job: Pick<RecomputeJob, "from_s" | "to_s" | "cursor_s" | "state">): number {
  if (job.state !== "running") return 1;
  const span = job.to_s - job.from_s;
  return span <= 0 ? 0 : Math.min(1, Math.max(0, (job.cursor_s - job.from_s) / span));
}

/** At most this many jobs are listed for people (running ones first). */
export const JOBS_LISTED = 100;

const JobRow = row({
  job_id: str,
  kind: z.enum(KINDS),
  model_id: str,
  model_version: str,
  basis: str,
  reason: str,
  from_s: int,
  to_s: int,
  cursor_s: int,
  windows_done: int,
  state: z.enum(STATES),
  created_at_ms: int,
  updated_at_ms: int,
}) satisfies z.ZodType<RecomputeJob>;

const EventTime = row({ s: int });

const COLUMNS = sql`job_id, kind, model_id, model_version, basis, reason, from_s, to_s, cursor_s, windows_done, state, created_at_ms, updated_at_ms`;

export function recomputeJobsRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  /** The raw rows a job reads: predictions for a model's metrics, features for a version's drift. */
  const source = (kind: JobKind, modelId: string, version: string): { table: ReturnType<typeof t>; where: Sql } =>
    kind === "metrics"
      ? { table: t("predictions_by_time"), where: sql`model_id = ${modelId}` }
      : { table: t("features_by_time"), where: sql`model_id = ${modelId} AND model_version = ${version}` };

  return {
    async write(job: RecomputeJob): Promise<void> {
      await ch.insertJsonEachRow(t("recompute_jobs").name, [`${JSON.stringify(job)}\n`]);
    },

    /**
     * A job's next state, stored only while the job itself still is: the condition is checked by
     * ClickHouse in the same statement, so a step that finishes after its model was deleted (which
     * removes the job) does not bring the job back.
     */
    async update(job: RecomputeJob): Promise<void> {
      await ch.command(sql`
        INSERT INTO ${t("recompute_jobs")} (${COLUMNS})
        SELECT ${job.job_id}, ${job.kind}, ${job.model_id}, ${job.model_version}, ${job.basis}, ${job.reason},
          ${typed(job.from_s, "UInt32")}, ${typed(job.to_s, "UInt32")}, ${typed(job.cursor_s, "UInt32")},
          ${typed(job.windows_done, "UInt64")}, ${job.state}, ${typed(job.created_at_ms, "UInt64")}, ${typed(job.updated_at_ms, "UInt64")}
        WHERE EXISTS (SELECT 1 FROM ${t("recompute_jobs")} WHERE job_id = ${job.job_id})`);
    },

    /** The job created last for this model (and version), whatever its state. */
    async latest(kind: JobKind, modelId: string, version: string): Promise<RecomputeJob | undefined> {
      const rows = await ch.rows(
        JobRow,
        sql`
        SELECT ${COLUMNS} FROM ${t("recompute_jobs")} FINAL
        WHERE kind = ${kind} AND model_id = ${modelId} AND model_version = ${version}
        ORDER BY created_at_ms DESC, job_id LIMIT 1`,
      );
      return rows[0];
    },

    async running(): Promise<RecomputeJob[]> {
      return ch.rows(
        JobRow,
        sql`SELECT ${COLUMNS} FROM ${t("recompute_jobs")} FINAL WHERE state = 'running' ORDER BY created_at_ms, job_id LIMIT 1000`,
      );
    },

    /** Running jobs first, then the latest others; `models` limits it to those (a model-limited token). */
    async recent(models?: readonly string[]): Promise<RecomputeJob[]> {
      const scope = models ? sql`WHERE has(${models}, model_id)` : sql``;
      return ch.rows(
        JobRow,
        sql`
        SELECT ${COLUMNS} FROM ${t("recompute_jobs")} FINAL ${scope}
        ORDER BY state = 'running' DESC, updated_at_ms DESC, job_id LIMIT ${JOBS_LISTED}`,
      );
    },

    /** The event time (epoch seconds) of the first raw row at or after `fromS`, null when none is left. */
    async nextEventAt(kind: JobKind, modelId: string, version: string, fromS: number): Promise<number | null> {
      const { table, where } = source(kind, modelId, version);
      const rows = await ch.rows(
        EventTime,
        sql`
        SELECT toUInt32(event_time) AS s FROM ${table} WHERE ${where} AND event_time >= ${eventSeconds(fromS)}
        ORDER BY event_time LIMIT 1`,
      );
      return rows[0]?.s ?? null;
    },

    /** The last raw row's event time, epoch seconds (null for no rows). */
    async lastEventAt(kind: JobKind, modelId: string, version: string): Promise<number | null> {
      const { table, where } = source(kind, modelId, version);
      const rows = await ch.rows(
        EventTime,
        sql`SELECT toUInt32(event_time) AS s FROM ${table} WHERE ${where} ORDER BY event_time DESC LIMIT 1`,
      );
      return rows[0]?.s ?? null;
    },
  };
}

export type RecomputeJobsRepository = ReturnType<typeof recomputeJobsRepository>;
