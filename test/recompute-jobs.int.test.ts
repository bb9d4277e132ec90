/**
 * Spec changes as durable recompute jobs, on the real stack: a declared threshold changes over a
 * model's history of 150 base windows; the processor is stopped in the middle of the job and a
 * new one resumes it from its cursor (not from the start), and every window ends up equal to an
 * independent computation with the new threshold. Then a label for a model whose predictions
 * this processor never met (another instance ingested them) is joined and counted, not skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ident, sql, typed } from "../services/common/clickhouse/sql.js";
import { seededRandom } from "./helpers/seeded-random.js";
import {
  postAll,
  postJson,
  requestJson,
  startPipeline,
  startProcessor,
  stopPipeline,
  waitForProcessor,
  waitUntil,
  type Pipeline,
} from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const BASE_S = 300;
const WINDOWS = 150;
const T0 = Date.UTC(2026, 8, 1, 0, 0, 0);

const r = seededRandom(20261206);
const events = Array.from({ length: WINDOWS * 8 }, (_, i) => {
  const score = Math.round(r() * 1000) / 1000;
  return {
    id: `j-${i}`,
    at: T0 + Math.floor(i / 8) * BASE_S * 1000 + (i % 8) * 1000,
    score,
    positive: r() < score,
  };
});

/** Accuracy per base window (epoch seconds) at a threshold, by plain counting. */
function expectedAccuracy(threshold: number): Map<number, number> {
  const byWindow = new Map<number, { n: number; correct: number }>();
  for (const e of events) {
    const w = Math.floor(e.at / 1000 / BASE_S) * BASE_S;
    const acc = byWindow.get(w) ?? { n: 0, correct: 0 };
    acc.n++;
    if (e.score >= threshold === e.positive) acc.correct++;
    byWindow.set(w, acc);
  }
  return new Map([...byWindow].map(([w, a]) => [w, a.correct / a.n]));
}

describe("recompute jobs", () => {
  let p: Pipeline;
  const db = () => p.stack.config.clickhouse.database;
  const stored = async () =>
    new Map(
      (
        await p.stack.clickhouse.rows(
          anyRow<{ w: string; accuracy: number }>(),
          sql`
          SELECT toUInt32(window_start) AS w, accuracy FROM ${ident(`${db()}.slice_metrics`)}
          WHERE model_id = 'churn' AND window_seconds = ${BASE_S} AND slice_key = '' ORDER BY w`,
        )
      ).map((x) => [Number(x.w), Number(x.accuracy)]),
    );
  const jobs = async () => (await requestJson("GET", `${p.gateway.url}/v1/jobs`)).body.jobs as any[];
  const declare = (threshold: number) =>
    requestJson("PUT", `${p.gateway.url}/v1/models/churn`, { task: "binary", positive_class: "yes", threshold });

  beforeAll(async () => {
    p = await startPipeline({
      HINDSIGHT_WINDOWS: `${BASE_S},3600`,
      // Small ranges, paced: the job lasts long enough to be interrupted.
      HINDSIGHT_RECOMPUTE_MAX_WINDOWS: "3",
      HINDSIGHT_METRICS_INTERVAL_MS: "150",
    });
    expect((await declare(0.5)).status).toBe(200);
    const predictions = events.map((e) => ({
      prediction_id: e.id,
      model_id: "churn",
      model_version: "v1",
      timestamp: e.at,
      prediction: { label: e.score >= 0.5 ? "yes" : "no", score: e.score },
    }));
    const labels = events.map((e) => ({
      prediction_id: e.id,
      model_id: "churn",
      label: e.positive ? "yes" : "no",
      labeled_at: e.at + 60_000,
    }));
    await postAll(p.gateway.url, "/v1/predictions", predictions);
    await postAll(p.gateway.url, "/v1/labels", labels);
    await waitForProcessor(p.stack);
  }, 180_000);

  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("recomputes every window for a new threshold in bounded ranges, resuming after a restart", async () => {
    const at05 = expectedAccuracy(0.5);
    await waitUntil(
      "windows at threshold 0.5",
      stored,
      (m) => m.size === WINDOWS && [...at05].every(([w, a]) => Math.abs(m.get(w)! - a) < 1e-9),
      60_000,
    );

    const declaredAt = new Date().toISOString();
    expect((await declare(0.8)).status).toBe(200);
    const running = await waitUntil(
      "the job to be under way",
      async () => (await jobs()).find((j) => j.model_id === "churn" && j.state === "running" && j.created_at >= declaredAt),
      (j) => j !== undefined && j.windows_done >= 9,
      60_000,
    );
    expect(running.reason).toBe("model specification changed");
    await p.processor.stop();
    const [interrupted] = (await jobs()).filter((j) => j.job_id === running.job_id);
    expect(interrupted.state).toBe("running");
    expect(interrupted.progress).toBeGreaterThan(0);
    expect(interrupted.progress).toBeLessThan(1);

    p.processor = await startProcessor(p.stack.config, p.stack.clickhouse);
    const done = await waitUntil(
      "the job to finish",
      async () => (await jobs()).find((j) => j.job_id === running.job_id),
      (j) => j?.state === "done",
      120_000,
    );
    // Resumed, not restarted: each window once, plus at most the range in flight at the stop.
    expect(done.windows_done).toBeGreaterThanOrEqual(WINDOWS);
    expect(done.windows_done).toBeLessThanOrEqual(WINDOWS + 3);
    const at08 = expectedAccuracy(0.8);
    const now = await stored();
    expect([...at08].filter(([w, a]) => Math.abs(now.get(w)! - a) > 1e-9)).toEqual([]);
    // Only the change made a job (the first spec was adopted, its windows computed live), and the
    // restart found it as it was instead of writing a second one.
    expect((await jobs()).filter((j) => j.model_id === "churn").map((j) => [j.state, j.reason])).toEqual([
      ["done", "model specification changed"],
      ["done", "model specification changed"],
    ]);
  }, 300_000);

  it("joins a label for a model whose predictions another instance stored, and counts it", async () => {
    // Stored as another instance's ingestion would have: straight into the raw table, never seen here.
    const at = T0 + 3_600_000;
    await p.stack.clickhouse.command(sql`
      INSERT INTO ${ident(`${db()}.predictions`)} (prediction_id, model_id, model_version, stage, event_time, pred_label, pred_score, ingested_at)
      VALUES ('elsewhere-1', 'elsewhere', 'v1', 'production', fromUnixTimestamp64Milli(${typed(at, "Int64")}), 'yes', 0.9, now())`);
    const label = { prediction_id: "elsewhere-1", model_id: "elsewhere", label: "yes", labeled_at: at + 60_000 };
    expect((await postJson(`${p.gateway.url}/v1/labels`, [label])).body.rejected).toEqual([]);
    await waitForProcessor(p.stack);
    // The label statistics are this instance's part (the volume is the other instance's).
    const rows = await waitUntil(
      "the label in the model's label statistics",
      () =>
        p.stack.clickhouse.rows(
          anyRow<{ labeled: string; correct: string }>(),
          sql`
          SELECT labeled, correct FROM ${ident(`${db()}.window_label_stats`)} FINAL WHERE model_id = 'elsewhere' AND slice_key = ''`,
        ),
      (x) => x.length === 1,
      30_000,
    );
    expect(rows.map((x) => [Number(x.labeled), Number(x.correct)])).toEqual([[1, 1]]);
  }, 120_000);
});
