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
const SUPPRESSED_ID = "5e1d0c0ffee00001";
const RULES = `
rules:
  - id: amount-drift
    name: amount drifted
    kind: threshold
    metric: drift.amount
    window: 5m
    for: 10m
    severity: info
    target: { model: fraud, stage: production }
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
    // Every metric column explains itself on hover.
    expect(await page.getAttribute("th:has-text('Label coverage')", "title")).toMatch(/have a label so far/);
    expect(await page.locator("table.models th.explained").count()).toBe(6);
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
    const drifted = (feature: string) =>
      page.$$eval(`.hm-cell[data-feature="${feature}"][data-drifted="true"]`, (els) =>
        els.map((e) => Number(e.getAttribute("data-window"))),
      );
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
    await runSql(page);
    const rows = await page.locator("#sql-table tbody tr").count();
    const api = await getJson(`${p.gateway.url}/v1/models/fraud/metrics?window=5m`);
    expect(rows).toBe(api.windows.length);
    await page.locator("#sql-chart canvas").waitFor();
    await shot("sql");
  });

  it("alerts inbox: lists the demo stream's alerts with the grouped one beneath, shows a suppressed one's score and reason, and stores 'acted' feedback", async () => {
    const applied = await postJson(`${p.gateway.url}/v1/rules`, RULES, TEST_TOKEN, "application/yaml");
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const alerting = createAlerting(p.stack.config, {
      clickhouse: p.stack.clickhouse,
      producer,
      logger: createLogger("evaluator-test", "warn"),
    });
    expect((await alerting.evaluator.evaluateOnce(true)).created).toBe(2);
    // BR's accuracy is still below 0.7 when the stream ends; the amount drift, over by then, is grouped under it.
    const { alerts } = await getJson(`${p.gateway.url}/v1/alerts?status=all`);
    const accuracy = alerts.find((a: { rule: { id: string } }) => a.rule.id === "segment-accuracy");
    const drift = alerts.find((a: { rule: { id: string } }) => a.rule.id === "amount-drift");
    expect(alerts).toHaveLength(2);
    expect([accuracy.status, accuracy.slice, accuracy.started_at]).toEqual([
      "firing",
      "country=BR",
      new Date(START + 90 * MINUTE).toISOString(),
    ]);
    expect([drift.status, drift.parent_id, drift.started_at, drift.resolved_at]).toEqual([
      "held",
      accuracy.id,
      new Date(SHIFT_FROM).toISOString(),
      new Date(SHIFT_TO).toISOString(),
    ]);
    // The suppressor needs weeks of feedback to train, so its verdict on a third alert is written as the evaluator stores one.
    const repo = alertsRepository(p.stack.clickhouse);
    const br = (await repo.alert(accuracy.id))!;
    await repo.writeAlerts([
      {
        ...br,
        alert_id: SUPPRESSED_ID,
        fingerprint: "5e1d0c0ffee00002",
        slice: "country=MX",
        started_ms: START + 40 * MINUTE,
        fired_ms: START + 50 * MINUTE,
        last_breach_ms: START + 55 * MINUTE,
        resolved_ms: START + 60 * MINUTE,
        value: 0.613,
        worst_value: 0.58,
        sample_size: 31,
        summary: "Accuracy of a country below 0.7: accuracy 0.613 < 0.700 on fraud v3, country=MX (5m windows)",
        disposition: "suppressed",
        suppress_score: 0.11,
        suppressor_version: "sup-20261120",
        suppress_reason: "below_threshold",
      },
    ]);

    await page.goto(`${p.gateway.url}/#/alerts`);
    const item = page.locator(`li.alert[data-alert="${accuracy.id}"]`);
    await item.waitFor();
    expect(await item.locator(":scope > p.summary").textContent()).toBe(accuracy.summary);
    expect(await item.locator(":scope > .alert-head").textContent()).toContain("segment-accuracy · v1");
    const child = item.locator(`.children li.alert[data-alert="${drift.id}"]`);
    expect(await child.getAttribute("data-status")).toBe("held");
    expect(await child.textContent()).toContain("grouped under the open accuracy alert");
    // The firing tab lists neither the held child on its own nor the suppressed alert.
    expect(await page.locator("ul.alerts:not(.nested) > li.alert").count()).toBe(1);
    await item.locator(':scope > .feedback button[data-action="acted"]').click();
    await item.locator(':scope > .feedback [data-feedback="acted"]').waitFor();
    const stored = await getJson(`${p.gateway.url}/v1/alerts/${accuracy.id}`);
    expect(stored.feedback.action).toBe("acted");
    expect(stored.feedback_history.map((f: { action: string }) => f.action)).toEqual(["acted"]);
    expect(stored.children.map((c: { id: string }) => c.id)).toEqual([drift.id]);

    // A suppressed alert is listed with the suppressor's score and reason, never hidden.
    await page.goto(`${p.gateway.url}/#/alerts?status=suppressed`);
    const suppressed = page.locator(`li.alert[data-alert="${SUPPRESSED_ID}"] .suppression`);
    await suppressed.waitFor();
    expect(await suppressed.getAttribute("data-reason")).toBe("below_threshold");
    expect(await suppressed.textContent()).toMatch(/Suppressed · 11% chance of being acted on · below_threshold/);

    await page.goto(`${p.gateway.url}/#/alerts/digest`);
    await page.locator("#digest-suppressed li.alert").waitFor();
    const counts = await page.$$eval("[data-count]", (els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute("data-count"), Number(e.querySelector("b")!.textContent)])),
    );
    expect(counts).toEqual({ firing: 1, resolved: 0, suppressed: 1, held: 1 });
    expect(await page.locator("#digest-open li.alert").getAttribute("data-alert")).toBe(accuracy.id);
    expect(await page.locator("#digest-suppressed li.alert").getAttribute("data-alert")).toBe(SUPPRESSED_ID);

    await page.goto(`${p.gateway.url}/#/alerts?status=all`);
    await page.locator(`li.alert[data-alert="${SUPPRESSED_ID}"]`).waitFor();
    expect(await page.locator("ul.alerts:not(.nested) > li.alert").count()).toBe(2);
    await shot("alerts");
  });
});

/**
 * Runs the console's query. The analyst ClickHouse user may run two queries at once on the whole dev
 * stack (infra/clickhouse/users.xml) and other runs share it, so "too many simultaneous queries" (the
 * endpoint's 429) means run it again, as an analyst would; any other error fails with its text.
 */
async function runSql(page: Page): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.click("#run-sql");
    await page.locator("#sql-table tbody tr, #sql-result .error").first().waitFor();
    if ((await page.locator("#sql-table tbody tr").count()) > 0) return;
    const error = await page.locator("#sql-result .error").first().textContent();
    if (!/simultaneous queries/i.test(error ?? "") || Date.now() > deadline) throw new Error(`the SQL console answered: ${error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

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
