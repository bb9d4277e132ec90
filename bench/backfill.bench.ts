/**
 * A backfill under live load: a new model's six months of history (200,000 predictions and their
 * labels, timestamps spread over the six months, two features) is produced over five minutes
 * while another model streams at 1,000 events/s. Prints the live model's label → metric latency
 * before the backfill (the baseline, same run) and during it, how long after its last event the
 * backfilled model's metrics, drift and quality were complete, whether every day's counts equal
 * an independent count, and the processor's memory.
 *
 *   npm run bench:backfill -- [--history 200000] [--backfill-seconds 300] [--live-rate 1000] [--baseline-seconds 30]
 *
 * Starts its own Kafka and ClickHouse (see bench/stack.ts); the processor runs as a child process.
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
import { ROOT } from "../infra/local/paths.js";
import { log, startBenchStack } from "./stack.js";
import { PROBE_TIMEOUT_MS, quantile, startLabelProbes, waitFor } from "./label-probe.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    history: { type: "string", default: "200000" },
    "backfill-seconds": { type: "string", default: "300" },
    "live-rate": { type: "string", default: "1000" },
    "baseline-seconds": { type: "string", default: "30" },
  },
});
const HISTORY = Number(args.history);
const BACKFILL_S = Number(args["backfill-seconds"]);
const LIVE_RATE = Number(args["live-rate"]);
const BASELINE_S = Number(args["baseline-seconds"]);
const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 1);
const START = END - 182 * DAY;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

/** The history, generated lazily in order of production; the expected per-day counts on the side. */
function* history(expected: Map<number, { predictions: number; labeled: number }>) {
  const r = seededRandom(20261208);
  for (let i = 0; i < HISTORY; i++) {
    const at = START + Math.floor(r() * (END - START));
    const score = r();
    const id = `h-${i}`;
    const day = Math.floor(at / DAY) * 86_400;
    const e = expected.get(day) ?? { predictions: 0, labeled: 0 };
    e.predictions++;
    const labeled = r() < 0.9;
    if (labeled) e.labeled++;
    expected.set(day, e);
    yield {
      prediction: {
        key: id,
        value: encode("prediction", {
          prediction_id: id,
          model_id: "history",
          model_version: "v1",
          stage: "production",
          timestamp: at,
          features: { amount: Math.round(r() * 50_000) / 100, country: ["DE", "FR", "BR", "IN"][Math.floor(r() * 4)]! },
          prediction: { label: score >= 0.5 ? "yes" : "no", score, scores: null, value: null },
          segments: {},
          received_at: null,
        }),
      },
      label: labeled
        ? {
            key: id,
            value: encode("label", {
              prediction_id: id,
              model_id: "history",
              label: r() < score ? "yes" : "no",
              value: null,
              labeled_at: at + DAY,
              source: "backfill",
              received_at: null,
            }),
          }
        : undefined,
    };
  }
}

async function main(): Promise<void> {
  const { env, config, infra, kafka, ch } = await startBenchStack({
    HINDSIGHT_BATCH_MAX_WAIT_MS: "100",
    HINDSIGHT_WINDOWS: "300,3600,86400",
  });
  const db = config.clickhouse.database;
  const repo = metricsRepository(ch);
  for (const modelId of ["live", "probe"])
    await repo.saveModelSpec(
      { modelId, task: "binary", positiveClass: "fraud", threshold: 0.5, sliceKeys: [], declared: true },
      Date.now(),
    );
  await repo.saveModelSpec(
    { modelId: "history", task: "binary", positiveClass: "yes", threshold: 0.5, sliceKeys: [], declared: true },
    Date.now(),
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const rss = { start: 0, samples: [] as Array<{ atMs: number; mb: number }> };
  try {
    await new Promise((r) => setTimeout(r, 5_000));
    rss.start = rssMb(child.pid!);
    const probes = startLabelProbes(
      { producer, ch, config },
      { everyMs: 500, onProbe: () => rss.samples.push({ atMs: Date.now(), mb: rssMb(child.pid!) }) },
    );

    // The live model: predictions stamped now, and labels for them a moment later, at LIVE_RATE events/s.
    let live = true;
    let liveSeq = 0;
    const liveLoop = (async () => {
      while (live) {
        const now = Date.now();
        const n = Math.max(1, Math.round(LIVE_RATE / 20));
        const ids = Array.from({ length: Math.ceil(n * 0.7) }, () => `l-${liveSeq++}`);
        const prediction = (id: string) => ({
          key: id,
          value: encode("prediction", {
            prediction_id: id,
            model_id: "live",
            model_version: "v1",
            stage: "production",
            timestamp: now,
            features: {},
            prediction: { label: "fraud", score: 0.8, scores: null, value: null },
            segments: {},
            received_at: null,
          }),
        });
        const label = (id: string) => ({
          key: id,
          value: encode("label", {
            prediction_id: id,
            model_id: "live",
            label: "fraud",
            value: null,
            labeled_at: now,
            source: "live",
            received_at: null,
          }),
        });
        await producer.send({ topic: config.topics.predictions, acks: 1, messages: ids.map(prediction) });
        await producer.send({ topic: config.topics.labels, acks: 1, messages: ids.slice(0, n - ids.length).map(label) });
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - now))));
      }
    })();

    log(`baseline: live model at ${LIVE_RATE} events/s for ${BASELINE_S} s`);
    await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
    const backfillFrom = Date.now();
    log(`backfill: ${HISTORY.toLocaleString("en")} predictions over 182 days and ~90 % labels, produced over ${BACKFILL_S} s`);
    const expected = new Map<number, { predictions: number; labeled: number }>();
    const pending = { predictions: [] as Array<{ key: string; value: Buffer }>, labels: [] as Array<{ key: string; value: Buffer }> };
    let sent = 0;
    for (const h of history(expected)) {
      pending.predictions.push(h.prediction);
      if (h.label) pending.labels.push(h.label);
      sent++;
      if (pending.predictions.length >= 1_000 || sent === HISTORY) {
        await producer.send({ topic: config.topics.predictions, acks: 1, messages: pending.predictions });
        await producer.send({ topic: config.topics.labels, acks: 1, messages: pending.labels });
        pending.predictions = [];
        pending.labels = [];
        // Evenly over the backfill's duration.
        const due = backfillFrom + (sent / HISTORY) * BACKFILL_S * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
    }
    const lastEventAt = Date.now();
    const labeledTotal = [...expected.values()].reduce((s, e) => s + e.labeled, 0);
    log("backfill produced; waiting for its metrics, drift and quality");
    const table = (name: string) => ident(`${db}.${name}`);
    const days = async (name: string) =>
      Number(
        (
          await ch.rows(
            anyRow<{ n: string }>(),
            sql`SELECT uniqExact(window_start) AS n FROM ${table(name)} FINAL WHERE model_id = 'history' AND window_seconds = 86400`,
          )
        )[0]?.n ?? 0,
      );
    const counts = async () =>
      (
        await ch.rows(
          anyRow<{ predictions: string; labeled: string }>(),
          sql`
          SELECT sum(predictions) AS predictions, sum(labeled) AS labeled FROM ${table("slice_metrics")}
          WHERE model_id = 'history' AND window_seconds = 86400 AND slice_key = ''`,
        )
      )[0];
    const done = { metrics: 0, drift: 0 };
    await waitFor(
      async () => {
        const c = await counts();
        if (!done.metrics && Number(c?.predictions) === HISTORY && Number(c?.labeled) === labeledTotal) done.metrics = Date.now();
        if (!done.drift && (await days("window_drift")) === expected.size && (await days("window_quality")) === expected.size)
          done.drift = Date.now();
        return done.metrics > 0 && done.drift > 0;
      },
      30 * 60_000,
      1_000,
    );
    live = false;
    await liveLoop;
    await probes.stop();

    const stored = await ch.rows(
      anyRow<{ d: string; predictions: string; labeled: string }>(),
      sql`
      SELECT toUInt32(window_start) AS d, predictions, labeled FROM ${table("slice_metrics")}
      WHERE model_id = 'history' AND window_seconds = 86400 AND slice_key = ''`,
    );
    const wrongDays = stored.filter((s) => {
      const e = expected.get(Number(s.d));
      return !e || e.predictions !== Number(s.predictions) || e.labeled !== Number(s.labeled);
    }).length;
    const phase = (from: number, to: number) =>
      probes.samples
        .filter((x) => x.atMs >= from && x.atMs < to)
        .map((x) => x.ms)
        .sort((a, b) => a - b);
    const baseline = phase(0, backfillFrom);
    const during = phase(backfillFrom, done.metrics || Date.now());
    const line = (name: string, xs: number[]) =>
      xs.length ? `${name}: p50 ${quantile(xs, 0.5)} ms, p99 ${quantile(xs, 0.99)} ms (${xs.length} probes)` : `${name}: no probes`;
    // Flat means the backfill adds nothing to what the live traffic alone keeps resident.
    const rssPeak = (from: number, to: number) => Math.max(0, ...rss.samples.filter((x) => x.atMs >= from && x.atMs < to).map((x) => x.mb));
    const livePeak = rssPeak(0, backfillFrom);
    const backfillPeak = rssPeak(backfillFrom, Date.now());
    const since = (t: number) => (t ? `${((t - lastEventAt) / 1000).toFixed(1)} s` : "not within 30 min");
    process.stdout.write(
      [
        "",
        `Backfill under live load: ${HISTORY.toLocaleString("en")} predictions and ${labeledTotal.toLocaleString("en")} labels over ${expected.size} days, produced in ${((lastEventAt - backfillFrom) / 1000).toFixed(0)} s, live model at ${LIVE_RATE} events/s`,
        `  live label → metric, ${line("before the backfill (baseline)", baseline)}`,
        `  live label → metric, ${line("during the backfill", during)}${baseline.length && during.length ? `; p99 ${(quantile(during, 0.99) / quantile(baseline, 0.99)).toFixed(1)}× the baseline` : ""}`,
        ...(probes.missed.length > 0 ? [`  live probes never counted within ${PROBE_TIMEOUT_MS / 1000} s: ${probes.missed.length}`] : []),
        `  backfilled model complete after its last event: metrics ${since(done.metrics)}, drift and quality ${since(done.drift)}`,
        `  exact: ${stored.length - wrongDays} of ${expected.size} days equal to an independent count${wrongDays ? ` (${wrongDays} differ)` : ""}`,
        `  processor resident memory: ${rss.start.toFixed(0)} MiB at start; peak ${livePeak.toFixed(0)} MiB with the live model alone, ${backfillPeak.toFixed(0)} MiB during and after the backfill (${(backfillPeak / livePeak).toFixed(2)}× the live peak); ${rssMb(child.pid!).toFixed(0)} MiB at the end`,
        "",
      ].join("\n"),
    );
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    await producer.disconnect();
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(db)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
  }
}

await main();
