/**
 * A real schema registry with Confluent's REST API: Apicurio Registry 2.4 (its `/apis/ccompat/v7`),
 * in-memory storage, run with the machine's Java 17 on loopback. Maven Central has its application
 * module but no runnable build, so infra/apicurio/pom.xml builds one once into .cache/ (about 280 MB
 * of dependencies in the Maven cache, a minute or two on a fresh machine).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureAptPackages } from "./apt.js";
import { CACHE_DIR, ROOT } from "./paths.js";
import { onPath, portOpen, readPid, runWithProgress, spawnDetached, stopPid, waitFor, type Log } from "./process.js";

const POM = join(ROOT, "infra/apicurio/pom.xml");
export const APICURIO_VERSION = /<apicurio\.version>([^<]+)</.exec(readFileSync(POM, "utf8"))![1]!;
const BUILD = join(CACHE_DIR, `apicurio-registry-${APICURIO_VERSION}`);
const RUNNER = join(BUILD, "apicurio-registry-runner-1-runner.jar");
/** The Confluent-compatible API under the registry's address: what HINDSIGHT_SCHEMA_REGISTRY_URL points at. */
export const CCOMPAT_PATH = "/apis/ccompat/v7";

export interface LocalSchemaRegistryOptions {
  home: string;
  host: string;
  port: number;
  heapMb?: number;
  log: Log;
}

const dirOf = (home: string) => join(home, "schema-registry");
export const schemaRegistryPidFile = (home: string) => join(dirOf(home), "registry.pid");
export const schemaRegistryLogFile = (home: string) => join(dirOf(home), "registry.log");
export const schemaRegistryUrl = (host: string, port: number) => `http://${host}:${port}${CCOMPAT_PATH}`;

/** Builds the registry once (a marker records success); later calls return at once. */
export async function ensureSchemaRegistryBuilt(log: Log): Promise<string> {
  if (existsSync(join(BUILD, ".installed")) && existsSync(RUNNER)) return RUNNER;
  if (!onPath("java") || !onPath("mvn")) await ensureAptPackages(["openjdk-17-jre-headless", "maven"], log);
  log(`building Apicurio Registry ${APICURIO_VERSION} from its jars on Maven Central (once; kept in .cache/)`);
  const partial = `${BUILD}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await runWithProgress("mvn", ["-B", "-f", POM, "package", "-DskipTests", `-Dregistry.build.dir=${partial}`], {
    label: "apicurio registry build",
    log,
    progress: /Downloaded from|Building|quarkus/i,
  });
  rmSync(BUILD, { recursive: true, force: true });
  renameSync(partial, BUILD);
  writeFileSync(join(BUILD, ".installed"), `${APICURIO_VERSION}\n`);
  return RUNNER;
}

/** Starts the registry unless something already listens on its port. True if this call started it. */
export async function startLocalSchemaRegistry(options: LocalSchemaRegistryOptions): Promise<boolean> {
  if (await portOpen(options.host, options.port)) return false;
  const runner = await ensureSchemaRegistryBuilt(options.log);
  mkdirSync(dirOf(options.home), { recursive: true });
  options.log(`starting Apicurio Registry ${APICURIO_VERSION} on ${options.host}:${options.port}`);
  const heap = options.heapMb ?? 256;
  const pid = spawnDetached(
    "java",
    [
      `-Xmx${heap}m`,
      "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1",
      `-Dquarkus.http.host=${options.host}`,
      `-Dquarkus.http.port=${options.port}`,
      "-jar",
      runner,
    ],
    { logFile: schemaRegistryLogFile(options.home), pidFile: schemaRegistryPidFile(options.home), cwd: dirOf(options.home) },
  );
  const url = schemaRegistryUrl(options.host, options.port);
  await waitFor("Apicurio Registry", async () => (await fetch(`${url}/subjects`)).ok, {
    timeoutMs: 90_000,
    pid,
    logFile: schemaRegistryLogFile(options.home),
  });
  return true;
}

export async function stopLocalSchemaRegistry(home: string): Promise<boolean> {
  return stopPid(schemaRegistryPidFile(home), 15_000);
}

export function localSchemaRegistryPid(home: string): number | undefined {
  return readPid(schemaRegistryPidFile(home));
}
