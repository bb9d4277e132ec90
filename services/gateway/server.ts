/** The gateway process: config once, dependencies, fastify around the app plugin, clean shutdown. */
import Fastify from "fastify";
import { loadConfig } from "../common/config/env.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { consumerLag, createKafka, createProducer, withAdmin } from "../common/kafka/client.js";
import { createLogger } from "../common/observability/logger.js";
import { createRegistry } from "../common/observability/metrics.js";
import { buildApp } from "./app.js";

const config = loadConfig(process.env);
const logger = createLogger("gateway", config.logLevel);
if (config.http.tokens.length === 0) logger.warn("HINDSIGHT_TOKENS is empty: every authenticated route will answer 401");

const kafka = createKafka({ ...config.kafka, logger, retries: 20 });
const clickhouse = createClickHouse(config.clickhouse);
const producer = await createProducer(kafka);
const topics = [config.topics.predictions, config.topics.labels];

let lagCache: { at: number; value: Promise<Record<string, number>> } | undefined;
const app = Fastify({ loggerInstance: logger, bodyLimit: config.http.maxBodyBytes, disableRequestLogging: true });
await app.register(
  buildApp(config, {
    producer,
    registry: createRegistry("gateway"),
    checks: {
      kafka: () => withAdmin(kafka, async (admin) => (await admin.describeCluster()).brokers.length > 0),
      clickhouse: () => clickhouse.ping(),
    },
    consumerLag() {
      // Scrapes come every few seconds; asking the broker at most every 5 s is plenty.
      if (!lagCache || Date.now() - lagCache.at > 5_000) lagCache = { at: Date.now(), value: consumerLag(kafka, config.processor.groupId, topics) };
      return lagCache.value;
    },
  }),
);
app.addHook("onClose", async () => {
  await producer.disconnect();
  await clickhouse.close();
});
await app.listen({ host: config.http.host, port: config.http.port });

async function shutdown(): Promise<void> {
  const force = setTimeout(() => process.exit(1), 15_000).unref();
  await app.close();
  clearTimeout(force);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
