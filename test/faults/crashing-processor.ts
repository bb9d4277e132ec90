/**
 * The processor's entry point (as services/processor/main.ts) with one fault: after the N-th
 * INSERT that ClickHouse acknowledged (FAULT_CRASH_AFTER_INSERTS), the process kills itself with
 * SIGKILL before control returns to the writer, that is, between ClickHouse's acknowledgement and
 * the Kafka offset commit that would follow it.
 */
import { loadConfig } from "../../services/common/config/env.js";
import { createClickHouse } from "../../services/common/clickhouse/client.js";
import { migrate } from "../../services/common/clickhouse/migrations.js";
import { createKafka, ensureTopics } from "../../services/common/kafka/client.js";
import { createLogger } from "../../services/common/observability/logger.js";
import { createRegistry } from "../../services/common/observability/metrics.js";
import { createProcessor } from "../../services/processor/processor.js";

const config = loadConfig(process.env);
const crashAfter = Number(process.env.FAULT_CRASH_AFTER_INSERTS ?? "1");
const logger = createLogger("processor", config.logLevel);
const real = createClickHouse(config.clickhouse);
let acknowledged = 0;
const clickhouse = {
  ...real,
  database: real.database,
  async insertRowBinary(table: string, columns: readonly string[], chunks: readonly Buffer[]) {
    await real.insertRowBinary(table, columns, chunks);
    if (table.endsWith(".predictions") && ++acknowledged >= crashAfter) {
      process.stderr.write(`[crashing-processor] SIGKILL after ClickHouse acknowledged insert ${acknowledged}, before the offset commit\n`);
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => {});
    }
  },
};
const kafka = createKafka({ ...config.kafka, logger, retries: 20 });
await migrate(real);
await ensureTopics(kafka, [config.topics.predictions, config.topics.labels, config.topics.dlq], config.topics.partitions);
await createProcessor(config, { kafka, clickhouse, logger, registry: createRegistry("processor") }).start();
