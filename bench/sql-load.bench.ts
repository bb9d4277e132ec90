/**
 * Does a heavy analyst query harm ingestion? Ingestion throughput (events/s from Kafka into
 * ClickHouse through the processor) measured alternately without and with analysts' SQL running in
 * a loop, as the `analyst` user through the same code as POST /v1/sql, in the same run:
 *
 *   npm run bench:sql-load -- [--events 300000] [--repeats 2] [--analysts 1]
 *
 * The analyst query is a heavy one: a GROUP BY over 20 million rows with as many distinct keys, read
 * from the run's `labels` table (one the analyst is granted), which the benchmark fills with a model
 * of its own that ingestion never touches; it fills the profile's max_memory_usage (1 GB), is cut
 * off, and starts again.
 * Each run has its own topic, consumer group and database; the processor runs as a child process.
 * Starts its own Kafka and ClickHouse (ports 29092 / 28123) unless KAFKA_BROKERS and CLICKHOUSE_URL are set.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Partitioners, type Kafka } from "kafkajs";
import { loadConfig, type Config } from "../services/common/config/env.js";
import { createClickHouse } from "../services/common/clickhouse/client.js";
import { createAnalystSql, AnalystQueryError } from "../services/common/clickhouse/analyst-query.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { ROOT } from "../infra/local/paths.js";
import { prepare } from "../infra/local/stack.js";
import { splittablePool, withId } from "./event-pool.js";
import { log, startBenchStack } from "./stack.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "300000" },
    repeats: { type: "string", default: "2" },
    analysts: { type: "string", default: "1" },
  },
});
const EVENTS = Number(args.events);
const REPEATS = Number(args.repeats);
const ANALYSTS = Number(args.analysts);

const LOAD_ROWS = 20_000_000;
const LOAD_MODEL = "sql-load";
const HEAVY_QUERY = `SELECT prediction_id AS k, count() AS n, avg(value) AS mean FROM labels WHERE model_id = '${LOAD_MODEL}' GROUP BY k ORDER BY n DESC LIMIT 10`;

/** One analyst running the heavy query back to back until stopped; counts how each run ended. */
function analystLoop(config: Config) {
  const analyst = createAnalystSql({
    url: config.clickhouse.url,
    user: config.clickhouse.analyst.user,
    password: config.clickhouse.analyst.password,
    database: config.clickhouse.database,
  });
  const outcomes: Record<string, number> = {};
  let running = true;
  const done = (async () => {
    while (running) {
      const outcome = await analyst.query(HEAVY_QUERY, 10).then(
        () => "finished",
        (err: unknown) => (err instanceof AnalystQueryError ? err.code : "error"),
      );
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome === "unavailable" || outcome === "error")
        throw new Error(
          "the analyst query failed for a reason other than its limits; does the analyst user have its grants on this database (infra/clickhouse/users.xml)?",
        );
    }
  })();
  return {
    outcomes,
    async stop() {
      running = false;
      // A query in flight runs on until its time limit; the benchmark does not wait for it.
      void done.catch(() => undefined);
      await analyst.close().catch(() => undefined);
    },
    done,
  };
}

async function produce(kafka: Kafka, topic: string, pool: ReturnType<typeof splittablePool>, runId: string): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < EVENTS; i += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, EVENTS - i) }, (_, k) => {
      const id = `${runId}-${i + k}`;
      return { key: id, value: withId(pool[(i + k) % pool.length]!, id) };
    });
    inFlight.push(producer.send({ topic, acks: 1, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
}

/** Events/s from the processor's first row in ClickHouse to its last, on a topic produced beforehand. */
async function ingestRun(
  baseEnv: Record<string, string>,
  kafka: Kafka,
  pool: ReturnType<typeof splittablePool>,
  run: string,
): Promise<number> {
  const env = {
    ...baseEnv,
    CLICKHOUSE_DATABASE: `${baseEnv.CLICKHOUSE_DATABASE}_${run}`,
    HINDSIGHT_TOPIC_PREFIX: `${baseEnv.HINDSIGHT_TOPIC_PREFIX}-${run}`,
    HINDSIGHT_CONSUMER_GROUP: `${baseEnv.HINDSIGHT_CONSUMER_GROUP}-${run}`,
  };
  const config = loadConfig(env);
  await prepare(config, () => {});
  await produce(kafka, config.topics.predictions, pool, run);
  const ch = createClickHouse(config.clickhouse);
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    const table = ident(`${config.clickhouse.database}.predictions`);
    let started = 0;
    for (;;) {
      const n = Number((await ch.rows(anyRow<{ n: string }>(), sql`SELECT count() AS n FROM ${table}`))[0]?.n ?? 0);
      if (n > 0 && started === 0) started = performance.now();
      if (n >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return EVENTS / ((performance.now() - started) / 1000);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
  }
}

async function main(): Promise<void> {
  const { env, config, infra, kafka, ch } = await startBenchStack();
  const labels = ident(`${config.clickhouse.database}.labels`);
  log(`filling ${LOAD_ROWS} rows for the analyst query`);
  // In pieces of 2 million rows, so that no single insert nears the client's request timeout.
  for (let from = 0; from < LOAD_ROWS; from += 2_000_000) {
    await ch.command(sql`
      INSERT INTO ${labels} (prediction_id, model_id, value, labeled_at, source, schema_id, kafka_partition, kafka_offset)
      SELECT toString(cityHash64(number)), ${LOAD_MODEL}, number / 7, now64(3), 'bench', 0, 0, number FROM numbers(${from}, ${Math.min(2_000_000, LOAD_ROWS - from)})`);
  }
  const pool = splittablePool(50_000);
  const without: number[] = [];
  const withLoad: number[] = [];
  const outcomes: Record<string, number> = {};
  try {
    for (let r = 0; r < REPEATS; r++) {
      log(`run ${r + 1}/${REPEATS}: ingestion alone`);
      without.push(await ingestRun(env, kafka, pool, `a${r}`));
      log(`  ${Math.round(without.at(-1)!)} events/s`);
      log(`run ${r + 1}/${REPEATS}: ingestion with ${ANALYSTS} heavy analyst quer${ANALYSTS === 1 ? "y" : "ies"} in a loop`);
      const loops = Array.from({ length: ANALYSTS }, () => analystLoop(config));
      // Let the analyst queries get going before the processor starts.
      await new Promise((res) => setTimeout(res, 2_000));
      try {
        withLoad.push(await ingestRun(env, kafka, pool, `b${r}`));
      } finally {
        for (const l of loops) {
          await l.stop();
          for (const [k, v] of Object.entries(l.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
        }
      }
      log(`  ${Math.round(withLoad.at(-1)!)} events/s`);
    }
  } finally {
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fmt = (x: number) => Math.round(x).toLocaleString("en").padStart(9);
  const ratio = mean(withLoad) / mean(without);
  process.stdout.write(
    `\nIngestion with and without analysts' SQL, ${EVENTS.toLocaleString("en")} events per run, ${REPEATS} runs each, alternating:\n`,
  );
  process.stdout.write(
    `  ingestion alone                               ${fmt(mean(without))} events/s   (runs: ${without
      .map(fmt)
      .map((s) => s.trim())
      .join(", ")})\n`,
  );
  process.stdout.write(
    `  with ${ANALYSTS} heavy analyst quer${ANALYSTS === 1 ? "y " : "ies"} in a loop              ${fmt(mean(withLoad))} events/s   (runs: ${withLoad
      .map(fmt)
      .map((s) => s.trim())
      .join(", ")})\n`,
  );
  process.stdout.write(`  ratio ${ratio.toFixed(2)} (target ≥ 0.80): ${ratio >= 0.8 ? "within 20%" : "MORE THAN 20% SLOWER"}\n`);
  process.stdout.write(
    `  analyst queries: ${Object.entries(outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ")}\n`,
  );
}

await main();
