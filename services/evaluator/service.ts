/**
 * The evaluator service: the evaluation loop and the delivery loop, each on its own timer so a
 * slow receiver never delays judging, with start / stop / healthcheck like the other services.
 * Several instances may run: only the elected leader (leadership.ts) evaluates, delivers and
 * retrains, so each notification is owed and delivered by one of them; the others stand by.
 */
import type { Config } from "../common/config/env.js";
import { alertSeriesRepository } from "../common/clickhouse/alert-series.repository.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import type { ClickHouse } from "../common/clickhouse/client.js";
import type { KafkaProducer } from "../common/kafka/client.js";
import type { Logger } from "../common/observability/logger.js";
import { durationMs } from "../../schemas/rules.js";
import { createDelivery } from "./delivery.js";
import { createEvaluator, NO_SUPPRESSION, type Suppression } from "./evaluator.js";
import { pipelineFailuresRepository } from "../common/clickhouse/pipeline-failures.repository.js";
import { clickHouseSuppressorStore } from "./suppressor-store.js";
import { DEFAULT_HISTORY_OPTIONS } from "../common/domain/suppressor/features.js";
import { trainSuppressor } from "./suppressor/trainer.js";
import { ALWAYS_LEADER, type Leadership } from "../common/kafka/leadership.js";
import { errorModelsRepository } from "../common/clickhouse/error-models.repository.js";
import { metricsRepository } from "../common/clickhouse/metrics.repository.js";
import { createErrorModelFitter } from "./error-model-fitter.js";

/** Below this much feedback a scheduled retraining waits; a type needs its own minimum besides. */
export const RETRAIN_MIN_LABELLED = 100;

export interface AlertingDeps {
  clickhouse: ClickHouse;
  producer: KafkaProducer;
  logger: Logger;
  suppression?: Suppression;
  clock?: () => number;
  /** Who leads among several evaluators; a single one (the default) always does. */
  leadership?: Leadership;
}

export function createAlerting(config: Config, deps: AlertingDeps) {
  const clock = deps.clock ?? Date.now;
  const leadership = deps.leadership ?? ALWAYS_LEADER;
  const alerts = alertsRepository(deps.clickhouse);
  const evaluator = createEvaluator(
    { windowSizes: config.metrics.windowSizes, lookbackMs: config.alerts.lookbackMs },
    {
      alerts,
      series: alertSeriesRepository(deps.clickhouse, { labelHorizonMs: config.metrics.labelHorizonMs }),
      suppression: deps.suppression ?? NO_SUPPRESSION,
      clock,
      log: deps.logger,
      pipeline: pipelineFailuresRepository(deps.clickhouse),
    },
  );
  const delivery = createDelivery({
    alerts,
    producer: deps.producer,
    topic: config.alerts.topic,
    clock,
    log: deps.logger,
    publicUrl: config.alerts.publicUrl,
  });
  const specs = metricsRepository(deps.clickhouse);
  const errorModels = createErrorModelFitter(
    { repo: errorModelsRepository(deps.clickhouse), specs: () => specs.loadModelSpecs() },
    {
      ...config.errorModels,
      horizonMs: config.metrics.labelHorizonMs,
      logger: deps.logger.child({ part: "error-models" }),
      clock,
      stopped: () => !running,
    },
  );
  const timers: NodeJS.Timeout[] = [];
  let running = false;
  let lastEvaluation = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  function loop(name: string, intervalMs: number, work: () => Promise<unknown>): void {
    const run = async () => {
      if (!running) return;
      const p = (leadership.isLeader() ? work() : Promise.resolve()).catch((err: unknown) =>
        deps.logger.error({ err, loop: name }, `${name} pass failed; retrying on the next tick`),
      );
      inFlight = Promise.all([inFlight, p]);
      await p;
      if (running) timers.push(setTimeout(run, intervalMs));
    };
    timers.push(setTimeout(run, 0));
  }

  /** Trains on everything stored and makes the result the active model; the evaluator picks it up on its next alert. */
  async function retrainOnce(): Promise<string | undefined> {
    const store = clickHouseSuppressorStore(alerts, config.alerts.exploreRate);
    const history = await store.loadHistory();
    try {
      const previous = await store.latestModel();
      const trained = trainSuppressor(history, {
        clock,
        history: { ...DEFAULT_HISTORY_OPTIONS, unacknowledgedTimeoutMs: config.alerts.ackTimeoutMs },
        ...(previous && { previous }),
      });
      if (trained.counts.labelled < RETRAIN_MIN_LABELLED || trained.counts.acted === 0) {
        deps.logger.info(
          { labelled: trained.counts.labelled, acted: trained.counts.acted },
          "suppressor not retrained: too little feedback yet",
        );
        return undefined;
      }
      await store.saveModel(trained);
      deps.logger.info({ version: trained.version, threshold: trained.threshold, heldOut: trained.report ?? null }, "suppressor retrained");
      return trained.version;
    } catch (err) {
      deps.logger.info({ err: (err as Error).message }, "suppressor not retrained");
      return undefined;
    }
  }

  async function deliverOnce() {
    const { receivers, settings } = await alerts.settings();
    return delivery.deliverDue(receivers, durationMs(settings.repeat_interval), () => leadership.isLeader());
  }

  return {
    evaluator,
    delivery,
    deliverOnce,
    retrainOnce,
    errorModels,
    async start(): Promise<void> {
      await leadership.start();
      running = true;
      loop("evaluation", config.alerts.evalIntervalMs, async () => {
        await evaluator.evaluateOnce();
        lastEvaluation = clock();
      });
      loop("delivery", config.alerts.deliveryIntervalMs, deliverOnce);
      loop("error models", config.errorModels.checkMs, () => errorModels.fitDue());
      if (config.alerts.retrainMs > 0) {
        // Not at start: a restart loop must not retrain each time. Training blocks this process for seconds.
        timers.push(setTimeout(() => loop("retraining", config.alerts.retrainMs, retrainOnce), config.alerts.retrainMs));
      }
    },
    async stop(): Promise<void> {
      running = false;
      for (const t of timers) clearTimeout(t);
      await inFlight;
      await leadership.stop();
    },
    healthcheck(): boolean {
      // One standing by is healthy; a leader must have evaluated lately.
      return !running || !leadership.isLeader() || clock() - lastEvaluation < Math.max(60_000, config.alerts.evalIntervalMs * 5);
    },
  };
}

export type Alerting = ReturnType<typeof createAlerting>;
