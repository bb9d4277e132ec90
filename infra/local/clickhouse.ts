/**
 * The embedded ClickHouse: the ClickHouse 26.9 engine shipped in PyPI's `chdb-core`, installed
 * once into a virtualenv under .cache/ and run as a real server. Its clickhouse-local engine opens
 * ClickHouse's own HTTP and native TCP listeners from a working directory holding the server's
 * config.xml (infra/clickhouse), and one never-ending statement keeps the process alive: the HTTP
 * handler, MergeTree engines, merges, users and grants are ClickHouse's own code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "./paths.js";
import { portOpen, readPid, runWithProgress, spawnDetached, stopPid, waitFor, type Log } from "./process.js";

/** The one supported version line: ClickHouse 26.9 (chdb-core 26.9.x carries the 26.9 engine). */
export const CHDB_CORE_VERSION = "26.9.0";

export interface LocalClickHouseOptions {
  home: string;
  host: string;
  httpPort: number;
  tcpPort?: number;
  /** The database whose analyst-facing tables the `analyst` user may read (default hindsight). */
  database?: string;
  log: Log;
}

const dirOf = (home: string) => join(home, "clickhouse");
const venvDir = join(CACHE_DIR, `chdb-core-${CHDB_CORE_VERSION}`);
const python = join(venvDir, "bin", "python");
export const clickhousePidFile = (home: string) => join(dirOf(home), "server.pid");
export const clickhouseLogFile = (home: string) => join(dirOf(home), "log", "clickhouse-server.err.log");

// The import runs a self-test that must not see the server's config.xml, so it happens in another
// directory; then the engine starts in the working directory, where it reads config.xml.
const SERVE = [
  "import os, sys",
  "work = os.getcwd()",
  "os.chdir(sys.argv[1])",
  "from chdb import _chdb",
  "os.chdir(work)",
  `_chdb.query("SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; SELECT sleepEachRow(1) FROM system.numbers SETTINGS max_block_size = 1 FORMAT Null", "CSV")`,
].join("\n");

/** Installs chdb-core into its own virtualenv the first time; a marker file records success. */
export async function ensureClickHouseInstalled(log: Log): Promise<string> {
  const marker = join(venvDir, ".installed");
  if (existsSync(marker)) return python;
  log(
    `installing ClickHouse ${CHDB_CORE_VERSION.replace(/\.\d+$/, "")} (PyPI chdb-core ${CHDB_CORE_VERSION}, about 180 MB) into .cache/ once`,
  );
  if (!existsSync(python)) await runWithProgress("python3", ["-m", "venv", venvDir], { label: "python3 -m venv", log, progress: /./ });
  await runWithProgress(python, ["-m", "pip", "install", "--progress-bar", "off", `chdb-core==${CHDB_CORE_VERSION}`], {
    label: `pip install chdb-core==${CHDB_CORE_VERSION}`,
    log,
    progress: /^(Collecting|Downloading|Installing|Successfully)/,
  });
  writeFileSync(marker, `${CHDB_CORE_VERSION}\n`);
  return python;
}

/** The databases the tests' `analyst_test` user reads, with the analyst's grants (test/helpers/analyst-db.ts claims them). */
export const ANALYST_TEST_DATABASES = [0, 1, 2, 3].map((i) => `hs_analyst_${i}`);

/** The server's config.xml and users.xml for this home, ports and database. */
export function renderServerConfig(options: { dir: string; host: string; httpPort: number; tcpPort: number; database: string }): {
  config: string;
  users: string;
} {
  const access = readFileSync(join(ROOT, "infra/clickhouse/access.xml"), "utf8").replace(/^[\s\S]*?<clickhouse>|<\/clickhouse>\s*$/g, "");
  const config = readFileSync(join(ROOT, "infra/clickhouse/config.xml"), "utf8")
    .replaceAll("@DATA@", options.dir)
    .replaceAll("@HOST@", options.host)
    .replaceAll("@HTTP_PORT@", String(options.httpPort))
    .replaceAll("@TCP_PORT@", String(options.tcpPort))
    .replace("@ACCESS@", access.trim());
  const template = readFileSync(join(ROOT, "infra/clickhouse/users.xml"), "utf8");
  const analystUser = /<analyst>([\s\S]*?)<\/analyst>/.exec(template.slice(template.indexOf("<users>")))![1]!;
  const analystGrants = [...analystUser.matchAll(/<query>GRANT SELECT ON hindsight\.(\w+)<\/query>/g)].map((m) => m[1]!);
  const testGrants = ANALYST_TEST_DATABASES.flatMap((db) => analystGrants.map((table) => `<query>GRANT SELECT ON ${db}.${table}</query>`));
  // The scoped analyst (model-limited tokens): its grants and row filters, copied for each test database.
  const scoped = /<analyst_scoped>([\s\S]*?)<\/analyst_scoped>/.exec(template)![1]!;
  const scopedGrants = [...scoped.matchAll(/<query>GRANT SELECT ON hindsight\.(\w+)<\/query>/g)].map((m) => m[1]!);
  const scopedFilters = /<databases>\s*<hindsight>([\s\S]*?)<\/hindsight>\s*<\/databases>/.exec(scoped)![1]!.trim();
  const forDatabase = (text: string, db: string) => text.replaceAll("FROM hindsight.", `FROM ${db}.`);
  const scopedTestGrants = ANALYST_TEST_DATABASES.flatMap((db) =>
    scopedGrants.map((table) => `<query>GRANT SELECT ON ${db}.${table}</query>`),
  );
  const scopedTestFilters = ANALYST_TEST_DATABASES.map((db) => `<${db}>\n${forDatabase(scopedFilters, db)}\n</${db}>`);
  const users = forDatabase(template, options.database)
    .replaceAll("ON hindsight.", `ON ${options.database}.`)
    .replaceAll("<hindsight>", `<${options.database}>`)
    .replaceAll("</hindsight>", `</${options.database}>`)
    .replace("<!-- @ANALYST_TEST_GRANTS@ -->", testGrants.join("\n                "))
    .replace("<!-- @ANALYST_SCOPED_TEST_GRANTS@ -->", scopedTestGrants.join("\n                "))
    .replace("<!-- @ANALYST_SCOPED_TEST_FILTERS@ -->", scopedTestFilters.join("\n                "));
  return { config, users };
}

/** Starts the server unless something already listens on its HTTP port. True if this call started it. */
export async function startLocalClickHouse(options: LocalClickHouseOptions): Promise<boolean> {
  if (await portOpen(options.host, options.httpPort)) return false;
  const database = options.database ?? "hindsight";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`refusing database name ${JSON.stringify(database)}`);
  const binary = await ensureClickHouseInstalled(options.log);
  const dir = dirOf(options.home);
  for (const sub of ["data", "tmp", "user_files", "format_schemas", "log", "import"]) mkdirSync(join(dir, sub), { recursive: true });
  const { config, users } = renderServerConfig({
    dir,
    host: options.host,
    httpPort: options.httpPort,
    tcpPort: options.tcpPort ?? 9000,
    database,
  });
  writeFileSync(join(dir, "config.xml"), config);
  writeFileSync(join(dir, "users.xml"), users);
  options.log(`starting ClickHouse ${CHDB_CORE_VERSION.replace(/\.\d+$/, "")} on ${options.host}:${options.httpPort}`);
  const pid = spawnDetached(binary, ["-c", SERVE, join(dir, "import")], {
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
    { timeoutMs: 60_000, pid, logFile: join(dir, "log", "stdout.log") },
  );
  return true;
}

export async function stopLocalClickHouse(home: string): Promise<boolean> {
  return stopPid(clickhousePidFile(home), 30_000);
}

export function localClickHousePid(home: string): number | undefined {
  return readPid(clickhousePidFile(home));
}
