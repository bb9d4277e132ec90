/**
 * Drift references, drift scores and data quality over HTTP:
 *   POST /v1/models/:id/reference   upload a sample (JSON array or NDJSON), or pin {from, to} (admin)
 *   GET  /v1/models/:id/reference   references, the active one's profiles and proposed rules (read)
 *   GET  /v1/models/:id/drift       drift per window and feature, or per slice with ?slice=key=value (read)
 *   GET  /v1/models/:id/drift/slices  the slices scored for drift in a time range, most drifted first (read)
 *   GET  /v1/models/:id/quality     data-quality checks per window and feature (read)
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { GatewayContext } from "../../app.js";
import { UnparsableLine } from "../../batch-body.js";
import { configuredWindowOr400, modelIdParam, parseOr400, timeParam, windowParam } from "./params.js";
import { predictionRow } from "../../../common/domain/event-rows.js";
import { PredictionWire } from "../../../../schemas/events.js";
import { proposeRules } from "../../../common/domain/drift/data-quality.js";
import { readableModel, writableModel } from "./model-access.js";
import { driftSliceKeys, parseSliceFilter } from "../../../common/domain/drift/slice-drift.js";

const bodyTime = z.union([z.number().int().nonnegative(), timeParam]);
const PinRange = z
  .object({ from: bodyTime, to: bodyTime, model_version: z.string().min(1).max(128).optional() })
  .strict()
  .refine((r) => r.from < r.to, { message: "from must be before to", path: ["from"] });

const UploadQuery = z.object({ model_version: z.string().min(1).max(128).optional() });

const SampleOutput = z
  .object({
    label: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
    score: z.number().optional(),
    value: z.number().optional(),
  })
  .passthrough();

/** One sample row: an event-like {features, prediction} or a flat map of features. */
function sampleRow(
  item: unknown,
):
  | { features: Record<string, number | string | boolean | null>; label: string | null; score: number | null; value: number | null }
  | { error: string } {
  if (item instanceof UnparsableLine) return { error: item.message };
  if (item === null || typeof item !== "object" || Array.isArray(item))
    return { error: "must be an object of features, or {features, prediction}" };
  const eventLike = "features" in item && typeof item.features === "object";
  const features = PredictionWire.shape.features.safeParse(eventLike ? item.features : item);
  if (!features.success)
    return { error: `${features.error.issues[0]?.path.join(".") || "features"}: ${features.error.issues[0]?.message}` };
  const output = SampleOutput.safeParse(eventLike && "prediction" in item ? item.prediction : {});
  if (!output.success) return { error: `prediction.${output.error.issues[0]?.path.join(".")}: ${output.error.issues[0]?.message}` };
  return { features: features.data, label: output.data.label ?? null, score: output.data.score ?? null, value: output.data.value ?? null };
}

/** The stored rows of a sample, numbered from `firstRow`; or the first bad row's reason. */
export function sampleRows(
  items: readonly unknown[],
  at: { modelId: string; version: string; referenceId: string; firstRow: number },
): object[] | { error: string } {
  const rows: object[] = [];
  for (let i = 0; i < items.length; i++) {
    const sample = sampleRow(items[i]);
    if ("error" in sample) return { error: `row ${i}: ${sample.error}` };
    const r = predictionRow(
      {
        prediction_id: String(i),
        model_id: at.modelId,
        model_version: at.version || "-",
        stage: "-",
        timestamp: 0,
        features: sample.features,
        prediction: { label: sample.label, score: sample.score, scores: null, value: sample.value },
        segments: {},
        received_at: null,
      },
      { partition: 0, offset: 0, schemaId: 1, ingestedAtS: 0 },
    );
    const { feature_keys, feature_types, feature_numbers, feature_strings, pred_label, pred_score, pred_value } = r;
    rows.push({
      reference_id: at.referenceId,
      row_number: at.firstRow + i,
      feature_keys,
      feature_types,
      feature_numbers,
      feature_strings,
      pred_label,
      pred_score,
      pred_value,
    });
  }
  return rows;
}

/** Profiles a reference's rows, stores it (from now on the version's active reference), audits it and answers 201. */
export async function finishReference(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  r: { modelId: string; version: string; referenceId: string; source: ReferenceSource },
): Promise<FastifyReply> {
  const drift = ctx.deps.drift;
  const rules = (await drift.loadRules()).get(r.modelId) ?? {};
  const built = await drift.buildProfiles(r.modelId, r.version, r.referenceId, r.source, rules);
  if (built.rows === 0)
    return reply
      .code(400)
      .send({ error: { code: "bad_request", message: "the reference holds no rows (no predictions of that version in the range?)" } });
  const meta = {
    reference_id: r.referenceId,
    model_id: r.modelId,
    model_version: r.version,
    source: r.source.kind === "range" ? "range" : "upload",
    from_ms: r.source.kind === "range" ? r.source.fromMs : 0,
    to_ms: r.source.kind === "range" ? r.source.toMs : 0,
    rows: built.rows,
    created_at_ms: Date.now(),
  };
  await drift.saveReference(meta, built.profiles);
  await ctx.audit(request, "reference.create", r.referenceId, [r.modelId], {
    model_version: r.version,
    source: meta.source,
    rows: built.rows,
  });
  return reply.code(201).send({
    ...meta,
    features: built.profiles.map((p) => ({ feature: p.feature, kind: p.kind, n: p.n, proposed_rules: proposeRules(p) })),
  });
}

type ReferenceSource = { kind: "range"; fromMs: number; toMs: number } | { kind: "sample" };

const ListQuery = z.object({
  window: windowParam.default(3600),
  from: timeParam.optional(),
  to: timeParam.optional(),
  model_version: z.string().max(128).optional(),
  feature: z.string().max(256).optional(),
  only: z.enum(["drifted", "violated", "all"]).default("all"),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  slice: z.string().min(1).max(512).optional(),
});

/**
 * A `slice=key=value` of a drift request, checked against the model's declared slice keys; or
 * undefined after answering 400.
 */
async function sliceOr400(
  ctx: GatewayContext,
  reply: FastifyReply,
  modelId: string,
  text: string,
): Promise<{ key: string; value: string } | undefined> {
  const slice = parseSliceFilter(text);
  const fail = (message: string): undefined => {
    void reply.code(400).send({ error: { code: "bad_request", message: `slice: ${message}` } });
    return undefined;
  };
  if (!slice) return fail("expected key=value, such as country=DE");
  const declared = await declaredSliceKeys(ctx, modelId);
  const keys = driftSliceKeys(declared);
  if (declared.includes(slice.key) && !keys.includes(slice.key))
    return fail(
      `${JSON.stringify(slice.key)} is an intersection; drift is computed per single declared key (${keys.join(", ") || "none"})`,
    );
  if (!keys.includes(slice.key))
    return fail(
      keys.length === 0
        ? "the model declares no slice keys; drift per slice needs them (PUT /v1/models/:id with slice_keys)"
        : `${JSON.stringify(slice.key)} is not a declared slice key of the model (declared: ${keys.join(", ")})`,
    );
  return slice;
}

async function declaredSliceKeys(ctx: GatewayContext, modelId: string): Promise<string[]> {
  const model = (await ctx.deps.models.list()).find((m) => m.model_id === modelId);
  return model?.declared === true && Array.isArray(model.slice_keys) ? (model.slice_keys as string[]) : [];
}

const noSliceDrift = (reply: FastifyReply) =>
  reply.code(503).send({ error: { code: "unavailable", message: "drift per slice is not available on this gateway" } });

export function driftRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { deps, requireScope } = ctx;
  const drift = deps.drift;

  app.post("/v1/models/:id/reference", { preHandler: requireScope("admin") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    if (!params) return reply;
    if (!writableModel(request, reply, params.id)) return reply;
    const body = request.body;
    const isPin = body !== null && typeof body === "object" && !Array.isArray(body) && ("from" in body || "to" in body);
    const referenceId = `${isPin ? "range" : "upload"}-${randomUUID()}`;
    let version = "";
    let source: ReferenceSource;
    if (isPin) {
      const pin = parseOr400(PinRange, body, reply);
      if (!pin) return reply;
      if (!pin.model_version)
        return reply
          .code(400)
          .send({ error: { code: "bad_request", message: "model_version: a pinned range needs the version whose traffic it takes" } });
      version = pin.model_version;
      source = { kind: "range", fromMs: pin.from, toMs: pin.to };
    } else {
      const q = parseOr400(UploadQuery, request.query, reply);
      if (!q) return reply;
      version = q.model_version ?? "";
      const items = Array.isArray(body) ? body : [];
      if (items.length === 0)
        return reply.code(400).send({
          error: {
            code: "bad_request",
            message: "body must be a non-empty JSON array or NDJSON of sample rows, or {from, to, model_version} to pin live traffic",
          },
        });
      const max = ctx.config.drift.maxReferenceRows;
      if (items.length > max)
        return reply.code(413).send({
          error: {
            code: "too_large",
            message: `at most ${max} rows per reference (HINDSIGHT_REFERENCE_MAX_ROWS); pin a time range for larger samples`,
          },
        });
      const rows = sampleRows(items, { modelId: params.id, version, referenceId, firstRow: 0 });
      if ("error" in rows) return reply.code(400).send({ error: { code: "bad_request", message: rows.error } });
      await drift.insertSample(referenceId, rows);
      source = { kind: "sample" };
    }
    return finishReference(ctx, request, reply, { modelId: params.id, version, referenceId, source });
  });

  app.get("/v1/models/:id/reference", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(UploadQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    const references = await drift.listReferences(params.id);
    const active = await drift.activeReference(params.id, q.model_version ?? "");
    const profiles = active ? await drift.loadProfiles(active.reference_id) : [];
    return {
      model_id: params.id,
      active: active ?? null,
      features: profiles.map((p) => ({
        feature: p.feature,
        kind: p.kind,
        n: p.n,
        nulls: p.nulls,
        ...(p.kind === "numeric"
          ? { min: p.min, max: p.max, mean: p.mean, std: p.std, bins: p.edges.length + 1 }
          : { categories: p.categories.slice(0, 100), category_count: p.categories.length }),
        proposed_rules: proposeRules(p),
      })),
      references,
    };
  });

  for (const kind of ["drift", "quality"] as const) {
    app.get(`/v1/models/:id/${kind}`, { preHandler: requireScope("read") }, async (request, reply) => {
      const params = parseOr400(modelIdParam, request.params, reply);
      const q = params && parseOr400(ListQuery, request.query, reply);
      if (!params || !q) return reply;
      if (!(await readableModel(ctx, request, reply, params.id))) return reply;
      if (!(await configuredWindowOr400(deps.models, q.window, reply))) return reply;
      const filter = { modelId: params.id, ...q, flaggedOnly: q.only !== "all" };
      if (q.slice !== undefined) {
        if (kind === "quality")
          return reply
            .code(400)
            .send({ error: { code: "bad_request", message: "slice: data quality is checked over all traffic, not per slice" } });
        const slice = await sliceOr400(ctx, reply, params.id, q.slice);
        if (!slice) return reply;
        if (!deps.sliceDrift) return noSliceDrift(reply);
        const scores = await deps.sliceDrift.scores({ ...filter, slice });
        return { model_id: params.id, window_seconds: q.window, slice, scores };
      }
      const rows = kind === "drift" ? await drift.driftScores(filter) : await drift.qualityChecks(filter);
      return { model_id: params.id, window_seconds: q.window, [kind === "drift" ? "scores" : "checks"]: rows };
    });
  }

  app.get("/v1/models/:id/drift/slices", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(ListQuery.omit({ slice: true, feature: true, only: true }), request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    if (!(await configuredWindowOr400(deps.models, q.window, reply))) return reply;
    if (!deps.sliceDrift) return noSliceDrift(reply);
    const slices = await deps.sliceDrift.slices({ modelId: params.id, ...q, flaggedOnly: false });
    return { model_id: params.id, window_seconds: q.window, slice_keys: driftSliceKeys(await declaredSliceKeys(ctx, params.id)), slices };
  });
}
