/**
 * The gateway as a fastify plugin: routes, auth, body parsing and metrics, with every dependency
 * passed in. server.ts is the thin process around it; tests call `app.inject` on it directly.
 */
import type { AlertsRepository } from "../common/clickhouse/alerts.repository.js";
import { alertRoutes } from "./routes/v1/alerts.js";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { Config, Scope } from "../common/config/env.js";
import type { KafkaProducer } from "../common/kafka/client.js";
import type { ModelStore } from "../common/clickhouse/model-store.js";
import { Counter, Gauge, type Registry } from "../common/observability/metrics.js";
import rateLimit from "@fastify/rate-limit";
import { createAuth } from "./auth.js";
import { parseNdjson } from "./batch-body.js";
import { ingestRoutes } from "./routes/v1/ingest.js";
import { healthRoutes } from "./routes/health.js";
import { modelRoutes } from "./routes/v1/models.js";
import { driftRoutes } from "./routes/v1/drift.js";
import { modelViewRoutes } from "./routes/v1/model-views.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import type { DriftRepository } from "../common/clickhouse/drift.repository.js";
import type { SliceDriftRepository } from "../common/clickhouse/slice-drift.repository.js";
import type { AnalystSql } from "../common/clickhouse/analyst-query.js";
import { sqlRoutes } from "./routes/v1/sql.js";
import type { TokensRepository } from "../common/clickhouse/tokens.repository.js";
import type { TokenSource } from "./token-cache.js";
import { actorOf, tokenRoutes } from "./routes/v1/tokens.js";
import { referenceUploadRoutes } from "./routes/v1/reference-uploads.js";
import { modelMetricsRoutes } from "./routes/v1/model-metrics.js";
import type { ModelQualityRepository } from "../common/clickhouse/model-quality.repository.js";
import type { EstimatesRepository } from "../common/clickhouse/estimates.repository.js";
import { estimateRoutes } from "./routes/v1/estimates.js";
import type { PairedRepository } from "../common/clickhouse/paired.repository.js";
import { compareRoutes } from "./routes/v1/compare.js";

export interface GatewayDeps {
  producer: KafkaProducer;
  /** The schema ids events are produced with: a schema registry's ids for our schemas, or (absent) the fixed ids. */
  schemaIds?: { prediction: number; label: number };
  registry: Registry;
  /** Each resolves true when the dependency answers. */
  checks: { kafka(): Promise<boolean>; clickhouse(): Promise<boolean> };
  /** The pipeline's open problems (set-aside work, a stalled or lagging metrics group); /readyz reports them. */
  pipelineProblems?(): Promise<{ reasons: string[]; open: number }>;
  /** Unread messages of the processor's consumer group, per topic. */
  consumerLag(): Promise<Record<string, number>>;
  models: ModelStore;
  drift: DriftRepository;
  /** Drift per slice (GET /v1/models/:id/drift?slice=…, /drift/slices); without it those answer 503. */
  sliceDrift?: SliceDriftRepository;
  /** Runs analysts' SQL as the read-only ClickHouse user; without it POST /v1/sql answers 503. */
  analyst?: AnalystSql;
  /** Alerts, feedback and rules; without it the alerts routes answer 503. */
  alerts?: AlertsRepository;
  /** Stored tokens and the audit log; without it only HINDSIGHT_TOKENS open the API and /v1/tokens answers 503. */
  tokens?: TokensRepository;
  /** The stored tokens the gateway accepts (a cache refreshed on a timer); `refresh` applies a change at once. */
  tokenSource?: TokenSource & { refresh?(): Promise<void> };
  /** Models' newest window values for GET /v1/metrics/models; without it that route reads ClickHouse with its own client from the configuration. */
  modelQuality?: ModelQualityRepository;
  /** Label-free estimates for GET /v1/models/:id/estimates; without it that route reads ClickHouse with its own client. */
  estimates?: EstimatesRepository;
  /** Paired comparisons for GET /v1/models/:id/compare; without it that route reads ClickHouse with its own client. */
  paired?: PairedRepository;
}

export interface GatewayContext {
  config: Config;
  deps: GatewayDeps;
  requireScope: (scope: Scope) => (request: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply) => Promise<unknown>;
  metrics: { accepted: Counter<"kind">; rejected: Counter<"kind"> };
  /** Records an admin action in the audit log (who, what, which models, when); never fails the request. */
  audit(
    request: import("fastify").FastifyRequest,
    action: string,
    target: string,
    modelIds: readonly string[],
    detail?: Record<string, unknown>,
  ): Promise<void>;
}

/** Routes under /v1/ carry the per-token rate limit; health, metrics and the dashboard's files do not. */
export const isLimitedRoute = (routeUrl: string | undefined): boolean => routeUrl?.startsWith("/v1/") === true;

export function buildApp(config: Config, deps: GatewayDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const { registry } = deps;
    const requests = new Counter({
      name: "hindsight_http_requests_total",
      help: "HTTP requests by route pattern, method and status code.",
      labelNames: ["route", "method", "status"] as const,
      registers: [registry],
    });
    const metrics = {
      accepted: new Counter({
        name: "hindsight_events_accepted_total",
        help: "Events accepted and produced to Kafka.",
        labelNames: ["kind"] as const,
        registers: [registry],
      }),
      rejected: new Counter({
        name: "hindsight_events_rejected_total",
        help: "Events rejected as invalid.",
        labelNames: ["kind"] as const,
        registers: [registry],
      }),
    };
    new Gauge({
      name: "hindsight_consumer_lag_messages",
      help: "Messages the processor has yet to read, per topic.",
      labelNames: ["topic"] as const,
      registers: [registry],
      async collect() {
        try {
          const lag = await deps.consumerLag();
          for (const [topic, value] of Object.entries(lag)) this.set({ topic }, value);
        } catch {
          // Kafka unreachable: leave the last known values; /readyz reports the outage.
        }
      },
    });

    app.addContentTypeParser(
      ["application/yaml", "application/x-yaml", "text/yaml"],
      { parseAs: "string", bodyLimit: config.http.maxBodyBytes },
      (_req, body, done) => done(null, body),
    );
    app.addContentTypeParser(
      ["application/x-ndjson", "application/jsonl"],
      { parseAs: "string", bodyLimit: config.http.maxBodyBytes },
      (_req, body, done) => {
        done(null, parseNdjson(body as string));
      },
    );

    app.addHook("onResponse", async (request, reply) => {
      requests.inc({ route: request.routeOptions.url ?? "unmatched", method: request.method, status: String(reply.statusCode) });
    });

    // Compressed bodies are never inflated (a gzip bomb would be); say so, before reading the body.
    app.addHook("onRequest", async (request, reply) => {
      const encoding = request.headers["content-encoding"];
      if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
        return reply.code(415).send({
          error: { code: "unsupported_encoding", message: `Content-Encoding ${encoding} is not supported; send the body uncompressed` },
        });
      }
    });

    app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ err: error }, "request failed");
        return reply.code(status).send({ error: { code: "internal", message: "internal error" } });
      }
      const message =
        error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? `body exceeds the limit of ${config.http.maxBodyBytes} bytes; split the batch`
          : error.message;
      return reply.code(status).send({ error: { code: error.code ?? "bad_request", message } });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
    );

    const auth = createAuth(config.http.tokens, deps.tokenSource);
    // Per token (by its digest) on /v1/; answers 429 with Retry-After through the error handler.
    await app.register(rateLimit, {
      global: true,
      max: config.http.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: auth.rateLimitKey,
      // Judged by the route fastify matched, never the raw URL: `/%76%31/models` is /v1/models too.
      allowList: (request) => !isLimitedRoute(request.routeOptions.url),
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`rate limit of ${context.max} requests per minute exceeded for this token; retry in ${context.after}`), {
          statusCode: context.statusCode,
          code: "rate_limited",
        }),
    });

    const audit: GatewayContext["audit"] = async (request, action, target, modelIds, detail = {}) => {
      if (!deps.tokens) return;
      try {
        await deps.tokens.audit({ ...actorOf(request), action, target, model_ids: [...modelIds], detail });
      } catch (err) {
        // The action is done; losing its record is logged loudly rather than reported as a failure.
        request.log.error({ err, action, target }, "audit log write failed");
      }
    };
    const ctx: GatewayContext = { config, deps, requireScope: auth.requireScope, metrics, audit };
    healthRoutes(app, ctx);
    ingestRoutes(app, ctx);
    modelRoutes(app, ctx);
    driftRoutes(app, ctx);
    referenceUploadRoutes(app, ctx);
    sqlRoutes(app, ctx);
    modelViewRoutes(app, ctx);
    alertRoutes(app, ctx);
    tokenRoutes(app, ctx);
    await modelMetricsRoutes(app, ctx, deps.modelQuality);
    estimateRoutes(app, ctx, deps.estimates);
    compareRoutes(app, ctx, deps.paired);
    await app.register(dashboardRoutes());
  };
}
