/**
 * A real ClickHouse server from Debian's `clickhouse-server` package (installed when missing),
 * run with the project-local config (infra/clickhouse/config.xml, users.xml) and its own data
 * directory on loopback.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureAptPackages } from "./apt.js";
import { ROOT } from "./paths.js";
import { onPath, portOpen, readPid, spawnDetached, stopPid, waitFor, type Log } from "./process.js";

export interface LocalClickHouseOptions {
  home: string;
  host: string;
  httpPort: number;
  tcpPort?: number;
  log: Log;
}

const dirOf = (home: string) => join(home, "clickhouse");
export const clickhousePidFile = (home: string) => join(dirOf(home), "server.pid");
export const clickhouseLogFile = (home: string) => join(dirOf(home), "log", "clickhouse-server.err.log");

function serverBinary(): string | undefined {
  if (onPath("clickhouse-server")) return "clickhouse-server";
  return ["/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"].find(existsSync);
}

export async function ensureClickHouseInstalled(log: Log): Promise<string> {
  const found = serverBinary();
  if (found) return found;
  await ensureAptPackages(["clickhouse-server", "clickhouse-client"], log);
  const installed = serverBinary();
  if (!installed) throw new Error("clickhouse-server is still missing after installing the Debian package");
  return installed;
}

/** Starts the server unless something already listens on its HTTP port. True if this call started it. */
export async function startLocalClickHouse(options: LocalClickHouseOptions): Promise<boolean> {
  if (await portOpen(options.host, options.httpPort)) return false;
  const binary = await ensureClickHouseInstalled(options.log);
  const dir = dirOf(options.home);
  for (const sub of ["data", "tmp", "user_files", "format_schemas", "log"]) mkdirSync(join(dir, sub), { recursive: true });
  const config = readFileSync(join(ROOT, "infra/clickhouse/config.xml"), "utf8")
    .replaceAll("@DATA@", dir)
    .replaceAll("@HTTP_PORT@", String(options.httpPort))
    .replaceAll("@TCP_PORT@", String(options.tcpPort ?? 9000))
    .replaceAll("@CONFIG_DIR@", join(ROOT, "infra/clickhouse"))
    .replaceAll("<listen_host>127.0.0.1</listen_host>", `<listen_host>${options.host}</listen_host>`);
  const configFile = join(dir, "config.xml");
  writeFileSync(configFile, config);
  options.log(`starting ClickHouse on ${options.host}:${options.httpPort}`);
  const pid = spawnDetached(binary, [`--config-file=${configFile}`], {
    logFile: join(dir, "log", "stdout.log"),
    pidFile: clickhousePidFile(options.home),
    cwd: dir,
  });
  await waitFor(
    "ClickHouse",
    async () => {
      const res = await fetch(`http://${options.host}:${options.httpPort}/ping`);
      return res.ok;
    },
    { timeoutMs: 60_000, pid, logFile: clickhouseLogFile(options.home) },
  );
  return true;
}

export async function stopLocalClickHouse(home: string): Promise<boolean> {
  return stopPid(clickhousePidFile(home), 30_000);
}

export function localClickHousePid(home: string): number | undefined {
  return readPid(clickhousePidFile(home));
}
