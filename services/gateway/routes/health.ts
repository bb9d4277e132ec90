/**
 * Liveness, readiness (Kafka and ClickHouse reachable) and Prometheus metrics; no token needed.
 * Readiness also reports the pipeline's own problems: with any open, the answer stays 200 (the
 * gateway still takes events) but says "degraded" and why.
 */
import type { FastifyInstance } from "fastify";
import type { GatewayContext } from "../app.js";

async function answers(check: () => Promise<boolean>): Promise<boolean> {
  return check().catch(() => false);
}

export function healthRoutes(app: FastifyInstance, { deps }: GatewayContext): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const [kafka, clickhouse] = await Promise.all([answers(deps.checks.kafka), answers(deps.checks.clickhouse)]);
    const ready = kafka && clickhouse;
    if (!ready) return reply.code(503).send({ status: "unavailable", kafka, clickhouse });
    const pipeline = await deps.pipelineProblems?.().catch(() => undefined);
    if (pipeline && pipeline.open > 0)
      return reply.code(200).send({ status: "degraded", kafka, clickhouse, problems: pipeline.open, reasons: pipeline.reasons });
    return reply.code(200).send({ status: "ready", kafka, clickhouse });
  });

  app.get("/metrics", async (_request, reply) => {
    return reply.header("content-type", deps.registry.contentType).send(await deps.registry.metrics());
  });
}
