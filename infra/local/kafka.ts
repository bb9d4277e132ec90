/**
 * A real Apache Kafka 3.9 broker in KRaft mode (combined broker + controller), from its jars on
 * Maven Central, run with the machine's Java 17 on loopback. The jars are fetched once with
 * `mvn dependency:copy-dependencies` into .cache/kafka.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureAptPackages } from "./apt.js";
import { CACHE_DIR, ROOT } from "./paths.js";
import { onPath, portOpen, readPid, runWithProgress, spawnDetached, stopPid, waitFor, type Log } from "./process.js";

const POM = join(ROOT, "infra/kafka/pom.xml");
const KAFKA_VERSION = /<kafka\.version>([^<]+)</.exec(readFileSync(POM, "utf8"))![1]!;
const LIBS = join(CACHE_DIR, `kafka-${KAFKA_VERSION}`, "libs");

export interface LocalKafkaOptions {
  home: string;
  host: string;
  port: number;
  controllerPort?: number;
  partitions: number;
  heapMb?: number;
  log: Log;
}

const dirOf = (home: string) => join(home, "kafka");
export const kafkaPidFile = (home: string) => join(dirOf(home), "broker.pid");
export const kafkaLogFile = (home: string) => join(dirOf(home), "broker.log");

export async function ensureKafkaJars(log: Log): Promise<string> {
  if (existsSync(join(LIBS, `kafka_2.13-${KAFKA_VERSION}.jar`))) return LIBS;
  if (!onPath("java") || !onPath("mvn")) await ensureAptPackages(["openjdk-17-jre-headless", "maven"], log);
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (once; kept in .cache/)`);
  const partial = `${LIBS}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await runWithProgress(
    "mvn",
    ["-B", "-f", POM, "dependency:copy-dependencies", `-DoutputDirectory=${partial}`, "-DincludeScope=runtime"],
    {
      label: "kafka jars",
      log,
      progress: /Downloaded from|Copying/,
    },
  );
  mkdirSync(join(LIBS, ".."), { recursive: true });
  renameSync(partial, LIBS);
  return LIBS;
}

function render(options: LocalKafkaOptions, dataDir: string): string {
  const template = readFileSync(join(ROOT, "infra/kafka/server.properties"), "utf8");
  return template
    .replaceAll("@DATA@", dataDir)
    .replaceAll("@PORT@", String(options.port))
    .replaceAll("@CONTROLLER_PORT@", String(options.controllerPort ?? options.port + 1))
    .replaceAll("@PARTITIONS@", String(options.partitions))
    .replaceAll("127.0.0.1", options.host);
}

/** Starts the broker unless something already listens on its port. True if this call started it. */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<boolean> {
  if (await portOpen(options.host, options.port)) return false;
  const libs = await ensureKafkaJars(options.log);
  const dir = dirOf(options.home);
  const dataDir = join(dir, "data");
  mkdirSync(dir, { recursive: true });
  const properties = join(dir, "server.properties");
  writeFileSync(properties, render(options, dataDir));
  const classpath = `${libs}/*`;
  const log4j = `-Dlog4j.configuration=file:${join(ROOT, "infra/kafka/log4j.properties")}`;
  if (!existsSync(join(dataDir, "meta.properties"))) {
    options.log("formatting Kafka storage (KRaft)");
    const uuid = spawnSync("java", ["-cp", classpath, log4j, "kafka.tools.StorageTool", "random-uuid"], { encoding: "utf8" });
    if (uuid.status !== 0) throw new Error(`kafka StorageTool random-uuid failed: ${uuid.stderr}`);
    const format = spawnSync(
      "java",
      ["-cp", classpath, log4j, "kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", uuid.stdout.trim(), "-c", properties],
      { encoding: "utf8" },
    );
    if (format.status !== 0) throw new Error(`kafka StorageTool format failed: ${format.stdout}${format.stderr}`);
  }
  options.log(`starting Kafka ${KAFKA_VERSION} on ${options.host}:${options.port}`);
  const heap = options.heapMb ?? 1024;
  const pid = spawnDetached(
    "java",
    [
      `-Xms${Math.min(256, heap)}m`,
      `-Xmx${heap}m`,
      "-XX:+UseG1GC",
      "-XX:MaxGCPauseMillis=20",
      "-Djava.awt.headless=true",
      "-cp",
      classpath,
      log4j,
      "kafka.Kafka",
      properties,
    ],
    { logFile: kafkaLogFile(options.home), pidFile: kafkaPidFile(options.home) },
  );
  await waitFor(
    "Kafka",
    async () =>
      (await portOpen(options.host, options.port)) && readFileSync(kafkaLogFile(options.home), "utf8").includes("Kafka Server started"),
    {
      timeoutMs: 90_000,
      pid,
      logFile: kafkaLogFile(options.home),
    },
  );
  return true;
}

export async function stopLocalKafka(home: string): Promise<boolean> {
  return stopPid(kafkaPidFile(home), 30_000);
}

export function localKafkaPid(home: string): number | undefined {
  return readPid(kafkaPidFile(home));
}

/** Removes the broker's data (topics and offsets); the broker must be stopped. */
export function wipeLocalKafka(home: string): void {
  if (existsSync(dirOf(home)) && readdirSync(dirOf(home)).length > 0) rmSync(join(dirOf(home), "data"), { recursive: true, force: true });
}
