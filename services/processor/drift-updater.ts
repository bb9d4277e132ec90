/**
 * After a batch of predictions is durable, the processor marks the base windows it touched dirty; a window
 * worker (window-worker.ts) then has `recomputeWindows` rewrite their feature summaries (from the
 * raw rows, on the version's reference bins) and re-score drift and data quality for every window
 * size containing them. Because everything is recomputed from raw rows and written to replacing
 * tables, a replay or a crash changes nothing.
 *
 * A version with no reference of its own (or its model's) gets one automatically: its first
 * `autoReferenceRows` predictions, pinned as a time range. Until it has that many, its windows
 * wait (`awaiting`), and the reference releases them. Uploading or pinning another one
 * through the API, or changing the model's feature rules, makes every window of the version
 * recomputed against it: by a durable job (recompute-jobs.ts), never by one run over its history.
 */
import type { Logger } from "../common/observability/logger.js";
import type { DriftRepository, ReferenceMeta, WindowResult } from "../common/clickhouse/drift.repository.js";
import { retryingClickHouse } from "./retrying.js";
import { runInPieces } from "./pieces.js";
import { NO_SINK, type SetAsideSink } from "./pipeline-watch.js";
import { classifyStatementError } from "../common/clickhouse/errors.js";
import { baseWindowStart } from "../common/domain/model-spec.js";
import type { PredictionRow } from "../common/domain/event-rows.js";
import type { FeatureProfile } from "../common/domain/drift/profile.js";
import { emptySummary } from "../common/domain/drift/summary.js";
import { decideDrift, type FeatureDrift } from "../common/domain/drift/feature-drift.js";
import { checkQuality, type QualityCheck } from "../common/domain/drift/data-quality.js";
import type { FeatureRule } from "../../schemas/models.js";
import { distinctWindows, type DirtyWindow } from "../common/clickhouse/dirty-windows.repository.js";
import type { SliceDriftRepository } from "../common/clickhouse/slice-drift.repository.js";
import { decideSliceDrift, driftSliceKeys, minimumRows, type SliceDrift } from "../common/domain/drift/slice-drift.js";

export interface DriftUpdaterOptions {
  windowSizes: number[];
  /** predictions of a version that make its automatic reference */
  autoReferenceRows: number;
  logger: Logger;
  /** how often references and rules are re-read, to notice ones posted through the API */
  refreshMs?: number;
  /** The most base windows one recompute covers (default 200). */
  maxWindowsPerStatement?: number;
  /** Where windows (or a version's reference) that fail deterministically are set aside. */
  failures?: SetAsideSink;
  onRetry?: () => void;
  onSplit?: () => void;
  /**
   * Asks for the version's stored windows to be recomputed for this basis (a durable job);
   * `adopt` when none was scored with another one.
   */
  requestJob?: (modelId: string, version: string, basis: string, reason: string, mode: "recompute" | "adopt") => Promise<void>;
  /**
   * Where windows of a version with no reference yet wait for it (out of the pending count), and
   * how its reference releases them to be recomputed. Without it they are cleared unscored and
   * the reference's job recomputes the version's whole history.
   */
  awaiting?: {
    add: (modelId: string, version: string, windows: number[]) => Promise<void>;
    release: (modelId: string, version: string) => Promise<number>;
  };
  /**
   * Drift per slice, for the models that declare slice keys: the `perKey` busiest slices of each key
   * per window (HINDSIGHT_DRIFT_SLICES_PER_KEY). Without it only overall drift is computed.
   */
  slices?: { repo: Pick<SliceDriftRepository, "loadSliceKeys" | "recomputeSummaries" | "readSummaries" | "writeScores">; perKey: number };
}

interface VersionState {
  modelId: string;
  version: string;
  reference?: { meta: ReferenceMeta; profiles: FeatureProfile[] };
  /** The automatic reference being built: the window workers run side by side and share one build. */
  building?: Promise<void>;
  /**
   * Its last build failed deterministically (set aside, visible): its windows cannot wait for it,
   * and the next build is tried only after `waitMs` (doubling), not on every cycle.
   */
  buildFailed?: { atMs: number; waitMs: number };
}

/** The first wait before trying a failed automatic reference again, and the longest. */
const REBUILD_WAIT_MS = [60_000, 3_600_000] as const;

/** Sorted window starts cut where a run's range, from its first start to its last window's end, would pass `span` seconds. */
export function spans(starts: readonly number[], size: number, span: number): number[][] {
  const out: number[][] = [];
  for (const start of starts) {
    const run = out.at(-1);
    if (run && start + size - run[0]! <= span) run.push(start);
    else out.push([start]);
  }
  return out;
}

const key = (modelId: string, version: string) => `${modelId}\u0000${version}`;

export class DriftUpdater {
  private versions = new Map<string, VersionState>();
  private rules = new Map<string, Record<string, FeatureRule>>();
  private rulesText = new Map<string, string>();
  /** Declared slice keys of the models that have some. */
  private sliceKeys = new Map<string, string[]>();
  private refreshedAt = 0;
  private sliceKeysRead = false;
  private stopped = false;
  readonly baseSeconds: number;

  constructor(
    private readonly repo: DriftRepository,
    private readonly options: DriftUpdaterOptions,
  ) {
    this.baseSeconds = Math.min(...options.windowSizes);
  }

  stop(): void {
    this.stopped = true;
  }

  /** The distinct windows a batch of predictions touched, for the processor to mark before the batch commits. */
  windowsOf(rows: PredictionRow[]): DirtyWindow[] {
    return distinctWindows(
      rows.map((r) => ({
        kind: "drift",
        model_id: r.model_id,
        model_version: r.model_version,
        window_start: baseWindowStart(r.event_time_ms, this.baseSeconds),
      })),
    );
  }

  /** A version's marked windows: its reference first (built automatically if it has none), then the windows in pieces. */
  async recomputeWindows(modelId: string, version: string, windows: number[]): Promise<void> {
    const state = await this.versionState(modelId, version);
    if (!state.reference) await this.autoReferenceOrSetAside(state);
    if (state.reference) {
      if (windows.length > 0) await this.recomputeInPieces(state, new Set(windows));
      return;
    }
    // Too few predictions yet for a reference: the windows wait for it, at most one per prediction.
    // After a failed build they would pile up with the history instead: cleared, and the reference
    // built or uploaded later recomputes them through its job.
    const awaiting = this.options.awaiting;
    if (!awaiting || windows.length === 0 || state.buildFailed) return;
    await this.retrying(() => awaiting.add(modelId, version, windows));
    // Another worker here may have built the reference and released the waiting ones meanwhile.
    if (this.hasReference(state)) await this.releaseAwaiting(state);
  }

  /** Re-reads references and rules when due, without traffic too: an upload in a quiet period makes its job. */
  checkReferences(): Promise<void> {
    return this.refresh(new Map());
  }

  /** Re-reads rules and references now and then; a change asks for a job over the version's windows. */
  private async refresh(work: Map<string, Set<number>>): Promise<void> {
    if (Date.now() - this.refreshedAt < (this.options.refreshMs ?? 5_000) && [...work.keys()].every((k) => this.versions.get(k)?.reference))
      return;
    this.refreshedAt = Date.now();
    const rules = await this.retrying(() => this.repo.loadRules());
    const changedRules = new Set<string>();
    for (const [modelId, r] of rules) {
      const text = JSON.stringify(r);
      if (this.rulesText.has(modelId) && this.rulesText.get(modelId) !== text) changedRules.add(modelId);
      this.rulesText.set(modelId, text);
      this.rules.set(modelId, r);
    }
    const changedSlices = new Set<string>();
    const slices = this.options.slices;
    if (slices) {
      // Every stored model's declared keys ([] for none): a model missing here was deleted, which
      // changes nothing to recompute (a job for it would outlive the model).
      const declared = await this.retrying(() => slices.repo.loadSliceKeys());
      const fresh = new Map([...declared].map(([m, keys]) => [m, driftSliceKeys(keys)] as const).filter(([, keys]) => keys.length > 0));
      for (const modelId of declared.keys())
        if (JSON.stringify(fresh.get(modelId) ?? []) !== JSON.stringify(this.sliceKeys.get(modelId) ?? [])) changedSlices.add(modelId);
      // The first read only learns them: a version met for the first time asks for its job below anyway.
      if (this.sliceKeysRead) for (const m of changedSlices) changedRules.add(m);
      this.sliceKeys = fresh;
      this.sliceKeysRead = true;
    }
    for (const state of this.versions.values()) {
      const meta = await this.retrying(() => this.repo.activeReference(state.modelId, state.version));
      const changed = meta && meta.reference_id !== state.reference?.meta.reference_id;
      if (changed) {
        state.reference = { meta, profiles: await this.retrying(() => this.repo.loadProfiles(meta.reference_id)) };
        this.options.logger.info({ model: state.modelId, version: state.version, reference: meta.reference_id }, "drift reference in use");
        // Uploaded while windows waited, or built by an instance that stopped before releasing them.
        await this.releaseAwaiting(state);
        // An automatic build set aside for this version is moot now (the job below recomputes).
        await this.retrying(() => (this.options.failures ?? NO_SINK).succeeded("drift_reference", state.modelId, state.version, [0]));
      }
      // Met for the first time here too (a restart): the request finds the version's job for this
      // reference and rules, if there is one. Without one, some windows may never have been scored
      // against it (predictions before the reference was uploaded), so a job covers them.
      if (state.reference && (changed || changedRules.has(state.modelId)))
        await this.requestJob(
          state,
          changedSlices.has(state.modelId) && !changed
            ? "slice keys changed"
            : changedRules.has(state.modelId)
              ? "feature rules changed"
              : "drift reference in use",
        );
    }
  }

  /** What a version's drift is computed with: its reference and its model's feature rules. */
  private basisOf(state: VersionState): string | undefined {
    // Slice keys only when declared (and drift per slice on), so a model without them keeps its basis.
    const keys = this.options.slices ? (this.sliceKeys.get(state.modelId) ?? []) : [];
    const slices = keys.length > 0 ? `\u0001${JSON.stringify(keys)}` : "";
    return state.reference && `${state.reference.meta.reference_id}\u0001${this.rulesText.get(state.modelId) ?? ""}${slices}`;
  }

  private async requestJob(state: VersionState, reason: string, mode: "recompute" | "adopt" = "recompute"): Promise<void> {
    const basis = this.basisOf(state);
    if (basis && this.options.requestJob)
      await this.retrying(() => this.options.requestJob!(state.modelId, state.version, basis, reason, mode));
  }

  /** A version's state, loaded with its reference and rules if this instance has not seen it yet. */
  private async versionState(modelId: string, version: string): Promise<VersionState> {
    const k = key(modelId, version);
    let state = this.versions.get(k);
    if (!state) this.versions.set(k, (state = { modelId, version }));
    if (!state.reference) await this.refresh(new Map([[k, new Set<number>()]]));
    return state;
  }

  /** For a drift job: the basis this version is computed with now (undefined while it has no reference). */
  async jobBasis(job: { model_id: string; model_version: string }): Promise<string | undefined> {
    return this.basisOf(await this.versionState(job.model_id, job.model_version));
  }

  /** For a drift job: recomputes these base windows of the version, in pieces. */
  async recomputeForJob(job: { model_id: string; model_version: string }, windows: number[]): Promise<void> {
    const state = await this.versionState(job.model_id, job.model_version);
    if (state.reference) await this.recomputeInPieces(state, new Set(windows));
  }

  private async autoReference(state: VersionState): Promise<void> {
    // A failure that would repeat reaches buildAutoReference, which sets it aside, instead of
    // being retried here forever with the drift worker waiting on it.
    const attempt = <T>(step: () => Promise<T>) =>
      retryingClickHouse(step, {
        stopped: () => this.stopped,
        logger: this.options.logger,
        what: "automatic drift reference",
        deterministicThrows: true,
      });
    const range = await attempt(() => this.repo.firstRows(state.modelId, state.version, this.options.autoReferenceRows));
    if (!range) return;
    const referenceId = `auto-${state.version}-${range.fromMs}-${range.toMs}`;
    const rules = this.rules.get(state.modelId) ?? {};
    const built = await attempt(() =>
      this.repo.buildProfiles(state.modelId, state.version, referenceId, { kind: "range", ...range }, rules),
    );
    const meta: ReferenceMeta = {
      reference_id: referenceId,
      model_id: state.modelId,
      model_version: state.version,
      source: "auto",
      from_ms: range.fromMs,
      to_ms: range.toMs,
      rows: built.rows,
      created_at_ms: Date.now(),
    };
    await attempt(() => this.repo.saveReference(meta, built.profiles));
    state.reference = { meta, profiles: built.profiles };
    // A build set aside earlier (here or before a restart) cleared its windows instead of letting
    // them wait: the job recomputes the version's history. Otherwise no window was scored before,
    // so only those that waited are released.
    const failures = this.options.failures ?? NO_SINK;
    const failedBefore = (await this.retrying(() => failures.succeeded("drift_reference", state.modelId, state.version, [0]))) > 0;
    await this.releaseAwaiting(state);
    const adopt = this.options.awaiting !== undefined && !failedBefore && !state.buildFailed;
    await this.requestJob(state, "automatic drift reference built", adopt ? "adopt" : "recompute");
    this.options.logger.info(
      { model: state.modelId, version: state.version, rows: built.rows, features: built.profiles.length },
      "built the automatic drift reference from the version's first predictions",
    );
  }

  /** A call, so that TypeScript does not carry a narrowing of `state.reference` across an await. */
  private hasReference(state: VersionState): boolean {
    return state.reference !== undefined;
  }

  /** The version's windows that waited for a reference become pending drift windows. */
  private async releaseAwaiting(state: VersionState): Promise<void> {
    const awaiting = this.options.awaiting;
    if (!awaiting) return;
    const n = await this.retrying(() => awaiting.release(state.modelId, state.version));
    if (n > 0)
      this.options.logger.info(
        { model: state.modelId, version: state.version, windows: n },
        "windows that waited for the reference released",
      );
  }

  /**
   * A reference that cannot be built (a deterministic failure) is set aside, and tried again a
   * minute later, then after twice as long each time, up to an hour.
   */
  private autoReferenceOrSetAside(state: VersionState): Promise<void> {
    // Two builds at different moments pick different first rows of a backfill arriving out of
    // order: two references, and the second's job recomputed the version's whole history.
    state.building ??= this.buildAutoReference(state).finally(() => (state.building = undefined));
    return state.building;
  }

  private async buildAutoReference(state: VersionState): Promise<void> {
    const failed = state.buildFailed;
    if (state.reference || (failed && Date.now() - failed.atMs < failed.waitMs)) return;
    try {
      await this.autoReference(state);
      state.buildFailed = undefined;
    } catch (err) {
      if (this.stopped || classifyStatementError(err) !== "deterministic") throw err;
      const waitMs = failed ? Math.min(2 * failed.waitMs, REBUILD_WAIT_MS[1]) : REBUILD_WAIT_MS[0];
      state.buildFailed = { atMs: Date.now(), waitMs };
      this.options.logger.error(
        { model: state.modelId, version: state.version, err: (err as Error).message.slice(0, 500) },
        "automatic drift reference failed deterministically; set aside",
      );
      await this.retrying(() =>
        (this.options.failures ?? NO_SINK).setAside("drift_reference", state.modelId, state.version, 0, err as Error),
      );
    }
  }

  /** Bounded pieces of windows; see pieces.ts for what happens when one fails. */
  private recomputeInPieces(state: VersionState, windows: Set<number>): Promise<void> {
    const failures = this.options.failures ?? NO_SINK;
    return runInPieces(windows, (chunk) => this.recompute(state, chunk), {
      maxWindows: this.options.maxWindowsPerStatement ?? 200,
      stopped: () => this.stopped,
      logger: this.options.logger.child({ model: state.modelId, version: state.version }),
      what: "drift recomputation",
      onSetAside: (w, err) => this.retrying(() => failures.setAside("drift", state.modelId, state.version, w, err)),
      onDone: (chunk) => this.retrying(() => failures.succeeded("drift", state.modelId, state.version, chunk)),
      onRetry: this.options.onRetry,
      onSplit: this.options.onSplit,
    });
  }

  /** One piece: its statements throw, and runInPieces retries, splits or sets the piece aside. */
  private async recompute(state: VersionState, windows: number[]): Promise<void> {
    const { meta, profiles } = state.reference!;
    const now = Date.now();
    const base = this.baseSeconds;
    await this.repo.recomputeSummaries(state.modelId, state.version, meta.reference_id, profiles, base, windows, now);
    const rules = this.rules.get(state.modelId) ?? {};
    const byName = new Map(profiles.map((p) => [p.feature, p]));
    const drift: Array<WindowResult<FeatureDrift>> = [];
    const quality: Array<WindowResult<QualityCheck>> = [];
    for (const { size, chunk } of this.readRanges(windows)) {
      const summaries = await this.repo.readSummaries(
        state.modelId,
        state.version,
        meta.reference_id,
        profiles,
        chunk[0]!,
        chunk.at(-1)! + size,
        size,
      );
      for (const start of chunk) {
        const merged = new Map((summaries.get(start) ?? []).map((s) => [s.feature, s]));
        const inputs = profiles.map((p) => ({
          profile: p,
          window: merged.get(p.feature) ?? emptySummary(p.feature, p.counts.length, p.kind === "numeric"),
          rule: rules[p.feature],
        }));
        drift.push({ startS: start, seconds: size, items: decideDrift(inputs) });
        quality.push({
          startS: start,
          seconds: size,
          items: [...merged.values()].flatMap((s) => checkQuality(byName.get(s.feature), s, rules[s.feature])),
        });
      }
    }
    // The model deleted (or its reference replaced) while this ran: write nothing that would outlive
    // it. The replacing reference asks for its own recomputation.
    const current = await this.retrying(() => this.repo.activeReference(state.modelId, state.version));
    if (current?.reference_id !== meta.reference_id) return;
    await this.repo.writeDrift(state.modelId, state.version, meta.reference_id, drift, now);
    await this.repo.writeQuality(state.modelId, state.version, quality, now);
    await this.recomputeSlices(state, windows, now);
  }

  /**
   * Drift per slice of these base windows, for a model with declared slice keys: the slices'
   * summaries, then every window size containing them scored from the stored base windows, merged
   * per window in ClickHouse.
   */
  private async recomputeSlices(state: VersionState, windows: number[], now: number): Promise<void> {
    const slices = this.options.slices;
    const sliceKeys = this.sliceKeys.get(state.modelId) ?? [];
    if (!slices || sliceKeys.length === 0) return;
    const { meta, profiles } = state.reference!;
    await slices.repo.recomputeSummaries(state.modelId, state.version, meta.reference_id, profiles, {
      baseSeconds: this.baseSeconds,
      windows,
      sliceKeys,
      perKey: slices.perKey,
      nowMs: now,
    });
    const rules = this.rules.get(state.modelId) ?? {};
    const least = minimumRows(profiles, rules);
    const scores: Array<WindowResult<SliceDrift>> = [];
    for (const { size, chunk } of this.readRanges(windows)) {
      const byWindow = await slices.repo.readSummaries(
        state.modelId,
        state.version,
        meta.reference_id,
        profiles,
        chunk[0]!,
        chunk.at(-1)! + size,
        { windowSeconds: size, minRows: least },
      );
      for (const start of chunk) {
        const window = byWindow.get(start) ?? { slices: [], otherRows: {} };
        scores.push({ startS: start, seconds: size, items: decideSliceDrift(window, profiles, rules, slices.perKey) });
      }
    }
    await slices.repo.writeScores(state.modelId, state.version, meta.reference_id, scores, now);
  }

  /**
   * The windows of every size containing these base windows, in chunks read with one query each:
   * windows of a size close together share a range of at most as many base windows as a statement
   * covers (or one window of that size).
   */
  private *readRanges(windows: number[]): Generator<{ size: number; chunk: number[] }> {
    for (const size of this.options.windowSizes) {
      const starts = [...new Set(windows.map((w) => Math.floor(w / size) * size))].sort((a, b) => a - b);
      const span = Math.max(size, (this.options.maxWindowsPerStatement ?? 200) * this.baseSeconds);
      for (const chunk of spans(starts, size, span)) yield { size, chunk };
    }
  }

  private retrying<T>(step: () => Promise<T>): Promise<T> {
    return retryingClickHouse(step, { stopped: () => this.stopped, logger: this.options.logger, what: "drift recomputation" });
  }
}
