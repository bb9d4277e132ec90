/**
 * Real Kafka and ClickHouse for the integration tests, in this order of preference:
 *  1. KAFKA_BROKERS and CLICKHOUSE_URL from the environment (existing services, nothing started);
 *  2. testcontainers, where a Docker engine is reachable;
 *  3. the project's own local processes (the same code as `hindsight up`), on test-only ports and
 *     a test-only state directory, so a running development stack is left alone.
 * Whatever this setup started, it stops at the end.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadConfig } from "../services/common/config/env.js";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { renderServerConfig } from "../infra/local/clickhouse.js";
import { startInfrastructure } from "../infra/local/stack.js";
import type { StackInfo } from "./helpers/stack-info.js";

// HINDSIGHT_TEST_SLOT=n (default 0) moves the local stack to its own ports and directory, so that
// two checkouts on one machine can run their integration tests at the same time.
const SLOT = Number(process.env.HINDSIGHT_TEST_SLOT ?? 0);
const LOCAL = {
  kafkaPort: 19092 + 10 * SLOT,
  clickhousePort: 18123 + 10 * SLOT,
  clickhouseTcpPort: 19000 + 10 * SLOT,
  home: join(CACHE_DIR, SLOT ? `test-stack-${SLOT}` : "test-stack"),
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[test-stack] ${line}\n`);
  if (process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL) {
    project.provide("stack", {
      kafkaBrokers: process.env.KAFKA_BROKERS,
      clickhouseUrl: process.env.CLICKHOUSE_URL,
      origin: "configured",
    } satisfies StackInfo);
    return async () => {};
  }
  if (process.env.DOCKER_HOST || existsSync("/var/run/docker.sock")) {
    const containers = await startContainers(log).catch((err: Error) => {
      log(`testcontainers unavailable (${err.message}); using local processes`);
      return undefined;
    });
    if (containers) {
      project.provide("stack", containers.info);
      return containers.stop;
    }
  }
  const kafkaBrokers = `127.0.0.1:${LOCAL.kafkaPort}`;
  const clickhouseUrl = `http://127.0.0.1:${LOCAL.clickhousePort}`;
  const config = loadConfig({ KAFKA_BROKERS: kafkaBrokers, CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: "hindsight_test" });
  // The stack's own database is scratch (every test makes its own): a migration edited in place recreates it.
  const infra = await startInfrastructure({
    config,
    home: LOCAL.home,
    embedded: { kafka: true, clickhouse: true },
    clickhouseTcpPort: LOCAL.clickhouseTcpPort,
    log,
    scratchDatabase: true,
  });
  log(
    `Kafka ${kafkaBrokers} (${infra.startedKafka ? "started" : "already running"}), ClickHouse ${clickhouseUrl} (${infra.startedClickHouse ? "started" : "already running"})`,
  );
  project.provide("stack", { kafkaBrokers, clickhouseUrl, origin: "local" } satisfies StackInfo);
  return () => infra.stop();
}

async function startContainers(log: (line: string) => void): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const { createServer } = await import("node:net");
  // Kafka must advertise the host port, so pick a free one up front.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  log("starting Kafka and ClickHouse containers");
  const [kafka, clickhouse] = await Promise.all([
    new GenericContainer("apache/kafka:3.9.1")
      .withExposedPorts({ container: 9092, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: "1",
        KAFKA_PROCESS_ROLES: "broker,controller",
        KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start(),
    new GenericContainer("clickhouse/clickhouse-server:26.9")
      .withExposedPorts(8123)
      .withCopyContentToContainer([
        {
          content: renderServerConfig({
            dir: "/var/lib/clickhouse",
            host: "0.0.0.0",
            httpPort: 8123,
            tcpPort: 9000,
            database: "hindsight_test",
          }).users,
          target: "/etc/clickhouse-server/users.d/hindsight-users.xml",
        },
      ])
      .withCopyFilesToContainer([
        { source: join(ROOT, "infra/clickhouse/access.xml"), target: "/etc/clickhouse-server/config.d/hindsight-access.xml" },
      ])
      .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: "1" })
      .withWaitStrategy(Wait.forHttp("/ping", 8123))
      .start(),
  ]);
  return {
    info: {
      kafkaBrokers: `127.0.0.1:${port}`,
      clickhouseUrl: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
      origin: "testcontainers",
    },
    stop: async () => {
      await Promise.all([kafka.stop(), clickhouse.stop()]);
    },
  };
}
