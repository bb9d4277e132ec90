/**
 * The processor's copy of the stored regression error models (migration 020), and the step that
 * stamps each regression prediction with its expected |e| and e² before it is written.
 *
 * The copy is re-read at most every `reloadMs` (one small read of which fit each version has;
 * only changed fits are fetched). A prediction is stamped with the model held when it is ingested
 * and keeps that stamp: a later refit does not revise it (a replay stamps with the model current
 * then). A failed read keeps the models held and tries again after `reloadMs`; ingestion never
 * waits on it.
 */
import type { ErrorModelsRepository } from "../common/clickhouse/error-models.repository.js";
import type { PredictionRow } from "../common/domain/event-rows.js";
import { parseVersionErrorModel, stampExpectedError, type VersionErrorModel } from "../common/domain/estimation/version-error-model.js";
import type { Logger } from "../common/observability/logger.js";

const keyOf = (modelId: string, version: string) => `${modelId}\u0000${version}`;

export class ErrorModelCache {
  private readonly models = new Map<string, { fittedAtMs: number; model: VersionErrorModel }>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly repo: Pick<ErrorModelsRepository, "heads" | "load">,
    private readonly options: { reloadMs: number; logger: Logger; clock?: () => number },
  ) {}

  /** Re-reads the stored models if the copy is older than `reloadMs`; concurrent callers share one read. */
  refresh(): Promise<void> {
    const now = (this.options.clock ?? Date.now)();
    if (now - this.loadedAt < this.options.reloadMs) return Promise.resolve();
    this.loading ??= this.reload()
      .catch((err: Error) => this.options.logger.warn({ err: err.message }, "reading error models failed; keeping the ones held"))
      .finally(() => {
        this.loadedAt = (this.options.clock ?? Date.now)();
        this.loading = undefined;
      });
    return this.loading;
  }

  private async reload(): Promise<void> {
    const heads = await this.repo.heads();
    const current = new Set(heads.map((h) => keyOf(h.model_id, h.model_version)));
    for (const k of this.models.keys()) if (!current.has(k)) this.models.delete(k);
    const changed = heads.filter((h) => this.models.get(keyOf(h.model_id, h.model_version))?.fittedAtMs !== h.fitted_at_ms);
    for (const r of await this.repo.load(changed)) {
      try {
        this.models.set(keyOf(r.model_id, r.model_version), { fittedAtMs: r.fitted_at_ms, model: parseVersionErrorModel(r.model) });
      } catch (err) {
        this.options.logger.warn(
          { err: (err as Error).message, model: r.model_id, version: r.model_version },
          "unreadable error model skipped",
        );
      }
    }
  }

  /** Sets each row's expected |e| and e² from its version's model (left unset without one). */
  stamp(rows: readonly PredictionRow[]): void {
    if (this.models.size === 0) return;
    for (const r of rows) {
      if (r.pred_value === null) continue;
      const held = this.models.get(keyOf(r.model_id, r.model_version));
      if (!held) continue;
      const e = stampExpectedError(held.model, r);
      if (!e) continue;
      r.exp_abs_err = e.abs;
      r.exp_sq_err = e.sq;
    }
  }

  get size(): number {
    return this.models.size;
  }
}
