/**
 * Label-free estimates (issue 18) on the real stack: scored predictions through the gateway and
 * Kafka, three hours fully labelled and a fourth a third labelled, per-window score histograms in
 * ClickHouse (migration 018). GET /v1/models/:id/estimates is checked against the estimation
 * module run here on the same rows (row by row, not from the stored bins), at full coverage
 * against the realised metrics, per slice, through the analysts' view and the alert rules' series,
 * and its failure answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { fitCalibration } from "../services/common/domain/estimation/calibration.js";
import { estimateWindow, groupRows, type Estimate } from "../services/common/domain/estimation/cbpe.js";
import { RuleSchema } from "../schemas/rules.js";
import { seededRandom } from "./helpers/seeded-random.js";
import {
  INGEST_ONLY_TOKEN,
  postAll,
  requestJson,
  startPipeline,
  stopPipeline,
  TEST_TOKEN,
  waitForProcessor,
  type Pipeline,
} from "./helpers/harness.js";

const HOUR = 3_600_000;
const OTHER_TEAM = "estimates-other-team-token-0001";
// Recent, so that a calibration with no end given (the alert rules') covers it too.
const T0 = Math.floor((Date.now() - 3 * 86_400_000) / HOUR) * HOUR;
const THRESHOLD = 0.65;

interface Row {
  id: string;
  version: string;
  stage: string;
  t: number;
  score: number;
  country: string;
  y: 0 | 1;
  labelled: boolean;
}

function generate(): Row[] {
  const r = seededRandom(1818);
  const rows: Row[] = [];
  const add = (hour: number, n: number, version: string, labelledShare: number) => {
    for (let i = 0; i < n; i++) {
      // On a bin's midpoint, (k + 0.5) / 10,000, so rows and stored bins hold the same scores.
      const score = (Math.floor(r() * 1000) * 10 + 0.5) / 10_000;
      rows.push({
        id: `${version}-${hour}-${i}`,
        version,
        stage: version === "v1" ? "production" : "canary",
        t: T0 + hour * HOUR + Math.floor(r() * HOUR),
        score,
        country: r() < 0.5 ? "DE" : "FR",
        // A model that is overconfident: the positive rate is score^1.5, below the score.
        y: r() < score ** 1.5 ? 1 : 0,
        labelled: labelledShare === 1 || (labelledShare > 0 && i % Math.round(1 / labelledShare) === 0),
      });
    }
  };
  for (const hour of [0, 1, 2]) add(hour, 150, "v1", 1);
  add(3, 210, "v1", 1 / 3);
  // A version with no labelled history: its scores are read as probabilities.
  add(3, 40, "v2", 0);
  return rows;
}

const prediction = (r: Row) => ({
  prediction_id: r.id,
  model_id: "risk",
  model_version: r.version,
  stage: r.stage,
  timestamp: r.t,
  prediction: { label: r.score >= THRESHOLD ? "1" : "0", score: r.score },
  segments: { country: r.country },
  features: {},
});
const label = (r: Row) => ({ prediction_id: r.id, model_id: "risk", label: String(r.y), labeled_at: r.t + 60_000, source: "review" });

/** A multi-class model's predictions: its estimated_accuracy stays the mean top-class confidence. */
const INTENT = [
  { billing: 0.7, shipping: 0.2, other: 0.1 },
  { billing: 0.1, shipping: 0.5, other: 0.4 },
  { billing: 0.3, shipping: 0.3, other: 0.4 },
];
const intentPrediction = (scores: Record<string, number>, i: number) => ({
  prediction_id: `intent-${i}`,
  model_id: "intent",
  model_version: "v1",
  stage: "production",
  timestamp: T0 + 60_000 * (i + 1),
  prediction: { scores },
  segments: {},
  features: {},
});

type Served = { value: number; low: number; high: number } | null;
function expectEstimate(served: Served, expected: Estimate | null, what: string) {
  if (expected === null) return expect(served, what).toBeNull();
  for (const k of ["value", "low", "high"] as const)
    expect(Math.abs(served![k] - expected[k]), `${what}.${k}: ${served![k]} vs ${expected[k]}`).toBeLessThan(1e-9);
}

describe("label-free estimates", () => {
  let p: Pipeline;
  const rows = generate();
  const windowRows = (hour: number, version: string, country?: string) =>
    rows.filter((r) => r.version === version && Math.floor((r.t - T0) / HOUR) === hour && (country === undefined || r.country === country));
  const get = (query: string, token = TEST_TOKEN) =>
    requestJson("GET", `${p.gateway.url}/v1/models/risk/estimates?${query}`, undefined, token);
  const range = `window=1h&from=${T0}&to=${T0 + 4 * HOUR}`;

  beforeAll(async () => {
    p = await startPipeline({
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
        { token: INGEST_ONLY_TOKEN, scopes: ["ingest"] },
        { token: OTHER_TEAM, scopes: ["read"], models: ["eta"] },
      ]),
    });
    for (const [id, body] of [
      ["risk", { task: "binary", positive_class: "1", threshold: THRESHOLD, slice_keys: ["country"] }],
      ["eta", { task: "regression" }],
    ] as const)
      expect((await requestJson("PUT", `${p.gateway.url}/v1/models/${id}`, body)).status).toBe(200);
    await postAll(p.gateway.url, "/v1/predictions", rows.map(prediction));
    await postAll(
      p.gateway.url,
      "/v1/predictions",
      INTENT.map((scores, i) => intentPrediction(scores, i)),
    );
    await postAll(p.gateway.url, "/v1/labels", rows.filter((r) => r.labelled).map(label));
    await waitForProcessor(p.stack);
  });
  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("serves per window CBPE under the version's calibration, and the realised value at full coverage", async () => {
    const res = await get(range);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ model_id: "risk", window_seconds: 3600, threshold: THRESHOLD, confidence: 0.95, truncated: false });
    const served = res.body.windows as Array<Record<string, any>>;
    expect(served.map((w) => [Date.parse(w.window_start), w.model_version])).toEqual([
      [T0, "v1"],
      [T0 + HOUR, "v1"],
      [T0 + 2 * HOUR, "v1"],
      [T0 + 3 * HOUR, "v1"],
      [T0 + 3 * HOUR, "v2"],
    ]);
    // v1's calibration: every labelled row of v1 (all within the label horizon).
    const calibration = fitCalibration(
      groupRows(rows.filter((r) => r.version === "v1" && r.labelled).map((r) => ({ score: r.score, label: r.y }))),
    );
    const none = { knots: [], rates: [], rows: 0 };
    for (const w of served) {
      const hour = (Date.parse(w.window_start) - T0) / HOUR;
      const own = windowRows(hour, w.model_version);
      const expected = estimateWindow(
        groupRows(own.map((r) => (r.labelled ? { score: r.score, label: r.y } : { score: r.score }))),
        w.model_version === "v1" ? calibration : none,
        THRESHOLD,
      );
      const what = `${w.window_start} ${w.model_version}`;
      expect(w.predictions, what).toBe(own.length);
      expect(w.scored, what).toBe(own.length);
      expect(w.labeled, what).toBe(own.filter((r) => r.labelled).length);
      expect(w.calibration_rows, what).toBe(w.model_version === "v1" ? calibration.rows : 0);
      expectEstimate(w.accuracy, expected.accuracy, `${what} accuracy`);
      expectEstimate(w.precision, expected.precision, `${what} precision`);
      expectEstimate(w.recall, expected.recall, `${what} recall`);
      expectEstimate(w.f1, expected.f1, `${what} f1`);
      expectEstimate(w.roc_auc, expected.rocAuc, `${what} roc_auc`);
    }
    // The partly labelled window has an interval; v2 with no history one too.
    expect(served[3]!.accuracy.high - served[3]!.accuracy.low).toBeGreaterThan(0.01);
    expect(served[4]!.calibration_rows).toBe(0);

    // Full coverage: the realised metrics of the labelled rows (the slice_metrics view), with no width.
    const metrics = await requestJson("GET", `${p.gateway.url}/v1/models/risk/metrics?${range}&model_version=v1`);
    for (const hour of [0, 1, 2]) {
      const realised = metrics.body.windows.find(
        (m: { window_start: string }) => Date.parse(`${m.window_start.replace(" ", "T")}Z`) === T0 + hour * HOUR,
      );
      const w = served[hour]!;
      for (const [mine, theirs] of [
        ["accuracy", "accuracy"],
        ["precision", "precision"],
        ["recall", "recall"],
        ["f1", "f1"],
        ["roc_auc", "roc_auc"],
      ] as const) {
        expect(Math.abs(w[mine].value - realised[theirs]), `hour ${hour} ${mine}`).toBeLessThan(1e-9);
        expect(w[mine].high - w[mine].low, `hour ${hour} ${mine} width`).toBeLessThan(1e-12);
      }
    }
  });

  it("estimates a slice from its own histograms, and the analysts' view holds those histograms", async () => {
    const res = await get(`${range}&slice_key=country&slice_value=DE&model_version=v1&confidence=0.9`);
    expect(res.status, res.text).toBe(200);
    const w = res.body.windows.find((x: { window_start: string }) => Date.parse(x.window_start) === T0 + 3 * HOUR);
    const calibration = fitCalibration(
      groupRows(rows.filter((r) => r.version === "v1" && r.labelled).map((r) => ({ score: r.score, label: r.y }))),
    );
    const de = windowRows(3, "v1", "DE");
    const expected = estimateWindow(
      groupRows(de.map((r) => (r.labelled ? { score: r.score, label: r.y } : { score: r.score }))),
      calibration,
      THRESHOLD,
      0.9,
    );
    expect(w.predictions).toBe(de.length);
    expectEstimate(w.accuracy, expected.accuracy, "DE accuracy");
    expectEstimate(w.f1, expected.f1, "DE f1");

    // As analysts read it (its grants and model limits: test/sql-model-limits.int.test.ts).
    const histogram = await p.stack.clickhouse.rows(
      anyRow<Record<string, string>>(),
      sql`SELECT predictions, scored, arraySum(labeled_positives) AS pos, arraySum(labeled_negatives) AS neg, length(score_bins) AS bins
          FROM ${ident(`${p.stack.config.clickhouse.database}.score_histograms`)}
          WHERE model_id = 'risk' AND model_version = 'v1' AND window_seconds = 3600
            AND slice_key = 'country' AND slice_value = 'DE' AND window_start = toDateTime(${(T0 + 3 * HOUR) / 1000})`,
    );
    const labelledDe = de.filter((r) => r.labelled);
    expect(histogram.map((r) => Object.values(r).map(Number))).toEqual([
      [
        de.length,
        de.length,
        labelledDe.filter((r) => r.y === 1).length,
        labelledDe.filter((r) => r.y === 0).length,
        new Set(de.map((r) => r.score)).size,
      ],
    ]);
  });

  it("gives the alert rules' estimated_* metrics the same values and intervals", async () => {
    const rule = RuleSchema.parse({
      id: "risk-f1",
      kind: "threshold",
      metric: "estimated_f1",
      op: "<",
      threshold: 0.5,
      window: "1h",
      confidence: 0.95,
      target: { model: "risk", version: "v1" },
    });
    const series = await alertSeriesRepository(p.stack.clickhouse, { labelHorizonMs: 30 * 86_400_000 }).performance(rule, 3600, T0 / 1000);
    const served = (await get(`${range}&model_version=v1`)).body.windows as Array<Record<string, any>>;
    expect(series.map((s) => s.window_start_ms)).toEqual(served.map((w) => Date.parse(w.window_start)));
    series.forEach((s, i) => {
      expect(s).toMatchObject({ model_id: "risk", model_version: "v1", slice: "", metric: "estimated_f1", n: served[i]!.scored });
      expect(Math.abs(s.value! - served[i]!.f1.value)).toBeLessThan(1e-12);
      expect(s.interval).toEqual([served[i]!.f1.low, served[i]!.f1.high]);
    });
  });

  it("converges to the realised value once the rest of the labels arrive", async () => {
    await postAll(
      p.gateway.url,
      "/v1/labels",
      windowRows(3, "v1")
        .filter((r) => !r.labelled)
        .map(label),
    );
    await waitForProcessor(p.stack);
    const w = (await get(`${range}&model_version=v1`)).body.windows.find(
      (x: { window_start: string }) => Date.parse(x.window_start) === T0 + 3 * HOUR,
    );
    const own = windowRows(3, "v1");
    const correct = own.filter((r) => (r.score >= THRESHOLD ? 1 : 0) === r.y).length;
    expect(w.label_coverage).toBe(1);
    expect(w.accuracy).toEqual({ value: correct / own.length, low: correct / own.length, high: correct / own.length });
  });

  it("keeps a multi-class model's estimated_accuracy rule on its mean top-class confidence beside the binary model's estimate", async () => {
    const rule = RuleSchema.parse({
      id: "est-acc",
      kind: "threshold",
      metric: "estimated_accuracy",
      op: "<",
      threshold: 0.5,
      window: "1h",
    });
    const series = await alertSeriesRepository(p.stack.clickhouse, { labelHorizonMs: 30 * 86_400_000 }).performance(rule, 3600, T0 / 1000);
    const intent = series.filter((s) => s.model_id === "intent");
    // (0.7 + 0.5 + 0.4) / 3, every model's prediction in the first hour.
    expect(intent.map((s) => [s.window_start_ms, s.n])).toEqual([[T0, 3]]);
    expect(intent[0]!.value).toBeCloseTo(1.6 / 3, 12);
    expect(intent[0]!.interval ?? null).toBeNull();
    const served = (await get(range)).body.windows as Array<Record<string, any>>;
    expect(series.filter((s) => s.model_id === "risk").map((s) => [s.window_start_ms, s.model_version, s.value])).toEqual(
      served.map((w) => [Date.parse(w.window_start), w.model_version, w.accuracy.value]),
    );
  });

  it("answers bad requests with 4xx and the reason", async () => {
    const cases: Array<[string, number, RegExp, string?]> = [
      ["window=7m", 400, /window: 420 s is not a configured window size/],
      ["window=1h&confidence=0.8", 400, /confidence/],
      ["window=1h&slice_value=DE", 400, /slice_value: give slice_key with slice_value/],
      [`window=1h&from=${T0 + HOUR}&to=${T0}`, 400, /to: must be after from/],
      ["window=1h&from=yesterday", 400, /from/],
      // A token limited to another model is answered as if the model did not exist.
      ["window=1h", 404, /no model 'risk'/, OTHER_TEAM],
    ];
    for (const [query, status, message, token] of cases) {
      const res = await get(query, token);
      expect(res.status, `${query}: ${res.text}`).toBe(status);
      expect(res.body.error.message, query).toMatch(message);
    }
    expect((await get("window=1h", INGEST_ONLY_TOKEN)).status).toBe(403);
    // A regression model is answered with its MAE and RMSE (test/estimates-regression.int.test.ts), a multi-class one with 400.
    const regression = await requestJson("GET", `${p.gateway.url}/v1/models/eta/estimates?window=1h`, undefined, OTHER_TEAM);
    expect(regression.status, regression.text).toBe(200);
    expect(regression.body).toMatchObject({ model_id: "eta", task: "regression", windows: [] });
    const multiclass = await requestJson("GET", `${p.gateway.url}/v1/models/intent/estimates?window=1h`);
    expect(multiclass.status).toBe(400);
    expect(multiclass.body.error.message).toMatch(/computed for binary models .* and regression models .* 'intent' is multiclass/);
  });
});
