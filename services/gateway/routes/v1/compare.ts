/**
 * GET /v1/models/:id/compare (scope `read`): the paired comparison of two variants (versions or
 * stages) scored on the same requests (shadow, canary), over a time range and a slice: agreement,
 * the 2×2 table with McNemar's test and Newcombe's interval of the accuracy difference
 * (classification), the mean difference in absolute error with its t-interval (regression), and the
 * promote / hold / roll back reading with its evidence; with `window`, the difference per window of
 * that size as well, so a team sees when a candidate fell behind. Unpaired traffic (variants that never share
 * a request) is compared window by window through GET /v1/models/:id/metrics?model_version=….
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createClickHouse } from "../../../common/clickhouse/client.js";
import {
  type PairedRepository,
  type PairedTotals,
  type PairedWindow,
  pairedRepository,
} from "../../../common/clickhouse/paired.repository.js";
import { pairedReport, pairedWindowReport, selectPair, swapped, type VariantPair } from "../../../common/domain/paired-report.js";
import type { GatewayContext } from "../../app.js";
import { readableModel } from "./model-access.js";
import { configuredWindowOr400, modelIdParam, parseOr400, timeParam, windowParam } from "./params.js";

/** Most windows one answer holds (`windows_truncated` says when more matched). */
export const COMPARE_WINDOWS_LIMIT = 10_000;

const version = z.string().min(1).max(128);
const stage = z.string().min(1).max(64);

const CompareQuery = z
  .object({
    /** The incumbent's version and, optionally, stage. */
    a: version.optional(),
    a_stage: stage.optional(),
    /** The candidate's. */
    b: version.optional(),
    b_stage: stage.optional(),
    from: timeParam.optional(),
    to: timeParam.optional(),
    slice_key: z.string().max(256).default(""),
    slice_value: z.string().max(256).default(""),
    /** With it, the difference per window of this configured size too. */
    window: windowParam.optional(),
    confidence: z.enum(["0.9", "0.95", "0.99"]).default("0.95").transform(Number),
    /** The loss accepted from the candidate, in accuracy points or units of absolute error. */
    margin: z.coerce.number().min(0).max(1e9).default(0),
    /** Fewer labelled pairs always read "hold". */
    min_pairs: z.coerce.number().int().min(1).max(1e9).default(100),
  })
  .refine((q) => q.slice_key !== "" || q.slice_value === "", { path: ["slice_value"], message: "give slice_key with slice_value" })
  .refine((q) => q.a !== undefined || q.a_stage === undefined, { path: ["a_stage"], message: "give a with a_stage" })
  .refine((q) => q.b !== undefined || q.b_stage === undefined, { path: ["b_stage"], message: "give b with b_stage" })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { path: ["to"], message: "must be after from" });

function variantPair(r: PairedTotals): VariantPair {
  return {
    a: { version: r.version_a, stage: r.stage_a },
    b: { version: r.version_b, stage: r.stage_b },
    pairs: r.pairs,
    agreeing: r.agreeing,
    bothRight: r.both_right,
    onlyA: r.only_a,
    onlyB: r.only_b,
    bothWrong: r.both_wrong,
    errors: { n: r.reg_n, mean: r.reg_n === 0 ? 0 : r.d_sum / r.reg_n, m2: r.d_m2, absErrorA: r.abs_err_a, absErrorB: r.abs_err_b },
  };
}

const sameVariant = (x: VariantPair["a"], y: VariantPair["a"]) => x.version === y.version && x.stage === y.stage;

function windowOut(
  task: "binary" | "multiclass" | "regression",
  w: PairedWindow,
  a: VariantPair["a"],
  b: VariantPair["b"],
  turned: boolean,
  confidence: number,
) {
  const p = variantPair({ ...w, version_a: a.version, stage_a: a.stage, version_b: b.version, stage_b: b.stage });
  return {
    window_start: new Date(w.window_start_s * 1000).toISOString(),
    ...pairedWindowReport(task, turned ? swapped(p) : p, confidence),
  };
}

export function compareRoutes(app: FastifyInstance, ctx: GatewayContext, repository?: PairedRepository): void {
  const { config, deps, requireScope } = ctx;
  let repo = repository;
  if (!repo) {
    // Its own small client, closed with the app, so the gateway's wiring need not change.
    const clickhouse = createClickHouse(config.clickhouse);
    app.addHook("onClose", async () => clickhouse.close());
    repo = pairedRepository(clickhouse);
  }
  const paired = repo;

  app.get("/v1/models/:id/compare", { preHandler: requireScope("read") }, async (request, reply) => {
    const params = parseOr400(modelIdParam, request.params, reply);
    if (!params || !(await readableModel(ctx, request, reply, params.id))) return reply;
    const q = parseOr400(CompareQuery, request.query, reply);
    if (!q) return reply;
    if (q.window !== undefined && !(await configuredWindowOr400(deps.models, q.window, reply))) return reply;
    const spec = (await deps.models.list()).find((m) => m.model_id === params.id);
    const task = spec?.task === "regression" || spec?.task === "multiclass" ? spec.task : "binary";
    const query = {
      modelId: params.id,
      fromS: q.from === undefined ? undefined : Math.floor(q.from / 1000),
      toS: q.to === undefined ? undefined : Math.ceil(q.to / 1000),
      sliceKey: q.slice_key,
      sliceValue: q.slice_value,
    };
    const stored = (await paired.totals(query)).map(variantPair);
    const available = stored.map((p) => ({ a: p.a, b: p.b, pairs: p.pairs }));
    const chosen = selectPair(
      stored,
      q.a === undefined ? undefined : { version: q.a, stage: q.a_stage },
      q.b === undefined ? undefined : { version: q.b, stage: q.b_stage },
    );
    const range = {
      model_id: params.id,
      task,
      from: q.from === undefined ? null : new Date(q.from).toISOString(),
      to: q.to === undefined ? null : new Date(q.to).toISOString(),
      slice_key: q.slice_key,
      slice_value: q.slice_value,
      confidence: q.confidence,
    };
    const unpaired = `compare unpaired traffic per window with GET /v1/models/${params.id}/metrics?model_version=<version>`;
    if (!chosen.ok) {
      // No pairs at all (no a/b asked) is an answer, not an error: the model simply has no shared requests.
      if (chosen.code === "no_pairs") return { ...range, comparison: null, available, note: `${chosen.message}; ${unpaired}` };
      return reply.code(chosen.status).send({ error: { code: chosen.code, message: chosen.message } });
    }
    const comparison = pairedReport(task, chosen.pair, q.confidence, { margin: q.margin, minPairs: q.min_pairs });
    if (q.window === undefined) return { ...range, comparison, available };
    // The stored row has A < B; the windows are read as stored and turned as the total was.
    const { a, b } = chosen.pair;
    const turned = !stored.some((p) => sameVariant(p.a, a) && sameVariant(p.b, b));
    const [sa, sb] = turned ? [b, a] : [a, b];
    const { rows, truncated } = await paired.windows({
      ...query,
      versionA: sa.version,
      stageA: sa.stage,
      versionB: sb.version,
      stageB: sb.stage,
      windowSeconds: q.window,
      limit: COMPARE_WINDOWS_LIMIT,
    });
    const windows = rows.map((w) => windowOut(task, w, sa, sb, turned, q.confidence));
    return { ...range, comparison, available, window_seconds: q.window, windows, windows_truncated: truncated };
  });
}
