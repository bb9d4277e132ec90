/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against the real
 * stack: seeded demo traffic with late labels, `amount` shifted ×2.5 for one hour and country BR's
 * accuracy dropped, through Kafka, the processor and ClickHouse, served by the gateway in-process.
 * Every page is checked against the API's own answers and photographed to docs/screenshots/.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PredictionHttp, LabelHttp } from "../schemas/events.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { createProducer, type KafkaProducer } from "../services/common/kafka/client.js";
import { alertsRepository } from "../services/common/clickhouse/alerts.repository.js";
import { createLogger } from "../services/common/observability/logger.js";
import { createAlerting } from "../services/evaluator/service.js";
import { createDemoTraffic } from "../services/demo/generator.js";
import { ROOT } from "../infra/local/paths.js";
import { startPipeline, stopPipeline, waitForProcessor, postJson, TEST_TOKEN, type Pipeline } from "./helpers/harness.js";
import { ensureDashboardBuilt, launchChromium } from "./helpers/browser.js";
import { ANALYST_TEST_USER, claimAnalystDatabase, releaseAnalystDatabase } from "./helpers/analyst-db.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Recent event time, in whole hours: the alert evaluator looks back only a few days from the wall
// clock (HINDSIGHT_ALERT_LOOKBACK_DAYS), and hourly windows stay aligned.
const START = Math.floor((Date.now() - 7 * HOUR) / HOUR) * HOUR;
const HOURS = 3;
const SHIFT_FROM = START + 60 * MINUTE;
const SHIFT_TO = START + 120 * MINUTE;
const SCREENSHOTS = join(ROOT, "docs", "screenshots");
const RULES = `
rules:
  - id: amount-drift
    name: amount drifted
    kind: threshold
    metric: drift.amount
    window: 5m
    for: 10m
    target: { model: fraud }
  - id: segment-accuracy
    name: Accuracy of a country below 0.7
    kind: threshold
    metric: accuracy
    op: "<"
    threshold: 0.7
    confidence: 0.95
    min_coverage: 0.6
    window: 5m
    for: 10m
    severity: critical
    target: { model: fraud, stage: production, slice: "country=*" }
`;

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(res.status).toBe(200);
  return res.json();
}

describe("dashboard in a browser", () => {
  let p: Pipeline;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let db: string | undefined;
  let producer: KafkaProducer;
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    ensureDashboardBuilt();
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The SQL console runs as the read-only analyst user, which may read only a few fixed databases.
    db = await claimAnalystDatabase(inject("stack").clickhouseUrl);
    p = await startPipeline({
      CLICKHOUSE_DATABASE: db,
      CLICKHOUSE_ANALYST_USER: ANALYST_TEST_USER,
      HINDSIGHT_WINDOWS: "300,3600,86400",
      HINDSIGHT_REFERENCE_ROWS: "2000",
      HINDSIGHT_METRICS_INTERVAL_MS: "300",
    });
    producer = await createProducer(p.stack.kafka);
    const [launched] = await Promise.all([launchChromium(), sendDemoTraffic(p, producer)]);
    browser = launched;
    await waitForProcessor(p.stack, p.stack.config, 300_000);
    page = await browser.context.newPage();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await producer?.disconnect();
    await stopPipeline(p ?? {});
    if (db) await releaseAnalystDatabase(inject("stack").clickhouseUrl, db);
  });

  it("asks for a token once, refuses an unknown one, and lists the model with its health", async () => {
    await page.goto(`${p.gateway.url}/`);
    await page.waitForURL(/#\/login/);
    await page.fill("#token", "not-a-token-this-gateway-knows");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent(".error")).toContain("not known");
    await page.fill("#token", TEST_TOKEN);
    await page.click("button[type=submit]");
    const row = page.locator('tr[data-model="fraud"]');
    await row.waitFor();
    // The sparkline is drawn once the row's metrics arrived; the drifted feature is named.
    await row.locator("svg.spark polyline").first().waitFor();
    await expect.poll(() => row.textContent()).toMatch(/\d+\.\d%/);
    expect(await page.evaluate("sessionStorage.getItem('hindsight.token')")).toBe(TEST_TOKEN);
    await shot("models");
  });

  it("sends the user back to the token form when the API answers 401", async () => {
    await page.evaluate("sessionStorage.setItem('hindsight.token', 'a-token-that-was-revoked-000')");
    await page.goto(`${p.gateway.url}/#/models/fraud`);
    await page.waitForURL(/#\/login\?next=/);
    expect(await page.evaluate("sessionStorage.getItem('hindsight.token')")).toBeNull();
    await page.fill("#token", TEST_TOKEN);
    await page.click("button[type=submit]");
    await page.waitForURL(/#\/models\/fraud$/);
  });

  it("draws the model's accuracy over time with every window the API returns", async () => {
    const api = await getJson(`${p.gateway.url}/v1/models/fraud/metrics?window=5m`);
    await page.goto(`${p.gateway.url}/#/models/fraud?window=300`);
    await page.locator("#accuracy-chart canvas").waitFor();
    await expect.poll(() => page.textContent(".page")).toContain(`All ${api.windows.length} rows shown`);
    // Lines are on the canvas: pixels in the first version's colour (#2563eb).
    // (A string, because this file is type-checked without the DOM's types.)
    const drawn = await page.evaluate<number>(`(() => {
      const canvas = document.querySelector("#accuracy-chart canvas");
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - 37) < 20 && Math.abs(data[i + 1] - 99) < 20 && Math.abs(data[i + 2] - 235) < 20) n++;
      return n;
    })()`);
    expect(drawn).toBeGreaterThan(200);
    // Both versions side by side, and the feedback-delay histogram.
    await expect.poll(() => page.textContent(".page")).toContain("canary");
    await page.locator(".bar-chart svg rect").first().waitFor();
    await shot("model");
  });

  it("shows the injected drift of amount in the heat map and its distributions on a click", async () => {
    // Hourly windows hold ~13,000 values each: the shifted hour, and only it, is drifted.
    await page.goto(`${p.gateway.url}/#/models/fraud/drift?window=3600&version=v3`);
    await page.locator(".heatmap .hm-cell").first().waitFor();
    const drifted = (feature: string) => page.$$eval(`.hm-cell[data-feature="${feature}"][data-drifted="true"]`, (els) => els.map((e) => Number(e.getAttribute("data-window"))));
    const api = await getJson(`${p.gateway.url}/v1/models/fraud/drift?window=1h&feature=amount&model_version=v3&only=drifted`);
    expect(api.scores.map((s: { window_start_ms: number }) => s.window_start_ms)).toEqual([SHIFT_FROM]);
    expect(await drifted("amount")).toEqual([SHIFT_FROM]);
    expect(await drifted("country")).toEqual([]);
    expect(await drifted("device")).toEqual([]);
    await page.click(`.hm-cell[data-feature="amount"][data-window="${SHIFT_FROM}"]`);
    await page.locator("#distribution .bar-chart svg rect").first().waitFor();
    expect(await page.textContent("#distribution")).toContain("drifted");
    // The same at 5-minute windows, where the shift shows its start and end.
    await page.goto(`${p.gateway.url}/#/models/fraud/drift?window=300&version=v3`);
    await page.locator(".heatmap .hm-cell").first().waitFor();
    const fine = await drifted("amount");
    expect(fine.filter((w) => w >= SHIFT_FROM && w < SHIFT_TO).length).toBeGreaterThanOrEqual(11);
    await page.click(`.hm-cell[data-feature="amount"][data-window="${SHIFT_FROM + 15 * MINUTE}"]`);
    await page.locator("#distribution .bar-chart svg rect").first().waitFor();
    await shot("drift");
  });

  it("ranks country=BR worst among the slices and opens its trend", async () => {
    await page.goto(`${p.gateway.url}/#/models/fraud/slices`);
    const first = page.locator("tr[data-slice]").first();
    await first.waitFor();
    expect(await first.getAttribute("data-slice")).toBe("country=BR");
    await first.click();
    await page.waitForURL(/slice=country%3DBR/);
    await page.locator("#slice-trend canvas").waitFor();
    await shot("slices");
  });

  it("runs a query in the SQL console and shows the table and a chart", async () => {
    await page.goto(`${p.gateway.url}/#/sql`);
    await page.fill(
      "#sql",
      `SELECT window_start, model_version, round(accuracy, 4) AS accuracy FROM ${p.stack.config.clickhouse.database}.slice_metrics WHERE model_id = 'fraud' AND window_seconds = 300 AND slice_key = '' ORDER BY window_start, model_version`,
    );
    await page.click("#run-sql");
    await page.locator("#sql-table tbody tr").first().waitFor();
    const rows = await page.locator("#sql-table tbody tr").count();
    const api = await getJson(`${p.gateway.url}/v1/models/fraud/metrics?window=5m`);
    expect(rows).toBe(api.windows.length);
    await page.locator("#sql-chart canvas").waitFor();
    await shot("sql");
  });

  it("alerts inbox: PROBE", async () => {
    const applied = await postJson(`${p.gateway.url}/v1/rules`, RULES, TEST_TOKEN, "application/yaml");
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const alerting = createAlerting(p.stack.config, { clickhouse: p.stack.clickhouse, producer, logger: createLogger("evaluator-test", "warn") });
    const t0 = Date.now();
    const report = await alerting.evaluator.evaluateOnce(true);
    console.log("eval ms", Date.now() - t0, report);
    const all = await alertsRepository(p.stack.clickhouse).alerts({ status: "all" });
    console.log(JSON.stringify(all, null, 1));
    const status = await alertsRepository(p.stack.clickhouse).ruleStatus();
    console.log(status.map((s) => `${s.rule_id} ${s.model_version} ${s.slice || "all"} ${s.state} @${new Date(s.window_start_ms).toISOString()}: ${s.reason}`).join("\n"));
  });
});

/** Three hours of seeded traffic, with labels arriving minutes late, straight to Kafka in event-time order. */
async function sendDemoTraffic(p: Pipeline, producer: KafkaProducer): Promise<void> {
  const demo = createDemoTraffic({
    seed: 11,
    startMs: START,
    predictionsPerSecond: 4,
    // A 2-day median label delay compressed to 10 minutes: recent windows are still provisional.
    timeScale: 288,
    incidents: [
      { kind: "feature_drift", feature: "amount", fromMs: SHIFT_FROM, toMs: SHIFT_TO, shift: 2.5 },
      { kind: "segment_accuracy_drop", segment: { key: "country", value: "BR" }, fromMs: START + 90 * MINUTE, flipRate: 0.4 },
    ],
  });
  for (let at = START + 10 * MINUTE; at <= START + HOURS * 60 * MINUTE; at += 10 * MINUTE) {
    const { predictions, labels } = demo.advance(at);
    await producer.send(
      p.stack.config.topics.predictions,
      predictions.map((e) => ({ key: e.prediction_id, value: encode("prediction", { ...PredictionHttp.parse(e), received_at: null }) })),
    );
    await producer.send(
      p.stack.config.topics.labels,
      labels.map((l) => ({ key: l.prediction_id, value: encode("label", { ...LabelHttp.parse(l), received_at: null }) })),
    );
  }
}
