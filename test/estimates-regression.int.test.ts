/**
 * Label-free MAE and RMSE of a regression model (migration 020) on the real stack: a labelled
 * history through the gateway and Kafka, an error model fitted on it by the evaluator's fitter and
 * stored in ClickHouse, then predictions stamped by the processor with that model, partly
 * labelled. GET /v1/models/:id/estimates is checked against dle.ts run here on the same rows with
 * the same stored model (row by row, not from the stored sums), per window and per slice; at full
 * coverage against the realised MAE and RMSE of the metrics endpoint; predictions stamped with no
 * model (before the fit, or a version without one) through their fallback; the rule metrics'
 * series; and a model-limited token of another model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { errorModelsRepository } from "../services/common/clickhouse/error-models.repository.js";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { float, int, row, str } from "../services/common/clickhouse/row-schema.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import {
  type ErrorModel,
  type Estimate,
  EMPTY_SUMS,
  addRow,
  estimateFromSums,
  estimateRegressionWindow,
  type RegressionRow,
} from "../services/common/domain/estimation/dle.js";
import {
  type FeatureRow,
  parseVersionErrorModel,
  regressionRow,
  sampleMeans,
  stampExpectedError,
  type VersionErrorModel,
} from "../services/common/domain/estimation/version-error-model.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createErrorModelFitter } from "../services/evaluator/error-model-fitter.js";
import { RuleSchema } from "../schemas/rules.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { postAll, requestJson, startPipeline, stopPipeline, TEST_TOKEN, waitForProcessor, type Pipeline } from "./helpers/harness.js";

const HOUR = 3_600_000;
const OTHER_TEAM = "estimates-regression-other-team-1";
// Recent: within the label horizon, where the fitter samples.
const T0 = Math.floor((Date.now() - 3 * 86_400_000) / HOUR) * HOUR;
const FUELS = ["diesel", "electric", "petrol"];

interface Row {
  id: string;
  version: string;
  t: number;
  country: string;
  features: { age: number; km: number; fuel: string; automatic: boolean };
  pred: number;
  actual: number;
  labelled: boolean;
}

function generate(): { history: Row[]; live: Row[] } {
  const r = seededRandom(2020);
  const make = (id: string, version: string, hour: number, labelled: boolean): Row => {
    const age = Math.floor(r() * 15);
    const km = Math.round(r() * 200_000);
    const fuel = FUELS[Math.floor(r() * 3)]!;
    const automatic = r() < 0.4;
    const pred = 30 - age * 1.2 - km / 20_000 + (automatic ? 2 : 0);
    // The model misses the electric cars' premium, and its noise grows with age: its error depends on the features.
    const actual = pred + (fuel === "electric" ? 4 : 0) + (r() - 0.5) * (1 + age / 3);
    return {
      id,
      version,
      t: T0 + hour * HOUR + Math.floor(r() * HOUR),
      country: r() < 0.5 ? "DE" : "FR",
      features: { age, km, fuel, automatic },
      pred,
      actual,
      labelled,
    };
  };
  const history: Row[] = [];
  for (const hour of [0, 1]) for (let i = 0; i < 350; i++) history.push(make(`h${hour}-${i}`, "v1", hour, true));
  // Before any error model: unstamped, estimated by the version's mean error once it has a model.
  for (let i = 0; i < 40; i++) history.push(make(`early-${i}`, "v1", 3, false));
  const live: Row[] = [];
  for (let i = 0; i < 200; i++) live.push(make(`l2-${i}`, "v1", 2, true));
  for (let i = 0; i < 240; i++) live.push(make(`l3-${i}`, "v1", 3, i % 3 === 0));
  // A version with no error model: its unlabelled rows take the window's labelled mean error.
  for (let i = 0; i < 60; i++) live.push(make(`v2-${i}`, "v2", 3, i % 3 === 0));
  return { history, live };
}

const prediction = (r: Row) => ({
  prediction_id: r.id,
  model_id: "eta",
  model_version: r.version,
  stage: "production",
  timestamp: r.t,
  prediction: { value: r.pred },
  segments: { country: r.country },
  features: r.features,
});
const label = (r: Row) => ({ prediction_id: r.id, model_id: "eta", value: r.actual, labeled_at: r.t + 60_000, source: "review" });

/** The row's features as the processor stores them (booleans as 0/1 numbers, migration 001). */
const stored = (r: Row): FeatureRow & { pred_value: number } => ({
  feature_keys: ["age", "km", "fuel", "automatic"],
  feature_types: ["number", "number", "string", "boolean"],
  feature_numbers: [r.features.age, r.features.km, null, r.features.automatic ? 1 : 0],
  feature_strings: [null, null, r.features.fuel, r.features.automatic ? "true" : "false"],
  pred_value: r.pred,
});

type Served = { value: number; low: number; high: number } | null;
function expectEstimate(served: Served, expected: Estimate | null, what: string) {
  if (expected === null) return expect(served, what).toBeNull();
  for (const k of ["value", "low", "high"] as const)
    expect(Math.abs(served![k] - expected[k]), `${what}.${k}: ${served![k]} vs ${expected[k]}`).toBeLessThan(1e-9);
}

/** A one-bin error model: every row expected at the same mean |e| and e² (the fallback for unstamped rows). */
const meanModel = (abs: number, sq: number, kurtosis: number): ErrorModel => ({
  kind: "bins",
  edges: [],
  abs: [abs],
  sq: [sq],
  kurtosis,
  rows: 0,
});

describe("label-free regression estimates", () => {
  let p: Pipeline;
  let model: VersionErrorModel;
  const { history, live } = generate();
  const all = [...history, ...live];
  const early = new Set(history.filter((r) => !r.labelled).map((r) => r.id));
  const get = (query: string, token = TEST_TOKEN) =>
    requestJson("GET", `${p.gateway.url}/v1/models/eta/estimates?${query}`, undefined, token);
  const range = `window=1h&from=${T0}&to=${T0 + 4 * HOUR}`;
  const windowRows = (hour: number, version: string, country?: string) =>
    all.filter((r) => r.version === version && Math.floor((r.t - T0) / HOUR) === hour && (country === undefined || r.country === country));

  /** The estimate dle.ts gives these rows: labelled ones realised, stamped ones by the stored trees, early ones by the version's means. */
  function expected(rows: Row[], confidence = 0.95) {
    const asRegression = (r: Row): RegressionRow => ({
      ...regressionRow(model.columns, stored(r)),
      actual: r.labelled ? r.actual : null,
    });
    const unstamped = rows.filter((r) => early.has(r.id) && !r.labelled);
    if (unstamped.length === 0) return estimateRegressionWindow(rows.map(asRegression), model.model, confidence);
    const means = sampleMeans(model);
    let sums = rows.filter((r) => !unstamped.includes(r)).reduce((s, r) => addRow(s, asRegression(r), model.model), EMPTY_SUMS);
    const fallback = meanModel(means.abs, means.sq, model.model.kurtosis);
    sums = unstamped.reduce((s, r) => addRow(s, asRegression(r), fallback), sums);
    return estimateFromSums(sums, model.model.kurtosis, confidence);
  }

  beforeAll(async () => {
    p = await startPipeline({
      HINDSIGHT_ERROR_MODEL_MIN_ROWS: "300",
      HINDSIGHT_ERROR_MODEL_RELOAD_MS: "200",
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
        { token: OTHER_TEAM, scopes: ["read"], models: ["risk"] },
      ]),
    });
    expect((await requestJson("PUT", `${p.gateway.url}/v1/models/eta`, { task: "regression", slice_keys: ["country"] })).status).toBe(200);
    expect((await requestJson("PUT", `${p.gateway.url}/v1/models/risk`, { task: "binary", positive_class: "1" })).status).toBe(200);
    await postAll(p.gateway.url, "/v1/predictions", history.map(prediction));
    await postAll(p.gateway.url, "/v1/labels", history.filter((r) => r.labelled).map(label));
    await waitForProcessor(p.stack);

    // The evaluator's fitter, run once here: 700 labelled rows of v1 in the horizon, none of v2.
    const repo = errorModelsRepository(p.stack.clickhouse);
    const fitter = createErrorModelFitter(
      { repo, specs: () => metricsRepository(p.stack.clickhouse).loadModelSpecs() },
      { ...p.stack.config.errorModels, horizonMs: p.stack.config.metrics.labelHorizonMs, logger: createLogger("fitter", "warn") },
    );
    expect(await fitter.fitDue()).toEqual({ model_id: "eta", model_version: "v1", rows: 700 });
    // Fitted a moment ago, with no more labels since: nothing is due.
    expect(await fitter.fitDue()).toBeUndefined();
    const [json] = await repo.load([{ model_id: "eta", model_version: "v1" }]);
    model = parseVersionErrorModel(json!.model);

    // The processor re-reads the models before a batch once its copy is older than the reload
    // interval (200 ms here); the fit took longer than that after the history's last batch, so the
    // next batch reads the new fit first.
    // Some labels before their predictions: the prediction then joins its label as it arrives, and
    // the joined row must carry the same stamp as the stored prediction.
    const labelFirst = (r: Row) => r.labelled && r.id.startsWith("l3-") && Number(r.id.slice(3)) % 6 === 0;
    await postAll(p.gateway.url, "/v1/labels", live.filter(labelFirst).map(label));
    await waitForProcessor(p.stack);
    await postAll(p.gateway.url, "/v1/predictions", live.map(prediction));
    await postAll(p.gateway.url, "/v1/labels", live.filter((r) => r.labelled && !labelFirst(r)).map(label));
    await waitForProcessor(p.stack);
  }, 120_000);
  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("stamps each new prediction of a version with a stored model with its expected |e| and e², and none before", async () => {
    // The joined rows too, whichever of prediction and label came first.
    const joined = await p.stack.clickhouse.rows(
      row({ prediction_id: str, exp_abs_err: float.nullable() }),
      sql`SELECT prediction_id, exp_abs_err FROM ${ident(`${p.stack.config.clickhouse.database}.labeled_predictions`)} FINAL
          WHERE model_id = 'eta' AND model_version = 'v1' AND startsWith(prediction_id, 'l3-')`,
    );
    expect(joined).toHaveLength(80);
    for (const j of joined) {
      const e = stampExpectedError(model, stored(all.find((r) => r.id === j.prediction_id)!))!;
      expect(Math.abs(j.exp_abs_err! - e.abs), j.prediction_id).toBeLessThan(1e-12);
    }
    expect(model.columns.map((c) => c.key)).toEqual(["age", "automatic", "fuel", "km"]);
    expect(model.columns.find((c) => c.key === "fuel")?.codes).toEqual(FUELS);
    const stamps = await p.stack.clickhouse.rows(
      row({ prediction_id: str, exp_abs_err: float.nullable(), exp_sq_err: float.nullable() }),
      sql`SELECT prediction_id, exp_abs_err, exp_sq_err FROM ${ident(`${p.stack.config.clickhouse.database}.predictions`)} FINAL
          WHERE model_id = 'eta'`,
    );
    const byId = new Map(stamps.map((s) => [s.prediction_id, s]));
    for (const r of all) {
      const s = byId.get(r.id)!;
      if (history.includes(r) || r.version === "v2") expect([s.exp_abs_err, s.exp_sq_err], r.id).toEqual([null, null]);
      else {
        const e = stampExpectedError(model, stored(r))!;
        expect(Math.abs(s.exp_abs_err! - e.abs), r.id).toBeLessThan(1e-12);
        expect(Math.abs(s.exp_sq_err! - e.sq), r.id).toBeLessThan(1e-12);
      }
    }
  });

  it("serves per window the DLE estimate under the stored model, and the realised value at full coverage", async () => {
    const res = await get(range);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ model_id: "eta", task: "regression", window_seconds: 3600, confidence: 0.95, truncated: false });
    const served = res.body.windows as Array<Record<string, any>>;
    expect(served.map((w) => [Date.parse(w.window_start), w.model_version])).toEqual([
      [T0, "v1"],
      [T0 + HOUR, "v1"],
      [T0 + 2 * HOUR, "v1"],
      [T0 + 3 * HOUR, "v1"],
      [T0 + 3 * HOUR, "v2"],
    ]);
    for (const w of served.filter((x) => x.model_version === "v1")) {
      const hour = (Date.parse(w.window_start) - T0) / HOUR;
      const own = windowRows(hour, "v1");
      const what = `${w.window_start} v1`;
      expect(w.predictions, what).toBe(own.length);
      expect(w.labeled, what).toBe(own.filter((r) => r.labelled).length);
      expect(w.error_model_rows, what).toBe(700);
      expect(w.estimated_without_model, what).toBe(own.filter((r) => early.has(r.id) && !r.labelled).length);
      const e = expected(own);
      expectEstimate(w.mae, e.mae, `${what} mae`);
      expectEstimate(w.rmse, e.rmse, `${what} rmse`);
    }
    const partly = served[3]!;
    expect(partly).toMatchObject({ estimated_without_model: 40, fallback: "version" });
    expect(partly.label_coverage).toBeCloseTo(80 / 280, 12);
    expect(partly.mae.high - partly.mae.low).toBeGreaterThan(0.01);

    // v2 has no error model: its unlabelled rows take the window's labelled mean error, so the
    // estimate is the labelled rows' MAE and RMSE, with an interval from a normal error's kurtosis.
    const v2 = windowRows(3, "v2");
    const labelled = v2.filter((r) => r.labelled);
    const meanAbs = labelled.reduce((s, r) => s + Math.abs(r.actual - r.pred), 0) / labelled.length;
    const meanSq = labelled.reduce((s, r) => s + (r.actual - r.pred) ** 2, 0) / labelled.length;
    const fallback = meanModel(meanAbs, meanSq, 3);
    const e2 = estimateRegressionWindow(
      v2.map((r) => ({ prediction: r.pred, features: [], actual: r.labelled ? r.actual : null })),
      fallback,
    );
    expect(served[4]).toMatchObject({ estimated_without_model: 40, fallback: "window", error_model_rows: 0, error_model_fitted_at: null });
    expectEstimate(served[4]!.mae, e2.mae, "v2 mae");
    expectEstimate(served[4]!.rmse, e2.rmse, "v2 rmse");
    expect(Math.abs(served[4]!.mae.value - meanAbs)).toBeLessThan(1e-9);

    // Full coverage: the realised MAE and RMSE of the metrics endpoint, with no width.
    const metrics = await requestJson("GET", `${p.gateway.url}/v1/models/eta/metrics?${range}&model_version=v1`);
    for (const hour of [0, 1, 2]) {
      const realised = metrics.body.windows.find(
        (m: { window_start: string }) => Date.parse(`${m.window_start.replace(" ", "T")}Z`) === T0 + hour * HOUR,
      );
      const w = served[hour]!;
      for (const k of ["mae", "rmse"] as const) {
        expect(Math.abs(w[k].value - realised[k]), `hour ${hour} ${k}`).toBeLessThan(1e-9);
        expect(w[k].high - w[k].low, `hour ${hour} ${k} width`).toBeLessThan(1e-9);
      }
    }
  });

  it("gives analysts the sums in the expected_errors view, per window size", async () => {
    const view = await p.stack.clickhouse.rows(
      row({
        window_seconds: int,
        predictions: int,
        stamped: int,
        expected_abs_sum: float,
        expected_sq_sum: float,
        labeled: int,
        labeled_stamped: int,
        labeled_expected_abs_sum: float,
        abs_err_sum: float,
        sq_err_sum: float,
      }),
      sql`SELECT * FROM ${ident(`${p.stack.config.clickhouse.database}.expected_errors`)}
          WHERE model_id = 'eta' AND model_version = 'v1' AND slice_key = '' AND window_start = toDateTime(${(T0 + 3 * HOUR) / 1000})
            AND window_seconds IN (300, 3600) ORDER BY window_seconds`,
    );
    // Hour 3 of v1: 240 predictions stamped (80 labelled) and the 40 early ones without a stamp.
    const hour = windowRows(3, "v1");
    const stampedRows = hour.filter((r) => !early.has(r.id));
    const labelled = hour.filter((r) => r.labelled);
    const sum = (rows: Row[], f: (r: Row) => number) => rows.reduce((acc, r) => acc + f(r), 0);
    const abs = (r: Row) => stampExpectedError(model, stored(r))!.abs;
    const hourly = view.find((v) => v.window_seconds === 3600)!;
    expect(hourly).toMatchObject({ predictions: 280, stamped: 240, labeled: 80, labeled_stamped: 80 });
    expect(hourly.expected_abs_sum).toBeCloseTo(sum(stampedRows, abs), 9);
    expect(hourly.expected_sq_sum).toBeCloseTo(
      sum(stampedRows, (r) => stampExpectedError(model, stored(r))!.sq),
      9,
    );
    expect(hourly.labeled_expected_abs_sum).toBeCloseTo(sum(labelled, abs), 9);
    expect(hourly.abs_err_sum).toBeCloseTo(
      sum(labelled, (r) => Math.abs(r.actual - r.pred)),
      9,
    );
    expect(hourly.sq_err_sum).toBeCloseTo(
      sum(labelled, (r) => (r.actual - r.pred) ** 2),
      9,
    );
    // The hour's first 5-minute window holds its own rows only.
    const first = view.find((v) => v.window_seconds === 300)!;
    expect(first.predictions).toBe(hour.filter((r) => r.t < T0 + 3 * HOUR + 300_000).length);
  });

  it("estimates a slice from its own sums", async () => {
    const res = await get(`${range}&slice_key=country&slice_value=DE&model_version=v1&confidence=0.9`);
    expect(res.status, res.text).toBe(200);
    for (const hour of [2, 3]) {
      const w = res.body.windows.find((x: { window_start: string }) => Date.parse(x.window_start) === T0 + hour * HOUR);
      const de = windowRows(hour, "v1", "DE");
      expect(w.predictions).toBe(de.length);
      const e = expected(de, 0.9);
      expectEstimate(w.mae, e.mae, `DE hour ${hour} mae`);
      expectEstimate(w.rmse, e.rmse, `DE hour ${hour} rmse`);
    }
  });

  it("gives the alert rules' estimated_mae and estimated_rmse the same values and intervals", async () => {
    const served = (await get(`${range}&model_version=v1`)).body.windows as Array<Record<string, any>>;
    for (const [metric, field] of [
      ["estimated_mae", "mae"],
      ["estimated_rmse", "rmse"],
    ] as const) {
      const rule = RuleSchema.parse({
        id: `eta-${metric}`,
        kind: "threshold",
        metric,
        op: ">",
        threshold: 5,
        window: "1h",
        confidence: 0.95,
        target: { model: "eta", version: "v1" },
      });
      const series = await alertSeriesRepository(p.stack.clickhouse, { labelHorizonMs: 30 * 86_400_000 }).performance(
        rule,
        3600,
        T0 / 1000,
      );
      expect(series.map((s) => s.window_start_ms)).toEqual(served.map((w) => Date.parse(w.window_start)));
      series.forEach((s, i) => {
        expect(s).toMatchObject({ model_id: "eta", model_version: "v1", slice: "", metric, n: served[i]!.predictions });
        expect(Math.abs(s.value! - served[i]![field].value)).toBeLessThan(1e-12);
        expect(s.interval).toEqual([served[i]![field].low, served[i]![field].high]);
      });
    }
  });

  it("answers a token limited to another model with 404", async () => {
    const res = await get("window=1h", OTHER_TEAM);
    expect(res.status, res.text).toBe(404);
    expect(res.body.error.message).toMatch(/no model 'eta'/);
  });
});
