/**
 * Models and their quality metrics over HTTP:
 *   PUT /v1/models/:id                 declare task, positive class, threshold, slice keys and
 *                                      per-feature rules (admin)
 *   DELETE /v1/models/:id              remove the model's data from every table (admin)
 *   GET /v1/models                     every model with its specification (read)
 *   GET /v1/models/:id/metrics         metrics per window, for one slice (read)
 *   GET /v1/models/:id/slices          slices ranked by accuracy or MAE against the rest, FDR-controlled (read)
 *   GET /v1/models/:id/fairness        group fairness over one sensitive segment key (binary models, read)
 *   GET /v1/models/:id/classes         per-class precision, recall, F1 and the confusion matrix per window (multi-class, read)
 *   GET /v1/jobs                       recomputations after a spec, reference or rules change, with progress (read)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { ModelDeclaration } from "../../../../schemas/models.js";
import type { GatewayContext } from "../../app.js";
import { fairnessReport } from "../../../common/domain/fairness.js";
import { rankSlices } from "../../../common/domain/slice-ranking.js";
import { configuredWindowOr400, modelIdParam, parseOr400, timeParam, windowParam, windowRangeQuery } from "./params.js";
import { principalOf } from "../../auth.js";
import { readableModel, writableModel } from "./model-access.js";
import { jobProgress } from "../../../common/clickhouse/recompute-jobs.repository.js";

const SlicesQuery = z.object({
  window: windowParam.default(86400),
  from: timeParam.optional(),
  to: timeParam.optional(),
  /** Default: accuracy, or mae for a regression model. */
  metric: z.enum(["accuracy", "mae"]).optional(),
  order: z.enum(["worst", "best"]).default("worst"),
  min_labeled: z.coerce.number().int().min(1).default(30),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  /** The false-discovery rate allowed among the slices called significantly worse. */
  fdr: z.coerce.number().gt(0).lt(1).default(0.05),
});

const FairnessQuery = z.object({
  /** The sensitive segment key; its values are the groups. */
  key: z.string().min(1).max(256),
  /** The group the others are compared with; default: the one selected most often. */
  reference: z.string().max(256).optional(),
  window: windowParam.default(86400),
  from: timeParam.optional(),
  to: timeParam.optional(),
  /** Groups with fewer labelled predictions are listed, not compared. */
  min_labeled: z.coerce.number().int().min(1).default(30),
});

const ClassesQuery = z.object({
  window: windowParam.default(3600),
  from: timeParam.optional(),
  to: timeParam.optional(),
  stage: z.string().max(64).optional(),
  model_version: z.string().max(128).optional(),
});

/** Precision, recall and F1 of one class from its counts; null where the denominator is 0. */
function classScores(c: { class: string; tp: number; fp: number; fn: number }) {
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
  return {
    ...c,
    support: c.tp + c.fn,
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
  };
}

export function modelRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { deps, requireScope } = ctx;
  const store = deps.models;

  app.put("/v1/models/:id", { preHandler: requireScope("admin") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const d = params && parseOr400(ModelDeclaration, request.body, reply);
    if (!params || !d) return reply;
    if (!writableModel(request, reply, params.id)) return reply;
    const spec = {
      modelId: params.id,
      task: d.task,
      positiveClass: d.task === "binary" ? d.positive_class! : "",
      threshold: d.threshold,
      sliceKeys: d.slice_keys,
      declared: true,
    };
    await store.declare(spec);
    await deps.drift.saveRules(spec.modelId, d.features, Date.now());
    await ctx.audit(request, "model.declare", spec.modelId, [spec.modelId], {
      task: spec.task,
      slice_keys: spec.sliceKeys,
      features: Object.keys(d.features ?? {}),
    });
    return reply.code(200).send({
      model_id: spec.modelId,
      task: spec.task,
      positive_class: spec.positiveClass || null,
      threshold: spec.threshold,
      slice_keys: spec.sliceKeys,
      features: d.features,
      declared: true,
    });
  });

  app.delete("/v1/models/:id", { preHandler: requireScope("admin") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    if (!params) return reply;
    if (!writableModel(request, reply, params.id)) return reply;
    const report = await store.delete(params.id);
    const removed = Object.values(report.tables).reduce((a, b) => a + b, 0);
    if (removed === 0) return reply.code(404).send({ error: { code: "not_found", message: `no model '${params.id}'` } });
    await ctx.audit(request, "model.delete", params.id, [params.id], { rows: report.tables });
    return { model_id: params.id, deleted_rows: report.tables };
  });

  app.get("/v1/models", { preHandler: requireScope("read") }, async (request) => {
    const principal = principalOf(request);
    return { models: (await store.list()).filter((m) => principal.canAccessModel(String(m.model_id))) };
  });

  app.get("/v1/jobs", { preHandler: requireScope("read") }, async (request) => {
    const { modelFilter } = principalOf(request);
    const jobs = await store.jobs(modelFilter === "all" ? undefined : modelFilter);
    const iso = (s: number) => new Date(s * 1000).toISOString();
    return {
      jobs: jobs.map((j) => ({
        job_id: j.job_id,
        kind: j.kind,
        model_id: j.model_id,
        model_version: j.model_version,
        reason: j.reason,
        state: j.state,
        progress: jobProgress(j),
        windows_done: j.windows_done,
        from: iso(j.from_s),
        to: iso(j.to_s),
        done_until: iso(j.cursor_s),
        created_at: new Date(j.created_at_ms).toISOString(),
        updated_at: new Date(j.updated_at_ms).toISOString(),
      })),
    };
  });

  app.get("/v1/models/:id/metrics", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(windowRangeQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    if (!(await configuredWindowOr400(store, q.window, reply))) return reply;
    const rows = await store.metrics({ modelId: params.id, ...q });
    return { model_id: params.id, window_seconds: q.window, slice_key: q.slice_key, slice_value: q.slice_value, windows: rows };
  });

  app.get("/v1/models/:id/slices", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(SlicesQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    const spec = (await store.list()).find((m) => m.model_id === params.id);
    const metric = q.metric ?? (spec?.task === "regression" ? "mae" : "accuracy");
    const counts = await store.sliceCounts({ modelId: params.id, window: q.window, from: q.from, to: q.to });
    const ranking = rankSlices(counts, { metric, order: q.order, minLabeled: q.min_labeled, limit: q.limit, alpha: q.fdr });
    // Each value also under the metric's own name (`accuracy`, `mae`), as the dashboard reads it.
    return {
      model_id: params.id,
      metric,
      window_seconds: q.window,
      fdr: q.fdr,
      tested: ranking.tested,
      population: ranking.population && { ...ranking.population, [metric]: ranking.population.value },
      slices: ranking.slices.map((sl) => ({ ...sl, [metric]: sl.value })),
    };
  });

  /**
   * A read of one task's view of a model: the model readable by the token (another team's model
   * answers 404 whatever the query), then the query valid, its window configured and the model of
   * that task. Undefined when the reply was already sent.
   */
  async function taskRead<Q extends { window: number }>(
    request: FastifyRequest,
    reply: FastifyReply,
    query: z.ZodType<Q>,
    task: string,
    why: string,
  ): Promise<{ id: string; q: Q } | undefined> {
    const params = parseOr400(modelIdParam, request.params, reply);
    if (!params || !(await readableModel(ctx, request, reply, params.id))) return undefined;
    const q = parseOr400(query, request.query, reply);
    if (!q) return undefined;
    const badRequest = (message: string) => reply.code(400).send({ error: { code: "bad_request", message } });
    if (!(await configuredWindowOr400(store, q.window, reply))) return undefined;
    const spec = (await store.list()).find((m) => m.model_id === params.id);
    if (spec && spec.task !== task) {
      badRequest(`${why}; '${params.id}' is ${String(spec.task)}`);
      return undefined;
    }
    return { id: params.id, q };
  }

  app.get("/v1/models/:id/classes", { preHandler: requireScope("read") }, async (request, reply) => {
    const read = await taskRead(request, reply, ClassesQuery, "multiclass", "per-class metrics are for multi-class models");
    if (!read) return reply;
    const { id, q } = read;
    const windows = await store.classWindows({ modelId: id, ...q });
    // The range's totals per class and per confusion cell: sums of the windows' counts, so exact whatever the window size.
    const totals = new Map<string, { class: string; tp: number; fp: number; fn: number }>();
    const cells = new Map<string, { truth: string; predicted: string; count: number }>();
    for (const w of windows) {
      for (const c of w.classes) {
        const t = totals.get(c.class) ?? { class: c.class, tp: 0, fp: 0, fn: 0 };
        t.tp += c.tp;
        t.fp += c.fp;
        t.fn += c.fn;
        totals.set(c.class, t);
      }
      for (const c of w.confusion) {
        const k = JSON.stringify([c.truth, c.predicted]);
        const t = cells.get(k) ?? { truth: c.truth, predicted: c.predicted, count: 0 };
        t.count += c.count;
        cells.set(k, t);
      }
    }
    const byCell = (a: { truth: string; predicted: string }, b: { truth: string; predicted: string }) =>
      a.truth < b.truth ? -1 : a.truth > b.truth ? 1 : a.predicted < b.predicted ? -1 : a.predicted > b.predicted ? 1 : 0;
    const byClass = (a: { class: string }, b: { class: string }) => (a.class < b.class ? -1 : a.class > b.class ? 1 : 0);
    return {
      model_id: id,
      window_seconds: q.window,
      classes: [...totals.values()].sort(byClass).map(classScores),
      confusion: [...cells.values()].sort(byCell),
      windows: windows.map((w) => ({
        window_start: new Date(w.window_start * 1000).toISOString(),
        model_version: w.model_version,
        stage: w.stage,
        classes: [...w.classes].sort(byClass).map(classScores),
        confusion: [...w.confusion].sort(byCell),
      })),
    };
  });

  app.get("/v1/models/:id/fairness", { preHandler: requireScope("read") }, async (request, reply) => {
    const read = await taskRead(request, reply, FairnessQuery, "binary", "fairness needs a binary model (selection and error rates)");
    if (!read) return reply;
    const { id, q } = read;
    const counts = await store.sliceCounts({ modelId: id, window: q.window, from: q.from, to: q.to, sliceKey: q.key });
    const labeled = (c: (typeof counts)[number]) => c.tp + c.fp + c.fn + c.tn;
    const compared = counts.filter((c) => labeled(c) >= q.min_labeled).sort((a, b) => (a.slice_value < b.slice_value ? -1 : 1));
    const report = fairnessReport(
      compared.map((c) => ({ group: c.slice_value, tp: c.tp, fp: c.fp, fn: c.fn, tn: c.tn })),
      q.reference,
    );
    return {
      model_id: id,
      key: q.key,
      window_seconds: q.window,
      ...report,
      too_few_labels: counts
        .filter((c) => labeled(c) < q.min_labeled)
        .map((c) => ({ group: c.slice_value, labeled: labeled(c) }))
        .sort((a, b) => (a.group < b.group ? -1 : 1)),
      ...(counts.length === 0 && { note: `no slices of '${q.key}' in this range: is it one of the model's slice keys?` }),
    };
  });
}
