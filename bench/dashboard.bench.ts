/**
 * Dashboard page timings: loads a week of seeded demo traffic (event time; labels as late as the
 * generator makes them, median two days), lets the processor catch up, stops it, then times the
 * API calls behind each dashboard page through the gateway over HTTP, in the order and grouping
 * the page makes them (calls a page makes together are made together). Each page is loaded
 * `--repeat` times after one warm-up; prints median and p95 per page and per call, beside two
 * baselines from the same run: the gateway's /healthz (HTTP floor) and `SELECT 1` in ClickHouse.
 *
 *   npm run bench:dashboard -- [--rate 1.5] [--days 7] [--repeat 10]
 *
 * Starts its own Kafka and ClickHouse (ports 29092 / 28123, state in .cache/bench-stack) unless
 * KAFKA_BROKERS and CLICKHOUSE_URL are set. The processor runs as a child process.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LabelHttp } from "../schemas/events.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { consumerLag, createProducer } from "../services/common/kafka/client.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createGateway } from "../services/gateway/gateway.js";
import { metricsGroupId } from "../services/processor/processor.js";
import { dirtyWindowsRepository } from "../services/common/clickhouse/dirty-windows.repository.js";
import { createDemoTraffic, defaultIncidents } from "../services/demo/generator.js";
import { ROOT } from "../infra/local/paths.js";
import { toWire } from "./event-pool.js";
import { log, startBenchStack } from "./stack.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "1.5" },
    days: { type: "string", default: "7" },
    repeat: { type: "string", default: "10" },
  },
});
const RATE = Number(args.rate);
const DAYS = Number(args.days);
const REPEAT = Number(args.repeat);
if (!(RATE > 0 && DAYS > 0 && Number.isInteger(REPEAT) && REPEAT > 0))
  throw new Error("--rate and --days take positive numbers, --repeat a positive integer");

const TOKEN = "bench-token-with-every-scope-0001";
const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5);
const TARGET_MS = 1000;

interface Call {
  name: string;
  method?: "GET" | "POST";
  path: string;
  body?: unknown;
}
/** A page: phases run one after the other; the calls of a phase run together. */
type PageCalls = Call[][];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

async function main(): Promise<void> {
  const { env, config, infra, kafka, ch } = await startBenchStack({
    HINDSIGHT_TOKENS: JSON.stringify([{ token: TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] }]),
    HINDSIGHT_RATE_LIMIT_PER_MINUTE: "1000000",
    HINDSIGHT_HTTP_PORT: "0",
  });
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  let childExited = false;
  child.once("exit", () => (childExited = true));
  const gateway = await createGateway(config, createLogger("gateway", "warn"));
  try {
    // --- a week of traffic, produced straight to Kafka in event-time order -------------------
    const loadStarted = Date.now();
    const demo = createDemoTraffic({
      seed: 3,
      startMs: START,
      predictionsPerSecond: RATE, // The default incidents (drift, a slice failing, a vanished category), on day 3.
      incidents: defaultIncidents(START + 3 * DAY),
    });
    const producer = await createProducer(kafka);
    let predictions = 0;
    let labels = 0;
    for (let at = START + HOUR; at <= START + DAYS * DAY; at += HOUR) {
      const batch = demo.advance(at);
      await producer.send(
        config.topics.predictions,
        batch.predictions.map((p) => ({ key: p.prediction_id, value: encode("prediction", toWire(p)) })),
      );
      await producer.send(
        config.topics.labels,
        batch.labels.map((l) => ({ key: l.prediction_id, value: encode("label", { ...LabelHttp.parse(l), received_at: null }) })),
      );
      predictions += batch.predictions.length;
      labels += batch.labels.length;
      if ((at - START) % DAY === 0) log(`produced day ${(at - START) / DAY}: ${predictions} predictions, ${labels} labels`);
    }
    await producer.disconnect();
    log(
      `produced ${predictions} predictions and ${labels} labels in ${((Date.now() - loadStarted) / 1000).toFixed(0)} s; waiting for the processor`,
    );
    const topics = [config.topics.predictions, config.topics.labels];
    for (;;) {
      if (childExited) throw new Error("the processor exited while loading");
      const lags = await Promise.all(
        [config.processor.groupId, metricsGroupId(config.processor.groupId)].map((g) => consumerLag(kafka, g, topics)),
      );
      const total = lags.flatMap((l) => Object.values(l)).reduce((a, b) => a + b, 0);
      // Marks are stored before the metrics group commits: once nothing is unread, none are missing.
      if (total === 0 && (await dirtyWindowsRepository(ch).pendingCount()) === 0) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const loadS = (Date.now() - loadStarted) / 1000;
    child.kill("SIGTERM");
    if (!childExited) await once(child, "exit");

    // --- timing --------------------------------------------------------------------------------
    await gateway.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(gateway.server.address() as { port: number }).port}`;
    const call = async (c: Call): Promise<{ ms: number; status: number }> => {
      const started = performance.now();
      const res = await fetch(`${base}${c.path}`, {
        method: c.method ?? "GET",
        headers: { authorization: `Bearer ${TOKEN}`, ...(c.body ? { "content-type": "application/json" } : {}) },
        body: c.body ? JSON.stringify(c.body) : null,
      });
      await res.arrayBuffer();
      return { ms: performance.now() - started, status: res.status };
    };
    const drifted = await fetch(`${base}/v1/models/fraud/drift?window=1h&feature=amount&only=drifted&limit=1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.json() as Promise<{ scores: Array<{ window_start_ms: number; model_version: string }> }>);
    const cell = drifted.scores[0];
    const db = config.clickhouse.database;
    const pages: Record<string, PageCalls> = {
      models: [
        [
          { name: "models", path: "/v1/models" },
          { name: "open alerts", path: "/v1/alerts?status=open&limit=1000" },
        ],
        [
          { name: "metrics 1h", path: "/v1/models/fraud/metrics?window=1h" },
          { name: "metrics 1d", path: "/v1/models/fraud/metrics?window=1d" },
          { name: "drifted 1h", path: "/v1/models/fraud/drift?window=1h&only=drifted&limit=2000" },
        ],
      ],
      "model (1h)": [
        [
          { name: "metrics 1h", path: "/v1/models/fraud/metrics?window=1h" },
          { name: "label delays", path: "/v1/models/fraud/label-delays" },
        ],
      ],
      "model (5m)": [
        [
          { name: "metrics 5m", path: "/v1/models/fraud/metrics?window=5m" },
          { name: "label delays", path: "/v1/models/fraud/label-delays" },
        ],
      ],
      "drift (1h)": [
        [
          { name: "drift 1h", path: "/v1/models/fraud/drift?window=1h&limit=10000" },
          { name: "quality 1h", path: "/v1/models/fraud/quality?window=1h&only=violated&limit=500" },
        ],
        ...(cell
          ? [
              [
                {
                  name: "distribution",
                  path: `/v1/models/fraud/drift/distribution?window=1h&window_start=${cell.window_start_ms}&feature=amount&model_version=${cell.model_version}`,
                },
              ],
            ]
          : []),
      ],
      slices: [
        [{ name: "slices", path: "/v1/models/fraud/slices?window=1d&order=worst&limit=25" }],
        [
          { name: "slice metrics 1h", path: "/v1/models/fraud/metrics?window=1h&slice_key=country&slice_value=BR" },
          { name: "metrics 1h", path: "/v1/models/fraud/metrics?window=1h" },
        ],
      ],
      alerts: [[{ name: "firing alerts", path: "/v1/alerts?status=firing&limit=200" }]],
      digest: [[{ name: "digest", path: "/v1/alerts/digest?hours=24" }]],
      sql: [
        [
          {
            name: "sql",
            method: "POST",
            path: "/v1/sql",
            body: {
              query: `SELECT window_start, model_version, round(accuracy, 4) AS accuracy FROM ${db}.slice_metrics WHERE model_id = 'fraud' AND window_seconds = 3600 AND slice_key = '' ORDER BY window_start`,
            },
          },
        ],
      ],
    };

    const baselines = { healthz: [] as number[], select1: [] as number[] };
    const pageTimes = new Map<string, number[]>();
    const callTimes = new Map<string, number[]>();
    const unavailable = new Map<string, number>();
    for (let round = 0; round <= REPEAT; round++) {
      const warm = round > 0;
      let t = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
      if (warm) baselines.healthz.push(performance.now() - t);
      t = performance.now();
      await ch.rows(anyRow(), sql`SELECT 1`);
      if (warm) baselines.select1.push(performance.now() - t);
      for (const [page, phases] of Object.entries(pages)) {
        const started = performance.now();
        for (const phase of phases) {
          const results = await Promise.all(phase.map(call));
          results.forEach((r, i) => {
            const key = `${page} · ${phase[i]!.name}`;
            if (r.status >= 400) unavailable.set(key, r.status);
            else if (warm) callTimes.set(key, [...(callTimes.get(key) ?? []), r.ms]);
          });
        }
        if (warm) pageTimes.set(page, [...(pageTimes.get(page) ?? []), performance.now() - started]);
      }
    }

    const [sizes] = await ch.rows(
      anyRow<{ p: string; l: string }>(),
      sql`SELECT (SELECT count() FROM ${identOf(db, "prediction_events")}) AS p, (SELECT count() FROM ${identOf(db, "label_events")}) AS l`,
    );
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(
      `\nDashboard API timings: ${DAYS} days of demo traffic at ${RATE} predictions/s of event time (${sizes?.p} predictions, ${sizes?.l} labels stored; loaded in ${loadS.toFixed(0)} s), ${REPEAT} loads of each page after one warm-up.`,
    );
    const stat = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return { median: quantile(s, 0.5), p95: quantile(s, 0.95) };
    };
    const hz = stat(baselines.healthz),
      s1 = stat(baselines.select1);
    out(`baselines: GET /healthz median ${fmt(hz.median)}, ClickHouse SELECT 1 median ${fmt(s1.median)}\n`);
    out(`${"page".padEnd(14)} ${"median".padStart(10)} ${"p95".padStart(10)}  ${"× SELECT 1".padStart(10)}  within ${TARGET_MS} ms`);
    let allWithin = true;
    for (const [page, xs] of pageTimes) {
      const s = stat(xs);
      const ok = s.p95 <= TARGET_MS;
      allWithin &&= ok;
      out(`${page.padEnd(14)} ${fmt(s.median)} ${fmt(s.p95)}  ${(s.median / s1.median).toFixed(1).padStart(10)}  ${ok ? "yes" : "NO"}`);
    }
    out(`\n${"call".padEnd(34)} ${"median".padStart(10)} ${"p95".padStart(10)}`);
    for (const [key, xs] of callTimes) {
      const s = stat(xs);
      out(`${key.padEnd(34)} ${fmt(s.median)} ${fmt(s.p95)}`);
    }
    for (const [key, status] of unavailable) out(`${key.padEnd(34)} not timed: HTTP ${status} (not available on this gateway)`);
    out(`\n${allWithin ? "every page's calls answered within" : "NOT every page answered within"} ${TARGET_MS} ms at p95`);
  } finally {
    if (!childExited) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await gateway.close();
    await ch.close();
    await infra.stop();
  }
}

function identOf(db: string, table: string) {
  return ident(`${db}.${table}`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
