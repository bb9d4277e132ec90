/**
 * The processor runs two consumer groups over the predictions and labels topics:
 * - ingestion (HINDSIGHT_CONSUMER_GROUP): writes raw rows to ClickHouse in batches and
 *   dead-letters what it cannot use; offsets advance only after the rows (ClickHouse) and the
 *   dead letters (Kafka) of a batch are acknowledged;
 * - metrics (the same name + "-metrics"): follows ingestion, and once a batch's raw rows are known
 *   to be stored (the ingestion group committed past it), joins it with the other side, marks the
 *   windows it touched dirty (quality metrics, drift and data quality), then commits.
 * Window workers recompute the marked windows apart from both groups (window-worker.ts), so
 * neither ingestion nor the metrics group waits for a busy or a backfilled window.
 */
import type { Kafka } from "kafkajs";
import type { Config } from "../common/config/env.js";
import type { ClickHouse } from "../common/clickhouse/client.js";
import { BatchWriter } from "../common/clickhouse/batch-writer.js";
import { ident } from "../common/clickhouse/sql.js";
import { createBatchConsumer, type BatchConsumer, type ConsumedMessage, type PartitionBatch } from "../common/kafka/consumer.js";
import { createProducer, type KafkaProducer } from "../common/kafka/client.js";
import { createDeadLetterPublisher, type DeadLetter, type DeadLetterPublisher } from "../common/kafka/dead-letter.js";
import type { Logger } from "../common/observability/logger.js";
import { Counter, Gauge, Histogram, type Registry } from "../common/observability/metrics.js";
import type { LabelRow, PredictionRow } from "../common/domain/event-rows.js";
import type { RowBinaryLayout } from "../common/clickhouse/row-binary.js";
import { LABEL_LAYOUT, PREDICTION_LAYOUT } from "../common/clickhouse/raw-event-encoding.js";
import { toLabelRow, toPredictionRow, type StepResult } from "./steps.js";
import { metricsRepository } from "../common/clickhouse/metrics.repository.js";
import { MetricsUpdater } from "./metrics-updater.js";
import { driftRepository } from "../common/clickhouse/drift.repository.js";
import { sliceDriftRepository } from "../common/clickhouse/slice-drift.repository.js";
import { DriftUpdater } from "./drift-updater.js";
import { createOffsetWatcher, type OffsetWatcher } from "../common/kafka/offset-watcher.js";
import { groupPosition } from "../common/kafka/client.js";
import { pipelineFailuresRepository } from "../common/clickhouse/pipeline-failures.repository.js";
import { FailureLedger, GroupWatch } from "./pipeline-watch.js";
import { retryingClickHouse } from "./retrying.js";
import { RecomputeJobs } from "./recompute-jobs.js";
import { recomputeJobsRepository } from "../common/clickhouse/recompute-jobs.repository.js";
import type { BatchReader, WireDecoder } from "../common/kafka/wire-decoder.js";
import { decoderFor, waitOutRegistry } from "./schemas.js";
import { DIRTY_KINDS, dirtyWindowsRepository, type DirtyWindow } from "../common/clickhouse/dirty-windows.repository.js";
import { SPARSE_FACTOR, WindowWorker, type WindowSteps } from "./window-worker.js";
import { errorModelsRepository } from "../common/clickhouse/error-models.repository.js";
import { ErrorModelCache } from "./error-models.js";

export const metricsGroupId = (ingestionGroupId: string) => `${ingestionGroupId}-metrics`;

export interface ProcessorDeps {
  kafka: Kafka;
  clickhouse: ClickHouse;
  logger: Logger;
  registry: Registry;
  /** How messages are decoded; by default from the configuration (fixed ids, or the schema registry). */
  decoder?: WireDecoder;
}

export interface Processor {
  start(): Promise<void>;
  stop(): Promise<void>;
  healthcheck(): boolean;
}

export function createProcessor(config: Config, deps: ProcessorDeps): Processor {
  const { kafka, clickhouse, logger, registry } = deps;
  const processed = new Counter({
    name: "hindsight_processor_messages_total",
    help: "Messages handled by the processor, by event kind and outcome.",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
  });
  const flushes = new Histogram({
    name: "hindsight_processor_insert_seconds",
    help: "Time to write one batch to ClickHouse, retries included.",
    labelNames: ["table"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new Counter({
    name: "hindsight_processor_insert_retries_total",
    help: "ClickHouse inserts retried after an outage or overload.",
    labelNames: ["table"] as const,
    registers: [registry],
  });

  let producer: KafkaProducer | undefined;
  let deadLetters: DeadLetterPublisher | undefined;
  let consumer: BatchConsumer | undefined;
  let metricsConsumer: BatchConsumer | undefined;
  let ingested: OffsetWatcher | undefined;
  const stopping = { aborted: false };
  // Rows ClickHouse refuses are dead-lettered with their original message, found through this map.
  const origin = new WeakMap<object, ConsumedMessage>();

  const writer = <R extends object>(table: "predictions" | "labels", binary: RowBinaryLayout<R>) =>
    new BatchWriter<R>(clickhouse, {
      table: ident(`${clickhouse.database}.${table}`).name,
      binary,
      maxRows: config.processor.batchMaxRows,
      maxWaitMs: config.processor.batchMaxWaitMs,
      onRejected: async (row, error) => {
        const source = origin.get(row);
        if (!source) throw error;
        processed.inc({ kind: table === "predictions" ? "prediction" : "label", outcome: "rejected_by_store" });
        await deadLetters!.publish([{ source, reason: "rejected_by_store", step: "insert", message: error.message.slice(0, 2000) }]);
      },
      onRetry: (error, attempt, delayMs) => {
        retries.inc({ table });
        logger.warn({ table, attempt, delayMs, err: error.message }, "ClickHouse insert failed, retrying");
      },
      onFlushed: (_rows, ms) => flushes.observe({ table }, ms / 1000),
    });
  const predictions = writer<PredictionRow>("predictions", PREDICTION_LAYOUT);
  // Regression predictions are stamped with their expected error here, with the models held now.
  const errorModels = new ErrorModelCache(errorModelsRepository(clickhouse), {
    reloadMs: config.errorModels.reloadMs,
    logger: logger.child({ part: "error-models" }),
  });
  const labels = writer<LabelRow>("labels", LABEL_LAYOUT);
  const beyondHorizon = new Counter({
    name: "hindsight_processor_labels_beyond_horizon_total",
    help: "Labels that arrived later than the join horizon after their prediction (kept, not joined).",
    registers: [registry],
  });
  // The pipeline watching itself: problems by kind (a small fixed set), the metrics group's backlog.
  const problems = new Gauge({
    name: "hindsight_pipeline_problems",
    help: "Open pipeline problems by kind: set_aside (a window that fails deterministically), stalled (the metrics consumer group does not advance), metrics_lag (its backlog is above the bound).",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  for (const kind of ["set_aside", "stalled", "metrics_lag"] as const) problems.set({ kind }, 0);
  const metricsLag = new Gauge({
    name: "hindsight_pipeline_metrics_lag_messages",
    help: "Messages the metrics consumer group has yet to read (as of the last watch check).",
    registers: [registry],
  });
  const recomputeFailures = new Counter({
    name: "hindsight_processor_recompute_failures_total",
    help: "Failed recompute statements by what was done: retry (transient, waited out), split (deterministic, fewer windows per statement).",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  const failuresRepo = pipelineFailuresRepository(clickhouse);
  const ledger = new FailureLedger(
    failuresRepo,
    { problems: (kind, n) => problems.set({ kind }, n), lag: (n) => metricsLag.set(n) },
    logger.child({ part: "watch" }),
  );
  const pieceOptions = {
    // The backlog worker sizes its statements by rows, up to SPARSE_FACTOR × the windows' count.
    maxWindowsPerStatement: config.processor.recomputeMaxWindows * SPARSE_FACTOR,
    failures: ledger,
    onRetry: () => recomputeFailures.inc({ action: "retry" }),
    onSplit: () => recomputeFailures.inc({ action: "split" }),
  };
  const watch = new GroupWatch(config.processor.watch, metricsGroupId(config.processor.groupId), Date.now());
  let watchTimer: NodeJS.Timeout | undefined;
  let changesTimer: NodeJS.Timeout | undefined;
  let checkingChanges: Promise<unknown> | undefined;
  let watching: Promise<void> | undefined;
  /** One check of the metrics group; a failed check (Kafka or ClickHouse away) waits for the next. */
  async function checkGroup(): Promise<void> {
    try {
      const position = await groupPosition(kafka, metricsGroupId(config.processor.groupId), [
        config.topics.predictions,
        config.topics.labels,
      ]);
      metricsLag.set(position.lag);
      const windows = await dirtyWindows.progress();
      pendingWindows.set(windows.pending);
      const changed = watch.check({ ...position, windows }, Date.now());
      if (changed.length > 0) {
        await failuresRepo.write(changed);
        for (const c of changed)
          (c.resolved_ms ? logger.info.bind(logger) : logger.error.bind(logger))({ kind: c.kind, resolved: c.resolved_ms > 0 }, c.reason);
      }
      problems.set({ kind: "stalled" }, watch.isOpen("stalled") ? 1 : 0);
      problems.set({ kind: "metrics_lag" }, watch.isOpen("metrics_lag") ? 1 : 0);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "pipeline watch check failed; trying again next interval");
    }
  }

  const pendingWindows = new Gauge({
    name: "hindsight_pipeline_pending_windows",
    help: "Base windows marked for recomputation and not yet recomputed (as of the last watch check).",
    registers: [registry],
  });
  const windowCycles = new Histogram({
    name: "hindsight_processor_window_cycle_seconds",
    help: "Time of one window worker cycle (up to HINDSIGHT_RECOMPUTE_MAX_WINDOWS marked windows per kind), by worker: a kind's newest windows (volume, labels, drift) or the oldest beyond them (backlog).",
    labelNames: ["worker"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const dirtyWindows = dirtyWindowsRepository(clickhouse);
  /** Marks from this instance's batches; a worker here looks at once. */
  const mark = async (windows: DirtyWindow[]): Promise<void> => {
    await dirtyWindows.mark(windows);
    for (const w of workers) w.nudge();
  };

  const metricsUpdater = new MetricsUpdater(metricsRepository(clickhouse), {
    ...pieceOptions,
    horizonMs: config.metrics.labelHorizonMs,
    windowSizes: config.metrics.windowSizes,
    logger,
    onBeyondHorizon: (n) => beyondHorizon.inc(n),
    // The joined rows carry the same stamps as the stored ones (the same models, save for a reload between the two groups).
    stampJoining: async (rows) => {
      await errorModels.refresh();
      errorModels.stamp(rows);
    },
    requestJob: (modelId, basis, reason, mode): Promise<void> => jobs.request("metrics", modelId, "", basis, reason, mode),
  });

  const driftUpdater = new DriftUpdater(driftRepository(clickhouse), {
    ...pieceOptions,
    windowSizes: config.metrics.windowSizes,
    autoReferenceRows: config.drift.autoReferenceRows,
    slices: { repo: sliceDriftRepository(clickhouse), perKey: config.drift.slicesPerKey },
    logger: logger.child({ part: "drift" }),
    requestJob: (modelId, version, basis, reason, mode): Promise<void> => jobs.request("drift", modelId, version, basis, reason, mode),
    awaiting: {
      add: (modelId, version, windows) => dirtyWindows.awaitReference(modelId, version, windows),
      release: async (modelId, version) => {
        const n = await dirtyWindows.releaseAwaiting(modelId, version);
        if (n > 0) for (const w of workers) w.nudge();
        return n;
      },
    },
  });

  // Full recomputations, run by the member holding the first predictions partition of the metrics group.
  const jobs: RecomputeJobs = new RecomputeJobs(
    recomputeJobsRepository(clickhouse),
    {
      metrics: { basis: (job) => metricsUpdater.jobBasis(job), recompute: (job, windows) => metricsUpdater.recomputeForJob(job, windows) },
      drift: { basis: (job) => driftUpdater.jobBasis(job), recompute: (job, windows) => driftUpdater.recomputeForJob(job, windows) },
    },
    {
      baseSeconds: metricsUpdater.baseSeconds,
      maxWindows: config.processor.recomputeMaxWindows,
      minPauseMs: config.metrics.minIntervalMs,
      owns: () => metricsConsumer?.holds(config.topics.predictions, 0) ?? false,
      logger: logger.child({ part: "jobs" }),
    },
  );

  // Marked windows, recomputed by the member that runs the jobs: each kind's live windows, and a backlog.
  const steps: Required<WindowSteps> = {
    volume: (modelId, _version, windows) => metricsUpdater.recomputeWindows("volume", modelId, windows),
    labels: (modelId, _version, windows) => metricsUpdater.recomputeWindows("labels", modelId, windows),
    drift: (modelId, version, windows) => driftUpdater.recomputeWindows(modelId, version, windows),
  };
  const windowWorker = (end: "newest" | "oldest", only: WindowSteps, part: string): WindowWorker =>
    new WindowWorker(dirtyWindows, only, {
      end,
      baseSeconds: metricsUpdater.baseSeconds,
      marksPerWindow: { volume: metricsUpdater.cellsPerWindow, labels: metricsUpdater.cellsPerWindow },
      maxWindows: config.processor.recomputeMaxWindows,
      maxRows: config.processor.recomputeMaxRows,
      minPauseMs: config.metrics.minIntervalMs,
      owns: () => metricsConsumer?.holds(config.topics.predictions, 0) ?? false,
      logger: logger.child({ part: "windows", worker: part }),
      onCycle: (_n, ms) => windowCycles.observe({ worker: part }, ms / 1000),
    });
  const workers = [
    ...DIRTY_KINDS.map((kind) => windowWorker("newest", { [kind]: steps[kind] }, kind)),
    windowWorker("oldest", steps, "backlog"),
  ];

  const decoder = deps.decoder ?? decoderFor(config, { registry, logger });
  /** The batch's schemas, a schema registry's outage waited out (never a dead letter); a stop gives up, uncommitted. */
  const schemasOf = (batch: PartitionBatch): Promise<BatchReader> =>
    waitOutRegistry(() => decoder.prepare(batch.messages.map((m) => m.value)), { stopped: () => stopping.aborted, logger });

  async function handle(batch: PartitionBatch): Promise<void> {
    const isPrediction = batch.topic === config.topics.predictions;
    const kind = isPrediction ? "prediction" : "label";
    const rows: object[] = [];
    const letters: DeadLetter[] = [];
    const reader = await schemasOf(batch);
    const ingestedAtS = Math.floor(Date.now() / 1000);
    for (const m of batch.messages) {
      const result: StepResult<object> = isPrediction ? toPredictionRow(m, ingestedAtS, reader) : toLabelRow(m, ingestedAtS, reader);
      if (result.ok) {
        origin.set(result.value, m);
        rows.push(result.value);
      } else {
        letters.push({ source: m, reason: result.reason, step: result.step, message: result.message });
        logger.warn(
          { topic: m.topic, partition: m.partition, offset: m.offset, reason: result.reason, detail: result.message },
          "message dead-lettered",
        );
      }
    }
    if (isPrediction) {
      await errorModels.refresh();
      errorModels.stamp(rows as PredictionRow[]);
    }
    processed.inc({ kind, outcome: "written" }, rows.length);
    processed.inc({ kind, outcome: "dead_lettered" }, letters.length);
    await Promise.all([
      isPrediction ? predictions.write(rows as PredictionRow[]) : labels.write(rows as LabelRow[]),
      deadLetters!.publish(letters),
    ]);
    // The metrics consumer here need not wait for the commit to reach the broker.
    ingested?.stored(batch.topic, batch.partition, BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n);
  }

  /** The metrics consumer's batch: the same decoding, then the join and the windows, after ingestion. */
  async function handleMetrics(batch: PartitionBatch): Promise<void> {
    const last = BigInt(batch.messages[batch.messages.length - 1]!.offset);
    // Only once the batch is durable can the join find it from the other side.
    await ingested!.waitFor(batch.topic, batch.partition, last + 1n, stopping);
    const reader = await schemasOf(batch);
    const ingestedAtS = Math.floor(Date.now() / 1000);
    const isPrediction = batch.topic === config.topics.predictions;
    const rows: object[] = [];
    for (const m of batch.messages) {
      // What fails here was dead-lettered by ingestion; it has no place in any metric.
      const result: StepResult<object> = isPrediction ? toPredictionRow(m, ingestedAtS, reader) : toLabelRow(m, ingestedAtS, reader);
      if (result.ok) rows.push(result.value);
    }
    const touched = isPrediction
      ? [...(await metricsUpdater.afterPredictions(rows as PredictionRow[])), ...driftUpdater.windowsOf(rows as PredictionRow[])]
      : await metricsUpdater.afterLabels(rows as LabelRow[]);
    // One insert of every kind's marks, stored before the batch commits.
    if (touched.length > 0)
      await retryingClickHouse(() => mark(touched), { stopped: () => stopping.aborted, logger, what: "marking windows" });
  }

  return {
    async start() {
      // A process of role "ingest" stores raw events; one of role "metrics" joins them and keeps the
      // windows, waiting for ingestion through the ingestion group's committed offsets.
      const ingests = config.processor.role !== "metrics";
      const computes = config.processor.role !== "ingest";
      if (computes) {
        const retry = <T>(step: () => Promise<T>) =>
          retryingClickHouse(step, { stopped: () => stopping.aborted, logger, what: "loading pipeline problems" });
        await retry(() => ledger.start());
        watch.adopt([
          ...(await retry(() => failuresRepo.openOfKind("stalled"))),
          ...(await retry(() => failuresRepo.openOfKind("metrics_lag"))),
        ]);
        await metricsUpdater.start();
        ingested = createOffsetWatcher(kafka, config.processor.groupId, [config.topics.predictions, config.topics.labels]);
      }
      if (ingests) {
        producer = await createProducer(kafka);
        deadLetters = createDeadLetterPublisher(producer, config.topics.dlq, "processor");
        consumer = createBatchConsumer(kafka, {
          groupId: config.processor.groupId,
          topics: [config.topics.predictions, config.topics.labels],
          handler: handle,
          stopping: () => stopping.aborted,
          logger,
          partitionsConsumedConcurrently: Math.max(2, config.topics.partitions * 2),
        });
        await consumer.start();
      }
      if (computes) {
        metricsConsumer = createBatchConsumer(kafka, {
          groupId: metricsGroupId(config.processor.groupId),
          topics: [config.topics.predictions, config.topics.labels],
          handler: handleMetrics,
          stopping: () => stopping.aborted,
          logger: logger.child({ consumer: "metrics" }),
          // Each batch costs lookups on both sides and a joined insert: a quarter of a second of
          // traffic per fetch, not a few messages, once it no longer waits for recomputations.
          minBytes: 256 * 1024,
          partitionsConsumedConcurrently: Math.max(2, config.topics.partitions * 2),
        });
        await metricsConsumer.start();
        jobs.start();
        for (const w of workers) w.start();
        // Specs, references and rules changed through the API reach the windows without traffic too.
        changesTimer = setInterval(() => {
          checkingChanges ??= Promise.all([metricsUpdater.checkSpecs(), driftUpdater.checkReferences()])
            .catch((err: Error) => logger.warn({ err: err.message }, "checking for spec and reference changes failed; trying again"))
            .finally(() => (checkingChanges = undefined));
        }, 5_000);
        // A check still running (a slow broker) makes the next tick skip rather than queue up.
        watchTimer = setInterval(() => {
          watching ??= checkGroup().finally(() => (watching = undefined));
        }, config.processor.watch.intervalMs);
      }
      logger.info(
        { group: config.processor.groupId, role: config.processor.role, topics: [config.topics.predictions, config.topics.labels] },
        "processor started",
      );
    },
    async stop() {
      // Stop fetching first, then give waiting rows one last write; if ClickHouse is down they
      // fail, their offsets stay uncommitted and are re-delivered on the next start.
      stopping.aborted = true;
      clearInterval(watchTimer);
      clearInterval(changesTimer);
      await watching;
      await checkingChanges;
      metricsUpdater.stop();
      driftUpdater.stop();
      await jobs.stop();
      await Promise.all(workers.map((w) => w.stop()));
      await metricsConsumer?.stop().catch((err: Error) => logger.warn({ err: err.message }, "metrics consumer stopped with an error"));
      await ingested?.close();
      const consumerStopped = consumer?.stop();
      await Promise.all([predictions.stop(), labels.stop()]);
      await consumerStopped;
      await producer?.disconnect();
      logger.info("processor stopped");
    },
    healthcheck: () =>
      (config.processor.role === "metrics" || (consumer?.isRunning() ?? false)) &&
      (config.processor.role === "ingest" || (metricsConsumer?.isRunning() ?? false)),
  };
}
