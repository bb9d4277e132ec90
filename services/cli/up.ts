/**
 * `hindsight up [--detach]`: the infrastructure (embedded or configured), then the gateway and
 * the processor. In the foreground their logs go to the terminal and Ctrl-C stops everything this
 * command started; with --detach they run in the background and `hindsight down` stops them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { startInfrastructure, type Infrastructure } from "../../infra/local/stack.js";
import { isAlive, readPid, sleep, spawnDetached, stopPid } from "../../infra/local/process.js";
import { gatewayUrl, type CliContext } from "./context.js";
import { devToken, devTokensJson, SERVICES, serviceCommand, serviceLogFile, servicePidFile, type ServiceName } from "./local-stack.js";

export interface Running {
  infra: Infrastructure;
  children: Map<ServiceName, ChildProcess>;
  token: string | undefined;
  stop(): Promise<void>;
}

export async function up(ctx: CliContext, options: { detach: boolean }): Promise<number> {
  const already = readPid(servicePidFile(ctx.home, "gateway"));
  if (already !== undefined) {
    ctx.log(`Hindsight is already running (gateway pid ${already}); 'hindsight status' shows it, 'hindsight down' stops it`);
    return 0;
  }
  const running = await startAll(ctx, options);
  printBanner(ctx, running.token, options.detach);
  if (options.detach) return 0;
  return runInForeground(ctx, running);
}

/** Starts infrastructure and services; used by `up` and by `demo` when nothing runs yet. */
export async function startAll(ctx: CliContext, options: { detach: boolean }): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  let token: string | undefined;
  if (ctx.config.http.tokens.length === 0) {
    const dev = devToken(ctx.home);
    token = dev.token;
    env.HINDSIGHT_TOKENS = devTokensJson(dev.token);
    if (dev.created) ctx.log(`created a development token with all scopes in ${ctx.home}/dev-token`);
  }
  const infra = await startInfrastructure({ config: ctx.config, home: ctx.home, embedded: ctx.embedded, log: ctx.log });
  const children = new Map<ServiceName, ChildProcess>();
  const stop = async () => {
    await Promise.all((Object.keys(SERVICES) as ServiceName[]).map((name) => stopPid(servicePidFile(ctx.home, name), 20_000)));
    await infra.stop();
  };
  try {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const { command, args } = serviceCommand(name);
      const pidFile = servicePidFile(ctx.home, name);
      mkdirSync(dirname(pidFile), { recursive: true });
      if (options.detach) {
        spawnDetached(command, args, { logFile: serviceLogFile(ctx.home, name), pidFile, env });
      } else {
        const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"], env });
        writeFileSync(pidFile, `${child.pid}\n`);
        children.set(name, child);
      }
    }
    await waitForGateway(ctx);
  } catch (err) {
    await stop();
    throw err;
  }
  return { infra, children, token, stop };
}

async function waitForGateway(ctx: CliContext): Promise<void> {
  const deadline = Date.now() + 90_000;
  const url = `${gatewayUrl(ctx.config)}/readyz`;
  while (Date.now() < deadline) {
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      const pid = readPid(servicePidFile(ctx.home, name));
      if (pid === undefined || !isAlive(pid))
        throw new Error(`the ${name} exited during start-up; see its log (${serviceLogFile(ctx.home, name)} when detached)`);
    }
    const ready = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await sleep(300);
  }
  throw new Error(`the gateway did not become ready at ${url} within 90 s`);
}

export function printBanner(ctx: CliContext, token: string | undefined, detached: boolean): void {
  const lines = [
    "",
    "Hindsight is up.",
    `  Dashboard    ${gatewayUrl(ctx.config)}/   (paste the token below once)`,
    `  HTTP API     ${gatewayUrl(ctx.config)}   (POST /v1/predictions, POST /v1/labels, GET /v1/alerts, POST /v1/sql, GET /metrics)`,
    `  ClickHouse   ${ctx.config.clickhouse.url}   database '${ctx.config.clickhouse.database}' (views prediction_events, slice_metrics, drift_scores, alerts, …)`,
    `  Kafka        ${ctx.config.kafka.brokers.join(",")}   topics ${ctx.config.topics.predictions}, ${ctx.config.topics.labels}, ${ctx.config.topics.dlq}, ${ctx.config.alerts.topic}`,
  ];
  if (token) lines.push(`  Dev token    ${token}`, `               (all scopes; kept in ${ctx.home}/dev-token)`);
  lines.push(
    detached ? "Stop it with 'hindsight down'; 'hindsight status' shows its state." : "Ctrl-C stops everything this command started.",
    "",
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** Waits for Ctrl-C (or a service dying), then stops everything in order. */
export async function runInForeground(ctx: CliContext, running: Running, work?: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const abort = new AbortController();
  let exitCode = 0;
  const onSignal = () => abort.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  for (const [name, child] of running.children) {
    child.once("exit", (code, signal) => {
      if (abort.signal.aborted) return;
      ctx.log(`the ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      exitCode = 1;
      abort.abort();
    });
  }
  const finished = new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
  if (work) {
    work(abort.signal).then(
      () => abort.abort(),
      (err: Error) => {
        ctx.log(`error: ${err.message}`);
        exitCode = 1;
        abort.abort();
      },
    );
  }
  await finished;
  ctx.log("stopping…");
  await running.stop();
  for (const name of Object.keys(SERVICES) as ServiceName[]) rmSync(servicePidFile(ctx.home, name), { force: true });
  ctx.log("stopped");
  return exitCode;
}
