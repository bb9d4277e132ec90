/**
 * References uploaded in parts, for samples larger than one body (issue 15, item 6):
 *   POST /v1/models/:id/reference/uploads?model_version=v3          open an upload (admin)
 *   PUT  /v1/models/:id/reference/uploads/:upload/parts/:n          part n (1…10000): a JSON array or
 *                                                                   NDJSON of sample rows (admin)
 *   POST /v1/models/:id/reference/uploads/:upload/complete          profile every part's rows; the
 *                                                                   reference becomes active (admin)
 * A part sent again replaces itself (its rows are numbered from n × 1,000,000), so a client retries
 * a part without counting it twice. Every part of an upload together holds at most
 * HINDSIGHT_REFERENCE_MAX_ROWS rows; the part that would pass it is refused whole with 413. Until
 * it is completed an upload is invisible to drift.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { GatewayContext } from "../../app.js";
import { modelIdParam, parseOr400 } from "./params.js";
import { writableModel } from "./model-access.js";
import { finishReference, sampleRows } from "./drift.js";

/** Row numbers of part n start at n × PART_SPAN; a part holds fewer rows than that (the row limit is lower). */
const PART_SPAN = 1_000_000;
export const MAX_PARTS = 10_000;

const UploadParams = modelIdParam.extend({ upload: z.string().regex(/^upload-[0-9a-f-]{36}$/, "not a valid upload id") });
const PartParams = UploadParams.extend({ n: z.coerce.number().int().min(1).max(MAX_PARTS) });
const OpenQuery = z.object({ model_version: z.string().min(1).max(128).optional() });

export function referenceUploadRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { deps, requireScope } = ctx;
  const drift = deps.drift;
  const max = ctx.config.drift.maxReferenceRows;
  const tooMany = (reply: FastifyReply, total: number) =>
    reply.code(413).send({
      error: {
        code: "too_large",
        message: `the upload would hold ${total} rows; at most ${max} rows per reference (HINDSIGHT_REFERENCE_MAX_ROWS)`,
      },
    });

  /** The open upload of this model, or undefined after answering 404 (unknown, or another model's) or 409 (completed). */
  async function openUpload(reply: FastifyReply, modelId: string, uploadId: string) {
    const upload = await drift.upload(uploadId);
    if (!upload || upload.model_id !== modelId) {
      void reply.code(404).send({ error: { code: "not_found", message: `no upload '${uploadId}' for model '${modelId}'` } });
      return undefined;
    }
    if (upload.state !== "open") {
      void reply.code(409).send({ error: { code: "conflict", message: `upload '${uploadId}' is already completed; open a new one` } });
      return undefined;
    }
    return upload;
  }

  app.post("/v1/models/:id/reference/uploads", { preHandler: requireScope("admin") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(OpenQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!writableModel(request, reply, params.id)) return reply;
    const now = Date.now();
    const upload = {
      upload_id: `upload-${randomUUID()}`,
      model_id: params.id,
      model_version: q.model_version ?? "",
      state: "open" as const,
      created_at_ms: now,
      updated_at_ms: now,
    };
    await drift.saveUpload(upload);
    return reply.code(201).send({
      upload_id: upload.upload_id,
      model_id: upload.model_id,
      model_version: upload.model_version,
      max_rows: max,
      max_parts: MAX_PARTS,
    });
  });

  app.put("/v1/models/:id/reference/uploads/:upload/parts/:n", { preHandler: requireScope("admin") }, async (request, reply) => {
    const p = parseOr400(PartParams, request.params, reply);
    if (!p) return reply;
    if (!writableModel(request, reply, p.id)) return reply;
    const upload = await openUpload(reply, p.id, p.upload);
    if (!upload) return reply;
    const items = Array.isArray(request.body) ? request.body : [];
    if (items.length === 0)
      return reply
        .code(400)
        .send({ error: { code: "bad_request", message: "body must be a non-empty JSON array or NDJSON of sample rows" } });
    if (items.length > max) return tooMany(reply, items.length);
    const first = p.n * PART_SPAN;
    const rows = sampleRows(items, { modelId: p.id, version: upload.model_version, referenceId: p.upload, firstRow: first });
    if ("error" in rows) return reply.code(400).send({ error: { code: "bad_request", message: rows.error } });
    // A part sent again replaces itself: its earlier rows go first.
    await drift.deleteSampleRange(p.upload, first, first + PART_SPAN);
    await drift.insertSample(p.upload, rows);
    const total = await drift.sampleRows(p.upload);
    if (total > max) {
      await drift.deleteSampleRange(p.upload, first, first + PART_SPAN);
      return tooMany(reply, total);
    }
    await drift.saveUpload({ ...upload, updated_at_ms: Math.max(Date.now(), upload.updated_at_ms + 1) });
    return { upload_id: p.upload, part: p.n, rows: rows.length, total_rows: total };
  });

  app.post("/v1/models/:id/reference/uploads/:upload/complete", { preHandler: requireScope("admin") }, async (request, reply) => {
    const p = parseOr400(UploadParams, request.params, reply);
    if (!p) return reply;
    if (!writableModel(request, reply, p.id)) return reply;
    const upload = await openUpload(reply, p.id, p.upload);
    if (!upload) return reply;
    const total = await drift.sampleRows(p.upload);
    if (total > max) return tooMany(reply, total);
    if (total === 0)
      return reply.code(400).send({ error: { code: "bad_request", message: "the upload holds no rows; send its parts first" } });
    await finishReference(ctx, request, reply, {
      modelId: p.id,
      version: upload.model_version,
      referenceId: p.upload,
      source: { kind: "sample" },
    });
    if (reply.statusCode === 201)
      await drift.saveUpload({ ...upload, state: "completed", updated_at_ms: Math.max(Date.now(), upload.updated_at_ms + 1) });
    return reply;
  });
}
