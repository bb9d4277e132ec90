/**
 * The infrastructure a benchmark runs on: Kafka and ClickHouse named by KAFKA_BROKERS and
 * CLICKHOUSE_URL when both are set, otherwise the project's own on benchmark ports (Kafka 29092,
 * ClickHouse 28123/29000, state in .cache/bench-stack), and a fresh database, topics and consumer
 * group for this run.
 */
import { join } from "node:path";
import { loadConfig, type Config } from "../services/common/config/env.js";
import { createClickHouse, type ClickHouse } from "../services/common/clickhouse/client.js";
import { createKafka } from "../services/common/kafka/client.js";
import { createLogger } from "../services/common/observability/logger.js";
import { CACHE_DIR } from "../infra/local/paths.js";
import { startInfrastructure, type Infrastructure } from "../infra/local/stack.js";

export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export interface BenchStack {
  env: Record<string, string>;
  config: Config;
  infra: Infrastructure;
  kafka: ReturnType<typeof createKafka>;
  ch: ClickHouse;
}

export async function startBenchStack(settings: Record<string, string> = {}): Promise<BenchStack> {
  const external = Boolean(process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL);
  const runId = `b${Date.now().toString(36)}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:29092",
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123",
    CLICKHOUSE_DATABASE: `bench_${runId}`,
    HINDSIGHT_TOPIC_PREFIX: `bench.${runId}`,
    HINDSIGHT_CONSUMER_GROUP: `bench-${runId}`,
    HINDSIGHT_PROCESSOR_METRICS_PORT: "0",
    // Benchmarks replay fixed, often old event times: retention would drop them at the next merge.
    HINDSIGHT_RETENTION_RAW_DAYS: "0",
    HINDSIGHT_RETENTION_JOINED_DAYS: "0",
    HINDSIGHT_RETENTION_WINDOWS_DAYS: "0",
    HINDSIGHT_RETENTION_ALERTS_DAYS: "0",
    LOG_LEVEL: "warn",
    ...settings,
  };
  const config = loadConfig(env);
  const infra = await startInfrastructure({
    config,
    home: join(CACHE_DIR, "bench-stack"),
    embedded: { kafka: !external, clickhouse: !external },
    clickhouseTcpPort: 29000,
    log,
  });
  return {
    env,
    config,
    infra,
    kafka: createKafka({ ...config.kafka, logger: createLogger("bench", "error") }),
    ch: createClickHouse(config.clickhouse),
  };
}
