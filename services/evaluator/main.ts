/** Entry point of the evaluator service: parse config once, wire dependencies, run until a signal. */
import { loadConfig } from "../common/config/env.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { createKafka, createProducer, ensureTopics, withSendDeadline } from "../common/kafka/client.js";
import { createLogger } from "../common/observability/logger.js";
import { exitOnSignal } from "../common/shutdown.js";
import { createAlerting } from "./service.js";
import { createSuppression } from "./suppression.js";
import { applyRetention } from "../common/clickhouse/retention.js";
import { loadOnnxModel } from "./suppressor/onnx-scorer.js";
import { createLeadership } from "../common/kafka/leadership.js";

const config = loadConfig(process.env);
const logger = createLogger("evaluator", config.logLevel);
const clickhouse = createClickHouse(config.clickhouse);
const kafka = createKafka({ ...config.kafka, logger, retries: 20 });

await migrate(clickhouse);
// Retention TTLs follow the configuration (the processor migrates too; one applier is enough).
await applyRetention(clickhouse, config.retention);
await ensureTopics(kafka, [config.alerts.topic], config.topics.partitions);
// A broker that is away fails the Kafka receiver's send in 10 s (retried later) instead of holding the other receivers.
const producer = withSendDeadline(await createProducer(kafka), 10_000);
const suppression = createSuppression(config.alerts, {
  alerts: alertsRepository(clickhouse),
  logger,
  load: async (m) => {
    const scorer = await loadOnnxModel(m.model);
    return { score: async (rows) => [...(await scorer.score(rows))], typeFactors: scorer.metadata.typeFactors };
  },
});
const leadership = createLeadership(kafka, { topic: config.alerts.leaderTopic, groupId: config.alerts.leaderGroupId, logger });
const alerting = createAlerting(config, { clickhouse, producer, logger, suppression, leadership });
await alerting.start();
logger.info({ intervalMs: config.alerts.evalIntervalMs }, "evaluator started");

exitOnSignal(logger, async () => {
  await alerting.stop();
  await producer.disconnect();
  await clickhouse.close();
});
