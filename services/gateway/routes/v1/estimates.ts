/**
 * GET /v1/models/:id/estimates (scope `read`): label-free estimates per window, for one slice (the
 * whole population by default), the window's own labels counted as certain, so each converges to
 * the realised value as labels arrive (estimates.repository.ts):
 *   - binary models: accuracy, precision, recall, F1 and ROC AUC with intervals, from the score
 *     histograms under the version's calibration;
 *   - regression models: MAE and RMSE with intervals, from the expected errors stamped at ingest
 *     under the version's error model (DLE).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createClickHouse } from "../../../common/clickhouse/client.js";
import {
  type EstimatesRepository,
  estimatesRepository,
  type WindowErrorEstimateRow,
  type WindowEstimateRow,
} from "../../../common/clickhouse/estimates.repository.js";
import type { Estimate } from "../../../common/domain/estimation/cbpe.js";
import type { GatewayContext } from "../../app.js";
import { readableModel } from "./model-access.js";
import { configuredWindowOr400, modelIdParam, parseOr400, windowRangeQuery } from "./params.js";

/** Most windows one answer holds (`truncated` says when more matched). */
export const ESTIMATE_WINDOWS_LIMIT = 10_000;

const EstimatesQuery = windowRangeQuery
  .extend({ confidence: z.enum(["0.9", "0.95", "0.99"]).default("0.95").transform(Number) })
  .refine((q) => q.slice_key !== "" || q.slice_value === "", { path: ["slice_value"], message: "give slice_key with slice_value" })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { path: ["to"], message: "must be after from" });

const rounded = (e: Estimate | null) => e && { value: e.value, low: e.low, high: e.high };

function windowOut(r: WindowEstimateRow) {
  const e = r.estimate;
  return {
    window_start: new Date(r.window_start_s * 1000).toISOString(),
    model_version: r.model_version,
    stage: r.stage,
    predictions: r.predictions,
    scored: e.rows,
    labeled: r.labeled,
    label_coverage: e.rows === 0 ? null : e.labelled / e.rows,
    calibration_rows: r.calibration_rows,
    accuracy: rounded(e.accuracy),
    precision: rounded(e.precision),
    recall: rounded(e.recall),
    f1: rounded(e.f1),
    roc_auc: rounded(e.rocAuc),
    expected: { tp: e.tp, fp: e.fp, fn: e.fn, tn: e.tn },
  };
}

function errorWindowOut(r: WindowErrorEstimateRow) {
  const e = r.estimate;
  return {
    window_start: new Date(r.window_start_s * 1000).toISOString(),
    model_version: r.model_version,
    stage: r.stage,
    predictions: r.predictions,
    labeled: r.labeled,
    label_coverage: r.predictions === 0 ? null : Math.min(1, r.labeled / r.predictions),
    estimated_without_model: e.unmodelled,
    fallback: e.fallback,
    error_model_rows: r.error_model_rows,
    error_model_fitted_at: r.error_model_fitted_at_ms === null ? null : new Date(r.error_model_fitted_at_ms).toISOString(),
    mae: rounded(e.mae),
    rmse: rounded(e.rmse),
  };
}

export function estimateRoutes(app: FastifyInstance, ctx: GatewayContext, repository?: EstimatesRepository): void {
  const { config, deps, requireScope } = ctx;
  let repo = repository;
  if (!repo) {
    // Its own small client, closed with the app, so the gateway's wiring need not change.
    const clickhouse = createClickHouse(config.clickhouse);
    app.addHook("onClose", async () => clickhouse.close());
    repo = estimatesRepository(clickhouse, { horizonMs: config.metrics.labelHorizonMs });
  }
  const estimates = repo;

  app.get("/v1/models/:id/estimates", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    if (!params || !(await readableModel(ctx, request, reply, params.id))) return reply;
    const q = parseOr400(EstimatesQuery, request.query, reply);
    if (!q) return reply;
    const badRequest = (message: string) => reply.code(400).send({ error: { code: "bad_request", message } });
    if (!(await configuredWindowOr400(deps.models, q.window, reply))) return reply;
    const spec = (await deps.models.list()).find((m) => m.model_id === params.id);
    if (spec && spec.task !== "binary" && spec.task !== "regression")
      return badRequest(
        `label-free estimates are computed for binary models (calibrated scores) and regression models (error models); '${params.id}' is ${String(spec.task)}`,
      );
    const query = {
      models: [params.id],
      windowSeconds: q.window,
      fromS: q.from === undefined ? undefined : Math.floor(q.from / 1000),
      toS: q.to === undefined ? undefined : Math.ceil(q.to / 1000),
      slices: { kind: "slice", key: q.slice_key, value: q.slice_value },
      stage: q.stage,
      modelVersion: q.model_version,
      confidence: q.confidence,
      limit: ESTIMATE_WINDOWS_LIMIT,
    } as const;
    if (spec?.task === "regression") {
      const { rows, truncated } = await estimates.regressionWindows(query);
      return {
        model_id: params.id,
        task: "regression",
        window_seconds: q.window,
        slice_key: q.slice_key,
        slice_value: q.slice_value,
        confidence: q.confidence,
        truncated,
        windows: rows.map(errorWindowOut),
      };
    }
    const { rows, truncated } = await estimates.windows(query);
    return {
      model_id: params.id,
      window_seconds: q.window,
      slice_key: q.slice_key,
      slice_value: q.slice_value,
      threshold: spec?.threshold ?? null,
      confidence: q.confidence,
      truncated,
      windows: rows.map(windowOut),
    };
  });
}
