/**
 * `kill -9` of the processor in the middle of a stream, then a restart: every event is in
 * ClickHouse exactly once in the deduplicated views, and every window's metrics are what an
 * independent computation over the same events gives. Offsets are committed only after ClickHouse
 * acknowledged the rows, so the restart re-reads at most what was in flight, and the replacing
 * tables collapse what it writes twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabelHttp, PredictionHttp } from "../schemas/events.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { createProducer } from "../services/common/kafka/client.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { ROOT } from "../infra/local/paths.js";
import { count, createTestStack, label, prediction, waitForProcessor, waitUntil, type TestStack } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const PREDICTIONS = 70_000;
const LABELS = 30_000;

function startProcessor(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "services/processor/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

describe("crash recovery", () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_BATCH_MAX_ROWS: "5000" });
  });
  afterAll(async () => {
    child?.kill("SIGKILL");
    await stack?.cleanup();
  });

  it("loses nothing and counts nothing twice after kill -9 mid-stream", async () => {
    const producer = await createProducer(stack.kafka);
    const predictionMessages = Array.from({ length: PREDICTIONS }, (_, i) => {
      const event = { ...PredictionHttp.parse(prediction(i)), received_at: null };
      return { key: event.prediction_id, value: encode("prediction", event) };
    });
    const labelMessages = Array.from({ length: LABELS }, (_, i) => {
      const event = { ...LabelHttp.parse(label(i * 2)), received_at: null };
      return { key: event.prediction_id, value: encode("label", event) };
    });

    child = startProcessor(stack.env);
    // Produce in slices so that the stream is still flowing when the processor dies.
    const producing = (async () => {
      for (let i = 0; i < PREDICTIONS; i += 2_000) {
        await producer.send(stack.config.topics.predictions, predictionMessages.slice(i, i + 2_000));
        if (i % 6_000 === 0)
          await producer.send(stack.config.topics.labels, labelMessages.slice((i / 6_000) * 2_000, (i / 6_000 + 1) * 2_000));
        await new Promise((r) => setTimeout(r, 20));
      }
      await producer.send(stack.config.topics.labels, labelMessages.slice(Math.ceil(PREDICTIONS / 6_000) * 2_000));
    })();

    const seenAtKill = await waitUntil(
      "the processor to be part-way through",
      () => count(stack, "predictions"),
      (n) => n >= 15_000,
      60_000,
    );
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(seenAtKill).toBeLessThan(PREDICTIONS);

    await producing;
    await producer.disconnect();
    child = startProcessor(stack.env);
    await waitUntil(
      "every event after the restart",
      async () => [await count(stack, "prediction_events"), await count(stack, "label_events")],
      ([p, l]) => p === PREDICTIONS && l === LABELS,
      120_000,
    );
    // Exact, not merely "at least": nothing is counted twice.
    expect(await count(stack, "prediction_events")).toBe(PREDICTIONS);
    expect(await count(stack, "label_events")).toBe(LABELS);
    const distinct = await stack.clickhouse.rows(
      anyRow<{ n: string }>(),
      sql`SELECT uniqExact(prediction_id) AS n FROM ${ident(`${stack.config.clickhouse.database}.predictions`)}`,
    );
    expect(Number(distinct[0]!.n)).toBe(PREDICTIONS);

    // Rows are visible before their windows are recomputed; both groups done means all is done.
    await waitForProcessor(stack, stack.config, 180_000);
    // Metrics per version and hour, against a computation here. The model was not declared: its
    // positive class was inferred from the first prediction scored ≥ 0.5 (p-50, predicted "legit").
    const expected = new Map<string, { predictions: number; labeled: number; correct: number }>();
    for (let i = 0; i < PREDICTIONS; i++) {
      const p = prediction(i);
      const key = `${p.model_version}|${Math.floor((p.timestamp as number) / 3_600_000) * 3600}`;
      const e = expected.get(key) ?? { predictions: 0, labeled: 0, correct: 0 };
      e.predictions++;
      if (i % 2 === 0 && i / 2 < LABELS) {
        e.labeled++;
        const y = label(i).label === "legit";
        const yhat = (p.prediction as { score: number }).score >= 0.5;
        if (y === yhat) e.correct++;
      }
      expected.set(key, e);
    }
    const rows = await stack.clickhouse.rows(
      anyRow<{
        model_version: string;
        ws: string;
        predictions: string;
        labeled: string;
        accuracy: number | null;
      }>(),
      sql`
      SELECT model_version, toUInt32(window_start) AS ws, predictions, labeled, accuracy
      FROM ${ident(`${stack.config.clickhouse.database}.slice_metrics`)} WHERE window_seconds = 3600 AND slice_key = ''`,
    );
    expect(rows.length).toBe(expected.size);
    for (const r of rows) {
      const e = expected.get(`${r.model_version}|${r.ws}`)!;
      expect([Number(r.predictions), Number(r.labeled)]).toEqual([e.predictions, e.labeled]);
      if (e.labeled === 0) expect(r.accuracy).toBeNull();
      else expect(Math.abs(r.accuracy! - e.correct / e.labeled)).toBeLessThan(1e-12);
    }

    child.kill("SIGTERM");
    await once(child, "exit");
    child = undefined;
  });
});
