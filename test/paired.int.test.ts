/**
 * Paired comparison through the real gateway, Kafka and ClickHouse: a production and a shadow
 * version score the same requests, label teams post one label per request (by request id, without
 * knowing the variants), and GET /v1/models/:id/compare answers with the counts worked out here.
 * Every request's label arrives before its shadow variant, and one request's variants straddle a
 * window boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { RuleSchema } from "../schemas/rules.js";
import { type Pipeline, count, postAll, requestJson, startPipeline, stopPipeline, waitForProcessor } from "./helpers/harness.js";

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const COUNTRIES = ["DE", "FR", "BR"];
const LABELLED = 60; // requests 0–59 labelled; 60–69 paired but unlabelled; 70–74 production only
const PAIRED = 70;
const ALL = 75;

// Request i: production at T0 + 20 s·i − 0.5 s, shadow 0.7 s later (request 15's pair straddles 10:05).
const prodTime = (i: number) => T0 + i * 20_000 - 500;
const scoreA = (i: number) => ((i * 37) % 100) / 100;
const truth = (i: number) => ((i * 7) % 3 === 0 ? "fraud" : "legit");
// The shadow knows every fourth request's answer, so it is right more often than production (20 pairs to 12).
const scoreB = (i: number) => (i % 4 === 0 ? (truth(i) === "fraud" ? 0.9 : 0.1) : ((i * 53 + 11) % 100) / 100);
const country = (i: number) => COUNTRIES[i % 3]!;

const variant = (i: number, which: "a" | "b") => ({
  prediction_id: `${which}-${i}`,
  request_id: `r-${i}`,
  model_id: "shadowed",
  model_version: which === "a" ? "v1" : "v2",
  stage: which === "a" ? "production" : "shadow",
  timestamp: prodTime(i) + (which === "a" ? 0 : 700),
  prediction: { score: which === "a" ? scoreA(i) : scoreB(i) },
  segments: { country: country(i) },
});

/** The counts a paired comparison of requests `ids` must report, worked out from the generator. */
function expected(ids: number[]) {
  const out = { pairs: 0, agreeing: 0, labelled: 0, both_right: 0, only_a: 0, only_b: 0, both_wrong: 0 };
  for (const i of ids) {
    if (i >= PAIRED) continue;
    const ya = scoreA(i) >= 0.5 ? "fraud" : "legit";
    const yb = scoreB(i) >= 0.5 ? "fraud" : "legit";
    out.pairs++;
    if (ya === yb) out.agreeing++;
    if (i >= LABELLED) continue;
    out.labelled++;
    const ra = ya === truth(i);
    const rb = yb === truth(i);
    if (ra && rb) out.both_right++;
    else if (ra) out.only_a++;
    else if (rb) out.only_b++;
    else out.both_wrong++;
  }
  return out;
}

const ROUTES = Array.from({ length: 20 }, (_, k) => k);
const queue = (k: number) => ["billing", "technical", "account"][k % 3]!;

// A regression model: ETA variants, request j's true value 100 + j, A off by (j % 5), B by 2 − (j % 3).
const ETA = 30;
const etaA = (j: number) => 100 + j + (j % 5);
const etaB = (j: number) => 100 + j - 2 + (j % 3);

describe("paired comparison of variants on the same requests", () => {
  let p: Pipeline;
  const compare = (model: string, query: string) => requestJson("GET", `${p.gateway.url}/v1/models/${model}/compare?${query}`);

  beforeAll(async () => {
    p = await startPipeline();
    const declare = (id: string, body: object) => requestJson("PUT", `${p.gateway.url}/v1/models/${id}`, body);
    expect((await declare("shadowed", { task: "binary", positive_class: "fraud", threshold: 0.5, slice_keys: ["country"] })).status).toBe(
      200,
    );
    expect((await declare("eta", { task: "regression" })).status).toBe(200);
    expect((await declare("router", { task: "multiclass" })).status).toBe(200);
    const ids = Array.from({ length: ALL }, (_, i) => i);
    // The incumbent's predictions, then one label per request naming only the request, then the shadow's.
    await postAll(p.gateway.url, "/v1/predictions", [
      ...ids.map((i) => variant(i, "a")),
      ...Array.from({ length: ETA }, (_, j) => ({
        prediction_id: `eta-a-${j}`,
        request_id: `q-${j}`,
        model_id: "eta",
        model_version: "m1",
        timestamp: T0 + j * 1000,
        prediction: { value: etaA(j) },
      })),
    ]);
    await postAll(p.gateway.url, "/v1/labels", [
      ...ids
        .filter((i) => i < LABELLED)
        .map((i) => ({ request_id: `r-${i}`, model_id: "shadowed", label: truth(i), labeled_at: T0 + 86_400_000, source: "review" })),
      ...Array.from({ length: ETA }, (_, j) => ({ request_id: `q-${j}`, model_id: "eta", value: 100 + j, labeled_at: T0 + 86_400_000 })),
    ]);
    // A multi-class model: request k's queue, production right on every other request, the canary on all but k % 5 = 0.
    await postAll(
      p.gateway.url,
      "/v1/labels",
      ROUTES.map((_, k) => ({ request_id: `t-${k}`, model_id: "router", label: queue(k), labeled_at: T0 + 86_400_000 })),
    );
    await waitForProcessor(p.stack);
    await postAll(p.gateway.url, "/v1/predictions", [
      ...ROUTES.flatMap((_, k) =>
        (["production", "canary"] as const).map((stage) => ({
          prediction_id: `router-${stage}-${k}`,
          request_id: `t-${k}`,
          model_id: "router",
          model_version: stage === "production" ? "r1" : "r2",
          stage,
          timestamp: T0 + k * 1000,
          prediction: { label: (stage === "production" ? k % 2 === 0 : k % 5 !== 0) ? queue(k) : "spam" },
        })),
      ),
      ...ids.filter((i) => i < PAIRED).map((i) => variant(i, "b")),
      ...Array.from({ length: ETA }, (_, j) => ({
        prediction_id: `eta-b-${j}`,
        request_id: `q-${j}`,
        model_id: "eta",
        model_version: "m2",
        stage: "canary",
        timestamp: T0 + j * 1000 + 250,
        prediction: { value: etaB(j) },
      })),
    ]);
    await waitForProcessor(p.stack);
  }, 90_000);
  afterAll(async () => stopPipeline(p ?? {}));

  it("joins each request's one label to both variants, the one that came after the label too", async () => {
    const labelled = await count(p.stack, "labeled_predictions", sql`FINAL WHERE model_id = 'shadowed'`);
    expect(labelled).toBe(2 * LABELLED);
    const [shadow] = await p.stack.clickhouse.rows(
      anyRow<{ n: string }>(),
      sql`SELECT count() AS n FROM ${ident(`${p.stack.config.clickhouse.database}.labeled_predictions`)} FINAL
          WHERE model_id = 'shadowed' AND stage = 'shadow' AND request_id != '' AND label IS NOT NULL`,
    );
    expect(Number(shadow!.n)).toBe(LABELLED);
    // A request's label is no orphan once a variant of its request has been seen.
    const [quality] = await p.stack.clickhouse.rows(
      anyRow<{ labels: string; orphans: string }>(),
      sql`SELECT toString(labels) AS labels, toString(orphans) AS orphans FROM ${ident(`${p.stack.config.clickhouse.database}.label_quality`)}
          WHERE model_id = 'shadowed'`,
    );
    expect(quality).toEqual({ labels: String(LABELLED), orphans: "0" });
    // The analysts' raw views carry the request id.
    const [raw] = await p.stack.clickhouse.rows(
      anyRow<{ p: string; l: string }>(),
      sql`SELECT (SELECT toString(uniqExact(request_id)) FROM ${ident(`${p.stack.config.clickhouse.database}.prediction_events`)} WHERE model_id = 'shadowed') AS p,
                 (SELECT toString(countIf(prediction_id = '' AND request_id != '')) FROM ${ident(`${p.stack.config.clickhouse.database}.label_events`)} WHERE model_id = 'shadowed') AS l`,
    );
    expect(raw).toEqual({ p: String(ALL), l: String(LABELLED) });
  });

  it("answers the paired counts, interval, test and reading, oriented as asked", async () => {
    const all = expected(Array.from({ length: ALL }, (_, i) => i));
    const res = await compare("shadowed", "a=v1&b=v2");
    expect(res.status, res.text).toBe(200);
    const c = res.body.comparison;
    expect(c.a).toEqual({ version: "v1", stage: "production" });
    expect(c.b).toEqual({ version: "v2", stage: "shadow" });
    expect(c.pairs).toBe(all.pairs);
    expect(c.agreement.value).toBeCloseTo(all.agreeing / all.pairs, 12);
    expect(c.classification.labelled_pairs).toBe(all.labelled);
    expect(c.classification.table).toEqual({
      both_right: all.both_right,
      only_a: all.only_a,
      only_b: all.only_b,
      both_wrong: all.both_wrong,
    });
    expect(c.classification.difference.value).toBeCloseTo((all.only_b - all.only_a) / all.labelled, 12);
    expect(c.classification.difference.low).toBeLessThan(c.classification.difference.value);
    expect(c.classification.mcnemar.discordant).toBe(all.only_a + all.only_b);
    // 60 labelled pairs are fewer than the default 100: the reading holds, and says why.
    expect(c.reading).toBe("hold");
    expect(c.evidence).toMatch(/fewer than 100 labelled pairs \(60\)/);
    expect(all).toMatchObject({ only_a: 12, only_b: 20 });
    expect(res.body.available).toEqual([{ a: c.a, b: c.b, pairs: all.pairs }]);

    // Asked the other way round, the discordant cells trade places and the difference changes sign.
    const back = (await compare("shadowed", "a=v2&b=v1")).body.comparison;
    expect(back.classification.table).toMatchObject({ only_a: all.only_b, only_b: all.only_a });
    expect(back.classification.difference.value).toBeCloseTo(-c.classification.difference.value, 12);
    // With fewer pairs required, the reading comes from the interval.
    const read = (await compare("shadowed", "a=v1&b=v2&min_pairs=10")).body.comparison;
    expect(read.evidence).toMatch(/over 60 labelled pairs/);
  });

  it("compares within a slice and over a time range", async () => {
    const de = Array.from({ length: ALL }, (_, i) => i).filter((i) => country(i) === "DE");
    const res = await compare("shadowed", "a=v1&b=v2&slice_key=country&slice_value=DE");
    expect(res.status, res.text).toBe(200);
    const want = expected(de);
    expect(res.body.comparison.pairs).toBe(want.pairs);
    expect(res.body.comparison.classification.table).toEqual({
      both_right: want.both_right,
      only_a: want.only_a,
      only_b: want.only_b,
      both_wrong: want.both_wrong,
    });
    // The 10:00–10:05 window: requests 1–15 (request 0 came at 09:59:59.5; 15's variants straddle
    // 10:05, and the pair belongs to the earlier one's window).
    const first = (await compare("shadowed", `a=v1&b=v2&from=${T0}&to=${T0 + 300_000}`)).body.comparison;
    expect(first.pairs).toBe(expected(Array.from({ length: 15 }, (_, i) => i + 1)).pairs);
  });

  it("answers the difference per window with window=, each window's counts and interval those of the total over it", async () => {
    const W = 300_000;
    const res = await compare("shadowed", "a=v1&b=v2&window=5m");
    expect(res.status, res.text).toBe(200);
    expect(res.body.comparison.pairs).toBe(expected(Array.from({ length: ALL }, (_, i) => i)).pairs);
    expect(res.body).toMatchObject({ window_seconds: 300, windows_truncated: false });
    // The pair belongs to the window of its request's first variant (production): group the requests sent by it.
    const byWindow = new Map<number, number[]>();
    for (let i = 0; i < PAIRED; i++) {
      const start = Math.floor(prodTime(i) / W) * W;
      byWindow.set(start, [...(byWindow.get(start) ?? []), i]);
    }
    const starts = [...byWindow.keys()].sort((x, y) => x - y);
    const windows = res.body.windows as Array<{
      window_start: string;
      pairs: number;
      labelled: number;
      accuracy_difference: { value: number; low: number; high: number } | null;
    }>;
    expect(windows.map((w) => w.window_start)).toEqual(starts.map((t) => new Date(t).toISOString()));
    const total = res.body.comparison;
    expect(windows.reduce((n, w) => n + w.pairs, 0)).toBe(total.pairs);
    expect(windows.reduce((n, w) => n + w.labelled, 0)).toBe(total.classification.labelled_pairs);
    for (const [k, w] of windows.entries()) {
      const want = expected(byWindow.get(starts[k]!)!);
      expect([w.pairs, w.labelled]).toEqual([want.pairs, want.labelled]);
      if (want.labelled === 0) {
        expect(w.accuracy_difference).toBeNull();
        continue;
      }
      expect(w.accuracy_difference!.value).toBeCloseTo((want.only_b - want.only_a) / want.labelled, 12);
      // The same interval as the total's over that window alone.
      const alone = (await compare("shadowed", `a=v1&b=v2&from=${starts[k]}&to=${starts[k]! + W}`)).body.comparison;
      expect(alone.classification.table).toEqual({
        both_right: want.both_right,
        only_a: want.only_a,
        only_b: want.only_b,
        both_wrong: want.both_wrong,
      });
      expect(w.accuracy_difference).toEqual(alone.classification.difference);
    }
    // Requests 61–69 are paired but unlabelled: their window has no difference.
    expect(windows.at(-1)).toMatchObject({ pairs: 9, labelled: 0, accuracy_difference: null });

    // Asked the other way round, each window's difference changes sign; without window= the answer has no windows.
    const back = (await compare("shadowed", "a=v2&b=v1&window=5m")).body.windows as typeof windows;
    expect(back.map((w) => w.pairs)).toEqual(windows.map((w) => w.pairs));
    for (const [k, w] of back.entries()) {
      const d = windows[k]!.accuracy_difference;
      if (d === null) expect(w.accuracy_difference).toBeNull();
      else expect(w.accuracy_difference!.value).toBeCloseTo(-d.value, 12);
    }
    expect((await compare("shadowed", "a=v1&b=v2")).body).not.toHaveProperty("windows");
    // Hours: request 0 in the 09:00 hour, the rest in the 10:00 one.
    const hours = (await compare("shadowed", "a=v1&b=v2&window=1h")).body.windows;
    expect(hours.map((w: { window_start: string; pairs: number }) => [w.window_start, w.pairs])).toEqual([
      [new Date(T0 - 3_600_000).toISOString(), 1],
      [new Date(T0).toISOString(), PAIRED - 1],
    ]);
  });

  it("gives regression variants' windows the t-interval of the total over them, and refuses a window size not configured", async () => {
    const res = await compare("eta", "a=m1&b=m2&window=1h");
    expect(res.status, res.text).toBe(200);
    expect(res.body.windows).toEqual([
      {
        window_start: new Date(T0).toISOString(),
        pairs: ETA,
        labelled: ETA,
        abs_error_difference: {
          value: res.body.comparison.regression.difference.value,
          low: res.body.comparison.regression.difference.low,
          high: res.body.comparison.regression.difference.high,
        },
      },
    ]);
    const bad = await compare("shadowed", "a=v1&b=v2&window=7m");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("window: 420 s is not a configured window size (HINDSIGHT_WINDOWS)");
    const unreadable = await compare("shadowed", "a=v1&b=v2&window=weekly");
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.error.message).toMatch(/^window: a window such as 5m, 1h, 1d or seconds/);
  });

  it("compares multi-class variants by the predicted class", async () => {
    const c = (await compare("router", "a=r1&b=r2")).body.comparison;
    // Both right where k is even and k % 5 ≠ 0 (8 of 20); only production at k = 0, 10; only the canary at the 8 odd k ≠ 5, 15.
    expect(c.classification.table).toEqual({ both_right: 8, only_a: 2, only_b: 8, both_wrong: 2 });
    // The same class: both right, or both "spam" (k = 5, 15).
    expect(c.agreement.value).toBeCloseTo(10 / 20, 12);
  });

  it("compares regression variants by the paired difference in absolute error", async () => {
    const res = await compare("eta", "a=m1&b=m2");
    expect(res.status, res.text).toBe(200);
    const r = res.body.comparison.regression;
    const js = Array.from({ length: ETA }, (_, j) => j);
    const errA = js.map((j) => Math.abs(100 + j - etaA(j)));
    const errB = js.map((j) => Math.abs(100 + j - etaB(j)));
    const d = js.map((j) => errB[j]! - errA[j]!);
    const mean = d.reduce((a, b) => a + b, 0) / ETA;
    expect(r.labelled_pairs).toBe(ETA);
    expect(r.mae_a).toBeCloseTo(errA.reduce((a, b) => a + b, 0) / ETA, 12);
    expect(r.mae_b).toBeCloseTo(errB.reduce((a, b) => a + b, 0) / ETA, 12);
    expect(r.difference.value).toBeCloseTo(mean, 12);
    // Half-width = t(0.975, 29) · sd / √n, with t(0.975, 29) = 2.0452296421327 (scipy.stats.t.ppf).
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (ETA - 1));
    expect(r.difference.high - r.difference.value).toBeCloseTo((2.0452296421327 * sd) / Math.sqrt(ETA), 9);
    expect(res.body.comparison.agreement).toBeNull();
  });

  it("gives alert rules the shadow's accuracy minus production's per window (paired_accuracy_difference)", async () => {
    const rule = RuleSchema.parse({
      id: "shadow-worse",
      kind: "threshold",
      metric: "paired_accuracy_difference",
      op: "<",
      threshold: -0.05,
      window: "1h",
      target: { model: "shadowed", stage: "shadow" },
    });
    const rows = await alertSeriesRepository(p.stack.clickhouse).performance(rule, 3600, T0 / 1000 - 3600);
    // Request 0 is in the 09:00 hour, the others in the 10:00 one: the windows' labelled pairs and gains add up to the whole.
    expect(rows.map((r) => [r.model_version, r.stage, r.window_start_ms])).toEqual([
      ["v2", "shadow", T0 - 3_600_000],
      ["v2", "shadow", T0],
    ]);
    const all = expected(Array.from({ length: ALL }, (_, i) => i));
    expect(rows.reduce((a, r) => a + r.n, 0)).toBe(all.labelled);
    expect(rows.reduce((a, r) => a + r.value! * r.n, 0)).toBeCloseTo(all.only_b - all.only_a, 9);
    const ten = expected(Array.from({ length: ALL - 1 }, (_, i) => i + 1));
    expect(rows[1]!.value).toBeCloseTo((ten.only_b - ten.only_a) / ten.labelled, 12);
    expect(rows[1]!.coverage).toBeCloseTo(ten.labelled / ten.pairs, 12);
  });

  it("refuses unknown variants and half-given pairs with clear 4xx errors; the analysts' view holds the same counts", async () => {
    const unknown = await compare("shadowed", "a=v1&b=v9");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "unknown_variant" });
    expect(unknown.body.error.message).toMatch(/no paired traffic of version 'v9'.*v1 \(production\), v2 \(shadow\)/);
    const half = await compare("shadowed", "a=v1");
    expect(half.status).toBe(400);
    expect(half.body.error.message).toMatch(/give both a and b/);
    expect((await compare("shadowed", "a=v1&b=v2&confidence=0.5")).status).toBe(400);
    expect((await compare("no-such-model", "a=v1&b=v2")).status).toBe(404);

    // The analysts' view (its grants and model limits: sql-model-limits.int.test.ts).
    const rows = await p.stack.clickhouse.rows(
      anyRow<Record<string, string>>(),
      sql`SELECT toString(sum(pairs)) AS pairs, toString(sum(labelled)) AS labelled, toString(sum(only_a)) AS only_a, toString(sum(only_b)) AS only_b
          FROM ${ident(`${p.stack.config.clickhouse.database}.paired_comparison`)}
          WHERE model_id = 'shadowed' AND window_seconds = 3600 AND slice_key = ''`,
    );
    const all = expected(Array.from({ length: ALL }, (_, i) => i));
    expect(rows).toEqual([{ pairs: `${all.pairs}`, labelled: `${all.labelled}`, only_a: `${all.only_a}`, only_b: `${all.only_b}` }]);
  });
});
