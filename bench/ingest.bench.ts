/**
 * Ingestion benchmark: events per second from Kafka into ClickHouse through the processor, beside
 * two baselines measured in the same run on the same events:
 *   - a bare kafkajs consumer that only reads the topic (the ceiling for any kafkajs consumer);
 *   - ClickHouse's own insert of the same rows, encoded beforehand as the processor encodes them,
 *     into a table without materialized views and into the predictions table with its views
 *     (the server reads and writes them; nothing else runs).
 * The processor runs twice on the same events: as one process (the default), and split by role
 * into an ingestion process and a metrics process (HINDSIGHT_PROCESSOR_ROLE), each with its own
 * database and consumer groups.
 * Then a sustained phase: events produced at a fixed rate for a fixed time while the processor
 * runs, with the consumer lag sampled, to show whether it keeps up.
 *
 *   npm run bench:ingest -- [--events 1000000] [--rate 30000] [--sustain 300] [--partitions 3]
 * (--events 0 skips the burst comparison, --sustain 0 the sustained phase.)
 *
 * Starts its own Kafka and ClickHouse (ports 29092 / 28123, state in .cache/bench-stack) unless
 * KAFKA_BROKERS and CLICKHOUSE_URL are set. The processor runs as a child process, as in production.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { once } from "node:events";
import { loadConfig, type Config } from "../services/common/config/env.js";
import { createClickHouse, type ClickHouse } from "../services/common/clickhouse/client.js";
import { PREDICTION_LAYOUT } from "../services/common/clickhouse/raw-event-encoding.js";
import { encodeRows } from "../services/common/clickhouse/row-binary.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { decode, encode, SCHEMAS } from "../services/common/kafka/avro-codec.js";
import { consumerLag } from "../services/common/kafka/client.js";
import { predictionRow } from "../services/common/domain/event-rows.js";
import { createDemoTraffic } from "../services/demo/generator.js";
import { splittablePool, toWire, withId } from "./event-pool.js";
import type { PredictionEvent } from "../schemas/events.js";
import { ROOT } from "../infra/local/paths.js";
import { log, startBenchStack } from "./stack.js";
import { prepare } from "../infra/local/stack.js";
import { Partitioners, type Kafka } from "kafkajs";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "1000000" },
    rate: { type: "string", default: "30000" },
    sustain: { type: "string", default: "300" },
    partitions: { type: "string", default: "3" },
  },
});
const EVENTS = Number(args.events);
const RATE = Number(args.rate);
const SUSTAIN_S = Number(args.sustain);
const PARTITIONS = Number(args.partitions);

async function main(): Promise<void> {
  const { env, config, infra, kafka, ch } = await startBenchStack({ HINDSIGHT_PARTITIONS: String(PARTITIONS) });
  try {
    if (EVENTS > 0) {
      log(`generating ${EVENTS} prediction events`);
      const traffic = createDemoTraffic({ seed: 7, predictionsPerSecond: 5_000, labelShare: 0, startMs: Date.UTC(2026, 10, 1) });
      const events: PredictionEvent[] = [];
      while (events.length < EVENTS)
        for (const p of traffic.advance(traffic.cursorMs + 60_000).predictions) if (events.length < EVENTS) events.push(toWire(p));
      const messages = events.map((e) => ({ key: e.prediction_id, value: encode("prediction", e) }));
      const bytes = messages.reduce((s, m) => s + m.value.length, 0);
      log(`average Avro event: ${Math.round(bytes / EVENTS)} bytes`);

      const produceS = await produceAll(kafka, config.topics.predictions, messages);
      log(`produced ${EVENTS} events in ${produceS.toFixed(1)} s`);

      const bareS = await bareConsumer(kafka, config.topics.predictions, EVENTS);
      const processorS = await processorRun(env, ch, config, EVENTS, ["all"]);
      const splitEnv = {
        ...env,
        CLICKHOUSE_DATABASE: `${config.clickhouse.database}_split`,
        HINDSIGHT_CONSUMER_GROUP: `${config.processor.groupId}-split`,
      };
      const splitConfig = loadConfig(splitEnv);
      await prepare(splitConfig, log);
      const splitS = await processorRun(splitEnv, ch, splitConfig, EVENTS, ["ingest", "metrics"]);
      const plainS = await clickhouseInsert(ch, config, events, false);
      const viewsS = await clickhouseInsert(ch, config, events, true);

      const rows = [
        ["bare kafkajs consumer (read only)", bareS],
        ["Hindsight processor (Kafka → ClickHouse)", processorS],
        ["the same, split: ingest and metrics processes", splitS],
        ["ClickHouse INSERT, table without views", plainS],
        ["ClickHouse INSERT, the predictions table and views", viewsS],
      ] as const;
      const bareRate = EVENTS / bareS;
      process.stdout.write(`\nIngestion, ${EVENTS.toLocaleString("en")} events, ${PARTITIONS} partitions, same run:\n`);
      for (const [name, s] of rows) {
        process.stdout.write(
          `  ${name.padEnd(50)} ${Math.round(EVENTS / s)
            .toLocaleString("en")
            .padStart(9)} events/s   ${(EVENTS / s / bareRate).toFixed(2)}× bare consumer\n`,
        );
      }
    }
    if (SUSTAIN_S > 0) await sustained(env, kafka);
  } finally {
    for (const db of [config.clickhouse.database, `${config.clickhouse.database}_split`])
      await ch.command(sql`DROP DATABASE IF EXISTS ${ident(db)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
  }
}

async function produceAll(kafka: Kafka, topic: string, messages: Array<{ key: string; value: Buffer }>): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  const inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < messages.length; i += 5_000) {
    inFlight.push(producer.send({ topic, acks: 1, messages: messages.slice(i, i + 5_000) }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const s = (performance.now() - started) / 1000;
  await producer.disconnect();
  return s;
}

/** Baseline: the same topic read by a kafkajs consumer that does nothing with the messages. */
async function bareConsumer(kafka: Kafka, topic: string, expected: number): Promise<number> {
  log("baseline: bare kafkajs consumer");
  const consumer = kafka.consumer({ groupId: `bare-${Date.now()}`, maxBytesPerPartition: 2 * 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now();
        seen += batch.messages.length;
        if (seen >= expected) resolve((performance.now() - started) / 1000);
      },
    });
  });
  const s = await done;
  await consumer.disconnect();
  return s;
}

/** Ours: the processor as child processes of the given roles, timed from its first row to the last row in ClickHouse. */
async function processorRun(
  env: Record<string, string>,
  ch: ClickHouse,
  config: Config,
  expected: number,
  roles: Array<"all" | "ingest" | "metrics">,
): Promise<number> {
  log(`Hindsight processor (${roles.join(" + ")})`);
  // Each process its own /metrics port, or none.
  const children = roles.map((role) => startProcessor({ ...env, HINDSIGHT_PROCESSOR_ROLE: role, HINDSIGHT_PROCESSOR_METRICS_PORT: "0" }));
  try {
    const table = ident(`${config.clickhouse.database}.predictions`);
    const rowsNow = async () => Number((await ch.rows(anyRow<{ n: string }>(), sql`SELECT count() AS n FROM ${table}`))[0]?.n ?? 0);
    let started = 0;
    for (;;) {
      const n = await rowsNow();
      if (n > 0 && started === 0) started = performance.now();
      if (n >= expected) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return (performance.now() - started) / 1000;
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => once(child, "exit")));
  }
}

function startProcessor(env: Record<string, string>): ChildProcess {
  // e.g. BENCH_PROCESSOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" to profile the processor.
  const extra = process.env.BENCH_PROCESSOR_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return spawn(process.execPath, [...extra, "--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

/**
 * Baseline: ClickHouse itself inserting the same rows as the processor sends them (RowBinary, in
 * inserts of HINDSIGHT_BATCH_MAX_ROWS), encoded beforehand, one insert at a time: into a copy of the
 * predictions table without its materialized views, or into the predictions table itself, whose
 * views copy each row on (what the processor's inserts cost the server).
 */
async function clickhouseInsert(ch: ClickHouse, config: Config, events: PredictionEvent[], views: boolean): Promise<number> {
  log(`baseline: ClickHouse INSERT ${views ? "with" : "without"} the views`);
  const db = config.clickhouse.database;
  let table = `${db}.predictions`;
  if (!views) {
    table = `${db}.predictions_copy`;
    await ch.command(sql`CREATE TABLE ${ident(table)} AS ${ident(`${db}.predictions`)}`);
  }
  const ingestedAtS = Math.floor(Date.now() / 1000);
  const rows = events.map((e, i) => predictionRow(e, { partition: 0, offset: i, schemaId: SCHEMAS.prediction.id, ingestedAtS }));
  const batchRows = config.processor.batchMaxRows;
  const batches: Buffer[] = [];
  for (let i = 0; i < rows.length; i += batchRows) batches.push(encodeRows(rows.slice(i, i + batchRows), PREDICTION_LAYOUT));
  const started = performance.now();
  for (const batch of batches) await ch.insertRowBinary(table, PREDICTION_LAYOUT.columns, [batch]);
  return (performance.now() - started) / 1000;
}

/** Produces at a fixed rate for SUSTAIN_S seconds while the processor runs; samples the lag. */
async function sustained(env: Record<string, string>, kafka: Kafka): Promise<void> {
  log(`sustained: ${RATE} events/s for ${SUSTAIN_S} s`);
  const sustainEnv = {
    ...env,
    HINDSIGHT_CONSUMER_GROUP: `${env.HINDSIGHT_CONSUMER_GROUP}-sustain`,
    HINDSIGHT_TOPIC_PREFIX: `${env.HINDSIGHT_TOPIC_PREFIX}-s`,
  };
  const sustainConfig = loadConfig(sustainEnv);
  await prepare(sustainConfig, log);
  const child = startProcessor(sustainEnv);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // The load generator shares the 2 cores with the system under test, so it is made cheap: a
  // pool of pre-encoded events, each sent with a fresh prediction_id spliced in front (the id is
  // the record's first field), instead of generating and encoding every event.
  const pool = splittablePool(50_000);
  if (decode("prediction", withId(pool[0]!, "s-check")).prediction_id !== "s-check") throw new Error("spliced event does not decode");
  const samples: Array<{ t: number; lag: number; produced: number }> = [];
  let produced = 0;
  const started = Date.now();
  let nextSample = started + 10_000;
  let endedAt = started;
  try {
    while (Date.now() - started < SUSTAIN_S * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - produced;
      const messages = new Array<{ key: string; value: Buffer }>(Math.max(0, due));
      for (let i = 0; i < messages.length; i++) {
        const id = `s-${produced + i}`;
        messages[i] = { key: id, value: withId(pool[(produced + i) % pool.length]!, id) };
      }
      // Several requests in flight: one at a time would wait out a round trip per 2,000 events.
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < messages.length; i += 2_000)
        sends.push(producer.send({ topic: sustainConfig.topics.predictions, acks: 1, messages: messages.slice(i, i + 2_000) }));
      await Promise.all(sends);
      produced += messages.length;
      if (Date.now() >= nextSample) {
        nextSample += 10_000;
        const lag =
          (await consumerLag(kafka, sustainConfig.processor.groupId, [sustainConfig.topics.predictions]))[
            sustainConfig.topics.predictions
          ] ?? 0;
        samples.push({ t: Math.round((Date.now() - started) / 1000), lag, produced });
        log(`t=${samples.at(-1)!.t}s produced ${produced} (${Math.round(produced / ((Date.now() - started) / 1000))}/s) lag ${lag}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    endedAt = Date.now();
    await producer.disconnect();
    child.kill("SIGTERM");
    await once(child, "exit");
  }
  const elapsed = (endedAt - started) / 1000;
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: typeof samples) => xs.reduce((s, x) => s + x.lag, 0) / Math.max(1, xs.length);
  const early = mean(samples.slice(0, third));
  const late = mean(samples.slice(-third));
  process.stdout.write(
    `\nSustained: offered ${Math.round(produced / elapsed).toLocaleString("en")} events/s for ${Math.round(elapsed)} s\n`,
  );
  process.stdout.write(`  consumer lag (events), every 10 s: ${samples.map((s) => s.lag).join(" ")}\n`);
  process.stdout.write(
    `  mean lag first third ${Math.round(early)}, last third ${Math.round(late)}: ${late <= Math.max(early * 1.5, RATE) ? "no growing lag" : "LAG GROWS"}\n`,
  );
  await (async () => {
    const ch = createClickHouse(sustainConfig.clickhouse);
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(sustainConfig.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
  })();
}

await main();
