/**
 * A backfill under live load, smaller than bench:backfill: six months of one new model's history
 * (predictions and their labels, timestamps spread over the six months, posted over HTTP in a
 * burst) while another model streams. Afterwards the backfilled model's metrics equal an
 * independent computation for every day, every day with events has its drift and data-quality
 * results, the live model lost no label, and nothing was set aside.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ident, list, sql, type Sql } from "../services/common/clickhouse/sql.js";
import { DIRTY_KINDS } from "../services/common/clickhouse/dirty-windows.repository.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { postAll, requestJson, startPipeline, stopPipeline, waitForProcessor, waitUntil, type Pipeline } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 1);
const START = END - 180 * DAY;
const HISTORY = 4_000;

const r = seededRandom(20261207);
const countries = ["DE", "FR", "BR", "IN"];
const history = Array.from({ length: HISTORY }, (_, i) => {
  const at = START + Math.floor(r() * (END - START));
  const score = Math.round(r() * 1000) / 1000;
  return {
    id: `h-${i}`,
    at,
    score,
    positive: r() < score,
    labeled: r() < 0.9,
    features: { amount: Math.round(r() * 50_000) / 100, country: countries[Math.floor(r() * 4)]! },
  };
});

/** Per day (epoch seconds): predictions, labelled, correct at threshold 0.5, by plain counting. */
function expectedDays() {
  const days = new Map<number, { predictions: number; labeled: number; correct: number }>();
  for (const h of history) {
    const d = Math.floor(h.at / DAY) * 86_400;
    const acc = days.get(d) ?? { predictions: 0, labeled: 0, correct: 0 };
    acc.predictions++;
    if (h.labeled) {
      acc.labeled++;
      if (h.score >= 0.5 === h.positive) acc.correct++;
    }
    days.set(d, acc);
  }
  return days;
}

describe("a six-month backfill under live load", () => {
  let p: Pipeline;
  let liveLabels = 0;
  const table = (name: string) => ident(`${p.stack.config.clickhouse.database}.${name}`);
  const post = (path: string, items: unknown[]) => postAll(p.gateway.url, path, items);

  beforeAll(async () => {
    p = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600,86400", HINDSIGHT_REFERENCE_ROWS: "1000" });
    for (const model of ["history", "live"])
      expect(
        (await requestJson("PUT", `${p.gateway.url}/v1/models/${model}`, { task: "binary", positive_class: "yes", threshold: 0.5 })).status,
      ).toBe(200);
    // The live model streams 50 predictions and their labels every 100 ms until the backfill is posted.
    let streaming = true;
    const live = (async () => {
      for (let seq = 0; streaming; seq++) {
        const now = Date.now();
        const ids = Array.from({ length: 50 }, (_, i) => `l-${seq}-${i}`);
        await post(
          "/v1/predictions",
          ids.map((id) => ({
            prediction_id: id,
            model_id: "live",
            model_version: "v1",
            timestamp: now,
            prediction: { label: "yes", score: 0.9 },
          })),
        );
        await post(
          "/v1/labels",
          ids.map((id) => ({ prediction_id: id, model_id: "live", label: "yes", labeled_at: now })),
        );
        liveLabels += ids.length;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    await post(
      "/v1/predictions",
      history.map((h) => ({
        prediction_id: h.id,
        model_id: "history",
        model_version: "v1",
        timestamp: h.at,
        prediction: { label: h.score >= 0.5 ? "yes" : "no", score: h.score },
        features: h.features,
      })),
    );
    await post(
      "/v1/labels",
      history
        .filter((h) => h.labeled)
        .map((h) => ({ prediction_id: h.id, model_id: "history", label: h.positive ? "yes" : "no", labeled_at: h.at + 2 * DAY })),
    );
    streaming = false;
    await live;
    await waitForProcessor(p.stack, p.stack.config, 300_000);
  }, 600_000);

  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("has every day's metrics of the backfilled model equal to an independent computation", async () => {
    const expected = expectedDays();
    const rows = await waitUntil(
      "every day of the history in the metrics",
      () =>
        p.stack.clickhouse.rows(
          anyRow<{ d: string; predictions: string; labeled: string; correct: string }>(),
          sql`
          SELECT toUInt32(window_start) AS d, predictions, labeled, correct FROM ${table("slice_metrics")}
          WHERE model_id = 'history' AND window_seconds = 86400 AND slice_key = '' ORDER BY d`,
        ),
      (x) => x.length === expected.size && x.reduce((s, d) => s + Number(d.labeled), 0) === history.filter((h) => h.labeled).length,
      120_000,
    );
    const stored = new Map(
      rows.map((x) => [Number(x.d), { predictions: Number(x.predictions), labeled: Number(x.labeled), correct: Number(x.correct) }]),
    );
    expect(Object.fromEntries(stored)).toEqual(Object.fromEntries(expected));
  });

  it("has drift and data-quality results for every day with events, after the automatic reference", async () => {
    const days = [...expectedDays().keys()].sort((a, b) => a - b);
    const daysOf = async (name: string) =>
      (
        await p.stack.clickhouse.rows(
          anyRow<{ d: string }>(),
          sql`
          SELECT DISTINCT toUInt32(window_start) AS d FROM ${table(name)} FINAL
          WHERE model_id = 'history' AND window_seconds = 86400 ORDER BY d`,
        )
      ).map((x) => Number(x.d));
    // The windows before the reference are covered by a recompute job, run after the live ones.
    await waitUntil(
      "drift for every day",
      () => daysOf("window_drift"),
      (d) => d.length === days.length,
      120_000,
    );
    expect(await daysOf("window_drift")).toEqual(days);
    expect(await daysOf("window_quality")).toEqual(days);
  });

  it("lost none of the live model's labels and set nothing aside", async () => {
    // Each step of the live labels' way, so that a shortfall says where it stopped.
    const count = async (q: Sql) => Number((await p.stack.clickhouse.rows(anyRow<{ n: string }>(), q))[0]!.n);
    const live = sql`model_id = ${"live"}`;
    const way = {
      joined: await count(sql`SELECT count() AS n FROM ${table("labeled_predictions")} FINAL WHERE ${live}`),
      inCells: await count(sql`SELECT sum(labeled) AS n FROM ${table("window_label_cells")} FINAL WHERE ${live} AND slice_key = ''`),
      inWindows: await count(sql`SELECT sum(labeled) AS n FROM ${table("window_label_stats")} FINAL WHERE ${live} AND slice_key = ''`),
      pendingMarks: await count(
        sql`SELECT count() AS n FROM ${table("dirty_windows")} FINAL WHERE dirty = 1 AND kind IN ${list(DIRTY_KINDS)} AND ${live}`,
      ),
      setAside: await count(sql`SELECT count() AS n FROM ${table("pipeline_failures")} FINAL WHERE resolved_ms = 0`),
    };
    expect(way).toEqual({ joined: liveLabels, inCells: liveLabels, inWindows: liveLabels, pendingMarks: 0, setAside: 0 });
    expect(liveLabels).toBeGreaterThan(0);
  });
});
