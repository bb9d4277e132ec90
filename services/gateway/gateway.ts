/** Wires the gateway's dependencies (Kafka producer, ClickHouse, metrics) around the app plugin. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Config } from "../common/config/env.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { consumerLag, createKafka, createProducer, withAdmin, withSendDeadline } from "../common/kafka/client.js";
import type { Logger } from "../common/observability/logger.js";
import { createRegistry } from "../common/observability/metrics.js";
import { buildApp } from "./app.js";
import { createModelStore } from "../common/clickhouse/model-store.js";
import { driftRepository } from "../common/clickhouse/drift.repository.js";
import { sliceDriftRepository } from "../common/clickhouse/slice-drift.repository.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import { createAnalystSql } from "../common/clickhouse/analyst-query.js";
import { describeProblem, pipelineFailuresRepository } from "../common/clickhouse/pipeline-failures.repository.js";
import { tokensRepository } from "../common/clickhouse/tokens.repository.js";
import { createTokenCache } from "./token-cache.js";
import { registerOwnSchemas } from "./schema-ids.js";

export async function createGateway(config: Config, logger: Logger): Promise<FastifyInstance> {
  const kafka = createKafka({ ...config.kafka, logger, retries: 20 });
  const clickhouse = createClickHouse(config.clickhouse);
  // While the broker is away, a batch is answered 503 within this time instead of hanging.
  const producer = withSendDeadline(await createProducer(kafka), 5_000);
  const analyst = createAnalystSql({
    url: config.clickhouse.url,
    database: config.clickhouse.database,
    ...config.clickhouse.analyst,
    scoped: {
      ...config.clickhouse.analystScoped,
      // Written as the services' user: the key of the scoped user's row filters for this one query.
      grant: (queryId, models) =>
        clickhouse.insertJsonEachRow(`${config.clickhouse.database}.sql_query_models`, [
          models.map((model_id) => JSON.stringify({ query_id: queryId, model_id })).join("\n"),
        ]),
    },
  });
  const topics = [config.topics.predictions, config.topics.labels];
  const tokens = tokensRepository(clickhouse);
  const tokenCache = createTokenCache(tokens, config.http.tokenRefreshMs, (err) =>
    logger.warn({ err }, "stored tokens: refresh failed; keeping the last known tokens"),
  );
  await tokenCache.start();
  // With a schema registry, events go out under the ids it gave our schemas, so any registry-aware consumer reads them.
  const schemaIds = config.schemaRegistry.url === undefined ? undefined : await registerOwnSchemas(config, logger);
  let lagCache: { at: number; value: Promise<Record<string, number>> } | undefined;

  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: config.http.maxBodyBytes, disableRequestLogging: true });
  await app.register(
    buildApp(config, {
      producer,
      schemaIds,
      registry: createRegistry("gateway"),
      checks: {
        kafka: () => withAdmin(kafka, async (admin) => (await admin.describeCluster()).brokers.length > 0),
        clickhouse: () => clickhouse.ping(),
      },
      models: createModelStore(clickhouse),
      drift: driftRepository(clickhouse),
      sliceDrift: sliceDriftRepository(clickhouse),
      analyst,
      alerts: alertsRepository(clickhouse),
      tokens,
      tokenSource: tokenCache,
      async pipelineProblems() {
        const { problems, counts } = await pipelineFailuresRepository(clickhouse).open();
        return { open: counts.set_aside + counts.stalled + counts.metrics_lag, reasons: problems.map(describeProblem) };
      },
      consumerLag() {
        // Scrapes come every few seconds; asking the broker at most every 5 s is plenty.
        if (!lagCache || Date.now() - lagCache.at > 5_000)
          lagCache = { at: Date.now(), value: consumerLag(kafka, config.processor.groupId, topics) };
        return lagCache.value;
      },
    }),
  );
  app.addHook("onClose", async () => {
    await producer.disconnect();
    await tokenCache.stop();
    await clickhouse.close();
    await analyst.close();
  });
  return app;
}
