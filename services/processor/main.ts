/** Entry point of the processor service: parse config once, wire dependencies, run until a signal. */
import { loadConfig } from "../common/config/env.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { createKafka, ensureTopics } from "../common/kafka/client.js";
import { createLogger } from "../common/observability/logger.js";
import { createRegistry, serveMetrics } from "../common/observability/metrics.js";
import { createProcessor } from "./processor.js";

const config = loadConfig(process.env);
const logger = createLogger("processor", config.logLevel);
const clickhouse = createClickHouse(config.clickhouse);
const kafka = createKafka({ ...config.kafka, logger, retries: 20 });
const registry = createRegistry("processor");

await migrate(clickhouse);
await ensureTopics(kafka, [config.topics.predictions, config.topics.labels, config.topics.dlq], config.topics.partitions);
const processor = createProcessor(config, { kafka, clickhouse, logger, registry });
await processor.start();
const metricsServer = config.processor.metricsPort > 0 ? await serveMetrics(registry, config.http.host, config.processor.metricsPort, processor.healthcheck) : undefined;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => process.exit(1), 30_000).unref();
  await processor.stop();
  metricsServer?.close();
  await clickhouse.close();
  clearTimeout(force);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
