/**
 * Fits regression models' error models (the label-free MAE/RMSE, migration 020) off the ingest
 * path: the evaluator's leader runs `fitDue` every HINDSIGHT_ERROR_MODEL_CHECK_MS. One pass fits at
 * most one version (the one waiting longest: never fitted first, then the oldest fit), on at most
 * `maxRows` of its latest labelled rows within the label horizon, so a pass is bounded whatever
 * the history. The fit pauses every few milliseconds so that the evaluator keeps evaluating and
 * delivering. Two evaluators fitting the same version both write; the later fit wins.
 */
import type { ErrorModelsRepository, StoredErrorModelHead } from "../common/clickhouse/error-models.repository.js";
import { fitVersionErrorModelSteps } from "../common/domain/estimation/version-error-model.js";
import type { ModelSpec } from "../common/domain/model-spec.js";
import type { Logger } from "../common/observability/logger.js";

export interface FitterOptions {
  minRows: number;
  maxRows: number;
  refitMs: number;
  horizonMs: number;
  logger: Logger;
  clock?: () => number;
  /** Longest stretch of fitting between two pauses (default 20 ms). */
  sliceMs?: number;
  /** Checked at each pause: a stopping evaluator abandons a fit rather than finish it. */
  stopped?: () => boolean;
}

/**
 * Whether a version with `labelled` rows in the horizon needs a fit: it has none yet, or its fit
 * is `refitMs` old, or (sooner) the fit was on fewer than `maxRows` rows and the version now has
 * at least twice as many.
 */
export function fitDue(
  head: Pick<StoredErrorModelHead, "fitted_at_ms" | "rows"> | undefined,
  labelled: number,
  nowMs: number,
  o: Pick<FitterOptions, "minRows" | "maxRows" | "refitMs">,
): boolean {
  if (labelled < o.minRows) return false;
  if (!head) return true;
  if (nowMs - head.fitted_at_ms >= o.refitMs) return true;
  return head.rows < o.maxRows && labelled >= 2 * head.rows;
}

/**
 * Runs a stepwise computation, pausing (setImmediate) whenever it has run `sliceMs` without one;
 * undefined when `stopped` says so at a pause.
 */
export async function runYielding<T>(
  steps: Generator<void, T>,
  sliceMs: number,
  now: () => number = performance.now.bind(performance),
  stopped: () => boolean = () => false,
): Promise<T | undefined> {
  let since = now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (now() - since >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      if (stopped()) return undefined;
      since = now();
    }
  }
}

export function createErrorModelFitter(
  deps: { repo: ErrorModelsRepository; specs: () => Promise<Map<string, ModelSpec>> },
  o: FitterOptions,
) {
  const clock = o.clock ?? Date.now;
  // A version whose sample came out short (labelled rows without stored features) waits a refit period.
  const attempted = new Map<string, number>();
  return {
    /** Fits the version waiting longest, if any is due; returns what was fitted. */
    async fitDue(): Promise<{ model_id: string; model_version: string; rows: number } | undefined> {
      const regression = [...(await deps.specs()).values()].filter((s) => s.task === "regression").map((s) => s.modelId);
      if (regression.length === 0) return undefined;
      const now = clock();
      const counts = await deps.repo.labelledCounts(regression, Math.floor((now - o.horizonMs) / 1000), Math.ceil(now / 1000) + 1);
      const heads = new Map((await deps.repo.heads()).map((h) => [JSON.stringify([h.model_id, h.model_version]), h]));
      const key = (c: { model_id: string; model_version: string }) => JSON.stringify([c.model_id, c.model_version]);
      const due = counts
        .filter((c) => fitDue(heads.get(key(c)), c.labelled, now, o))
        .filter((c) => now - (attempted.get(key(c)) ?? Number.NEGATIVE_INFINITY) >= o.refitMs)
        .sort((a, b) => (heads.get(key(a))?.fitted_at_ms ?? -1) - (heads.get(key(b))?.fitted_at_ms ?? -1));
      const next = due[0];
      if (!next) return undefined;
      attempted.set(key(next), now);
      const sample = await deps.repo.sample(next.model_id, next.model_version, now - o.horizonMs, o.maxRows);
      if (sample.length < o.minRows) {
        o.logger.info(
          { model: next.model_id, version: next.model_version, rows: sample.length },
          "error model not fitted: too few labelled rows with features",
        );
        return undefined;
      }
      const started = clock();
      const fitted = await runYielding(fitVersionErrorModelSteps(sample), o.sliceMs ?? 20, undefined, o.stopped);
      if (!fitted) return undefined;
      await deps.repo.save(next.model_id, next.model_version, clock(), sample.length, JSON.stringify(fitted));
      o.logger.info(
        { model: next.model_id, version: next.model_version, rows: sample.length, ms: clock() - started },
        "error model fitted",
      );
      return { model_id: next.model_id, model_version: next.model_version, rows: sample.length };
    },
  };
}

export type ErrorModelFitter = ReturnType<typeof createErrorModelFitter>;
