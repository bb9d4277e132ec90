/**
 * Label statistics and volume through cells (migrations 023 and 024) against real ClickHouse: a
 * window's statistics, summed from its cells, equal the same statistics counted here from the
 * rows, whether the cells were computed whole, some of them again after revisions, duplicates and
 * new rows, or for a window that had no cells yet (rows from before the migrations). Regression
 * targets near 1.7e9 check that the cells' M2 merge by Chan's formula keeps every digit the
 * window's own pass would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../../../test/helpers/harness.js";
import { seededRandom } from "../../../test/helpers/seeded-random.js";
import type { ModelSpec } from "../domain/model-spec.js";
import { metricsRepository } from "./metrics.repository.js";
import { float, int, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

const BASE = 300;
const W0 = 1_796_000_100 - (1_796_000_100 % BASE);
const WINDOWS = [W0, W0 + BASE];

interface Labelled {
  prediction_id: string;
  t: number; // event time, epoch ms
  score: number;
  label: string;
  y: number;
  pred: number;
  delay: number;
  country: string;
  version: number;
}

const binary: ModelSpec = { modelId: "cells-bin", task: "binary", positiveClass: "1", threshold: 0.5, sliceKeys: [], declared: true };
const regression: ModelSpec = {
  modelId: "cells-reg",
  task: "regression",
  positiveClass: "",
  threshold: 0.5,
  sliceKeys: [],
  declared: true,
};

function draw(n: number, seed: number): Labelled[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const score = rnd();
    const y = 1.7e9 + Math.floor(rnd() * 5000);
    return {
      prediction_id: `p${i}`,
      t: (W0 + Math.floor(rnd() * 2 * BASE)) * 1000 + Math.floor(rnd() * 1000),
      score,
      label: rnd() < score ? "1" : "0",
      y,
      pred: y + (rnd() - 0.5) * 400,
      delay: Math.floor(rnd() * 86_400_000),
      country: rnd() < 0.5 ? "DE" : "FR",
      version: 1,
    };
  });
}

/** The same statistics, counted here per window over the population slice. */
function expected(rows: Labelled[], spec: ModelSpec) {
  return WINDOWS.map((w) => {
    const inside = rows.filter((r) => Math.floor(r.t / 1000 / BASE) * BASE === w);
    const n = inside.length;
    if (spec.task === "binary") {
      const y = (r: Labelled) => (r.label === "1" ? 1 : 0);
      const yhat = (r: Labelled) => (r.score >= 0.5 ? 1 : 0);
      return {
        labeled: n,
        tp: inside.filter((r) => y(r) === 1 && yhat(r) === 1).length,
        fp: inside.filter((r) => y(r) === 0 && yhat(r) === 1).length,
        fn: inside.filter((r) => y(r) === 1 && yhat(r) === 0).length,
        brier: inside.reduce((s, r) => s + (r.score - y(r)) ** 2, 0),
        delayMax: Math.max(...inside.map((r) => r.delay)),
      };
    }
    const mean = inside.reduce((s, r) => s + (r.y - 1.7e9), 0) / n + 1.7e9;
    return {
      labeled: n,
      ySum: inside.reduce((s, r) => s + r.y, 0),
      yM2: inside.reduce((s, r) => s + (r.y - mean) ** 2, 0),
      sqErr: inside.reduce((s, r) => s + (r.y - r.pred) ** 2, 0),
      delayMax: Math.max(...inside.map((r) => r.delay)),
    };
  });
}

describe("label statistics through cells", () => {
  let stack: TestStack;
  const t = (name: string) => ident(`${stack.config.clickhouse.database}.${name}`);
  beforeAll(async () => {
    stack = await createTestStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  });

  /** A drawn row as a prediction of the model: the columns `predictions` and `labeled_predictions` share. */
  const predictionOf = (spec: ModelSpec, r: Labelled) => ({
    model_id: spec.modelId,
    prediction_id: r.prediction_id,
    model_version: "v1",
    stage: "production",
    event_time: r.t / 1000,
    pred_score: spec.task === "binary" ? r.score : null,
    pred_value: spec.task === "regression" ? r.pred : null,
    segment_keys: ["country"],
    segment_values: [r.country],
  });

  async function store(spec: ModelSpec, rows: Labelled[]): Promise<void> {
    const lines = rows.map(
      (r) =>
        `${JSON.stringify({
          ...predictionOf(spec, r),
          label: spec.task === "binary" ? r.label : null,
          value: spec.task === "regression" ? r.y : null,
          labeled_at: (r.t + r.delay) / 1000,
          source: "test",
          delay_ms: r.delay,
          label_version: r.version,
        })}\n`,
    );
    await stack.clickhouse.insertJsonEachRow(`${stack.config.clickhouse.database}.labeled_predictions`, lines);
  }

  async function windowsOf(spec: ModelSpec) {
    return stack.clickhouse.rows(
      row({ labeled: int, tp: int, fp: int, fn: int, brier: float, y_sum: float, y_m2: float, sq_err: float, delay_max: int }),
      sql`SELECT labeled, tp, fp, fn, brier_sum AS brier, y_sum, y_m2, sq_err_sum AS sq_err, delay_max_ms AS delay_max
          FROM ${t("window_label_stats")} FINAL WHERE model_id = ${spec.modelId} AND slice_key = '' ORDER BY window_start`,
    );
  }

  /** Labelled rows per window and country, as "window/country/n". */
  async function sliceCounts(spec: ModelSpec): Promise<string[]> {
    const rows = await stack.clickhouse.rows(
      row({ line: str }),
      sql`SELECT concat(toString(toUInt32(window_start)), '/', slice_value, '/', toString(labeled)) AS line
          FROM ${t("window_label_stats")} FINAL WHERE model_id = ${spec.modelId} AND slice_key = 'country' ORDER BY line`,
    );
    return rows.map((r) => r.line);
  }

  const countedSlices = (rows: Labelled[]) => {
    const n = new Map<string, number>();
    for (const r of rows) {
      const k = `${Math.floor(r.t / 1000 / BASE) * BASE}/${r.country}`;
      n.set(k, (n.get(k) ?? 0) + 1);
    }
    return [...n].map(([k, v]) => `${k}/${v}`).sort();
  };

  function same(actual: Awaited<ReturnType<typeof windowsOf>>, rows: Labelled[], spec: ModelSpec): void {
    const want = expected(rows, spec);
    expect(actual).toHaveLength(WINDOWS.length);
    for (const [i, w] of want.entries()) {
      const a = actual[i]!;
      expect(a.labeled).toBe(w.labeled);
      expect(a.delay_max).toBe(w.delayMax);
      if ("tp" in w) {
        expect([a.tp, a.fp, a.fn]).toEqual([w.tp, w.fp, w.fn]);
        expect(a.brier).toBeCloseTo(w.brier!, 9);
      } else {
        expect(Math.abs(a.y_sum - w.ySum!) / w.ySum!).toBeLessThan(1e-12);
        expect(Math.abs(a.y_m2 - w.yM2!) / w.yM2!).toBeLessThan(1e-9);
        expect(Math.abs(a.sq_err - w.sqErr!) / w.sqErr!).toBeLessThan(1e-9);
      }
    }
  }

  for (const spec of [binary, regression]) {
    it(`${spec.task}: whole windows, then only the cells that changed, equal the rows counted here`, async () => {
      const repo = metricsRepository(stack.clickhouse);
      const rows = draw(3_000, spec.task === "binary" ? 11 : 12);
      await store(spec, rows);
      await repo.recomputeLabelStats(spec, BASE, WINDOWS);
      same(await windowsOf(spec), rows, spec);
      expect(await sliceCounts(spec)).toEqual(countedSlices(rows));

      // Revisions (a later label_version replaces the row) and new labels, in a few cells only.
      const cellSeconds = 10;
      const changed = rows.slice(0, 40).map((r) => ({ ...r, label: r.label === "1" ? "0" : "1", y: r.y + 7, version: 2 }));
      const added = draw(60, 99).map((r) => ({ ...r, prediction_id: `new-${r.prediction_id}` }));
      await store(spec, [...changed, ...added]);
      const cells = [...new Set([...changed, ...added].map((r) => Math.floor(r.t / 1000 / cellSeconds) * cellSeconds))];
      expect(cells.length).toBeLessThan(60); // some of the windows' 60 cells: the rest are not read
      await repo.recomputeLabelStats(spec, BASE, WINDOWS, cells);
      const final = [...changed, ...rows.slice(40), ...added];
      same(await windowsOf(spec), final, spec);
      expect(await sliceCounts(spec)).toEqual(countedSlices(final));
    });
  }

  it("computes a window without cells whole, even when only one of its cells was marked", async () => {
    const spec: ModelSpec = { ...binary, modelId: "cells-legacy" };
    const repo = metricsRepository(stack.clickhouse);
    const rows = draw(500, 21);
    await store(spec, rows);
    const oneCell = Math.floor(rows[0]!.t / 1000 / 10) * 10;
    const windows = [oneCell - (oneCell % BASE)];
    await repo.recomputeLabelStats(spec, BASE, windows, [oneCell]);
    const [got] = await windowsOf(spec);
    const want = expected(rows, spec).find((_, i) => WINDOWS[i] === windows[0])!;
    expect(got!.labeled).toBe(want.labeled);
    expect([got!.tp, got!.fp, got!.fn]).toEqual([want.tp, want.fp, want.fn]);
  });

  it("volume: whole windows, then only the cells that changed (new predictions and duplicates), equal the predictions counted here", async () => {
    const spec: ModelSpec = { ...binary, modelId: "cells-volume" };
    const repo = metricsRepository(stack.clickhouse);
    const predictions = async (rows: Labelled[]) =>
      stack.clickhouse.insertJsonEachRow(
        `${stack.config.clickhouse.database}.predictions`,
        rows.map((r) => `${JSON.stringify(predictionOf(spec, r))}\n`),
      );
    const volumes = async () =>
      stack.clickhouse.rows(
        row({ predictions: int, expected: float, scored: int }),
        sql`SELECT predictions, expected_correct AS expected, arraySum(score_counts) AS scored
            FROM ${t("window_volume")} FINAL WHERE model_id = ${spec.modelId} AND slice_key = '' ORDER BY window_start`,
      );
    const counted = (rows: Labelled[]) =>
      WINDOWS.map((w) => {
        const inside = rows.filter((r) => Math.floor(r.t / 1000 / BASE) * BASE === w);
        return { predictions: inside.length, expected: inside.reduce((s, r) => s + Math.max(r.score, 1 - r.score), 0) };
      });
    const check = (got: Awaited<ReturnType<typeof volumes>>, rows: Labelled[]) => {
      const want = counted(rows);
      expect(got.map((g) => g.predictions)).toEqual(want.map((w) => w.predictions));
      expect(got.map((g) => g.scored)).toEqual(want.map((w) => w.predictions));
      for (const [i, w] of want.entries()) expect(got[i]!.expected).toBeCloseTo(w.expected, 9);
    };

    const rows = draw(2_000, 31);
    await predictions(rows);
    await repo.recomputeVolume(spec, BASE, WINDOWS);
    check(await volumes(), rows);

    const added = draw(50, 32).map((r) => ({ ...r, prediction_id: `new-${r.prediction_id}` }));
    const duplicates = rows.slice(0, 30);
    await predictions([...added, ...duplicates]);
    const cells = [...new Set([...added, ...duplicates].map((r) => Math.floor(r.t / 1000 / 10) * 10))];
    await repo.recomputeVolume(spec, BASE, WINDOWS, cells);
    check(await volumes(), [...rows, ...added]);
  });
});
