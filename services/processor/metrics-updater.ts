/**
 * After a batch of predictions or labels is durable, joins it with the other side (looked up in
 * ClickHouse in one batched query per model) and returns the base windows it touched, which the
 * processor marks dirty. It commits the batch's offsets only when the joined rows and the marks are stored, so a
 * crash or a replay redoes exactly this work; the window workers (window-worker.ts) recompute the
 * marked windows through `recomputeWindows`, and because each recomputation rewrites derived rows
 * from the raw events, redoing it changes nothing.
 *
 * A spec that changed (declared, refined, or found changed after a restart) asks for a durable job
 * over the model's stored windows (recompute-jobs.ts) instead of recomputing its history in one run.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../common/observability/logger.js";
import type { MetricsRepository } from "../common/clickhouse/metrics.repository.js";
import { retryingClickHouse } from "./retrying.js";
import { runInPieces } from "./pieces.js";
import { NO_SINK, type SetAsideSink } from "./pipeline-watch.js";
import { joinAll } from "../common/domain/label-join.js";
import { baseWindowStart, inferModelSpec, refineInferredSpec, sameSpec, type ModelSpec } from "../common/domain/model-spec.js";
import type { LabelRow, PredictionRow } from "../common/domain/event-rows.js";
import { distinctWindows, type DirtyWindow } from "../common/clickhouse/dirty-windows.repository.js";
import { windowCellSeconds } from "../common/clickhouse/window-stats.query.js";
import { pairWindows } from "../common/domain/paired-windows.js";

export interface MetricsUpdaterOptions {
  horizonMs: number;
  windowSizes: number[];
  logger: Logger;
  onBeyondHorizon?: (n: number) => void;
  /**
   * Stamps predictions with their expected error (error-models.ts) before they are joined: only
   * those whose label came first, since a label coming later joins the stored, stamped prediction.
   */
  stampJoining?: (rows: PredictionRow[]) => Promise<void>;
  /** How often declared model specifications are re-read. */
  specRefreshMs?: number;
  /** The most base windows one recompute statement covers (default 200). */
  maxWindowsPerStatement?: number;
  /** Where windows that fail deterministically even alone are set aside (and cleared). */
  failures?: SetAsideSink;
  onRetry?: () => void;
  onSplit?: () => void;
  /** Asks for every stored window of the model to be recomputed for this basis (a durable job; see RecomputeJobs.request). */
  requestJob?: (modelId: string, basis: string, reason: string, mode: "recompute" | "adopt") => Promise<void>;
}

/** What a model's metrics are computed with: a spec's content, so every instance names it alike. */
export function specBasis(spec: ModelSpec): string {
  const content = JSON.stringify([spec.task, spec.positiveClass, spec.threshold, spec.sliceKeys]);
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}

/** Volume and label statistics are marked and recomputed apart, so a label's metrics never wait for a scan of a busy window's predictions. */
type Kind = "volume" | "labels";

export class MetricsUpdater {
  private specs = new Map<string, ModelSpec>();
  private specsReadAt = 0;
  private stopped = false;
  readonly baseSeconds: number;
  /** Volume and label statistics are marked and recomputed by cell (migrations 023 and 024), a few seconds of rows each. */
  readonly cellSeconds: number;

  constructor(
    private readonly repo: MetricsRepository,
    private readonly options: MetricsUpdaterOptions,
  ) {
    this.baseSeconds = Math.min(...options.windowSizes);
    this.cellSeconds = windowCellSeconds(this.baseSeconds);
  }

  /** Cells in a base window: the most marks of one kind a window can hold. */
  get cellsPerWindow(): number {
    return this.baseSeconds / this.cellSeconds;
  }

  async start(): Promise<void> {
    await this.repo.writeWindowSizes(this.options.windowSizes);
    this.specs = await this.repo.loadModelSpecs();
    this.specsReadAt = Date.now();
    // A change saved but not yet recomputed when the last instance stopped is found here.
    for (const spec of this.specs.values()) await this.requestJob(spec, "model specification changed", "adopt");
  }

  stop(): void {
    this.stopped = true;
  }

  /** Joins the predictions with their stored labels; returns the distinct windows touched. */
  async afterPredictions(rows: PredictionRow[]): Promise<DirtyWindow[]> {
    if (rows.length === 0) return [];
    // A model unknown here may have been declared since the last read: read again before guessing.
    await this.refreshSpecs(rows.some((r) => !this.specs.has(r.model_id)));
    for (const r of rows) {
      const known = this.specs.get(r.model_id);
      if (!known) await this.inferSpec(r);
      else {
        const refined = refineInferredSpec(known, r);
        if (refined) await this.changeSpec(refined);
      }
    }
    const labels = await this.retrying(() => this.repo.findLabels(rows));
    if (labels.length > 0 && this.options.stampJoining) {
      const named = new Set(labels.flatMap((l) => [`p${l.model_id}\u0000${l.prediction_id}`, `r${l.model_id}\u0000${l.request_id}`]));
      const joining = rows.filter(
        (r) =>
          named.has(`p${r.model_id}\u0000${r.prediction_id}`) || (r.request_id !== "" && named.has(`r${r.model_id}\u0000${r.request_id}`)),
      );
      if (joining.length > 0) await this.options.stampJoining(joining);
    }
    const { joined, beyondHorizon } = joinAll(rows, labels, this.options.horizonMs);
    await this.retrying(() => this.repo.insertJoined(joined));
    if (beyondHorizon > 0) this.options.onBeyondHorizon?.(beyondHorizon);
    return distinctWindows([
      ...rows.map((r) => this.dirty("volume", r.model_id, r.event_time_ms)),
      ...joined.map((j) => this.dirty("labels", j.model_id, j.event_time_ms)),
      // A variant of a request changes the pairs (and their agreement) of its window or the one before.
      ...this.pairDirty(rows),
    ]);
  }

  /** The label-statistics windows (which also hold the paired statistics) whose pairs these rows can be part of. */
  private pairDirty(rows: ReadonlyArray<{ model_id: string; event_time_ms: number; request_id: string }>): DirtyWindow[] {
    return rows.flatMap((r) =>
      r.request_id === ""
        ? []
        : pairWindows(r.event_time_ms, this.baseSeconds).map((w) => ({
            kind: "labels" as const,
            model_id: r.model_id,
            model_version: "",
            window_start: w,
          })),
    );
  }

  /** Joins the labels with their stored predictions; returns the distinct windows touched. */
  async afterLabels(rows: LabelRow[]): Promise<DirtyWindow[]> {
    if (rows.length === 0) return [];
    // Every stored observation of these predictions takes part in choosing the winner, so the
    // winner (and its version) never depends on which label arrived in which batch. Those of the
    // labels' own predictions and requests are looked up beside the predictions; only variants of
    // a request found by another id need a second look.
    const [predictions, own] = await Promise.all([
      this.retrying(() => this.repo.findPredictions(rows)),
      this.retrying(() => this.repo.findLabels(rows)),
    ]);
    // Another instance may have met these models' predictions: read their specs, infer the rest here.
    await this.refreshSpecs(predictions.some((p) => !this.specs.has(p.model_id)));
    for (const p of predictions) if (!this.specs.has(p.model_id)) await this.inferSpec(p);
    const asked = new Set(rows.flatMap((l) => [`p${l.model_id}\u0000${l.prediction_id}`, `r${l.model_id}\u0000${l.request_id}`]));
    const variants = predictions.filter(
      (p) =>
        !asked.has(`p${p.model_id}\u0000${p.prediction_id}`) || (p.request_id !== "" && !asked.has(`r${p.model_id}\u0000${p.request_id}`)),
    );
    const known = variants.length === 0 ? own : [...own, ...(await this.retrying(() => this.repo.findLabels(variants)))];
    const { joined, beyondHorizon } = joinAll(predictions, rows, this.options.horizonMs, known);
    await this.retrying(() => this.repo.insertJoined(joined));
    if (beyondHorizon > 0) this.options.onBeyondHorizon?.(beyondHorizon);
    return distinctWindows([...joined.map((j) => this.dirty("labels", j.model_id, j.event_time_ms)), ...this.pairDirty(joined)]);
  }

  private async inferSpec(row: Parameters<typeof inferModelSpec>[1] & { model_id: string }): Promise<void> {
    const spec = inferModelSpec(row.model_id, row);
    await this.retrying(() => this.repo.saveModelSpec(spec, Date.now()));
    this.specs.set(row.model_id, spec);
    await this.requestJob(spec, "model specification inferred", "adopt");
    this.options.logger.info(
      { model: row.model_id, task: spec.task, positiveClass: spec.positiveClass },
      "model not declared; inferred its task from its first prediction",
    );
  }

  /** An inferred spec that learned more: saved, and every window of the model recomputed with it. */
  private async changeSpec(spec: ModelSpec): Promise<void> {
    await this.retrying(() => this.repo.saveModelSpec(spec, Date.now()));
    this.specs.set(spec.modelId, spec);
    await this.requestJob(spec, "inferred the positive class", "recompute");
    this.options.logger.info(
      { model: spec.modelId, positiveClass: spec.positiveClass },
      "inferred the positive class; recomputing the model's windows",
    );
  }

  private async requestJob(spec: ModelSpec, reason: string, mode: "recompute" | "adopt"): Promise<void> {
    if (this.options.requestJob) await this.retrying(() => this.options.requestJob!(spec.modelId, specBasis(spec), reason, mode));
  }

  /** For a metrics job: the basis the model is computed with now (undefined while unknown here). */
  async jobBasis(job: { model_id: string }): Promise<string | undefined> {
    if (!this.specs.has(job.model_id)) await this.refreshSpecs(true);
    const spec = this.specs.get(job.model_id);
    return spec && specBasis(spec);
  }

  /** For a metrics job: volume and label statistics of these base windows, every cell of them, in pieces. */
  async recomputeForJob(job: { model_id: string }, windows: number[]): Promise<void> {
    await this.recomputeWindows("volume", job.model_id, windows, "whole");
    await this.recomputeWindows("labels", job.model_id, windows, "whole");
  }

  /** Re-reads the specs when due, without traffic too: a change declared in a quiet period makes its job. */
  checkSpecs(): Promise<void> {
    return this.refreshSpecs();
  }

  /** A newly declared or changed spec makes every window of that model stale: a job recomputes them. */
  private async refreshSpecs(force = false): Promise<void> {
    if (!force && Date.now() - this.specsReadAt < (this.options.specRefreshMs ?? 5_000)) return;
    this.specsReadAt = Date.now();
    const fresh = await this.retrying(() => this.repo.loadModelSpecs());
    const previous = this.specs;
    this.specs = fresh;
    for (const [modelId, spec] of fresh) {
      const known = previous.get(modelId);
      const changed = known !== undefined && !sameSpec(known, spec);
      if (changed) this.options.logger.info({ model: modelId }, "model specification changed; recomputing its windows");
      await this.requestJob(spec, "model specification changed", changed ? "recompute" : "adopt");
    }
  }

  /** The cell a prediction's volume or label statistics count in. */
  private dirty(kind: Kind, modelId: string, eventTimeMs: number): DirtyWindow {
    return { kind, model_id: modelId, model_version: "", window_start: baseWindowStart(eventTimeMs, this.cellSeconds) };
  }

  /**
   * A model's marked windows in bounded pieces: an outage is waited out; a statement that fails
   * deterministically is split, and a window that fails alone is set aside so that the other
   * windows and models move on. Both kinds are marked by cell: `starts` are cells (a base window's
   * start is its first cell), unless `whole` asks for every cell of these base windows.
   */
  async recomputeWindows(kind: Kind, modelId: string, starts: number[], whole?: "whole"): Promise<void> {
    const step = kind === "volume" ? "volume" : "label_stats";
    const failures = this.options.failures ?? NO_SINK;
    // Marked by another instance, for a model this one has not met yet.
    if (!this.specs.has(modelId)) await this.refreshSpecs(true);
    const spec = this.specs.get(modelId);
    if (!spec || starts.length === 0) return;
    // Pieces, and what is set aside, are base windows; a window's marked cells go with it.
    const cellsOf = new Map<number, number[]>();
    for (const c of starts) {
      const w = c - (c % this.baseSeconds);
      const cells = cellsOf.get(w);
      if (cells) cells.push(c);
      else cellsOf.set(w, [c]);
    }
    await runInPieces(
      cellsOf.keys(),
      async (windows) => {
        const cells = whole ? undefined : windows.flatMap((w) => cellsOf.get(w)!);
        if (kind === "volume") return this.repo.recomputeVolume(spec, this.baseSeconds, windows, cells);
        await this.repo.recomputeLabelStats(spec, this.baseSeconds, windows, cells);
        // The pairs of variants scored on the same requests, with the label statistics they compare.
        await this.repo.recomputePairedStats(spec, this.baseSeconds, windows, Date.now());
      },
      {
        maxWindows: this.options.maxWindowsPerStatement ?? 200,
        stopped: () => this.stopped,
        logger: this.options.logger.child({ model: modelId, step }),
        what: "window recomputation",
        onSetAside: (w, err) => this.retrying(() => failures.setAside(step, modelId, "", w, err)),
        onDone: (chunk) => this.retrying(() => failures.succeeded(step, modelId, "", chunk)),
        onRetry: this.options.onRetry,
        onSplit: this.options.onSplit,
      },
    );
  }

  private retrying<T>(step: () => Promise<T>): Promise<T> {
    return retryingClickHouse(step, { stopped: () => this.stopped, logger: this.options.logger, what: "window recomputation" });
  }
}
