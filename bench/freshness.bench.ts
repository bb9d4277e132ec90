/**
 * Label-to-metric freshness under load: while predictions and labels stream through Kafka at a
 * fixed rate, probe labels are produced one at a time for a separate probe model, and the time
 * until the affected window's statistics count them is measured. Also prints the processor's
 * resident memory and how many predictions were awaiting labels.
 *
 *   npm run bench:freshness -- [--rate 10000] [--duration 60] [--probes-every-ms 500]
 *
 * Starts its own Kafka and ClickHouse (ports 29092 / 28123, state in .cache/bench-stack) unless
 * KAFKA_BROKERS and CLICKHOUSE_URL are set. The processor runs as a child process.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Partitioners } from "kafkajs";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { consumerLag } from "../services/common/kafka/client.js";
import { ROOT } from "../infra/local/paths.js";
import { log, startBenchStack } from "./stack.js";
import { splittablePool, withId } from "./event-pool.js";
import { PROBE_TIMEOUT_MS, quantile, startLabelProbes } from "./label-probe.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "10000" },
    duration: { type: "string", default: "60" },
    "probes-every-ms": { type: "string", default: "500" },
  },
});
const RATE = Number(args.rate);
const DURATION_S = Number(args.duration);
const PROBE_EVERY_MS = Number(args["probes-every-ms"]);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  const { env, config, infra, kafka, ch } = await startBenchStack({ HINDSIGHT_BATCH_MAX_WAIT_MS: "100" });
  const repo = metricsRepository(ch);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    for (const modelId of ["fraud", "probe"]) {
      await repo.saveModelSpec(
        { modelId, task: "binary", positiveClass: "fraud", threshold: 0.5, sliceKeys: [], declared: true },
        Date.now(),
      );
    }
    const pool = splittablePool(20_000);
    const started = Date.now();
    let predictionCount = 0;
    let produced = 0;
    let labelsProduced = 0;
    let peakRss = 0;

    // Probes run beside the stream, one at a time, so that waiting for one never slows the load.
    const probes = startLabelProbes(
      { producer, ch, config },
      { everyMs: PROBE_EVERY_MS, onProbe: () => (peakRss = Math.max(peakRss, rssMb(child.pid!))) },
    );
    log(`streaming ${RATE} events/s (70 % predictions, 30 % labels of earlier ones) for ${DURATION_S} s`);
    while (Date.now() - started < DURATION_S * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE) - produced;
      if (due > 0) {
        const predictions: Array<{ key: string; value: Buffer }> = [];
        const labels: Array<{ key: string; value: Buffer }> = [];
        for (let i = 0; i < due; i++) {
          if ((produced + i) % 10 < 7 || predictionCount === 0) {
            const id = `s-${predictionCount}`;
            predictions.push({ key: id, value: withId(pool[predictionCount % pool.length]!, id) });
            predictionCount++;
          } else {
            const target = Math.floor(Math.random() * predictionCount);
            const id = `s-${target}`;
            labels.push({
              key: id,
              value: encode("label", {
                prediction_id: id,
                model_id: "fraud",
                label: Math.random() < 0.1 ? "fraud" : "legit",
                value: null,
                labeled_at: Date.now(),
                source: "bench",
                received_at: null,
              }),
            });
            labelsProduced++;
          }
        }
        await Promise.all([
          ...chunks(predictions).map((messages) => producer.send({ topic: config.topics.predictions, acks: 1, messages })),
          ...chunks(labels).map((messages) => producer.send({ topic: config.topics.labels, acks: 1, messages })),
        ]);
        produced += due;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await probes.stop();
    const latencies = probes.samples.map((x) => x.ms);
    const elapsed = (Date.now() - started) / 1000;
    const lag = await consumerLag(kafka, config.processor.groupId, [config.topics.predictions, config.topics.labels]);
    const pending = Number(
      (
        await ch.rows(
          anyRow<{ n: string }>(),
          sql`
        SELECT count() AS n FROM ${ident(`${config.clickhouse.database}.predictions_by_time`)} FINAL
        WHERE model_id = 'fraud' AND prediction_id NOT IN (SELECT prediction_id FROM ${ident(`${config.clickhouse.database}.labeled_predictions`)} WHERE model_id = 'fraud')`,
        )
      )[0]?.n ?? 0,
    );
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `\nFreshness under load: offered ${Math.round(produced / elapsed).toLocaleString("en")} events/s for ${Math.round(elapsed)} s (${predictionCount.toLocaleString("en")} predictions, ${labelsProduced.toLocaleString("en")} labels)\n`,
    );
    if (latencies.length > 0) {
      process.stdout.write(
        `  label produced → its window's statistics updated: p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms over ${latencies.length} probes\n`,
      );
    }
    // A probe never counted is a lost label, not a slow one: said apart, never averaged away.
    if (probes.missed.length > 0)
      process.stdout.write(`  probes never counted within ${PROBE_TIMEOUT_MS / 1000} s: ${probes.missed.length}\n`);
    process.stdout.write(
      `  lag at the end: ${Object.entries(lag)
        .map(([t, n]) => `${t.split(".").at(-1)} ${n}`)
        .join(", ")}\n`,
    );
    process.stdout.write(
      `  processor resident memory: peak ${peakRss.toFixed(0)} MiB with ${pending.toLocaleString("en")} predictions awaiting labels (held in ClickHouse, not in the processor)\n`,
    );
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await producer.disconnect();
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
  }
}

function chunks<T>(items: T[], size = 2_000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

await main();
