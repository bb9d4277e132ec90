/**
 * The processor split by role (HINDSIGHT_PROCESSOR_ROLE): one process stores raw events, another
 * joins them and keeps the windows, each on a core of its own. Neither does the other's work, and
 * together they give the windows one process gives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../services/common/config/env.js";
import { groupPosition } from "../services/common/kafka/client.js";
import { metricsGroupId } from "../services/processor/processor.js";
import type { Processor } from "../services/processor/processor.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import {
  count,
  label,
  postAll,
  prediction,
  requestJson,
  startGateway,
  startProcessor,
  useTestStack,
  waitUntil,
} from "./helpers/harness.js";

const N = 400;

describe("a processor split into an ingest process and a metrics process", () => {
  const stack = useTestStack();
  let gateway: { url: string; close: () => Promise<void> };
  const processors: Processor[] = [];

  beforeAll(async () => {
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    for (const p of processors) await p.stop();
    await gateway?.close();
  });

  const labelStats = async () => {
    const [row] = await stack.clickhouse.rows(
      anyRow<{ labeled: string; correct: string }>(),
      sql`SELECT sum(labeled) AS labeled, sum(correct) AS correct
          FROM ${ident(`${stack.config.clickhouse.database}.window_label_stats`)} FINAL
          WHERE model_id = 'fraud' AND slice_key = ''`,
    );
    return { labeled: Number(row?.labeled ?? 0), correct: Number(row?.correct ?? 0) };
  };

  it("stores raw events with the ingest role alone, and joins nothing", async () => {
    const ingest = await startProcessor(loadConfig({ ...stack.env, HINDSIGHT_PROCESSOR_ROLE: "ingest" }), stack.clickhouse);
    processors.push(ingest);
    const put = await requestJson("PUT", `${gateway.url}/v1/models/fraud`, { task: "binary", positive_class: "fraud", threshold: 0.5 });
    expect(put.status).toBe(200);
    await postAll(
      gateway.url,
      "/v1/predictions",
      Array.from({ length: N }, (_, i) => prediction(i)),
    );
    await postAll(
      gateway.url,
      "/v1/labels",
      Array.from({ length: N }, (_, i) => label(i)),
    );
    await waitUntil(
      "the raw events",
      async () => [await count(stack, "prediction_events"), await count(stack, "label_events")],
      ([p, l]) => p === N && l === N,
    );
    expect(ingest.healthcheck()).toBe(true);
    // No member of the metrics group ever ran: it has committed nothing, and nothing is joined or marked.
    const metrics = await groupPosition(stack.kafka, metricsGroupId(stack.config.processor.groupId), [
      stack.config.topics.predictions,
      stack.config.topics.labels,
    ]);
    expect(metrics).toEqual({ committed: 0, lag: 2 * N });
    expect(await count(stack, "labeled_predictions")).toBe(0);
    expect(await count(stack, "dirty_windows")).toBe(0);
  });

  it("joins and computes every window with the metrics role, storing no raw event twice", async () => {
    const metrics = await startProcessor(loadConfig({ ...stack.env, HINDSIGHT_PROCESSOR_ROLE: "metrics" }), stack.clickhouse);
    processors.push(metrics);
    // Computed from the events as sent: label fraud when i % 5 = 0; predicted fraud when the score (i % 100) / 100 ≥ 0.5.
    let correct = 0;
    for (let i = 0; i < N; i++) if ((i % 5 === 0) === (i % 100) / 100 >= 0.5) correct++;
    await waitUntil("every label counted in its window", labelStats, (s) => s.labeled === N, 60_000);
    expect(await labelStats()).toEqual({ labeled: N, correct });
    expect(await count(stack, "labeled_predictions", sql`FINAL`)).toBe(N);
    // The metrics process stored no raw row: the ingest process's rows are all there are.
    expect(await count(stack, "predictions")).toBe(N);
    expect(await count(stack, "labels")).toBe(N);
    expect(metrics.healthcheck()).toBe(true);
  });
});
