/**
 * `hindsight demo` as a newcomer runs it (bin/hindsight.mjs, a child process), pointed at the test
 * stack's Kafka and ClickHouse like any existing services (KAFKA_BROKERS, CLICKHOUSE_URL) with a
 * database, topics, consumer group, HTTP port and state directory of its own. What it prints is kept
 * for the test to read, as the newcomer reads it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../infra/local/paths.js";
import { readPid, stopPid } from "../../infra/local/process.js";
import { SERVICES, servicePidFile, type ServiceName } from "../../services/cli/local-stack.js";
import { freePort } from "./daemon.js";
import { testEnv } from "./harness.js";

export interface DemoCommand {
  /** The gateway's (and dashboard's) address. */
  url: string;
  /** The environment it runs with (the test's database, topics and tokens). */
  env: Record<string, string>;
  /** Every line it printed so far, stdout and stderr together. */
  lines: string[];
  /** The first printed line matching `pattern` (waits for it); fails when the command exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The services it started that run now, by their pid files. */
  services(): Array<{ name: ServiceName; pid: number }>;
  /**
   * Ctrl-C, as the newcomer stops it: its exit code, or null when it had to be killed after
   * `timeoutMs` (then the services it left are stopped by their pid files).
   */
  interrupt(timeoutMs?: number): Promise<number | null>;
  /** Where its state lives (pid files of the services it started); removed by interrupt(). */
  home: string;
}

/**
 * Starts `hindsight demo ARGS`. Only what places it beside the other tests is set: the settings
 * that tune the services stay at the defaults a newcomer gets.
 */
export async function startDemoCommand(args: string[], overrides: Record<string, string>): Promise<DemoCommand> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), "hindsight-demo-"));
  const test = testEnv();
  const env: Record<string, string> = {
    KAFKA_BROKERS: test.KAFKA_BROKERS!,
    CLICKHOUSE_URL: test.CLICKHOUSE_URL!,
    CLICKHOUSE_DATABASE: test.CLICKHOUSE_DATABASE!,
    HINDSIGHT_TOPIC_PREFIX: test.HINDSIGHT_TOPIC_PREFIX!,
    HINDSIGHT_CONSUMER_GROUP: test.HINDSIGHT_CONSUMER_GROUP!,
    HINDSIGHT_TOKENS: test.HINDSIGHT_TOKENS!,
    HINDSIGHT_HTTP_PORT: String(port),
    HINDSIGHT_PROCESSOR_METRICS_PORT: "0",
    HINDSIGHT_HOME: home,
    LOG_LEVEL: test.LOG_LEVEL!,
    ...overrides,
  };
  const child = spawn(process.execPath, [join(ROOT, "bin", "hindsight.mjs"), "demo", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      for (const l of listeners) l();
    });
  }
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      for (const l of listeners) l();
      resolve();
    }),
  );
  const tail = () => lines.slice(-40).join("\n");

  return {
    url: `http://127.0.0.1:${port}`,
    env,
    lines,
    home,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.map((l) => pattern.exec(l)).find((m) => m !== null);
          if (found) done(() => resolve(found));
          else if (exit)
            done(() => reject(new Error(`hindsight demo exited (${exit!.signal ?? exit!.code}) before printing ${pattern}:\n${tail()}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`hindsight demo printed no ${pattern} within ${timeoutMs} ms:\n${tail()}`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    services: () =>
      (Object.keys(SERVICES) as ServiceName[]).flatMap((name) => {
        const pid = readPid(servicePidFile(home, name));
        return pid === undefined ? [] : [{ name, pid }];
      }),
    async interrupt(timeoutMs = 60_000) {
      if (!exit) {
        child.kill("SIGINT");
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      const killed = exit!.signal === "SIGKILL";
      if (killed) for (const name of Object.keys(SERVICES) as ServiceName[]) await stopPid(servicePidFile(home, name), 10_000);
      rmSync(home, { recursive: true, force: true });
      return killed ? null : exit!.code;
    },
  };
}
