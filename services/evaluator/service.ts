/**
 * The evaluator service: the evaluation loop and the delivery loop, each on its own timer so a
 * slow receiver never delays judging, with start / stop / healthcheck like the other services.
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

export interface AlertingDeps {
  clickhouse: ClickHouse;
  producer: KafkaProducer;
  logger: Logger;
  suppression?: Suppression;
  clock?: () => number;
}

export function createAlerting(config: Config, deps: AlertingDeps) {
  const clock = deps.clock ?? Date.now;
  const alerts = alertsRepository(deps.clickhouse);
  const evaluator = createEvaluator(
    { windowSizes: config.metrics.windowSizes, lookbackMs: config.alerts.lookbackMs },
    { alerts, series: alertSeriesRepository(deps.clickhouse), suppression: deps.suppression ?? NO_SUPPRESSION, clock, log: deps.logger },
  );
  const delivery = createDelivery({ alerts, producer: deps.producer, topic: config.alerts.topic, clock, log: deps.logger, publicUrl: config.alerts.publicUrl });
  const timers: NodeJS.Timeout[] = [];
  let running = false;
  let lastEvaluation = 0;
  let inFlight: Promise<unknown> = Promise.resolve();

  function loop(name: string, intervalMs: number, work: () => Promise<unknown>): void {
    const run = async () => {
      if (!running) return;
      const p = work().catch((err: unknown) => deps.logger.error({ err, loop: name }, `${name} pass failed; retrying on the next tick`));
      inFlight = Promise.all([inFlight, p]);
      await p;
      if (running) timers.push(setTimeout(run, intervalMs));
    };
    timers.push(setTimeout(run, 0));
  }

  async function deliverOnce() {
    const { receivers, settings } = await alerts.settings();
    return delivery.deliverDue(receivers, durationMs(settings.repeat_interval));
  }

  return {
    evaluator,
    delivery,
    deliverOnce,
    async start(): Promise<void> {
      running = true;
      loop("evaluation", config.alerts.evalIntervalMs, async () => {
        await evaluator.evaluateOnce();
        lastEvaluation = clock();
      });
      loop("delivery", config.alerts.deliveryIntervalMs, deliverOnce);
    },
    async stop(): Promise<void> {
      running = false;
      for (const t of timers) clearTimeout(t);
      await inFlight;
    },
    healthcheck(): boolean {
      return !running || clock() - lastEvaluation < Math.max(60_000, config.alerts.evalIntervalMs * 5);
    },
  };
}

export type Alerting = ReturnType<typeof createAlerting>;
