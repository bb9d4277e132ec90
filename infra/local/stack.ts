/**
 * The infrastructure under Hindsight: the embedded Kafka and ClickHouse when the configuration
 * leaves them at their defaults, or the existing services it points at (then nothing is
 * started). Either way the database schema is migrated and the topics exist afterwards.
 */
import { createClickHouse } from "../../services/common/clickhouse/client.js";
import { applyRetention } from "../../services/common/clickhouse/retention.js";
import { migrate, MigrationChangedError } from "../../services/common/clickhouse/migrations.js";
import { ident, sql } from "../../services/common/clickhouse/sql.js";
import type { Config } from "../../services/common/config/env.js";
import { createKafka, ensureTopics } from "../../services/common/kafka/client.js";
import { createLogger } from "../../services/common/observability/logger.js";
import { startLocalClickHouse, stopLocalClickHouse } from "./clickhouse.js";
import { startLocalKafka, stopLocalKafka } from "./kafka.js";
import { portOpen, type Log } from "./process.js";

export interface InfrastructureOptions {
  config: Config;
  home: string;
  /** Which dependencies the project runs itself (the configuration left them at their defaults). */
  embedded: { kafka: boolean; clickhouse: boolean };
  /** Native-protocol port of the embedded ClickHouse (default 9000); only its HTTP port is configured by URL. */
  clickhouseTcpPort?: number;
  log: Log;
  /**
   * The database holds nothing worth keeping (the test stack's): when a migration changed since it
   * was applied, drop it and migrate afresh instead of refusing to start.
   */
  scratchDatabase?: boolean;
}

export interface Infrastructure {
  startedKafka: boolean;
  startedClickHouse: boolean;
  /** Stops only what this call started. */
  stop(): Promise<void>;
}

export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(address.includes("://") ? address : `tcp://${address}`);
  return { host: url.hostname, port: url.port ? Number(url.port) : defaultPort };
}

export async function startInfrastructure(options: InfrastructureOptions): Promise<Infrastructure> {
  const { config, home, embedded, log } = options;
  const broker = hostPort(config.kafka.brokers[0]!, 9092);
  const ch = hostPort(config.clickhouse.url, 8123);
  let startedKafka = false;
  let startedClickHouse = false;
  const stop = async () => {
    if (startedKafka) await stopLocalKafka(home);
    if (startedClickHouse) await stopLocalClickHouse(home);
  };
  try {
    // Both at once: the JVM and ClickHouse each take a few seconds to come up.
    [startedKafka, startedClickHouse] = await Promise.all([
      embedded.kafka
        ? startLocalKafka({ home, host: broker.host, port: broker.port, partitions: config.topics.partitions, log })
        : requireReachable("KAFKA_BROKERS", broker),
      embedded.clickhouse
        ? startLocalClickHouse({
            home,
            host: ch.host,
            httpPort: ch.port,
            tcpPort: options.clickhouseTcpPort,
            database: config.clickhouse.database,
            log,
          })
        : requireReachable("CLICKHOUSE_URL", ch),
    ]);
    await prepare(config, log, { scratchDatabase: options.scratchDatabase });
  } catch (err) {
    await stop();
    throw err;
  }
  return { startedKafka, startedClickHouse, stop };
}

async function requireReachable(setting: string, at: { host: string; port: number }): Promise<false> {
  if (!(await portOpen(at.host, at.port, 3_000)))
    throw new Error(
      `${setting} points at ${at.host}:${at.port}, which does not answer; start it or unset ${setting} to use the embedded one`,
    );
  return false;
}

/** Migrates the database and creates the topics; both are idempotent. */
export async function prepare(config: Config, log: Log, options: { scratchDatabase?: boolean | undefined } = {}): Promise<void> {
  const clickhouse = createClickHouse(config.clickhouse);
  try {
    const result = await migrate(clickhouse).catch(async (err: unknown) => {
      if (!options.scratchDatabase || !(err instanceof MigrationChangedError)) throw err;
      log(`${(err as Error).message}: recreating the scratch database ${config.clickhouse.database}`);
      await clickhouse.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`);
      return migrate(clickhouse);
    });
    if (result.applied.length > 0) log(`ClickHouse migrations applied: ${result.applied.join(", ")}`);
    const ttl = await applyRetention(clickhouse, config.retention);
    if (ttl.length > 0) log(`ClickHouse retention applied to ${ttl.join(", ")}`);
  } finally {
    await clickhouse.close();
  }
  const kafka = createKafka({ ...config.kafka, logger: createLogger("setup", "error") });
  const created = await ensureTopics(
    kafka,
    [config.topics.predictions, config.topics.labels, config.topics.dlq, config.alerts.topic],
    config.topics.partitions,
  );
  if (created.length > 0) log(`Kafka topics created: ${created.join(", ")} (${config.topics.partitions} partitions)`);
}
