/**
 * Drift and data quality end to end, through real Kafka and ClickHouse: a seeded demo stream where
 * `amount` is scaled ×2.5 from a known window on and merchant category 'gaming' vanishes later.
 * The first drifted window of `amount` is the one where the shift starts, unchanged features stay
 * below their thresholds in at least 99% of windows, and the vanished category is a cardinality
 * violation; a replay from offset zero changes nothing. Then the HTTP API: an uploaded reference, a pinned one, the drift and quality
 * endpoints, and clear 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PredictionHttp } from "../schemas/events.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { createProducer } from "../services/common/kafka/client.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { createDemoTraffic } from "../services/demo/generator.js";
import { loadConfig } from "../services/common/config/env.js";
import { driftRepository } from "../services/common/clickhouse/drift.repository.js";
import { mergeInto, summariseValues, type FeatureSummary } from "../services/common/domain/drift/summary.js";
import { sliceDriftRepository } from "../services/common/clickhouse/slice-drift.repository.js";
import { mergeSliceWindows, type SliceWindow } from "../services/common/domain/drift/slice-drift.js";
import {
  startPipeline,
  startProcessor,
  stopPipeline,
  waitForProcessor,
  waitUntil,
  TEST_TOKEN,
  postAll,
  postJson,
  requestJson,
  type Pipeline,
} from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { alertSeriesRepository } from "../services/common/clickhouse/alert-series.repository.js";
import { RuleSchema } from "../schemas/rules.js";

const MINUTE = 60_000;
const START = Date.UTC(2024, 0, 1);
const HOURS = 4;
const SHIFT_FROM = START + 60 * MINUTE;
const SHIFT_TO = START + 120 * MINUTE;
const VANISH_FROM = START + 150 * MINUTE;
const VANISH_TO = START + 210 * MINUTE;

interface ScoreRow {
  model_version: string;
  ws: number;
  feature: string;
  drifted: number;
  decision: string;
  method: string;
  n: string;
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/**
 * Equal row for row; floats to 1e-12 relative, because ClickHouse may add a bin's values in another
 * order on another run (a Wasserstein distance can move in its last bits, a decision cannot).
 */
function expectSameRows(after: Array<Record<string, unknown>>, before: Array<Record<string, unknown>>): void {
  expect(after.length).toBe(before.length);
  after.forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) {
      const was = before[i]![k];
      if (typeof v === "number" && typeof was === "number")
        expect(Math.abs(v - was), `${k} of row ${i}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(was)));
      else expect(v, `${k} of row ${i}`).toEqual(was);
    }
  });
}

describe("drift and data quality", () => {
  let p: Pipeline;
  const q = <T>(text: ReturnType<typeof sql>) => p.stack.clickhouse.rows(anyRow<T>(), text);
  const t = (name: string) => ident(`${p.stack.config.clickhouse.database}.${name}`);
  let sent = 0;

  beforeAll(async () => {
    p = await startPipeline({
      HINDSIGHT_WINDOWS: "300,3600",
      HINDSIGHT_REFERENCE_ROWS: "2000",
      HINDSIGHT_METRICS_INTERVAL_MS: "200",
      // The per-slice test's model has six countries: the three busiest are scored, the rest counted.
      HINDSIGHT_DRIFT_SLICES_PER_KEY: "3",
    });
    const demo = createDemoTraffic({
      seed: 7,
      startMs: START,
      predictionsPerSecond: 8,
      incidents: [
        { kind: "feature_drift", feature: "amount", fromMs: SHIFT_FROM, toMs: SHIFT_TO, shift: 2.5 },
        { kind: "category_vanish", category: "gaming", replacement: "electronics", fromMs: VANISH_FROM, toMs: VANISH_TO },
      ],
    });
    const producer = await createProducer(p.stack.kafka);
    // Ten simulated minutes per send, in event-time order, as a live service would.
    for (let at = START + 10 * MINUTE; at <= START + HOURS * 60 * MINUTE; at += 10 * MINUTE) {
      const { predictions } = demo.advance(at);
      const messages = predictions.map((e) => {
        const event = { ...PredictionHttp.parse(e), received_at: null };
        return { key: event.prediction_id, value: encode("prediction", event) };
      });
      await producer.send(p.stack.config.topics.predictions, messages);
      sent += messages.length;
    }
    await waitForProcessor(p.stack, p.stack.config, 300_000);
  }, 600_000);
  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  async function scores(window: number): Promise<ScoreRow[]> {
    return q<ScoreRow>(sql`
      SELECT model_version, toUInt32(window_start) * 1000 AS ws, feature, drifted, decision, method, n
      FROM ${t("drift_scores")} WHERE model_id = 'fraud' AND window_seconds = ${window} ORDER BY ws`).then((rows) =>
      rows.map((r) => ({ ...r, ws: Number(r.ws) })),
    );
  }

  it("scores every window of both versions against automatic references", async () => {
    const rows = await scores(300);
    const counted = rows.filter((r) => r.feature === "country").reduce((s, r) => s + Number(r.n), 0);
    expect(counted).toBe(sent);
    const versions = new Set(rows.map((r) => r.model_version));
    expect(versions).toEqual(new Set(["v3", "v4"]));
    // v3 windows hold ~2,000 values (an effect size decides), v4 ~240 (a test of significance).
    expect(rows.find((r) => r.model_version === "v3" && r.feature === "amount")!.method).toBe("wasserstein");
    expect(rows.find((r) => r.model_version === "v4" && r.feature === "amount")!.method).toBe("ks");
    const refs = await q<{ model_version: string; source: string; rows: string }>(
      sql`SELECT model_version, source, rows FROM ${t("drift_references")} FINAL`,
    );
    expect(refs.map((r) => r.source)).toEqual(["auto", "auto"]);
    expect(refs.every((r) => Number(r.rows) >= 2000)).toBe(true);
  });

  it("flags amount first in the window where the shift starts, in both versions", async () => {
    const rows = await scores(300);
    for (const version of ["v3", "v4"]) {
      const amount = rows.filter((r) => r.model_version === version && r.feature === "amount");
      const first = amount.find((r) => Number(r.drifted) === 1);
      expect(first?.ws, version).toBe(SHIFT_FROM);
      // And it stays flagged while the shift lasts.
      const during = amount.filter((r) => r.ws >= SHIFT_FROM && r.ws < SHIFT_TO);
      expect(during.filter((r) => Number(r.drifted) === 1).length / during.length, version).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("keeps unchanged features below their thresholds in at least 99% of windows", async () => {
    const rows = await scores(300);
    // amount moves the model's score (and so its label); merchant_category changes when gaming vanishes.
    const affected = new Set(["amount", "prediction.score", "prediction.label", "merchant_category"]);
    const unchanged = rows.filter((r) => !affected.has(r.feature) && r.decision !== "insufficient_data");
    // 48 windows × 2 versions × 4 features
    expect(unchanged.length).toBe(384);
    const flagged = unchanged.filter((r) => Number(r.drifted) === 1);
    expect(flagged.length / unchanged.length).toBeLessThanOrEqual(0.01);
    const quiet = rows.filter((r) => r.feature === "merchant_category" && (r.ws < VANISH_FROM || r.ws >= VANISH_TO));
    expect(quiet.filter((r) => Number(r.drifted) === 1).length / quiet.length).toBeLessThanOrEqual(0.01);
  });

  it("shows the vanished category as a cardinality violation, only while it is gone", async () => {
    const checks = await q<{ model_version: string; ws: number; violated: number; detail: string }>(sql`
      SELECT model_version, toUInt32(window_start) * 1000 AS ws, violated, detail FROM ${t("data_quality")}
      WHERE model_id = 'fraud' AND window_seconds = 300 AND feature = 'merchant_category' AND check = 'cardinality' ORDER BY ws`).then(
      (rows) => rows.map((r) => ({ ...r, ws: Number(r.ws) })),
    );
    for (const version of ["v3", "v4"]) {
      const own = checks.filter((c) => c.model_version === version);
      const inside = own.filter((c) => c.ws >= VANISH_FROM && c.ws < VANISH_TO);
      const outside = own.filter((c) => c.ws < VANISH_FROM || c.ws >= VANISH_TO);
      expect(inside.length).toBe(12);
      expect(
        inside.every((c) => Number(c.violated) === 1 && c.detail.includes("gaming")),
        version,
      ).toBe(true);
      expect(
        outside.some((c) => Number(c.violated) === 1),
        version,
      ).toBe(false);
    }
  });

  it("combines base windows exactly into larger ones", async () => {
    const [five, hour] = await Promise.all([scores(300), scores(3600)]);
    const sum = (rows: ScoreRow[]) => rows.filter((r) => r.feature === "num_tx_24h").reduce((s, r) => s + Number(r.n), 0);
    expect(sum(hour)).toBe(sum(five));
    for (const version of ["v3", "v4"]) {
      const drifted = hour.filter((r) => r.model_version === version && r.feature === "amount" && Number(r.drifted) === 1);
      expect(drifted.map((r) => r.ws)).toEqual([SHIFT_FROM]);
    }
  });

  it("is unchanged by replaying the topic from offset zero into a fresh consumer group", async () => {
    const snapshot = () =>
      q<Record<string, unknown>>(sql`
        SELECT model_version, window_start, window_seconds, feature, method, score, p_value, drifted, psi, ks, jensen_shannon, wasserstein, chi2
        FROM ${t("drift_scores")} ORDER BY model_version, window_seconds, window_start, feature`);
    const quality = () =>
      q<Record<string, unknown>>(
        sql`SELECT * FROM ${t("data_quality")} ORDER BY model_version, window_seconds, window_start, feature, check`,
      );
    const [before, beforeQuality] = [await snapshot(), await quality()];
    const replayConfig = loadConfig({ ...p.stack.env, HINDSIGHT_CONSUMER_GROUP: `${p.stack.env.HINDSIGHT_CONSUMER_GROUP}-replay` });
    const replay = await startProcessor(replayConfig, p.stack.clickhouse);
    try {
      await waitForProcessor(p.stack, replayConfig, 300_000);
    } finally {
      await replay.stop();
    }
    expectSameRows(await snapshot(), before);
    expectSameRows(await quality(), beforeQuality);
  });

  it("summarises a window with no reference profiles yet: only its row count, no failing statement", async () => {
    const [first] = await q<{ version: string; ws: string; n: string }>(sql`
      SELECT model_version AS version, toUInt32(intDiv(toUInt32(event_time), 300) * 300) AS ws, count() AS n
      FROM ${t("prediction_events")} WHERE model_id = 'fraud' GROUP BY version, ws ORDER BY version, ws LIMIT 1`);
    const { version, ws, n } = first!;
    await driftRepository(p.stack.clickhouse).recomputeSummaries("fraud", version, "no-profiles", [], 300, [Number(ws)], Date.now());
    const rows = await q<{ feature: string; rows: string }>(sql`
      SELECT feature, rows FROM ${t("window_feature_summaries")} FINAL WHERE model_id = 'fraud' AND reference_id = 'no-profiles'`);
    expect(rows.map((r) => [r.feature, Number(r.rows)])).toContainEqual(["", Number(n)]);
  });

  it("watches a model whose predictions carry no features at all through its output", async () => {
    const producer = await createProducer(p.stack.kafka);
    const messages = Array.from({ length: 2_500 }, (_, i) => {
      const event = {
        ...PredictionHttp.parse({
          prediction_id: `bare-${i}`,
          model_id: "bare",
          model_version: "v1",
          timestamp: START + i * 1000,
          prediction: { score: (i % 100) / 100 },
        }),
        received_at: null,
      };
      return { key: event.prediction_id, value: encode("prediction", event) };
    });
    await producer.send(p.stack.config.topics.predictions, messages);
    await producer.disconnect();
    await waitForProcessor(p.stack, p.stack.config, 120_000);
    const rows = await q<{ feature: string; n: string }>(
      sql`SELECT feature, sum(n) AS n FROM ${t("drift_scores")} WHERE model_id = 'bare' AND window_seconds = 300 GROUP BY feature`,
    );
    expect(rows.map((r) => [r.feature, Number(r.n)])).toEqual([["prediction.score", 2_500]]);
  });

  it("takes an uploaded reference, and answers drift and quality over HTTP", async () => {
    const url = p.gateway.url;
    const sample = Array.from({ length: 500 }, (_, i) => ({
      features: { amount: 20 + (i % 50), country: ["US", "DE"][i % 2] },
      prediction: { score: (i % 100) / 100 },
    }));
    const up = await postJson(`${url}/v1/models/fraud/reference?model_version=v3`, sample);
    expect(up.status).toBe(201);
    expect(up.body.rows).toBe(500);
    const amount = up.body.features.find((f: { feature: string }) => f.feature === "amount");
    expect(amount.kind).toBe("numeric");
    expect(amount.proposed_rules).toMatchObject({ min: 20, max: 69, non_negative: true, required: true });

    // The bins ClickHouse counted equal the same values binned here, one by one.
    const profiles = await driftRepository(p.stack.clickhouse).loadProfiles(up.body.reference_id);
    for (const profile of profiles) {
      const values = sample.map((r) =>
        profile.feature === "prediction.score" ? r.prediction.score : r.features[profile.feature as "amount" | "country"],
      );
      const here = summariseValues(profile, values);
      expect([profile.feature, profile.n, profile.counts]).toEqual([profile.feature, here.n, here.counts]);
      if (profile.kind === "numeric") profile.sums.forEach((sum, i) => expect(sum).toBeCloseTo(here.sums[i]!, 9));
    }

    const got = await getJson(`${url}/v1/models/fraud/reference?model_version=v3`);
    expect(got.active.reference_id).toBe(up.body.reference_id);
    expect(got.features.map((f: { feature: string }) => f.feature)).toEqual(["amount", "country", "prediction.score"]);

    const drift = await fetch(`${url}/v1/models/fraud/drift?window=1h&model_version=v4&feature=amount&only=drifted`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(drift.status).toBe(200);
    const body = (await drift.json()) as any;
    expect(body.scores.map((s: { window_start_ms: number }) => s.window_start_ms)).toEqual([SHIFT_FROM]);
    expect(body.scores[0]).toMatchObject({ feature: "amount", drifted: true, method: expect.any(String) });

    const quality = await getJson(`${url}/v1/models/fraud/quality?window=5m&model_version=v3&only=violated&feature=merchant_category`);
    expect(quality.checks.length).toBeGreaterThanOrEqual(12);
    expect(quality.checks.every((c: { violated: boolean }) => c.violated)).toBe(true);
  });

  it("pins a time range as the reference, and refuses bad requests clearly", async () => {
    const url = p.gateway.url;
    const pinned = await postJson(`${url}/v1/models/fraud/reference`, { from: START, to: START + 30 * MINUTE, model_version: "v3" });
    expect(pinned.status).toBe(201);
    expect(pinned.body).toMatchObject({ source: "range", model_version: "v3", from_ms: START });
    expect(pinned.body.rows).toBeGreaterThan(10_000);

    const bad = await postJson(`${url}/v1/models/fraud/reference`, [{ amount: 1 }, { amount: { nested: true } }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^row 1: amount/);
    expect((await postJson(`${url}/v1/models/fraud/reference`, [])).status).toBe(400);
    const tooMany = await postJson(
      `${url}/v1/models/fraud/reference`,
      Array.from({ length: 200_001 }, () => ({ a: 1 })),
    );
    expect(tooMany.status).toBe(413);
    expect((await postJson(`${url}/v1/models/fraud/reference`, { from: START, to: START + 1000 })).body.error.message).toMatch(
      /^model_version/,
    );
    expect((await postJson(`${url}/v1/models/fraud/reference`, { from: START, to: START - 1, model_version: "v3" })).status).toBe(400);
    const empty = await postJson(`${url}/v1/models/fraud/reference`, { from: START - 3_600_000, to: START - 60_000, model_version: "v3" });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/no rows/);
    const window = await fetch(`${url}/v1/models/fraud/drift?window=7m`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(window.status).toBe(400);
    const noToken = await fetch(`${url}/v1/models/fraud/drift`);
    expect(noToken.status).toBe(401);
  });
  it("flags drift within one slice that the overall drift dilutes away, per declared slice key", async () => {
    // 2,000 predictions in one hour; countries by position (FR 40 %, US 35 %, DE 10 %, ES, PL and IT
    // 5 % each), so DE is the third busiest in every base window. Only DE's x moves, by 0.6 sd:
    // about 0.06 sd over all traffic, under the Wasserstein threshold of 0.1.
    const url = p.gateway.url;
    const hour = Date.UTC(2024, 1, 1, 10);
    const countries = [
      "FR",
      "FR",
      "FR",
      "FR",
      "FR",
      "FR",
      "FR",
      "FR",
      "US",
      "US",
      "US",
      "US",
      "US",
      "US",
      "US",
      "DE",
      "DE",
      "ES",
      "PL",
      "IT",
    ];
    const rng = seededRandom(18);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const row = (country: string, shift: number) => ({
      features: { x: normal() + shift, plan: rng() < 0.3 ? "pro" : "free" },
      prediction: { label: "no", score: Math.round(rng() * 1000) / 1000 },
      country,
    });
    const declared = await requestJson("PUT", `${url}/v1/models/sliced`, {
      task: "binary",
      positive_class: "yes",
      slice_keys: ["country"],
    });
    expect(declared.status).toBe(200);
    const reference = Array.from({ length: 2000 }, (_, i) => row(countries[i % 20]!, 0));
    const up = await postJson(
      `${url}/v1/models/sliced/reference?model_version=v1`,
      reference.map(({ features, prediction }) => ({ features, prediction })),
    );
    expect(up.status).toBe(201);
    const events = Array.from({ length: 2000 }, (_, i) => {
      const r = row(countries[i % 20]!, countries[i % 20] === "DE" ? 0.6 : 0);
      return {
        prediction_id: `s-${i}`,
        model_id: "sliced",
        model_version: "v1",
        stage: "production",
        timestamp: hour + i * 1800,
        features: r.features,
        prediction: r.prediction,
        segments: { country: r.country, device: i % 2 ? "web" : "ios" },
      };
    });
    await postAll(url, "/v1/predictions", events);
    const sliceRows = () =>
      q<{ slice_value: string; feature: string; drifted: number; rows: string; other_rows: string; method: string }>(sql`
        SELECT slice_value, feature, drifted, rows, other_rows, method FROM ${t("slice_drift_scores")}
        WHERE model_id = 'sliced' AND window_seconds = 3600 AND slice_key = 'country' ORDER BY slice_value, feature`);
    const rows = await waitUntil(
      "the hour's slices scored over all its rows",
      sliceRows,
      (r) => r.filter((x) => x.feature === "x").reduce((n, x) => n + Number(x.rows), 0) + Number(r[0]?.other_rows ?? 0) === 2000,
      60_000,
    );
    const x = rows.filter((r) => r.feature === "x");
    // The three busiest countries are scored; ES, PL and IT (300 rows) are counted, not listed.
    expect(x.map((r) => [r.slice_value, Number(r.rows), Number(r.other_rows)])).toEqual([
      ["DE", 200, 300],
      ["FR", 800, 300],
      ["US", 700, 300],
    ]);
    expect(x.filter((r) => Number(r.drifted) === 1).map((r) => r.slice_value)).toEqual(["DE"]);
    expect(rows.filter((r) => r.feature !== "x" && Number(r.drifted) === 1)).toEqual([]);
    const overall = await q<{ drifted: number; method: string; n: string }>(sql`
      SELECT drifted, method, n FROM ${t("drift_scores")}
      WHERE model_id = 'sliced' AND window_seconds = 3600 AND feature = 'x'`);
    expect(overall).toEqual([{ drifted: 0, method: "wasserstein", n: "2000" }]);

    // A drift rule with a target slice judges the slices: "country=*" breaches on DE's x alone.
    const series = alertSeriesRepository(p.stack.clickhouse);
    const rule = RuleSchema.parse({
      id: "x-per-country",
      kind: "threshold",
      metric: "drift.x",
      window: "1h",
      target: { model: "sliced", slice: "country=*" },
    });
    const judged = async (slice?: string) =>
      (await series.drift({ ...rule, target: { model: "sliced", slice } }, 3600, hour / 1000)).map((r) => [r.slice, r.breach]);
    expect(await judged("country=*")).toEqual([
      ["country=DE", true],
      ["country=FR", false],
      ["country=US", false],
    ]);
    expect(await judged("country=FR")).toEqual([["country=FR", false]]);
    expect(await judged(undefined)).toEqual([["", false]]);
    expect((await judged("*")).length).toBe(4);

    // Over HTTP: one slice's scores, the slices ranked, and clear 400s.
    const get = (path: string) => requestJson("GET", `${url}${path}`);
    const de = await get("/v1/models/sliced/drift?window=1h&slice=country=DE&feature=x");
    expect(de.status).toBe(200);
    expect(de.body).toMatchObject({ slice: { key: "country", value: "DE" } });
    expect(de.body.scores).toEqual([
      expect.objectContaining({ slice_value: "DE", feature: "x", drifted: true, rows: 200, other_rows: 300 }),
    ]);
    const listed = await get("/v1/models/sliced/drift/slices?window=1h");
    expect(listed.status).toBe(200);
    expect(listed.body.slice_keys).toEqual(["country"]);
    expect(listed.body.slices[0]).toEqual({
      slice_key: "country",
      slice_value: "DE",
      windows: 1,
      rows: 200,
      drifted_windows: 1,
      drifted_features: ["x"],
    });
    for (const [path, message] of [
      ["/v1/models/sliced/drift?window=1h&slice=country", /^slice: expected key=value/],
      ["/v1/models/sliced/drift?window=1h&slice=device=web", /^slice: "device" is not a declared slice key/],
      ["/v1/models/fraud/drift?window=1h&slice=country=DE", /^slice: the model declares no slice keys/],
      ["/v1/models/sliced/quality?window=1h&slice=country=DE", /^slice: data quality is checked over all traffic/],
      ["/v1/models/sliced/drift/slices?window=7m", /^window: 420 s is not a configured window size/],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.message, path).toMatch(message);
    }
  }, 90_000);

  it("merges base windows into a larger one in ClickHouse exactly as one by one, and reads a slice too small to decide as its row count", async () => {
    // The 'sliced' model's hour above: twelve 5-minute base windows.
    const from = Date.UTC(2024, 1, 1, 10) / 1000;
    const drift = driftRepository(p.stack.clickhouse);
    const reference = (await drift.activeReference("sliced", "v1"))!;
    const profiles = await drift.loadProfiles(reference.reference_id);
    const oneByOne = <T extends { feature: string }>(parts: T[][], merge: (a: T, b: T) => void): Map<string, T> => {
      const out = new Map<string, T>();
      for (const part of parts)
        for (const s of part) {
          const acc = out.get(s.feature);
          if (acc) merge(acc, s);
          else out.set(s.feature, structuredClone(s));
        }
      return out;
    };
    const expectSame = (got: FeatureSummary[], want: Map<string, FeatureSummary>) => {
      expect(got.map((s) => s.feature).sort()).toEqual([...want.keys()].sort());
      for (const s of got) {
        const w = want.get(s.feature)!;
        expect({ ...s, sums: [] }, s.feature).toEqual({ ...w, sums: [] });
        s.sums.forEach((v, i) => expect(v).toBeCloseTo(w.sums[i]!, 9));
      }
    };
    const base = await drift.readSummaries("sliced", "v1", reference.reference_id, profiles, from, from + 3600);
    expect(base.size).toBe(12);
    const hour = await drift.readSummaries("sliced", "v1", reference.reference_id, profiles, from, from + 3600, 3600);
    expect([...hour.keys()]).toEqual([from]);
    const ordered = [...base.keys()].sort((a, b) => a - b).map((w) => base.get(w)!);
    expectSame(hour.get(from)!, oneByOne(ordered, mergeInto));

    const slices = sliceDriftRepository(p.stack.clickhouse);
    const baseSlices = await slices.readSummaries("sliced", "v1", reference.reference_id, profiles, from, from + 3600);
    const merged = mergeSliceWindows([...baseSlices.keys()].sort((a, b) => a - b).map((w) => baseSlices.get(w)!));
    // At least 750 rows: FR (800) is read whole; US (700) and DE (200) by their rows only.
    const read = (
      await slices.readSummaries("sliced", "v1", reference.reference_id, profiles, from, from + 3600, {
        windowSeconds: 3600,
        minRows: 750,
      })
    ).get(from)!;
    expect(read.otherRows).toEqual(merged.otherRows);
    const byValue = (w: SliceWindow) => new Map(w.slices.map((s) => [s.value, s]));
    const want = byValue(merged);
    for (const s of read.slices) {
      expect(s.rows, s.value).toBe(want.get(s.value)!.rows);
      if (s.rows >= 750) expectSame(s.features, new Map(want.get(s.value)!.features.map((f) => [f.feature, f])));
      else
        expect(
          s.features.every((f) => f.n === 0 && f.present === 0),
          s.value,
        ).toBe(true);
    }
    expect(read.slices.map((s) => [s.value, s.rows >= 750])).toEqual(
      expect.arrayContaining([
        ["DE", false],
        ["FR", true],
        ["US", false],
      ]),
    );
  });
});
