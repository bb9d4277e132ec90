/** Liveness, readiness (Kafka and ClickHouse reachable) and Prometheus metrics; no token needed. */
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
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "unavailable", kafka, clickhouse });
  });

  app.get("/metrics", async (_request, reply) => {
    return reply.header("content-type", deps.registry.contentType).send(await deps.registry.metrics());
  });
}
