/**
 * Full recomputations (a model's spec, a version's drift reference or rules changed) as durable
 * jobs instead of one run over every window of a history:
 * - a job covers the event-time span the model had when it was requested, a bounded range of base
 *   windows at a time (skipping ahead to the next stored event, so a sparse history costs what it
 *   holds, not its length), and stores its cursor after each range: a restart resumes there;
 * - ranges are paced (each pause at least four times the last range and the least pause configured),
 *   so a job takes at most a fifth of the time and live traffic keeps its freshness;
 * - the job's identity follows from what it recomputes for, so instances noticing the same change
 *   write the same job, and only one instance (the `owns` predicate) runs them; running a range
 *   twice is harmless, since each range rewrites derived rows from the raw events;
 * - a running job's steps update it only while it is stored: deleting its model deletes the job,
 *   and a step that was under way then does not write it back;
 * - a newer change supersedes the job; windows that fail deterministically are set aside by the
 *   step (runInPieces), and the job moves on.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../common/observability/logger.js";
import type { JobKind, RecomputeJob, RecomputeJobsRepository } from "../common/clickhouse/recompute-jobs.repository.js";
import { StoppedError } from "./pieces.js";
import { classifyStatementError } from "../common/clickhouse/errors.js";

export type JobsRepo = Pick<RecomputeJobsRepository, "write" | "update" | "latest" | "running" | "nextEventAt" | "lastEventAt">;

export interface JobStep {
  /** What the job's model (or version) is computed with now; undefined while unknown here. */
  basis(job: RecomputeJob): Promise<string | undefined>;
  /** Recomputes these base windows (epoch seconds) of the job's model or version. */
  recompute(job: RecomputeJob, windows: number[]): Promise<void>;
}

export interface RecomputeJobsOptions {
  baseSeconds: number;
  /** Base windows per range (default 200). */
  maxWindows?: number;
  /** Least pause between two ranges; each pause also lasts at least four times the last range. */
  minPauseMs?: number;
  /** Whether this instance runs the jobs (one does). */
  owns: () => boolean;
  logger: Logger;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const jobId = (kind: JobKind, modelId: string, version: string, basis: string) =>
  createHash("sha256").update(["job", kind, modelId, version, basis].join("\u0001")).digest("hex").slice(0, 16);

/** The base windows of the next range: from the base window of `nextEventS`, at most `max`, none past `toS`. */
export function nextRange(nextEventS: number, toS: number, baseSeconds: number, max: number): number[] {
  const first = Math.floor(nextEventS / baseSeconds) * baseSeconds;
  const out: number[] = [];
  for (let w = first; w <= toS && out.length < max; w += baseSeconds) out.push(w);
  return out;
}

export class RecomputeJobs {
  /** The basis last requested per kind, model and version: a request that changes nothing costs no query. */
  private readonly requested = new Map<string, string>();
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly repo: JobsRepo,
    private readonly steps: Record<JobKind, JobStep>,
    private readonly options: RecomputeJobsOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Makes sure the model (or version) is, or will be, recomputed for this basis: a job is written
   * unless the latest one is for the same basis. The span is what is stored now; later events
   * are computed live with the new basis already.
   *
   * `adopt` is for a basis met for the first time with no job before it (a new model, the first
   * start after an upgrade): its windows were computed live with it, so it is recorded as done
   * rather than recomputed. A basis that differs from the latest job's always makes a job.
   */
  async request(
    kind: JobKind,
    modelId: string,
    version: string,
    basis: string,
    reason: string,
    mode: "recompute" | "adopt",
  ): Promise<void> {
    const key = `${kind}\u0001${modelId}\u0001${version}`;
    if (this.requested.get(key) === basis) return;
    const latest = await this.repo.latest(kind, modelId, version);
    if (latest?.basis !== basis) {
      const adopted = latest === undefined && mode === "adopt";
      const [first, last] = [await this.repo.nextEventAt(kind, modelId, version, 0), await this.repo.lastEventAt(kind, modelId, version)];
      const base = this.options.baseSeconds;
      const now = this.clock();
      const job: RecomputeJob = {
        job_id: jobId(kind, modelId, version, basis),
        kind,
        model_id: modelId,
        model_version: version,
        basis,
        reason,
        from_s: first === null ? 0 : Math.floor(first / base) * base,
        to_s: last === null ? 0 : Math.floor(last / base) * base,
        cursor_s: first === null ? 0 : Math.floor(first / base) * base,
        windows_done: 0,
        state: first === null || adopted ? "done" : "running",
        created_at_ms: now,
        updated_at_ms: now,
      };
      await this.repo.write(job);
      if (job.state === "running") {
        this.options.logger.info({ kind, model: modelId, version, reason, job: job.job_id }, "recompute job created");
        this.wake?.();
      }
    }
    this.requested.set(key, basis);
  }

  /**
   * One range of the oldest running job; false when there was nothing to do. A job whose basis is
   * no longer current is superseded; one whose basis is not known here yet waits.
   */
  async runOnce(): Promise<boolean> {
    if (!this.options.owns()) return false;
    for (const job of await this.repo.running()) {
      const step = this.steps[job.kind];
      const current = await step.basis(job);
      if (current === undefined) continue;
      const now = () => Math.max(this.clock(), job.updated_at_ms + 1);
      if (current !== job.basis) {
        await this.repo.update({ ...job, state: "superseded", updated_at_ms: now() });
        this.options.logger.info({ job: job.job_id, model: job.model_id }, "recompute job superseded by a newer change");
        return true;
      }
      let windows: number[];
      try {
        const next = await this.repo.nextEventAt(job.kind, job.model_id, job.model_version, job.cursor_s);
        windows = next === null ? [] : nextRange(next, job.to_s, this.options.baseSeconds, this.options.maxWindows ?? 200);
        if (windows.length > 0) await step.recompute(job, windows);
      } catch (err) {
        // An outage is waited out (the loop tries again); a failure that would repeat ends the job, visibly.
        if (err instanceof StoppedError || classifyStatementError(err) !== "deterministic") throw err;
        const message = (err as Error).message.slice(0, 500);
        await this.repo.update({ ...job, state: "failed", reason: `${job.reason}; failed: ${message}`, updated_at_ms: now() });
        this.options.logger.error(
          { job: job.job_id, model: job.model_id, err: message },
          "recompute job failed deterministically; not retried",
        );
        return true;
      }
      const done = windows.length === 0 || windows.at(-1)! >= job.to_s;
      await this.repo.update({
        ...job,
        cursor_s: windows.length === 0 ? Math.max(job.cursor_s, job.to_s) : windows.at(-1)! + this.options.baseSeconds,
        windows_done: job.windows_done + windows.length,
        state: done ? "done" : "running",
        updated_at_ms: now(),
      });
      if (done) this.options.logger.info({ job: job.job_id, model: job.model_id, windows: job.windows_done }, "recompute job done");
      return true;
    }
    return false;
  }

  /** Runs jobs in the background, paced; polls for new ones every `idleMs`. */
  start(idleMs = 2_000): void {
    this.loop = (async () => {
      let lastMs = 0;
      while (!this.stopped) {
        const started = this.clock();
        let worked = false;
        try {
          worked = await this.runOnce();
        } catch (err) {
          if (err instanceof StoppedError || this.stopped) break;
          // An outage or a failing query: the job keeps its cursor and is tried again after a pause.
          this.options.logger.warn({ err: (err as Error).message }, "recompute job step failed; trying again");
        }
        lastMs = this.clock() - started;
        const pause = worked ? Math.max(this.options.minPauseMs ?? 0, 4 * lastMs) : idleMs;
        // A new job wakes an idle loop; a paced pause is never cut short.
        await (worked ? this.sleep(pause) : Promise.race([this.sleep(pause), new Promise<void>((r) => (this.wake = r))]));
        this.wake = undefined;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
