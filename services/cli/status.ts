/** `hindsight status`: which parts run, whether they answer, event counts, consumer lag, and what is stuck and why. */
import { localClickHousePid } from "../../infra/local/clickhouse.js";
import { localKafkaPid } from "../../infra/local/kafka.js";
import { portOpen, readPid } from "../../infra/local/process.js";
import { hostPort } from "../../infra/local/stack.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { int, row } from "../common/clickhouse/row-schema.js";
import { ident, sql } from "../common/clickhouse/sql.js";
import { consumerLag, createKafka } from "../common/kafka/client.js";
import { createLogger } from "../common/observability/logger.js";
import { gatewayUrl, type CliContext } from "./context.js";
import { metricsGroupId } from "../processor/processor.js";
import { servicePidFile } from "./local-stack.js";
import { describeProblem, pipelineFailuresRepository } from "../common/clickhouse/pipeline-failures.repository.js";
import { jobProgress, recomputeJobsRepository } from "../common/clickhouse/recompute-jobs.repository.js";
import { dirtyWindowsRepository } from "../common/clickhouse/dirty-windows.repository.js";

const pad = (s: string, n: number) => s.padEnd(n);
const describePid = (pid: number | undefined, external: boolean) =>
  external ? "external" : pid !== undefined ? `pid ${pid}` : "not running";

export async function status(ctx: CliContext): Promise<number> {
  const { config } = ctx;
  const broker = hostPort(config.kafka.brokers[0]!, 9092);
  const ch = hostPort(config.clickhouse.url, 8123);
  const gatewayReady = await fetch(`${gatewayUrl(config)}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  const kafkaUp = await portOpen(broker.host, broker.port);
  const clickhouseUp = await portOpen(ch.host, ch.port);
  const processorPid = readPid(servicePidFile(ctx.home, "processor"));
  const rows: Array<[string, string, string]> = [
    [
      "gateway",
      describePid(readPid(servicePidFile(ctx.home, "gateway")), false),
      `${gatewayUrl(config)} ${gatewayReady ? "ready" : "not answering"}`,
    ],
    ["processor", describePid(processorPid, false), ""],
    ["evaluator", describePid(readPid(servicePidFile(ctx.home, "evaluator")), false), "alert rules, notifications"],
    [
      "kafka",
      describePid(localKafkaPid(ctx.home), !ctx.embedded.kafka),
      `${config.kafka.brokers.join(",")} ${kafkaUp ? "reachable" : "unreachable"}`,
    ],
    [
      "clickhouse",
      describePid(localClickHousePid(ctx.home), !ctx.embedded.clickhouse),
      `${config.clickhouse.url} ${clickhouseUp ? "reachable" : "unreachable"}`,
    ],
  ];
  for (const [name, pid, detail] of rows) process.stdout.write(`${pad(name, 12)}${pad(pid, 16)}${detail}\n`);

  let stuck = false;
  if (clickhouseUp) {
    const client = createClickHouse(config.clickhouse);
    try {
      const db = config.clickhouse.database;
      const [counts] = await client.rows(
        row({ predictions: int, labels: int }),
        sql`SELECT (SELECT count() FROM ${ident(`${db}.prediction_events`)}) AS predictions, (SELECT count() FROM ${ident(`${db}.label_events`)}) AS labels`,
      );
      process.stdout.write(
        `${pad("events", 28)}predictions ${counts?.predictions}, labels ${counts?.labels} (deduplicated, in ClickHouse)\n`,
      );
      const { problems, counts: open } = await pipelineFailuresRepository(client).open();
      const total = open.set_aside + open.stalled + open.metrics_lag;
      stuck = total > 0;
      if (!stuck) process.stdout.write(`${pad("pipeline", 28)}ok (nothing set aside, metrics group advancing)\n`);
      else {
        process.stdout.write(
          `${pad("pipeline", 28)}DEGRADED: ${open.set_aside} window(s) set aside, ${open.stalled ? "metrics group stalled" : "metrics group advancing"}${open.metrics_lag ? ", metrics lag above bound" : ""}\n`,
        );
        for (const p of problems) process.stdout.write(`${pad("", 28)}- ${describeProblem(p)}\n`);
        if (total > problems.length)
          process.stdout.write(
            `${pad("", 28)}… and ${total - problems.length} more (SELECT * FROM pipeline_failures FINAL WHERE resolved_ms = 0)\n`,
          );
      }
      const windows = dirtyWindowsRepository(client);
      const waiting = await windows.pendingCount();
      process.stdout.write(
        `${pad("windows to recompute", 28)}${waiting === 0 ? "none waiting" : `${waiting} base window(s) marked by the metrics group, waiting for the window worker`}\n`,
      );
      const awaiting = await windows.awaitingCount();
      if (awaiting > 0)
        process.stdout.write(
          `${pad("drift awaiting a reference", 28)}${awaiting} base window(s) of versions with fewer predictions than HINDSIGHT_REFERENCE_ROWS; scored once the automatic reference is built, or upload one\n`,
        );
      const running = (await recomputeJobsRepository(client).recent()).filter((j) => j.state === "running");
      if (running.length === 0) process.stdout.write(`${pad("recompute jobs", 28)}none running\n`);
      for (const j of running)
        process.stdout.write(
          `${pad("recompute job", 28)}${j.kind} of ${[j.model_id, j.model_version].filter(Boolean).join(" ")}: ${Math.round(jobProgress(j) * 100)} % (${j.windows_done} windows, done until ${new Date(j.cursor_s * 1000).toISOString()}; ${j.reason})\n`,
        );
    } catch (err) {
      process.stdout.write(`${pad("events", 28)}unknown: ${(err as Error).message.split("\n")[0]}\n`);
    } finally {
      await client.close();
    }
  }
  if (kafkaUp) {
    const kafka = createKafka({ ...config.kafka, logger: createLogger("cli", "silent"), retries: 1 });
    const topics = [config.topics.predictions, config.topics.labels];
    for (const [what, group] of [
      ["lag", config.processor.groupId],
      ["metrics lag", metricsGroupId(config.processor.groupId)],
    ] as const) {
      const lag = await consumerLag(kafka, group, topics).catch(() => undefined);
      if (lag)
        process.stdout.write(
          `${pad(what, 28)}${Object.entries(lag)
            .map(([t, n]) => `${t} ${n}`)
            .join(", ")} (messages not yet ${what === "lag" ? "stored" : "in the metrics"})\n`,
        );
    }
  }
  return gatewayReady && processorPid !== undefined && kafkaUp && clickhouseUp && !stuck ? 0 : 1;
}
