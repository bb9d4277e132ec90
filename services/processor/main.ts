/** Entry point of the processor service: parse config once, wire dependencies, run until a signal. */
import { loadConfig } from "../common/config/env.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { createKafka, ensureTopics } from "../common/kafka/client.js";
import { createLogger } from "../common/observability/logger.js";
import { exitOnSignal } from "../common/shutdown.js";
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
const metricsServer =
  config.processor.metricsPort > 0
    ? await serveMetrics(registry, config.http.host, config.processor.metricsPort, processor.healthcheck)
    : undefined;

exitOnSignal(logger, async () => {
  await processor.stop();
  metricsServer?.close();
  await clickhouse.close();
});
