/**
 * Windowed quality metrics on the real stack against an independent computation in this file
 * (plain loops over the same generated events, no shared code with the product): a binary, a
 * multi-class and a regression model, labels delayed from seconds to weeks, 5 % of labels posted
 * before their prediction, duplicates, conflicting labels, orphans and a label beyond the horizon.
 * Then a replay of every topic from offset zero into a fresh consumer group changes no metric.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../services/common/config/env.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import type { Processor } from "../services/processor/processor.js";
import { seededRandom } from "./helpers/seeded-random.js";
import {
  INGEST_ONLY_TOKEN,
  postJson,
  startPipeline,
  startProcessor,
  stopPipeline,
  TEST_TOKEN,
  waitForProcessor,
  type TestStack,
} from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1, 0, 0, 0);

interface P {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  timestamp: number;
  prediction: { label?: string; score?: number; scores?: Record<string, number>; value?: number };
  segments: Record<string, string>;
  features: Record<string, number>;
}
interface L {
  prediction_id: string;
  model_id: string;
  label?: string;
  value?: number;
  labeled_at: number;
  source: string;
}

function generate() {
  const r = seededRandom(20261123);
  const predictions: P[] = [];
  const labels: L[] = [];
  const countries = ["DE", "FR", "BR"];
  const devices = ["ios", "web"];
  const delay = () => Math.floor(1000 + r() ** 3 * 20 * DAY); // seconds to 20 days, skewed short
  for (let i = 0; i < 600; i++) {
    const p = (Math.floor(r() * 1000) + 0.5) / 1000;
    const t = T0 + Math.floor(r() * 3 * HOUR);
    const version = r() < 0.8 ? ["v1", "production"] : ["v2", "canary"];
    const pred: P = {
      prediction_id: `b-${i}`,
      model_id: "fraud",
      model_version: version[0]!,
      stage: version[1]!,
      timestamp: t,
      prediction: { label: p >= 0.5 ? "fraud" : "legit", score: p },
      segments: { country: countries[Math.floor(r() * 3)]!, device: devices[Math.floor(r() * 2)]! },
      features: { amount: Math.round(r() * 1000) },
    };
    predictions.push(pred);
    if (r() < 0.85)
      labels.push({
        prediction_id: pred.prediction_id,
        model_id: "fraud",
        label: r() < p ? "fraud" : "legit",
        labeled_at: t + delay(),
        source: "chargebacks",
      });
  }
  const classes = ["billing", "shipping", "other"];
  for (let i = 0; i < 300; i++) {
    const raw = classes.map(() => 0.05 + r());
    const sum = raw.reduce((a, b) => a + b, 0);
    const scores = Object.fromEntries(classes.map((c, k) => [c, Math.round((raw[k]! / sum) * 1000) / 1000]));
    const t = T0 + Math.floor(r() * 3 * HOUR);
    const pred: P = {
      prediction_id: `m-${i}`,
      model_id: "intent",
      model_version: "v1",
      stage: "production",
      timestamp: t,
      prediction: { scores },
      segments: { country: countries[Math.floor(r() * 3)]! },
      features: {},
    };
    predictions.push(pred);
    if (r() < 0.9)
      labels.push({
        prediction_id: pred.prediction_id,
        model_id: "intent",
        label: classes[Math.floor(r() * 3)]!,
        labeled_at: t + delay(),
        source: "agents",
      });
  }
  for (let i = 0; i < 300; i++) {
    const t = T0 + Math.floor(r() * 3 * HOUR);
    const yhat = Math.round(r() * 1000) / 10;
    const pred: P = {
      prediction_id: `r-${i}`,
      model_id: "eta",
      model_version: "v1",
      stage: "production",
      timestamp: t,
      prediction: { value: yhat },
      segments: { country: countries[i % 3]! },
      features: {},
    };
    predictions.push(pred);
    const y = i % 25 === 0 ? 0 : Math.round((yhat + (r() - 0.5) * 20) * 10) / 10;
    labels.push({ prediction_id: pred.prediction_id, model_id: "eta", value: y, labeled_at: t + delay(), source: "trips" });
  }
  // Duplicates (identical re-sends) and conflicts (a later, different label: the later wins).
  const duplicates = labels.filter((_, i) => i % 20 === 3).map((l) => ({ ...l }));
  const conflicts = labels
    .filter((l, i) => i % 33 === 5 && l.label !== undefined)
    .map((l) => ({
      ...l,
      label: l.model_id === "fraud" ? (l.label === "fraud" ? "legit" : "fraud") : classes.find((c) => c !== l.label)!,
      labeled_at: l.labeled_at + HOUR,
      source: "manual_review",
    }));
  const orphans: L[] = Array.from({ length: 5 }, (_, i) => ({
    prediction_id: `nobody-${i}`,
    model_id: "fraud",
    label: "fraud",
    labeled_at: T0,
    source: "chargebacks",
  }));
  // Agrees with b-7's own label (if any), so that it is not also a conflict.
  const beyondHorizon: L = {
    prediction_id: "b-7",
    model_id: "fraud",
    label: labels.find((l) => l.prediction_id === "b-7")?.label ?? "fraud",
    labeled_at: predictions[7]!.timestamp + 40 * DAY,
    source: "late_batch",
  };
  return { predictions, labels, duplicates, conflicts, orphans, beyondHorizon };
}

/** The label that counts for each prediction: the latest within the horizon (no ties in this data). */
function winningLabels(all: L[], predictions: Map<string, P>): Map<string, L> {
  const out = new Map<string, L>();
  for (const l of all) {
    const p = predictions.get(l.prediction_id);
    if (!p || l.labeled_at - p.timestamp > 30 * DAY) continue;
    const prev = out.get(l.prediction_id);
    if (!prev || l.labeled_at > prev.labeled_at) out.set(l.prediction_id, l);
  }
  return out;
}

type Group = { preds: P[]; labeled: Array<{ p: P; l: L }> };

function groups(predictions: P[], winners: Map<string, L>, windowMs: number, sliceKeys: string[]): Map<string, Group> {
  const out = new Map<string, Group>();
  for (const p of predictions) {
    const w = Math.floor(p.timestamp / windowMs) * (windowMs / 1000);
    const slices: Array<[string, string]> = [
      ["", ""],
      // A declared "a × b" is the intersection of two keys: value "x × y" when the row carries both.
      ...sliceKeys.flatMap((k): Array<[string, string]> => {
        const [a, b] = k.split(" × ") as [string, string | undefined];
        if (b === undefined) return k in p.segments ? [[k, p.segments[k]!]] : [];
        return a in p.segments && b in p.segments ? [[k, `${p.segments[a]} × ${p.segments[b]}`]] : [];
      }),
    ];
    for (const [k, v] of slices) {
      const key = [p.model_id, p.model_version, p.stage, w, k, v].join("|");
      const g = out.get(key) ?? { preds: [], labeled: [] };
      g.preds.push(p);
      const l = winners.get(p.prediction_id);
      if (l) g.labeled.push({ p, l });
      out.set(key, g);
    }
  }
  return out;
}

function binaryExpected(g: Group) {
  const rows = g.labeled.map(({ p, l }) => ({ s: p.prediction.score!, y: l.label === "fraud" ? 1 : 0 }));
  const n = rows.length;
  let tp = 0,
    fp = 0,
    fn = 0,
    tn = 0,
    ll = 0,
    br = 0;
  const eceN = new Array(10).fill(0),
    eceConf = new Array(10).fill(0),
    eceCorrect = new Array(10).fill(0);
  for (const { s, y } of rows) {
    const yhat = s >= 0.5 ? 1 : 0;
    if (y && yhat) tp++;
    else if (!y && yhat) fp++;
    else if (y && !yhat) fn++;
    else tn++;
    const pc = Math.min(Math.max(s, 1e-15), 1 - 1e-15);
    ll += -(y * Math.log(pc) + (1 - y) * Math.log(1 - pc));
    br += (s - y) ** 2;
    const conf = yhat ? s : 1 - s;
    const b = Math.min(Math.floor(conf * 10), 9);
    eceN[b]++;
    eceConf[b] += conf;
    eceCorrect[b] += y === yhat ? 1 : 0;
  }
  const pos = rows.filter((r) => r.y === 1),
    neg = rows.filter((r) => r.y === 0);
  let auc: number | null = null;
  if (pos.length > 0 && neg.length > 0) {
    let wins = 0;
    for (const a of pos) for (const b of neg) wins += a.s > b.s ? 1 : a.s === b.s ? 0.5 : 0;
    auc = wins / (pos.length * neg.length);
  }
  // Average precision as scikit-learn defines it: over distinct scores, high to low, the recall
  // gained at each times the precision of everything scored at or above it.
  let ap: number | null = null;
  if (pos.length > 0) {
    ap = 0;
    for (const t of [...new Set(rows.map((r) => r.s))].sort((a, b) => b - a)) {
      const above = rows.filter((r) => r.s >= t);
      const gained = rows.filter((r) => r.s === t && r.y === 1).length;
      ap += (gained / pos.length) * (above.filter((r) => r.y === 1).length / above.length);
    }
  }
  const est =
    g.preds.reduce((sum, p) => sum + (p.prediction.score! >= 0.5 ? p.prediction.score! : 1 - p.prediction.score!), 0) / g.preds.length;
  return {
    accuracy: n ? (tp + tn) / n : null,
    precision: tp + fp ? tp / (tp + fp) : null,
    recall: tp + fn ? tp / (tp + fn) : null,
    f1: 2 * tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : null,
    log_loss: n ? ll / n : null,
    brier: n ? br / n : null,
    roc_auc: auc,
    pr_auc: ap,
    ece: n ? eceN.reduce((s, _, b) => s + Math.abs(eceCorrect[b] - eceConf[b]), 0) / n : null,
    estimated_accuracy: est,
  };
}

function multiclassExpected(g: Group) {
  const n = g.labeled.length;
  let correct = 0,
    ll = 0,
    br = 0;
  const per = new Map<string, { tp: number; fp: number; fn: number }>();
  const bump = (c: string, k: "tp" | "fp" | "fn") => {
    const e = per.get(c) ?? { tp: 0, fp: 0, fn: 0 };
    e[k]++;
    per.set(c, e);
  };
  for (const { p, l } of g.labeled) {
    const scores = p.prediction.scores!;
    const keys = Object.keys(scores);
    const predicted = keys.reduce((a, b) => (scores[b]! > scores[a]! ? b : a));
    const truth = l.label!;
    if (predicted === truth) {
      correct++;
      bump(truth, "tp");
    } else {
      bump(predicted, "fp");
      bump(truth, "fn");
    }
    const total = keys.reduce((s, k) => s + scores[k]!, 0);
    const pt = (scores[truth] ?? 0) / total;
    ll += -Math.log(Math.min(Math.max(pt, 1e-15), 1 - 1e-15));
    br += keys.reduce((s, k) => s + (scores[k]! / total - (k === truth ? 1 : 0)) ** 2, 0) + (truth in scores ? 0 : 1);
  }
  const classes = [...per.values()];
  const avg = (f: (c: { tp: number; fp: number; fn: number }) => number) =>
    classes.length ? classes.reduce((s, c) => s + f(c), 0) / classes.length : null;
  return {
    accuracy: n ? correct / n : null,
    precision: avg((c) => (c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0)),
    recall: avg((c) => (c.tp + c.fn ? c.tp / (c.tp + c.fn) : 0)),
    f1: avg((c) => (2 * c.tp + c.fp + c.fn ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : 0)),
    log_loss: n ? ll / n : null,
    brier: n ? br / n : null,
  };
}

function regressionExpected(g: Group) {
  const rows = g.labeled.map(({ p, l }) => ({ yhat: p.prediction.value!, y: l.value! }));
  const n = rows.length;
  if (n === 0) return { mae: null, rmse: null, mape: null, r2: null };
  const mean = rows.reduce((s, r) => s + r.y, 0) / n;
  const sse = rows.reduce((s, r) => s + (r.y - r.yhat) ** 2, 0);
  const sst = rows.reduce((s, r) => s + (r.y - mean) ** 2, 0);
  const nonzero = rows.filter((r) => r.y !== 0);
  return {
    mae: rows.reduce((s, r) => s + Math.abs(r.y - r.yhat), 0) / n,
    rmse: Math.sqrt(sse / n),
    mape: nonzero.length ? nonzero.reduce((s, r) => s + Math.abs(r.y - r.yhat) / Math.abs(r.y), 0) / nonzero.length : null,
    r2: n >= 2 && sst > 0 ? 1 - sse / sst : null,
  };
}

function expectClose(actual: unknown, expected: number | null, what: string) {
  if (expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(typeof actual, what).toBe("number");
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(expected)),
  );
}

describe("windowed quality metrics", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  let processor: Processor;
  const data = generate();
  const byId = new Map(data.predictions.map((p) => [p.prediction_id, p]));
  const allLabels = [...data.labels, ...data.duplicates, ...data.conflicts, ...data.orphans, data.beyondHorizon];
  const winners = winningLabels(allLabels, byId);
  const metricRows = async (groupId: string) =>
    stack.clickhouse
      .rows(
        anyRow<Record<string, unknown>>(),
        sql`
      SELECT * FROM ${ident(`${stack.config.clickhouse.database}.slice_metrics`)}
      ORDER BY model_id, model_version, stage, window_seconds, window_start, slice_key, slice_value`,
      )
      .then((rows) => ({ groupId, rows }));

  beforeAll(async () => {
    ({ stack, gateway, processor } = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600" }));
  });
  afterAll(() => stopPipeline({ stack, gateway, processor }));

  it("equal an independent computation, to 1e-9, whatever order and duplication labels arrive in", async () => {
    const declare = (id: string, body: unknown) =>
      fetch(`${gateway.url}/v1/models/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect(
      (await declare("fraud", { task: "binary", positive_class: "fraud", threshold: 0.5, slice_keys: ["country", "country × device"] }))
        .status,
    ).toBe(200);
    expect((await declare("intent", { task: "multiclass" })).status).toBe(200);
    expect((await declare("eta", { task: "regression" })).status).toBe(200);

    // 5 % of the labels come before their predictions.
    const early = data.labels.filter((_, i) => i % 20 === 0);
    const late = data.labels.filter((_, i) => i % 20 !== 0);
    const post = async (path: string, items: unknown[]) => {
      for (let i = 0; i < items.length; i += 500)
        expect((await postJson(`${gateway.url}${path}`, items.slice(i, i + 500))).body.rejected).toEqual([]);
    };
    await post("/v1/labels", early);
    await post("/v1/predictions", data.predictions);
    await post("/v1/labels", [...late, ...data.duplicates, ...data.conflicts, ...data.orphans, data.beyondHorizon]);

    await waitForProcessor(stack);
    const [joined] = await stack.clickhouse.rows(
      anyRow<{ n: string }>(),
      sql`SELECT count() AS n FROM ${ident(`${stack.config.clickhouse.database}.labeled_predictions`)} FINAL`,
    );
    expect(Number(joined!.n)).toBe(winners.size);

    const { rows } = await metricRows("first");
    const actual = new Map(
      rows.map((r) => [
        [
          r.model_id,
          r.model_version,
          r.stage,
          Math.floor(Date.parse(`${r.window_start}Z`.replace(" ", "T")) / 1000),
          r.slice_key,
          r.slice_value,
          r.window_seconds,
        ].join("|"),
        r,
      ]),
    );
    let compared = 0;
    for (const windowMs of [300_000, HOUR]) {
      for (const model of ["fraud", "intent", "eta"]) {
        const sliceKeys = model === "fraud" ? ["country", "country × device"] : ["country"];
        for (const [key, g] of groups(
          data.predictions.filter((p) => p.model_id === model),
          winners,
          windowMs,
          sliceKeys,
        )) {
          const row = actual.get(`${key}|${windowMs / 1000}`);
          expect(row, `no metrics row for ${key} (${windowMs / 1000} s)`).toBeDefined();
          expect(Number(row!.predictions), key).toBe(g.preds.length);
          expect(Number(row!.labeled), key).toBe(g.labeled.length);
          expectClose(row!.label_coverage, g.labeled.length / g.preds.length, `${key} coverage`);
          const expected: Record<string, number | null> =
            model === "fraud" ? binaryExpected(g) : model === "intent" ? multiclassExpected(g) : regressionExpected(g);
          for (const [metric, value] of Object.entries(expected)) expectClose(row![metric], value, `${key} ${windowMs / 1000}s ${metric}`);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
    // Device is not a declared slice key of "fraud", so it gets no slices.
    expect(rows.some((r) => r.model_id === "fraud" && r.slice_key === "device")).toBe(false);
    // The declared intersection has its own slices, e.g. "DE × mobile" (compared above like every slice).
    expect(rows.some((r) => r.model_id === "fraud" && r.slice_key === "country × device" && String(r.slice_value).includes(" × "))).toBe(
      true,
    );

    // Feedback delay: exact quantiles per window in label_delays (the ⌊q·n⌋-th smallest delay).
    const delays = await stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`
      SELECT model_id, model_version, stage, toUInt32(window_start) AS ws, labeled, delay_p50_s, delay_p90_s, delay_max_s
      FROM ${ident(`${stack.config.clickhouse.database}.label_delays`)} WHERE window_seconds = 3600`,
    );
    for (const d of delays) {
      const mine = [...winners.values()]
        .map((l) => ({ l, p: byId.get(l.prediction_id)! }))
        .filter(
          ({ p }) =>
            p.model_id === d.model_id &&
            p.model_version === d.model_version &&
            p.stage === d.stage &&
            Math.floor(p.timestamp / HOUR) * 3600 === Number(d.ws),
        )
        .map(({ l, p }) => (l.labeled_at - p.timestamp) / 1000)
        .sort((a, b) => a - b);
      expect(Number(d.labeled)).toBe(mine.length);
      expectClose(d.delay_p50_s, mine[Math.min(mine.length - 1, Math.floor(0.5 * mine.length))]!, "delay p50");
      expectClose(d.delay_p90_s, mine[Math.min(mine.length - 1, Math.floor(0.9 * mine.length))]!, "delay p90");
      expectClose(d.delay_max_s, mine.at(-1)!, "delay max");
    }
    expect(delays.length).toBeGreaterThan(0);

    // Label quality: the re-sent labels are duplicates, the later different ones conflicts.
    const quality = await stack.clickhouse.rows(
      anyRow<{
        model_id: string;
        source: string;
        duplicates: string;
        conflicts: string;
        orphans: string;
      }>(),
      sql`
      SELECT model_id, source, duplicates, conflicts, orphans FROM ${ident(`${stack.config.clickhouse.database}.label_quality`)}`,
    );
    const total = (f: "duplicates" | "conflicts" | "orphans") => quality.reduce((s, q) => s + Number(q[f]), 0);
    expect(total("conflicts")).toBe(data.conflicts.length);
    expect(total("orphans")).toBe(data.orphans.length);
  });

  it("are unchanged by replaying every topic from offset zero into a fresh consumer group", async () => {
    const before = await metricRows("before");
    const replayConfig = loadConfig({
      ...stack.env,
      HINDSIGHT_CONSUMER_GROUP: `${stack.env.HINDSIGHT_CONSUMER_GROUP}-replay`,
      HINDSIGHT_WINDOWS: "300,3600",
    });
    const replay = await startProcessor(replayConfig, stack.clickhouse);
    try {
      await waitForProcessor(stack, replayConfig);
    } finally {
      await replay.stop();
    }
    const after = await metricRows("after");
    expect(after.rows.length).toBe(before.rows.length);
    after.rows.forEach((row, i) => {
      for (const [k, v] of Object.entries(row)) {
        if (typeof v === "number") expectClose(v, before.rows[i]![k] as number, `${k} after replay`);
        else expect(v, k).toEqual(before.rows[i]![k]);
      }
    });
  });

  it("are served over HTTP: models, metrics per window and slice, and ranked slices", async () => {
    const get = async (path: string, token = TEST_TOKEN) => {
      const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const models = await get("/v1/models");
    expect(models.body.models).toContainEqual({
      model_id: "fraud",
      task: "binary",
      positive_class: "fraud",
      threshold: 0.5,
      slice_keys: ["country", "country × device"],
      declared: true,
    });

    const metrics = await get("/v1/models/fraud/metrics?window=1h&slice_key=country&slice_value=DE&stage=production");
    expect(metrics.status).toBe(200);
    expect(metrics.body.windows.length).toBe(3);
    const view = await stack.clickhouse.rows(
      anyRow<{ accuracy: number; predictions: string }>(),
      sql`
      SELECT accuracy, predictions FROM ${ident(`${stack.config.clickhouse.database}.slice_metrics`)}
      WHERE model_id = 'fraud' AND window_seconds = 3600 AND slice_key = 'country' AND slice_value = 'DE' AND stage = 'production' ORDER BY window_start`,
    );
    expect(metrics.body.windows.map((w: any) => [w.accuracy, w.predictions])).toEqual(view.map((v) => [v.accuracy, Number(v.predictions)]));

    expect((await get("/v1/models/fraud/metrics?window=7m")).status).toBe(400);
    expect((await get("/v1/models/fraud/metrics?from=yesterday")).status).toBe(400);

    const slices = await get("/v1/models/fraud/slices?window=1h&min_labeled=5");
    expect(slices.status).toBe(200);
    expect(slices.body.population.labeled).toBeGreaterThan(0);
    const uppers = slices.body.slices.map((sl: any) => sl.ci95[1]);
    expect(uppers).toEqual([...uppers].sort((a: number, b: number) => a - b));
    for (const sl of slices.body.slices) {
      expect(sl.ci95[0]).toBeLessThanOrEqual(sl.accuracy);
      expect(sl.ci95[1]).toBeGreaterThanOrEqual(sl.accuracy);
      expect(sl.q_value).toBeGreaterThanOrEqual(sl.p_value);
      expect(sl.significantly_worse).toBe(sl.q_value <= 0.05);
    }
    expect(slices.body.metric).toBe("accuracy");
    expect(slices.body.tested).toBe(slices.body.slices.length);

    // A regression model's slices rank by mean absolute error, equal to the errors computed here.
    const eta = await get("/v1/models/eta/slices?window=1h&min_labeled=5");
    expect(eta.status).toBe(200);
    expect(eta.body.metric).toBe("mae");
    const errors = new Map<string, number[]>();
    for (const p of data.predictions.filter((p) => p.model_id === "eta")) {
      const l = winners.get(p.prediction_id);
      if (l) errors.set(p.segments.country!, [...(errors.get(p.segments.country!) ?? []), Math.abs(l.value! - p.prediction.value!)]);
    }
    expect(eta.body.slices.map((sl: any) => sl.slice_value).sort()).toEqual([...errors.keys()].sort());
    for (const sl of eta.body.slices) {
      const e = errors.get(sl.slice_value)!;
      expectClose(sl.mae, e.reduce((a, b) => a + b, 0) / e.length, `eta ${sl.slice_value} mae`);
      expect(sl.labeled).toBe(e.length);
    }
    const lowers = eta.body.slices.map((sl: any) => sl.ci95[0]);
    expect(lowers).toEqual([...lowers].sort((a: number, b: number) => b - a));

    const put = (token: string, body: unknown) =>
      fetch(`${gateway.url}/v1/models/fraud`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await put(INGEST_ONLY_TOKEN, { task: "binary", positive_class: "fraud" })).status).toBe(403);
    const bad = await put(TEST_TOKEN, { task: "binary" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain("positive_class");
    expect((await get("/v1/models/fraud/metrics", INGEST_ONLY_TOKEN)).status).toBe(403);
  });

  it("serve a multi-class model's precision, recall and F1 per class and window, by class name", async () => {
    const get = async (path: string) => {
      const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    // Per window of the whole population: a right prediction is a tp of its class; a wrong one a fp
    // of the predicted class and a fn of the true one.
    const expected = new Map<string, Map<string, { tp: number; fp: number; fn: number }>>();
    const pairs = new Map<string, Map<string, number>>();
    for (const [key, g] of groups(
      data.predictions.filter((p) => p.model_id === "intent"),
      winners,
      HOUR,
      [],
    )) {
      const per = new Map<string, { tp: number; fp: number; fn: number }>();
      const bump = (c: string, k: "tp" | "fp" | "fn") => {
        const e = per.get(c) ?? { tp: 0, fp: 0, fn: 0 };
        e[k]++;
        per.set(c, e);
      };
      const cells = new Map<string, number>();
      for (const { p, l } of g.labeled) {
        const scores = p.prediction.scores!;
        const predicted = Object.keys(scores).reduce((a, b) => (scores[b]! > scores[a]! ? b : a));
        cells.set(`${l.label}→${predicted}`, (cells.get(`${l.label}→${predicted}`) ?? 0) + 1);
        if (predicted === l.label) bump(predicted, "tp");
        else {
          bump(predicted, "fp");
          bump(l.label!, "fn");
        }
      }
      if (per.size > 0) {
        expected.set(key.split("|").slice(1, 4).join("|"), per);
        pairs.set(key.split("|").slice(1, 4).join("|"), cells);
      }
    }
    const res = await get("/v1/models/intent/classes?window=1h");
    expect(res.status).toBe(200);
    const served = res.body.windows.filter((w: any) => w.classes.length > 0);
    expect(served.map((w: any) => `${w.model_version}|${w.stage}|${Date.parse(w.window_start) / 1000}`).sort()).toEqual(
      [...expected.keys()].sort(),
    );
    for (const w of served) {
      const per = expected.get(`${w.model_version}|${w.stage}|${Date.parse(w.window_start) / 1000}`)!;
      expect(w.classes.map((c: any) => c.class)).toEqual([...per.keys()].sort());
      for (const c of w.classes) {
        const e = per.get(c.class)!;
        expect([c.tp, c.fp, c.fn]).toEqual([e.tp, e.fp, e.fn]);
        expectClose(c.f1, (2 * e.tp) / (2 * e.tp + e.fp + e.fn), `${c.class} f1`);
        expect(c.precision).toBe(e.tp + e.fp === 0 ? null : e.tp / (e.tp + e.fp));
      }
      // The confusion matrix's cells, by name.
      const cells = pairs.get(`${w.model_version}|${w.stage}|${Date.parse(w.window_start) / 1000}`)!;
      expect(Object.fromEntries(w.confusion.map((c: any) => [`${c.truth}→${c.predicted}`, c.count]))).toEqual(Object.fromEntries(cells));
    }
    const total = (c: string) => [...expected.values()].reduce((s, per) => s + (per.get(c)?.tp ?? 0), 0);
    for (const c of res.body.classes) expect(c.tp).toBe(total(c.class));
    expect((await get("/v1/models/fraud/classes")).status).toBe(400);
  });

  it("report group fairness over a sensitive slice key (API and view), equal to the confusion counts computed here", async () => {
    const get = async (path: string) => {
      const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    // Every labelled fraud prediction, by country: predicted fraud when score ≥ 0.5.
    const expected = new Map<string, { tp: number; fp: number; fn: number; tn: number }>();
    for (const p of data.predictions.filter((p) => p.model_id === "fraud")) {
      const l = winners.get(p.prediction_id);
      if (!l) continue;
      const c = expected.get(p.segments.country!) ?? { tp: 0, fp: 0, fn: 0, tn: 0 };
      const y = l.label === "fraud";
      const yhat = p.prediction.score! >= 0.5;
      c[y ? (yhat ? "tp" : "fn") : yhat ? "fp" : "tn"]++;
      expected.set(p.segments.country!, c);
    }
    const fairness = await get("/v1/models/fraud/fairness?key=country&window=1h&min_labeled=1");
    expect(fairness.status).toBe(200);
    expect(fairness.body.groups.map((g: any) => g.group)).toEqual([...expected.keys()].sort());
    const selection = (c: { tp: number; fp: number; fn: number; tn: number }) => (c.tp + c.fp) / (c.tp + c.fp + c.fn + c.tn);
    const reference = [...expected].sort((a, b) => selection(b[1]) - selection(a[1]))[0]!;
    expect(fairness.body.reference).toBe(reference[0]);
    for (const g of fairness.body.groups) {
      const c = expected.get(g.group)!;
      expectClose(g.rates.selection_rate.value, selection(c), `${g.group} selection rate`);
      expectClose(g.rates.true_positive_rate.value, c.tp / (c.tp + c.fn), `${g.group} TPR`);
      expectClose(g.rates.false_positive_rate.value, c.fp / (c.fp + c.tn), `${g.group} FPR`);
      expectClose(g.rates.accuracy.value, (c.tp + c.tn) / (c.tp + c.fp + c.fn + c.tn), `${g.group} accuracy`);
      const ratio = selection(c) / selection(reference[1]);
      expectClose(g.versus_reference.selection_rate.ratio, ratio, `${g.group} ratio`);
      expect(g.passes_four_fifths).toBe(ratio >= 0.8);
    }

    // The analysts' view: per window, each country's selection rate against the window's most selected country.
    const perWindow = new Map<string, { n: number; selected: number }>();
    for (const [key, g] of groups(
      data.predictions.filter((p) => p.model_id === "fraud"),
      winners,
      3_600_000,
      ["country"],
    )) {
      if (key.endsWith("||")) continue; // the population
      perWindow.set(key, { n: g.labeled.length, selected: g.labeled.filter(({ p }) => p.prediction.score! >= 0.5).length });
    }
    const view = await stack.clickhouse.rows(
      anyRow<{ key: string; n: string; selection_rate: number; selection_rate_ratio: number; passes_four_fifths: number }>(),
      sql`
      SELECT concat(model_id, '|', model_version, '|', stage, '|', toString(toUInt32(window_start)), '|', slice_key, '|', slice_value) AS key,
             n, selection_rate, selection_rate_ratio, passes_four_fifths
      FROM ${ident(`${stack.config.clickhouse.database}.slice_fairness`)} WHERE model_id = 'fraud' AND window_seconds = 3600 AND slice_key = 'country'`,
    );
    expect(view.map((v) => v.key).sort()).toEqual(
      [...perWindow]
        .filter(([, c]) => c.n > 0)
        .map(([k]) => k)
        .sort(),
    );
    const windowOf = (key: string) => key.split("|").slice(0, 4).join("|");
    for (const v of view) {
      const c = perWindow.get(v.key)!;
      expect(Number(v.n)).toBe(c.n);
      expectClose(v.selection_rate, c.selected / c.n, `${v.key} selection rate`);
      const best = Math.max(
        ...[...perWindow].filter(([k, o]) => windowOf(k) === windowOf(v.key) && o.n > 0).map(([, o]) => o.selected / o.n),
      );
      const ratio = best === 0 ? 1 : c.selected / c.n / best;
      expectClose(v.selection_rate_ratio, ratio, `${v.key} ratio`);
      expect(v.passes_four_fifths).toBe(ratio >= 0.8 ? 1 : 0);
    }

    const none = await get("/v1/models/fraud/fairness?key=device&window=1h");
    expect(none.status).toBe(200);
    expect(none.body.groups).toEqual([]);
    expect(none.body.note).toContain("slice keys");
    expect((await get("/v1/models/intent/fairness?key=country")).status).toBe(400);
    expect((await get("/v1/models/fraud/fairness")).status).toBe(400);
  });
});
