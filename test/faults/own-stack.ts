/**
 * A Kafka broker and a ClickHouse server of the fault suite's own, on their own ports and state
 * directory under .cache/, for the scenarios that kill, stop or freeze them: never the shared
 * development stack, nor the test stack other test files use. Only processes this module started
 * (found through its own pid files) are ever signalled.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, type Config } from "../../services/common/config/env.js";
import { createClickHouse, type ClickHouse } from "../../services/common/clickhouse/client.js";
import { createKafka } from "../../services/common/kafka/client.js";
import { createLogger } from "../../services/common/observability/logger.js";
import { CACHE_DIR } from "../../infra/local/paths.js";
import { kafkaLogFile, localKafkaPid, startLocalKafka, stopLocalKafka } from "../../infra/local/kafka.js";
import { localClickHousePid, startLocalClickHouse, stopLocalClickHouse } from "../../infra/local/clickhouse.js";
import { isAlive, sleep } from "../../infra/local/process.js";
import { prepare } from "../../infra/local/stack.js";
import { TEST_TOKEN } from "../helpers/harness.js";

export interface OwnPorts {
  kafka: number;
  clickhouseHttp: number;
  clickhouseTcp: number;
}

/** Scenarios 2 and 3 (one at a time) and the soak (which may run beside them) use separate ports. */
export const FAULT_PORTS: OwnPorts = { kafka: 39092, clickhouseHttp: 38123, clickhouseTcp: 39000 };
export const SOAK_PORTS: OwnPorts = { kafka: 39192, clickhouseHttp: 38223, clickhouseTcp: 39100 };

export interface OwnStack {
  env: Record<string, string>;
  config: Config;
  kafka: ReturnType<typeof createKafka>;
  clickhouse: ClickHouse;
  /** kill -9 of the broker. */
  killBroker(): Promise<void>;
  startBroker(): Promise<void>;
  /** A clean stop of ClickHouse (SIGTERM), and a start on the same data. */
  stopClickHouse(): Promise<void>;
  startClickHouse(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets open but answers nothing. */
  freezeClickHouse(): void;
  thawClickHouse(): void;
  clickhousePid(): number | undefined;
  close(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`[fault-stack] ${line}\n`);

export async function startOwnStack(name: string, ports: OwnPorts, settings: Record<string, string> = {}): Promise<OwnStack> {
  const home = join(CACHE_DIR, name);
  // Leftovers of an interrupted run of this same stack (by its pid files), then a clean slate.
  await stopLocalKafka(home);
  await stopLocalClickHouse(home);
  rmSync(home, { recursive: true, force: true });
  const id = `${name.replace(/[^a-z]/g, "")}${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${ports.clickhouseHttp}`,
    CLICKHOUSE_DATABASE: `hs_${id}`,
    HINDSIGHT_TOPIC_PREFIX: `hs.${id}`,
    HINDSIGHT_CONSUMER_GROUP: `hs-${id}`,
    HINDSIGHT_HTTP_PORT: "0",
    HINDSIGHT_PROCESSOR_METRICS_PORT: "0",
    HINDSIGHT_BATCH_MAX_WAIT_MS: "200",
    HINDSIGHT_METRICS_INTERVAL_MS: "200",
    HINDSIGHT_TOKENS: JSON.stringify([{ token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] }]),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "fatal",
    ...settings,
  };
  const config = loadConfig(env);
  const startBroker = async () => {
    // The log is appended to; a fresh one lets the start-up wait see this start's "started" line.
    rmSync(kafkaLogFile(home), { force: true });
    const started = await startLocalKafka({
      home,
      host: "127.0.0.1",
      port: ports.kafka,
      partitions: config.topics.partitions,
      heapMb: 512,
      log,
    });
    if (!started) throw new Error(`port ${ports.kafka} is taken by another process; the fault stack needs its own broker there`);
  };
  const startClickHouse = async () => {
    const started = await startLocalClickHouse({
      home,
      host: "127.0.0.1",
      httpPort: ports.clickhouseHttp,
      tcpPort: ports.clickhouseTcp,
      database: config.clickhouse.database,
      log,
    });
    if (!started)
      throw new Error(`port ${ports.clickhouseHttp} is taken by another process; the fault stack needs its own ClickHouse there`);
  };
  await Promise.all([startBroker(), startClickHouse()]);
  await prepare(config, log);
  const clickhouse = createClickHouse(config.clickhouse);
  const kafka = createKafka({ ...config.kafka, logger: createLogger("fault-stack", "fatal") });
  const signalClickHouse = (signal: NodeJS.Signals) => {
    const pid = localClickHousePid(home);
    if (pid === undefined) throw new Error("the fault stack's ClickHouse is not running");
    process.kill(pid, signal);
  };
  return {
    env,
    config,
    kafka,
    clickhouse,
    async killBroker() {
      const pid = localKafkaPid(home);
      if (pid === undefined) throw new Error("the fault stack's Kafka broker is not running");
      process.kill(pid, "SIGKILL");
      while (isAlive(pid)) await sleep(50);
    },
    startBroker,
    async stopClickHouse() {
      await stopLocalClickHouse(home);
    },
    startClickHouse,
    freezeClickHouse: () => signalClickHouse("SIGSTOP"),
    thawClickHouse: () => signalClickHouse("SIGCONT"),
    clickhousePid: () => localClickHousePid(home),
    async close() {
      await clickhouse.close().catch(() => undefined);
      const pid = localClickHousePid(home);
      if (pid !== undefined) process.kill(pid, "SIGCONT");
      await stopLocalKafka(home);
      await stopLocalClickHouse(home);
    },
  };
}
