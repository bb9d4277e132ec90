/**
 * Reads the dashboard's pages need beyond the core model API (read scope):
 *   GET /v1/models/:id/drift/distribution   one drift cell: the reference's and the window's
 *                                           counts of one feature on the reference's bins
 *   GET /v1/models/:id/label-delays         feedback-delay histogram per version and stage
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { GatewayContext } from "../../app.js";
import { DELAY_BIN_RATIO } from "../../../common/clickhouse/window-stats.query.js";
import { configuredWindowOr400, modelIdParam, parseOr400, timeParam, windowParam } from "./params.js";
import { readableModel } from "./model-access.js";

const DistributionQuery = z.object({
  window: windowParam.default(3600),
  window_start: timeParam,
  feature: z.string().min(1).max(256),
  model_version: z.string().min(1).max(128).optional(),
});

const DelaysQuery = z.object({ from: timeParam.optional(), to: timeParam.optional() });

interface Side {
  n: number;
  nulls: number;
  counts: number[];
  min: number | null;
  max: number | null;
}

export function modelViewRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { deps, requireScope } = ctx;

  app.get("/v1/models/:id/drift/distribution", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(DistributionQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    if (!(await configuredWindowOr400(deps.models, q.window, reply))) return reply;
    const windowStartS = Math.floor(q.window_start / 1000);
    if (windowStartS % q.window !== 0)
      return reply.code(400).send({ error: { code: "bad_request", message: `window_start: not the start of a ${q.window} s window` } });
    const [score] = await deps.drift.driftScores({
      modelId: params.id,
      window: q.window,
      from: windowStartS * 1000,
      to: windowStartS * 1000 + 1,
      model_version: q.model_version,
      feature: q.feature,
      flaggedOnly: false,
      limit: 1,
    });
    if (!score)
      return reply.code(404).send({
        error: {
          code: "not_found",
          message: `no drift score for feature '${q.feature}' of model '${params.id}' in the ${q.window} s window starting ${new Date(windowStartS * 1000).toISOString()}`,
        },
      });
    const version = String(score.model_version);
    const referenceId = String(score.reference_id);
    const profiles = await deps.drift.loadProfiles(referenceId);
    const profile = profiles.find((p) => p.feature === q.feature);
    if (!profile)
      return reply
        .code(404)
        .send({ error: { code: "not_found", message: `reference '${referenceId}' has no profile of feature '${q.feature}'` } });
    // The window is the sum of the base windows it covers, all binned on the reference's bins.
    const summaries = await deps.drift.readSummaries(params.id, version, referenceId, [profile], windowStartS, windowStartS + q.window);
    const window: Side = { n: 0, nulls: 0, counts: profile.counts.map(() => 0), min: null, max: null };
    for (const perWindow of summaries.values()) {
      const s = perWindow.find((x) => x.feature === q.feature);
      if (!s) continue;
      window.nulls += s.nulls;
      s.counts.forEach((c, i) => (window.counts[i] = (window.counts[i] ?? 0) + c));
      if (s.n > 0 && profile.kind === "numeric") {
        window.min = window.min === null ? s.min : Math.min(window.min, s.min);
        window.max = window.max === null ? s.max : Math.max(window.max, s.max);
      }
      window.n += s.n;
    }
    const reference: Side = {
      n: profile.n,
      nulls: profile.nulls,
      counts: profile.counts,
      min: profile.kind === "numeric" ? profile.min : null,
      max: profile.kind === "numeric" ? profile.max : null,
    };
    return {
      model_id: params.id,
      model_version: version,
      feature: q.feature,
      kind: profile.kind,
      window_seconds: q.window,
      window_start_ms: windowStartS * 1000,
      reference_id: referenceId,
      method: score.method,
      score: score.score,
      threshold: score.threshold,
      drifted: score.drifted,
      // numeric: bin 0 is below edges[0], bin i is [edges[i-1], edges[i]), the last is above the last edge;
      // categorical: bin 0 is every value outside `categories`, bin i is categories[i - 1].
      ...(profile.kind === "numeric" ? { edges: profile.edges } : { categories: profile.categories }),
      reference,
      window,
    };
  });

  app.get("/v1/models/:id/label-delays", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    const q = params && parseOr400(DelaysQuery, request.query, reply);
    if (!params || !q) return reply;
    if (!(await readableModel(ctx, request, reply, params.id))) return reply;
    const rows = await deps.models.delayHistogram({ modelId: params.id, from: q.from, to: q.to });
    return {
      model_id: params.id,
      // Bin b holds delays in (ratio^(b-1) − 1, ratio^b − 1] seconds; bin 0 holds delays ≤ 0.
      bin_ratio: DELAY_BIN_RATIO,
      versions: rows.map((r) => ({
        model_version: r.model_version,
        stage: r.stage,
        labeled: r.labeled,
        bins: r.bins.map((b, i) => ({ upper_s: b === 0 ? 0 : DELAY_BIN_RATIO ** b - 1, count: r.counts[i] ?? 0 })),
      })),
    };
  });
}
