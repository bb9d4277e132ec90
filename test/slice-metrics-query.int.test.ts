/**
 * sliceMetricsQuery (the `slice_metrics` view with its filters pushed into the base windows)
 * returns exactly the rows of `SELECT * FROM slice_metrics WHERE …` for the same filter: same
 * columns in the same order, same keys, counts equal, floats equal to 1e-12 relative. The data go
 * through the real pipeline: a binary, a multi-class and a regression model, two versions and
 * stages, slices, two window sizes, late labels; then a model's declaration drops one of its
 * slice keys, so the view's filter on declared keys is exercised too. The alert evaluator's read
 * (`performance()`) is checked against the view the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuleSchema } from "../schemas/rules.js";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { sliceMetricsQuery, type SliceMetricsFilter } from "../services/common/clickhouse/slice-metrics.query.js";
import { ident, join, list, raw, sql, type Sql } from "../services/common/clickhouse/sql.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { postJson, startPipeline, stopPipeline, TEST_TOKEN, waitForProcessor, type Pipeline } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const _MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 8, 14, 0, 0, 0);
const T0S = T0 / 1000;
const KEYS = "model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value";

function generate() {
  const r = seededRandom(3141592);
  const predictions: Array<Record<string, unknown>> = [];
  const labels: Array<Record<string, unknown>> = [];
  const countries = ["DE", "FR", "BR", "US"];
  const devices = ["ios", "android", "web"];
  const at = () => T0 + Math.floor(r() * 6 * HOUR);
  const delay = () => Math.floor(1000 + r() ** 3 * 10 * DAY);
  const version = () => (r() < 0.7 ? { model_version: "v1", stage: "production" } : { model_version: "v2", stage: "canary" });
  for (let i = 0; i < 2400; i++) {
    const p = Math.floor(r() * 10_000) / 10_000;
    const t = at();
    predictions.push({
      prediction_id: `f-${i}`,
      model_id: "fraud",
      ...version(),
      timestamp: t,
      features: { amount: Math.round(r() * 500) },
      prediction: { label: p >= 0.5 ? "fraud" : "legit", score: p },
      segments: { country: countries[Math.floor(r() * 4)]!, device: devices[Math.floor(r() * 3)]! },
    });
    if (r() < 0.8)
      labels.push({
        prediction_id: `f-${i}`,
        model_id: "fraud",
        label: r() < p ? "fraud" : "legit",
        labeled_at: t + delay(),
        source: "chargebacks",
      });
  }
  const classes = ["billing", "shipping", "other"];
  for (let i = 0; i < 900; i++) {
    const raw = classes.map(() => 0.05 + r());
    const sum = raw.reduce((a, b) => a + b, 0);
    const t = at();
    predictions.push({
      prediction_id: `m-${i}`,
      model_id: "intent",
      ...version(),
      timestamp: t,
      features: {},
      prediction: { scores: Object.fromEntries(classes.map((c, k) => [c, Math.round((raw[k]! / sum) * 1000) / 1000])) },
      segments: { country: countries[Math.floor(r() * 4)]! },
    });
    if (r() < 0.9)
      labels.push({
        prediction_id: `m-${i}`,
        model_id: "intent",
        label: classes[Math.floor(r() * 3)]!,
        labeled_at: t + delay(),
        source: "agents",
      });
  }
  for (let i = 0; i < 400; i++) {
    const t = at();
    const yhat = Math.round(r() * 1000) / 10;
    predictions.push({
      prediction_id: `r-${i}`,
      model_id: "eta",
      ...version(),
      timestamp: t,
      features: {},
      prediction: { value: yhat },
      segments: { country: countries[i % 4]! },
    });
    if (r() < 0.85)
      labels.push({
        prediction_id: `r-${i}`,
        model_id: "eta",
        value: i % 40 === 0 ? 0 : Math.round((yhat + (r() - 0.5) * 20) * 10) / 10,
        labeled_at: t + delay(),
        source: "trips",
      });
  }
  return { predictions, labels };
}

/** The filter as conditions on the view: what the pushed-down query must equal. */
function viewWhere(f: SliceMetricsFilter): Sql {
  const where: Sql[] = [sql`window_seconds = ${f.windowSeconds}`];
  if (f.models !== undefined) where.push(sql`model_id IN ${list(f.models)}`);
  if (f.modelVersion !== undefined) where.push(sql`model_version = ${f.modelVersion}`);
  if (f.stage !== undefined) where.push(sql`stage = ${f.stage}`);
  if (f.slices.kind === "population") where.push(sql`slice_key = ''`);
  if (f.slices.kind === "key") where.push(sql`slice_key = ${f.slices.key}`);
  if (f.slices.kind === "slice") where.push(sql`slice_key = ${f.slices.key} AND slice_value = ${f.slices.value}`);
  if (f.fromS !== undefined) where.push(sql`window_start >= toDateTime(${f.fromS})`);
  if (f.toS !== undefined) where.push(sql`window_start < toDateTime(${f.toS})`);
  return join(where, " AND ");
}

function expectSameRows(actual: Array<Record<string, unknown>>, expected: Array<Record<string, unknown>>, what: string): void {
  expect(actual.length, `${what}: rows`).toBe(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i]!;
    expect(Object.keys(row), `${what}: columns`).toEqual(Object.keys(want));
    for (const [column, value] of Object.entries(want)) {
      const got = row[column];
      const at = `${what}: row ${i} (${KEYS.split(", ")
        .map((k) => want[k])
        .join("|")}) ${column}`;
      if (typeof value === "number" && typeof got === "number") {
        expect(Math.abs(got - value), `${at}: ${got} vs ${value}`).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(got), Math.abs(value)));
      } else {
        expect(got, at).toEqual(value);
      }
    }
  });
}

describe("sliceMetricsQuery", () => {
  let p: Pipeline;
  const data = generate();
  const db = () => p.stack.config.clickhouse.database;
  const fromView = (f: SliceMetricsFilter) =>
    p.stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`SELECT * FROM ${ident(`${db()}.slice_metrics`)} WHERE ${viewWhere(f)} ORDER BY ${raw(KEYS)}`,
    );
  const pushedDown = (f: SliceMetricsFilter) =>
    p.stack.clickhouse.rows(anyRow<Record<string, unknown>>(), sql`SELECT * FROM (${sliceMetricsQuery(db(), f)}) ORDER BY ${raw(KEYS)}`);

  beforeAll(async () => {
    p = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600" });
    const declare = (id: string, body: unknown) =>
      fetch(`${p.gateway.url}/v1/models/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      (await declare("fraud", { task: "binary", positive_class: "fraud", threshold: 0.5, slice_keys: ["country", "device"] })).status,
    ).toBe(200);
    expect((await declare("intent", { task: "multiclass", slice_keys: ["country"] })).status).toBe(200);
    expect((await declare("eta", { task: "regression", slice_keys: ["country"] })).status).toBe(200);
    const post = async (path: string, items: unknown[]) => {
      for (let i = 0; i < items.length; i += 500)
        expect((await postJson(`${p.gateway.url}${path}`, items.slice(i, i + 500))).body.rejected).toEqual([]);
    };
    await post("/v1/predictions", data.predictions);
    await post("/v1/labels", data.labels);
    await waitForProcessor(p.stack);
    // Nothing recomputes from here on, so the two sides of every comparison read the same data.
    await p.processor.stop();
    // "fraud" no longer declares device: the view hides its device slices (computed before).
    expect((await declare("fraud", { task: "binary", positive_class: "fraud", threshold: 0.5, slice_keys: ["country"] })).status).toBe(200);
  });
  afterAll(() => stopPipeline(p));

  const cases: Array<{ name: string; filter: SliceMetricsFilter; minRows: number }> = [
    { name: "one model, 1 h, population", filter: { models: ["fraud"], windowSeconds: 3600, slices: { kind: "population" } }, minRows: 12 },
    {
      name: "one model, 5 min, one slice, one stage",
      filter: { models: ["fraud"], windowSeconds: 300, stage: "production", slices: { kind: "slice", key: "country", value: "BR" } },
      minRows: 40,
    },
    {
      name: "one model, 5 min, one key, one version",
      filter: { models: ["intent"], windowSeconds: 300, modelVersion: "v2", slices: { kind: "key", key: "country" } },
      minRows: 60,
    },
    // Bounds off the window grid: 00:30:17 to 04:05, i.e. the 1 h windows starting 01:00 to 04:00.
    {
      name: "every model, 1 h, every slice, unaligned time range",
      filter: { windowSeconds: 3600, fromS: T0S + 1817, toS: T0S + 4 * 3600 + 300, slices: { kind: "all" } },
      minRows: 80,
    },
    {
      name: "two models, 5 min, population, one version, from only",
      filter: {
        models: ["fraud", "eta"],
        windowSeconds: 300,
        modelVersion: "v1",
        fromS: T0S + 2 * 3600 + 1,
        slices: { kind: "population" },
      },
      minRows: 40,
    },
    {
      name: "a regression model, 1 h, every slice, version and stage",
      filter: { models: ["eta"], windowSeconds: 3600, modelVersion: "v2", stage: "canary", slices: { kind: "all" } },
      minRows: 20,
    },
    {
      name: "a slice key no longer declared",
      filter: { models: ["fraud"], windowSeconds: 300, slices: { kind: "key", key: "device" } },
      minRows: 0,
    },
    {
      name: "a window size that is not configured",
      filter: { models: ["fraud"], windowSeconds: 600, slices: { kind: "all" } },
      minRows: 0,
    },
    { name: "an unknown model", filter: { models: ["nobody"], windowSeconds: 3600, slices: { kind: "all" } }, minRows: 0 },
    {
      name: "values that need escaping",
      filter: { models: ["fr'aud\\", "fraud"], windowSeconds: 3600, slices: { kind: "slice", key: "country", value: "B'R\\' OR 1=1 --" } },
      minRows: 0,
    },
  ];

  for (const c of cases) {
    it(`equals the view: ${c.name}`, async () => {
      const [expected, actual] = await Promise.all([fromView(c.filter), pushedDown(c.filter)]);
      expect(expected.length, "view rows").toBeGreaterThanOrEqual(c.minRows);
      if (c.minRows === 0) expect(expected).toEqual([]);
      expectSameRows(actual, expected, c.name);
    });
  }

  it("covers every metric: each row kind the view computes is compared", async () => {
    const rows = await pushedDown({ windowSeconds: 3600, slices: { kind: "all" } });
    const withValue = (column: string) => rows.filter((r) => r[column] !== null).length;
    for (const column of [
      "accuracy",
      "precision",
      "recall",
      "f1",
      "log_loss",
      "brier",
      "roc_auc",
      "ece",
      "mae",
      "rmse",
      "mape",
      "r2",
      "delay_p50_s",
      "delay_max_s",
      "estimated_accuracy",
    ]) {
      expect(withValue(column), column).toBeGreaterThan(0);
    }
    expect(new Set(rows.map((r) => r.task))).toEqual(new Set(["binary", "multiclass", "regression"]));
    expectSameRows(rows, await fromView({ windowSeconds: 3600, slices: { kind: "all" } }), "everything, 1 h");
  });

  it("serves the alert evaluator's series as the view did", async () => {
    const series = alertSeriesRepository(p.stack.clickhouse);
    const targets = [
      { model: "fraud" },
      { model: "*", slice: "*" },
      { model: "fraud", version: "v2", slice: "country=*" },
      { model: "intent", stage: "production", slice: "country=DE" },
    ];
    for (const target of targets) {
      const rule = RuleSchema.parse({ id: "r", kind: "threshold", metric: "accuracy", op: "<", threshold: 0.5, window: "5m", target });
      const fromS = T0S + 3600 + 1;
      const got = await series.performance(rule, 300, fromS);
      const where: Sql[] = [sql`window_seconds = 300`, sql`window_start >= toDateTime(${fromS})`];
      if (target.model !== "*") where.push(sql`model_id = ${target.model}`);
      if (target.version) where.push(sql`model_version = ${target.version}`);
      if (target.stage) where.push(sql`stage = ${target.stage}`);
      if (target.slice === undefined) where.push(sql`slice_key = ''`);
      else if (target.slice !== "*") {
        const [key, value] = target.slice.split("=") as [string, string];
        where.push(value === "*" ? sql`slice_key = ${key}` : sql`slice_key = ${key} AND slice_value = ${value}`);
      }
      const view = await p.stack.clickhouse.rows(
        anyRow<Record<string, string | number | null>>(),
        sql`
        SELECT model_id, model_version, stage, slice_key, slice_value, toUInt64(window_start) * 1000 AS window_start_ms, accuracy, class_n, correct, label_coverage
        FROM ${ident(`${db()}.slice_metrics`)} WHERE ${join(where, " AND ")}`,
      );
      expect(view.length, JSON.stringify(target)).toBeGreaterThan(0);
      const key = (r: { model_id: unknown; model_version: unknown; stage: unknown; slice: string; window_start_ms: number }) =>
        [r.model_id, r.model_version, r.stage, r.slice, r.window_start_ms].join("|");
      const expected = view
        .map((r) => ({
          model_id: String(r.model_id),
          model_version: String(r.model_version),
          stage: String(r.stage),
          slice: r.slice_key === "" ? "" : `${r.slice_key}=${r.slice_value}`,
          metric: "accuracy",
          feature: "",
          window_start_ms: Number(r.window_start_ms),
          value: r.accuracy === null ? null : Number(r.accuracy),
          n: Number(r.class_n),
          successes: Number(r.correct),
          coverage: r.label_coverage === null ? null : Number(r.label_coverage),
          breach: null,
          signal_threshold: null,
        }))
        .sort((a, b) => key(a).localeCompare(key(b)));
      // performance() orders by window start only; compare as sets of rows.
      expect(
        [...got].sort((a, b) => key(a).localeCompare(key(b))),
        JSON.stringify(target),
      ).toEqual(expected);
      expect(got.map((r) => r.window_start_ms)).toEqual([...got.map((r) => r.window_start_ms)].sort((a, b) => a - b));
    }
  });
});
