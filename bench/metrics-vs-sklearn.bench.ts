/**
 * Metrics check: the windowed quality metrics Hindsight computes in ClickHouse (`slice_metrics`)
 * against scikit-learn on the same events. A seeded stream for a binary and a regression model
 * (two versions, three countries, labels delayed from a second to 20 days of event time, 5 % of
 * labels sent before their prediction, duplicates, and conflicting later labels) goes through
 * Kafka and the processor. The events as sent and the product's rows are written as CSV to
 * .cache/metrics-check/; bench/python/sklearn_metrics.py joins and windows the raw events by the
 * README's rules, computes each metric with scikit-learn (ECE with numpy) and compares.
 *
 *   npm run bench:metrics-check -- [--predictions 20000] [--seed 20261123]
 *
 * --predictions is per model. Starts its own Kafka and ClickHouse on the benchmark ports unless
 * KAFKA_BROKERS and CLICKHOUSE_URL are set; the processor runs as a child process. Exits with the
 * Python script's status: non-zero when a metric differs beyond its bound or a window is missing
 * on either side.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Partitioners, type Kafka } from "kafkajs";
import type { Config } from "../services/common/config/env.js";
import type { ClickHouse } from "../services/common/clickhouse/client.js";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { ident, list, sql } from "../services/common/clickhouse/sql.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { consumerLag } from "../services/common/kafka/client.js";
import { metricsGroupId } from "../services/processor/processor.js";
import { dirtyWindowsRepository } from "../services/common/clickhouse/dirty-windows.repository.js";
import type { LabelEvent, PredictionEvent } from "../schemas/events.js";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { log, startBenchStack } from "./stack.js";
import { benchPython } from "./python-env.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const { values: args } = parseArgs({
  options: {
    predictions: { type: "string", default: "20000" },
    seed: { type: "string", default: "20261123" },
  },
});
const PREDICTIONS = Number(args.predictions);
const SEED = Number(args.seed);
if (!(Number.isInteger(PREDICTIONS) && PREDICTIONS > 0 && Number.isInteger(SEED)))
  throw new Error("--predictions takes a positive integer, --seed an integer");

const DATA_DIR = join(CACHE_DIR, "metrics-check");
const WINDOWS = "300,3600";
const DAY_MS = 86_400_000;
/** HINDSIGHT_LABEL_HORIZON_DAYS left at its default. */
const HORIZON_MS = 30 * DAY_MS;
// Off every window boundary, so the first and last windows of each size are partial.
const START_MS = Date.UTC(2026, 9, 5, 6, 17, 23, 456);
const SPAN_MS = 3 * 3_600_000;
const MODELS = { binary: "fraud", regression: "eta" } as const;
/** name, share of traffic, fraud rate: slices that differ, so a slice mix-up shows. */
const COUNTRIES: ReadonlyArray<readonly [string, number, number]> = [
  ["DE", 0.5, 0.1],
  ["FR", 0.3, 0.2],
  ["BR", 0.2, 0.3],
];
const DEVICES = ["ios", "android", "web"];
const SHARES = { labelled: 0.7, early: 0.05, duplicate: 0.03, conflict: 0.02 };

class Draw {
  readonly uniform: () => number;
  constructor(seed: number) {
    this.uniform = seededRandom(seed);
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
  logUniform(lo: number, hi: number): number {
    return Math.exp(Math.log(lo) + this.uniform() * (Math.log(hi) - Math.log(lo)));
  }
  index(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
  /** An item drawn with probability its second element (the weights sum to 1). */
  weighted<T extends readonly [string, number, ...number[]]>(items: readonly T[]): T {
    let u = this.uniform();
    for (const item of items) {
      if (u < item[1]) return item;
      u -= item[1];
    }
    return items[items.length - 1]!;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.index(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

type LabelKind = "original" | "duplicate" | "conflict";
interface SentLabel {
  event: LabelEvent;
  kind: LabelKind;
  /** Sent (and ingested) before any prediction. */
  early: boolean;
  /** labeled_at more than the horizon after the prediction: kept, never joined. */
  beyondHorizon?: boolean;
}
interface Stream {
  predictions: PredictionEvent[];
  labels: SentLabel[];
}

/** A score in (0, 1), with the edge cases the definitions single out: the threshold itself and scores the log-loss clip changes. */
function fraudScore(r: Draw, fraud: boolean, separation: number): number {
  const u = r.uniform();
  if (u < 0.002) return 0.5;
  if (u < 0.004) return 1e-18;
  if (u < 0.006) return 1 - 2 ** -53;
  return 1 / (1 + Math.exp(-((fraud ? separation : -separation) + 1.4 * r.normal())));
}

function generate(seed: number, perModel: number): Stream {
  const r = new Draw(seed);
  const predictions: PredictionEvent[] = [];
  const labels: SentLabel[] = [];
  const addLabels = (original: LabelEvent, predictedAt: number, conflicting: () => Pick<LabelEvent, "label" | "value" | "source">) => {
    labels.push({ event: original, kind: "original", early: r.uniform() < SHARES.early });
    if (r.uniform() < SHARES.duplicate) labels.push({ event: { ...original }, kind: "duplicate", early: false });
    // Strictly later, so no tie-break is involved. One in eight lands beyond the 30-day horizon
    // after its prediction: it must not join, so the earlier label keeps winning.
    if (r.uniform() < SHARES.conflict) {
      const beyondHorizon = r.uniform() < 1 / 8;
      const labeledAt = beyondHorizon
        ? predictedAt + HORIZON_MS + Math.round(r.logUniform(1_000, 2 * DAY_MS))
        : original.labeled_at + Math.round(r.logUniform(1_000, 5 * DAY_MS));
      labels.push({ event: { ...original, ...conflicting(), labeled_at: labeledAt }, kind: "conflict", early: false, beyondHorizon });
    }
  };
  for (const task of ["binary", "regression"] as const) {
    const modelId = MODELS[task];
    for (let i = 0; i < perModel; i++) {
      const timestamp = START_MS + Math.floor(r.uniform() * SPAN_MS);
      const canary = r.uniform() < 0.25;
      const [country, , fraudRate] = r.weighted(COUNTRIES);
      const base = {
        prediction_id: `${modelId}-${String(i).padStart(7, "0")}`,
        model_id: modelId,
        model_version: canary ? "v2" : "v1",
        stage: canary ? "canary" : "production",
        timestamp,
        // Never empty: when every row of a version has empty feature arrays, the automatic drift
        // reference's profile query (arrayElement on the empty Array(Nullable) columns after
        // ARRAY JOIN) crashes ClickHouse 18.16 with a segmentation fault.
        features: (task === "binary"
          ? { amount: Math.round(r.logUniform(1, 5_000) * 100) / 100, new_account: r.uniform() < 0.2 }
          : { distance_km: Math.round(r.logUniform(0.5, 40) * 10) / 10 }) as PredictionEvent["features"],
        segments: { country, device: DEVICES[r.index(DEVICES.length)]! },
        received_at: null,
      };
      const labelled = r.uniform() < SHARES.labelled;
      const labeledAt = timestamp + Math.round(r.logUniform(1_000, 20 * DAY_MS));
      if (task === "binary") {
        const fraud = r.uniform() < fraudRate;
        const score = fraudScore(r, fraud, canary ? 1.5 : 1.1);
        predictions.push({ ...base, prediction: { label: score >= 0.5 ? "fraud" : "legit", score, scores: null, value: null } });
        if (labelled) {
          const truth = fraud ? "fraud" : "legit";
          addLabels(
            {
              prediction_id: base.prediction_id,
              model_id: modelId,
              label: truth,
              value: null,
              labeled_at: labeledAt,
              source: "chargebacks",
              received_at: null,
            },
            timestamp,
            () => ({
              label: fraud ? "legit" : "fraud",
              value: null,
              source: "manual_review",
            }),
          );
        }
      } else {
        const eta = Math.exp(3 + 0.5 * r.normal());
        const predicted = eta * Math.exp((canary ? 0.1 : 0.2) * r.normal()) + 0.5 * r.normal();
        // A few zero targets (a cancelled trip): MAPE leaves them out.
        const target = r.uniform() < 0.02 ? 0 : eta;
        predictions.push({ ...base, prediction: { label: null, score: null, scores: null, value: predicted } });
        if (labelled) {
          addLabels(
            {
              prediction_id: base.prediction_id,
              model_id: modelId,
              label: null,
              value: target,
              labeled_at: labeledAt,
              source: "trip_log",
              received_at: null,
            },
            timestamp,
            () => ({
              label: null,
              value: target * 1.25 + 3,
              source: "trip_audit",
            }),
          );
        }
      }
    }
  }
  predictions.sort((a, b) => a.timestamp - b.timestamp);
  return { predictions, labels };
}

/** Producing in three phases makes "before their prediction" mean it: each phase is processed before the next starts. */
function phases(stream: Stream, r: Draw): { early: SentLabel[]; late: SentLabel[] } {
  const early = stream.labels.filter((l) => l.early);
  // The rest in a seeded shuffle: a conflict may come before the label it overrides, a duplicate before its original.
  const late = r.shuffle(stream.labels.filter((l) => !l.early));
  return { early, late };
}

async function produce(
  producer: ReturnType<Kafka["producer"]>,
  topic: string,
  messages: Array<{ key: string; value: Buffer }>,
): Promise<void> {
  for (let i = 0; i < messages.length; i += 2_000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2_000) });
}

/** Both of the processor's consumer groups have read everything, and the windows they marked are recomputed. */
async function waitCaughtUp(kafka: Kafka, ch: ClickHouse, config: Config, what: string, processorRunning: () => boolean): Promise<void> {
  const topics = [config.topics.predictions, config.topics.labels];
  const groups = [config.processor.groupId, metricsGroupId(config.processor.groupId)];
  const started = Date.now();
  for (;;) {
    const lags = await Promise.all(groups.map((g) => consumerLag(kafka, g, topics)));
    const lag = lags.flatMap((l) => Object.values(l)).reduce((a, b) => a + b, 0);
    // Marks are stored before the metrics group commits: once nothing is unread, none are missing.
    if (lag === 0 && (await dirtyWindowsRepository(ch).pendingCount()) === 0) break;
    if (!processorRunning()) throw new Error(`the processor exited while catching up with ${what}`);
    if (Date.now() - started > 15 * 60_000) throw new Error(`the processor did not catch up with ${what} within 15 minutes (lag ${lag})`);
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`processor caught up with ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const PRODUCT_COLUMNS = [
  "model_id",
  "model_version",
  "stage",
  "window_start",
  "window_seconds",
  "slice_key",
  "slice_value",
  "task",
  "predictions",
  "labeled",
  "label_coverage",
  "accuracy",
  "precision",
  "recall",
  "f1",
  "log_loss",
  "brier",
  "roc_auc",
  "roc_auc_error_bound",
  "pr_auc",
  "ece",
  "mae",
  "rmse",
  "mape",
  "r2",
  "delay_max_s",
  "estimated_accuracy",
] as const;

async function productRows(ch: ClickHouse): Promise<Array<Record<string, unknown>>> {
  // window_start as epoch seconds: the DateTime's text depends on the server's time zone.
  return ch.rows(
    anyRow<Record<string, unknown>>(),
    sql`
    SELECT model_id, model_version, stage, toUInt32(window_start) AS window_start_s, window_seconds, slice_key, slice_value, task,
           predictions, labeled, label_coverage, accuracy, precision, recall, f1, log_loss, brier, roc_auc, roc_auc_error_bound,
           pr_auc, ece, mae, rmse, mape, r2, delay_max_s, estimated_accuracy
    FROM ${ident(`${ch.database}.slice_metrics`)}
    WHERE model_id IN ${list(Object.values(MODELS))}
    ORDER BY model_id, window_seconds, window_start_s, model_version, stage, slice_key, slice_value`,
  );
}

/** Waits until two reads 3 s apart, three times over, return the same rows: no recomputation still in flight. */
async function settledRows(ch: ClickHouse): Promise<Array<Record<string, unknown>>> {
  let last = "";
  let same = 0;
  for (;;) {
    const rows = await productRows(ch);
    const text = JSON.stringify(rows);
    same = text === last ? same + 1 : 0;
    last = text;
    if (same >= 3) return rows;
    await new Promise((r) => setTimeout(r, 3_000));
  }
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  // String(number) is the shortest text that parses back to the same double.
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function writeCsv(file: string, header: readonly string[], rows: unknown[][]): void {
  writeFileSync(file, `${[header.join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n")}\n`);
}

function exportCsv(
  stream: Stream,
  sent: { early: SentLabel[]; late: SentLabel[] },
  product: Array<Record<string, unknown>>,
): { predictions: string; labels: string; product: string } {
  mkdirSync(DATA_DIR, { recursive: true });
  const files = {
    predictions: join(DATA_DIR, "predictions.csv"),
    labels: join(DATA_DIR, "labels.csv"),
    product: join(DATA_DIR, "slice_metrics.csv"),
  };
  writeCsv(
    files.predictions,
    ["prediction_id", "model_id", "model_version", "stage", "timestamp_ms", "pred_label", "score", "value", "country", "device"],
    stream.predictions.map((p) => [
      p.prediction_id,
      p.model_id,
      p.model_version,
      p.stage,
      p.timestamp,
      p.prediction.label,
      p.prediction.score,
      p.prediction.value,
      p.segments.country,
      p.segments.device,
    ]),
  );
  writeCsv(
    files.labels,
    ["send_order", "phase", "kind", "prediction_id", "model_id", "label", "value", "labeled_at_ms", "source"],
    [...sent.early, ...sent.late].map((l, i) => [
      i,
      l.early ? "before_prediction" : "after_prediction",
      l.kind,
      l.event.prediction_id,
      l.event.model_id,
      l.event.label,
      l.event.value,
      l.event.labeled_at,
      l.event.source,
    ]),
  );
  writeCsv(
    files.product,
    PRODUCT_COLUMNS,
    product.map((row) => PRODUCT_COLUMNS.map((c) => row[c === "window_start" ? "window_start_s" : c])),
  );
  return files;
}

async function main(): Promise<number> {
  const python = benchPython(["sklearn", "numpy"]);
  const stream = generate(SEED, PREDICTIONS);
  const sent = phases(stream, new Draw(SEED + 1));
  const count = (kind: LabelKind) => stream.labels.filter((l) => l.kind === kind).length;
  log(
    `seed ${SEED}: ${stream.predictions.length} predictions, ${stream.labels.length} label messages ` +
      `(${count("original")} labels, ${count("duplicate")} duplicates, ${count("conflict")} conflicts of which ${stream.labels.filter((l) => l.beyondHorizon).length} beyond the horizon; ` +
      `${sent.early.length} sent before their prediction)`,
  );

  const { env, config, infra, kafka, ch } = await startBenchStack({
    HINDSIGHT_WINDOWS: WINDOWS,
    HINDSIGHT_BATCH_MAX_WAIT_MS: "200",
    HINDSIGHT_METRICS_INTERVAL_MS: "200",
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // Declared before the processor starts, so no prediction is ever scored under an inferred spec.
    const repo = metricsRepository(ch);
    await repo.saveModelSpec(
      { modelId: MODELS.binary, task: "binary", positiveClass: "fraud", threshold: 0.5, sliceKeys: ["country"], declared: true },
      Date.now(),
    );
    await repo.saveModelSpec(
      { modelId: MODELS.regression, task: "regression", positiveClass: "", threshold: 0.5, sliceKeys: ["country"], declared: true },
      Date.now(),
    );
    await producer.connect();
    child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });

    const running = () => child?.exitCode === null && child.signalCode === null;
    const labelMessages = (labels: SentLabel[]) => labels.map((l) => ({ key: l.event.prediction_id, value: encode("label", l.event) }));
    await produce(producer, config.topics.labels, labelMessages(sent.early));
    await waitCaughtUp(kafka, ch, config, `${sent.early.length} labels sent before their predictions`, running);
    await produce(
      producer,
      config.topics.predictions,
      stream.predictions.map((p) => ({ key: p.prediction_id, value: encode("prediction", p) })),
    );
    await waitCaughtUp(kafka, ch, config, `${stream.predictions.length} predictions`, running);
    await produce(producer, config.topics.labels, labelMessages(sent.late));
    await waitCaughtUp(kafka, ch, config, `${sent.late.length} more label messages`, running);
    const product = await settledRows(ch);
    const files = exportCsv(stream, sent, product);
    log(`${product.length} slice_metrics rows; CSV files in ${DATA_DIR}`);

    log(`scikit-learn on the same events (${join("bench", "python", "sklearn_metrics.py")})`);
    const result = spawnSync(
      python,
      [
        join(ROOT, "bench/python/sklearn_metrics.py"),
        "--predictions",
        files.predictions,
        "--labels",
        files.labels,
        "--product",
        files.product,
      ],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    return result.status ?? 1;
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await producer.disconnect();
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
  }
}

process.exitCode = await main();
