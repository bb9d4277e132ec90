/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) on what the real
 * `hindsight demo` command gives a fresh system: the test runs the command itself (bin/hindsight.mjs,
 * a child process) against the test stack's Kafka and ClickHouse, with its own database, topics,
 * HTTP port and state directory. It starts the gateway, the processor and the evaluator, applies the
 * example rules, plays the month of answered alerts through the suppressor, sends the week of history
 * of the fraud classifier and the regression model `eta`, then live traffic. The test reads what it
 * prints (the month's report, the week's span, the tour) as the newcomer reads it, checks every page
 * against the API's own answers, and photographs them to docs/screenshots/. How long after the
 * infrastructure was ready the week is on the dashboard is printed against the three-minute goal.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { alertsRepository } from "../services/common/clickhouse/alerts.repository.js";
import { createClickHouse, type ClickHouse } from "../services/common/clickhouse/client.js";
import { ident, list, sql } from "../services/common/clickhouse/sql.js";
import { DIRTY_KINDS } from "../services/common/clickhouse/dirty-windows.repository.js";
import { int, row } from "../services/common/clickhouse/row-schema.js";
import { loadConfig, type Config } from "../services/common/config/env.js";
import { createKafka, withAdmin } from "../services/common/kafka/client.js";
import { createLogger } from "../services/common/observability/logger.js";
import { metricsGroupId } from "../services/processor/processor.js";
import { isAlive } from "../infra/local/process.js";
import { ROOT } from "../infra/local/paths.js";
import { waitUntil, TEST_TOKEN } from "./helpers/harness.js";
import { ensureDashboardBuilt, launchChromium } from "./helpers/browser.js";
import { ANALYST_TEST_USER, claimAnalystDatabase, releaseAnalystDatabase } from "./helpers/analyst-db.js";
import { startDemoCommand, type DemoCommand } from "./helpers/demo-command.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SCREENSHOTS = join(ROOT, "docs", "screenshots");
/** Past this long after the infrastructure was ready, the demo has stalled: a busy machine took up to 419 s. */
const STALL_MS = 540_000;
/** A page's data arrives when the API answers, seconds later on a busy machine (expect.poll gives up after one by default). */
const POLL = { timeout: 30_000, interval: 200 };

/** A time as the demo prints it ("2026-12-06 07:40", UTC). */
const printed = (text: string) => Date.parse(`${text.replace(" ", "T")}:00Z`);
const TIME = "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d)";

/** What the demo printed about its past, as the test needs it. */
interface Printed {
  month: { alerts: number; suppressed: number; explored: number; held: number; model: string; endMs: number };
  history: { startMs: number; endMs: number };
  drift: { fromMs: number; toMs: number };
  drop: { fromMs: number; toMs: number };
  ongoingFromMs: number;
  liveFromMs: number;
}

async function readTour(demo: DemoCommand, timeoutMs: () => number, phase: (what: string) => void): Promise<Printed> {
  const m = await demo.waitFor(
    new RegExp(
      `demo: (\\d+) past alerts up to ${TIME} UTC, \\d+ answered; .* held back (\\d+) \\((\\d+) more surfaced by exploration\\), (\\d+) drift alerts held under another; active model: (\\S+)`,
    ),
    timeoutMs(),
  );
  phase("month played");
  const h = await demo.waitFor(new RegExp(`demo: sending 7 days of history first, from ${TIME} to ${TIME} UTC`), timeoutMs());
  const drift = await demo.waitFor(new RegExp(`'amount' drifted ×2\\.5 from ${TIME} to ${TIME} UTC`), timeoutMs());
  const drop = await demo.waitFor(new RegExp(`accuracy for country=BR dropped from ${TIME} to ${TIME} UTC`), timeoutMs());
  const ongoing = await demo.waitFor(new RegExp(`'num_tx_24h' has drifted ×3 since ${TIME} UTC`), timeoutMs());
  const live = await demo.waitFor(new RegExp(`demo: live traffic from ${TIME} UTC`), timeoutMs());
  phase("week sent, live traffic on");
  return {
    month: {
      alerts: Number(m[1]),
      endMs: printed(m[2]!),
      suppressed: Number(m[3]),
      explored: Number(m[4]),
      held: Number(m[5]),
      model: m[6]!,
    },
    history: { startMs: printed(h[1]!), endMs: printed(h[2]!) },
    drift: { fromMs: printed(drift[1]!), toMs: printed(drift[2]!) },
    drop: { fromMs: printed(drop[1]!), toMs: printed(drop[2]!) },
    ongoingFromMs: printed(ongoing[1]!),
    liveFromMs: printed(live[1]!),
  };
}

describe("dashboard in a browser, on `hindsight demo`", () => {
  let demo: DemoCommand;
  let config: Config;
  let clickhouse: ClickHouse;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let db: string | undefined;
  let tour: Printed;
  let url: string;
  let ready = 0;
  let onDashboard = 0;
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const getJson = async (path: string): Promise<any> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(res.status, path).toBe(200);
    return res.json();
  };
  const alertsNow = async (): Promise<any[]> => (await getJson("/v1/alerts?status=all&limit=5000")).alerts;
  /**
   * The API's windows at `path` with what the page showed of them (`look`'s count), from a try in
   * which the API gave the same windows before and after the page was read: a live window may
   * appear in between.
   */
  const stableAnswer = async (path: string, look: () => Promise<number>): Promise<{ windows: any[]; shown: number }> => {
    for (let attempt = 1; ; attempt++) {
      const before = await getJson(path);
      const shown = await look();
      const after = await getJson(path);
      if (before.windows.length === after.windows.length) return { windows: before.windows, shown };
      if (attempt === 3) throw new Error(`${path} kept changing while the page was read`);
    }
  };

  beforeAll(async () => {
    ensureDashboardBuilt();
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The SQL console runs as the read-only analyst user, which may read only a few fixed databases.
    db = await claimAnalystDatabase(inject("stack").clickhouseUrl);
    // The test stack's Kafka and ClickHouse are up: the infrastructure is ready when the command starts.
    ready = Date.now();
    demo = await startDemoCommand([], { CLICKHOUSE_DATABASE: db, CLICKHOUSE_ANALYST_USER: ANALYST_TEST_USER });
    url = demo.url;
    config = loadConfig(demo.env);
    clickhouse = createClickHouse(config.clickhouse);
    const untilStall = () => Math.max(1_000, ready + STALL_MS - Date.now());
    const phase = (what: string) =>
      console.info(`${what} ${((Date.now() - ready) / 1000).toFixed(0)} s after the infrastructure was ready`);
    const [launched] = await Promise.all([
      launchChromium(),
      (async () => {
        await demo.waitFor(/Hindsight is up\./, untilStall());
        phase("services up");
        tour = await readTour(demo, untilStall, phase);
      })(),
    ]);
    browser = launched;
    // Live traffic follows the week on the same topics: the week is processed once both of the
    // processor's consumer groups have committed past where the topics ended when it was sent.
    const kafka = createKafka({ ...config.kafka, logger: createLogger("test", "error") });
    const topics = [config.topics.predictions, config.topics.labels];
    const weekEnds = await withAdmin(kafka, async (admin) =>
      (await Promise.all(topics.map(async (topic) => (await admin.fetchTopicOffsets(topic)).map((o) => ({ topic, ...o }))))).flat(),
    );
    await waitUntil(
      "the processor to take in the week",
      () =>
        withAdmin(kafka, async (admin) => {
          let behind = 0;
          for (const groupId of [config.processor.groupId, metricsGroupId(config.processor.groupId)]) {
            const committed = new Map(
              (await admin.fetchOffsets({ groupId, topics })).flatMap(({ topic, partitions }) =>
                partitions.map((p) => [`${topic}/${p.partition}`, Number(p.offset)] as const),
              ),
            );
            for (const end of weekEnds) behind += Math.max(0, Number(end.high) - (committed.get(`${end.topic}/${end.partition}`) ?? 0));
          }
          return behind;
        }),
      (behind) => behind === 0,
      untilStall(),
    );
    phase("week read");
    // The metrics group marks the windows it touched; the window workers recompute them. Live
    // windows keep being marked, so only the week's count: the base windows wholly before the live
    // traffic. The one the live traffic starts in is marked again by every batch, so it stayed
    // pending until the live clock passed its end, up to five minutes later depending on the
    // minute the demo started (both of this stop's first fresh-clone runs waited 301 s).
    const base = Math.min(...config.metrics.windowSizes);
    const liveWindowS = Math.floor(tour.liveFromMs / 1000 / base) * base;
    const weekWindows = () =>
      clickhouse.rows(
        row({ n: int }),
        sql`SELECT count() AS n FROM ${ident(`${config.clickhouse.database}.dirty_windows`)} FINAL
            WHERE dirty = 1 AND kind IN ${list(DIRTY_KINDS, "String")} AND window_start < toDateTime(${liveWindowS})`,
      );
    await waitUntil(
      "the week's windows to be recomputed",
      async () => (await weekWindows())[0]?.n ?? 0,
      (n) => n === 0,
      untilStall(),
    );
    phase("week processed");
    // The week is on the dashboard once the incident's hours are scored for drift and the evaluator,
    // with the month's suppressor, has judged the week: the alert of the amount drift is there.
    await waitUntil(
      "the amount drift's hours to be scored",
      async () =>
        (
          await getJson(
            `/v1/models/fraud/drift?window=1h&feature=amount&model_version=v3&only=drifted&from=${tour.drift.fromMs}&to=${tour.drift.toMs}`,
          )
        ).scores.length,
      (n) => n >= 5,
      untilStall(),
    );
    phase("drift scored");
    await waitUntil(
      "the week's alerts in every state, judged by the month's suppressor",
      async () => {
        const alerts = await alertsNow();
        const states = new Set(alerts.map((a) => a.status));
        const week = alerts.filter((a) => Date.parse(a.started_at) >= tour.history.startMs);
        return (
          ["firing", "resolved", "suppressed", "held"].every((s) => states.has(s)) &&
          week.some((a) => a.metric === "drift.amount") &&
          week.some((a) => a.suppression?.model_version === tour.month.model)
        );
      },
      (done) => done,
      untilStall(),
    );
    onDashboard = Date.now();
    phase("week on the dashboard");
    page = await browser.context.newPage();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    await clickhouse?.close();
    await demo?.interrupt();
    if (config) await dropDemo(config);
    if (db) await releaseAnalystDatabase(inject("stack").clickhouseUrl, db);
  });

  it("is ready soon after the infrastructure (the figure printed; three minutes is the goal on a quiet machine)", () => {
    // A speed goal, so the figure is reported rather than asserted: on a busy machine (a full test
    // run beside a benchmark) it took five minutes. The bound only catches a stall.
    const seconds = (onDashboard - ready) / 1000;
    console.info(`the demo's month and week on the dashboard ${seconds.toFixed(0)} s after the infrastructure was ready (goal: 180 s)`);
    expect(seconds).toBeLessThan(STALL_MS / 1000);
  });

  it("prints what it did: the month with every decision of the suppressor, the week's span, the tour", () => {
    // The month is the same whenever it is played (services/cli/demo-alerts.test.ts): some alerts
    // suppressed, some explored, drift held; it ends on the Monday before the week.
    expect(tour.month.suppressed).toBeGreaterThan(10);
    expect(tour.month.explored).toBeGreaterThan(0);
    expect(tour.month.held).toBeGreaterThan(0);
    expect(tour.month.model).toMatch(/^gbt-/);
    expect(new Date(tour.month.endMs).getUTCDay()).toBe(1);
    expect(tour.history.startMs - tour.month.endMs).toBeLessThan(7 * DAY);
    expect(tour.history.startMs).toBeGreaterThanOrEqual(tour.month.endMs);
    expect(tour.history.endMs - tour.history.startMs).toBeGreaterThanOrEqual(7 * DAY - HOUR);
    expect(tour.liveFromMs).toBeGreaterThanOrEqual(tour.history.endMs);
    // It ends where a 5-minute window begins, so the live traffic has that window to itself.
    expect(tour.history.endMs % (5 * MINUTE)).toBe(0);
    expect(demo.lines.some((l) => l.includes("SQL to try"))).toBe(true);
    // The terminal as the newcomer sees it, in the test's log.
    console.info(demo.lines.filter((l) => l.startsWith("[hindsight] ") || l.startsWith("  ")).join("\n"));
  });

  it("asks for a token once, refuses an unknown one, and lists both models with their health", async () => {
    await page.goto(`${url}/`);
    await page.waitForURL(/#\/login/);
    await page.fill("#token", "not-a-token-this-gateway-knows");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent(".error"), POLL).toContain("not known");
    await page.fill("#token", TEST_TOKEN);
    await page.click("button[type=submit]");
    const row = page.locator('tr[data-model="fraud"]');
    await row.waitFor();
    // The sparkline is drawn once the row's metrics arrived: the week's volume.
    await row.locator("svg.spark polyline").first().waitFor();
    await expect.poll(() => row.textContent(), POLL).toMatch(/\d+\.\d%/);
    // The regression model shows its error where a classifier shows accuracy.
    await expect.poll(() => page.locator('tr[data-model="eta"]').textContent(), POLL).toMatch(/regression.*MAE \d+\.\d\d/);
    expect(await page.evaluate("sessionStorage.getItem('hindsight.token')")).toBe(TEST_TOKEN);
    // Every metric column explains itself on hover.
    expect(await page.getAttribute("th:has-text('Label coverage')", "title")).toMatch(/have a label so far/);
    expect(await page.locator("table.models th.explained").count()).toBe(6);
    await shot("models");
  });

  it("sends the user back to the token form when the API answers 401", async () => {
    await page.evaluate("sessionStorage.setItem('hindsight.token', 'a-token-that-was-revoked-000')");
    await page.goto(`${url}/#/models/fraud`);
    await page.waitForURL(/#\/login\?next=/);
    expect(await page.evaluate("sessionStorage.getItem('hindsight.token')")).toBeNull();
    await page.fill("#token", TEST_TOKEN);
    await page.click("button[type=submit]");
    await page.waitForURL(/#\/models\/fraud$/);
  });

  it("draws the week at 5 m, 1 h and 1 d windows with every window the API returns, on axes spanning the data", async () => {
    for (const [window, name] of [
      [86_400, "1d"],
      [300, "5m"],
      [3600, "1h"],
    ] as const) {
      // Live traffic adds windows as it goes: the page is compared with the API's answer when it held still.
      const chart = page.locator("#accuracy-chart");
      const api = await stableAnswer(`/v1/models/fraud/metrics?window=${name}`, async () => {
        await page.goto(`${url}/#/models/fraud?window=${window}`);
        await chart.locator("canvas").waitFor();
        await page
          .getByText(/All \d+ rows shown/)
          .first()
          .waitFor();
        return Number(/All (\d+) rows shown/.exec((await page.textContent(".page")) ?? "")?.[1]);
      });
      const starts = api.windows.map((w: { window_start: string }) => Date.parse(`${w.window_start.replace(" ", "T")}Z`) / 1000);
      expect(api.shown).toBe(api.windows.length);
      // The week, and only it: the axis spans the first to the last window, padded by half a window.
      expect(Math.min(...starts)).toBeLessThan((tour.history.startMs + DAY) / 1000);
      const from = Number(await chart.getAttribute("data-x-from"));
      const to = Number(await chart.getAttribute("data-x-to"));
      expect(from).toBe(Math.min(...starts) - window / 2);
      expect(to).toBe(Math.max(...starts) + window / 2);
      expect(to - from).toBeLessThan(9 * 86_400);
    }
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
    // The binary model's calibrated label-free estimate (GET /v1/models/:id/estimates), with its interval's band.
    expect(Number(await page.getAttribute("#accuracy-chart", "data-estimates"))).toBeGreaterThan(0);
    expect(await page.textContent("#accuracy-chart")).toContain("estimate low");
    // Both versions side by side, and the feedback-delay histogram.
    await expect.poll(() => page.textContent(".page"), POLL).toContain("canary");
    // (Its first buckets, under an hour, are empty: the history's labels come hours late.)
    await page.locator('.bar-chart svg rect:not([height="0"])').first().waitFor();
    await shot("model");
  });

  it("follows a time range on every chart: the last hour, the last day, and a custom span with a single window", async () => {
    await page.goto(`${url}/#/models/fraud?window=3600`);
    await page.locator("#accuracy-chart canvas").waitFor();
    await page.click('button[data-range="1d"]');
    await page.waitForURL(/range=1d/);
    await page.locator("#accuracy-chart canvas").waitFor();
    for (const id of ["#accuracy-chart", "#coverage-chart", "#volume-chart"]) {
      // Each chart redraws for the range on its own: read it once it spans at most a day and a bit
      // (a fresh clone's run read one mid-redraw, without its axis).
      const axis = async (): Promise<[number, number]> => [
        Number(await page.getAttribute(id, "data-x-from")),
        Number(await page.getAttribute(id, "data-x-to")),
      ];
      await expect
        .poll(async () => {
          const [f, t] = await axis();
          return f > 0 && t - f < DAY / 1000 + 3 * 3600;
        }, POLL)
        .toBe(true);
      const [from, to] = await axis();
      // The day before now, whole, widened only by the half window either side of the data.
      expect(from).toBeLessThanOrEqual((Date.now() - DAY) / 1000);
      expect(from).toBeGreaterThan((tour.history.endMs - DAY) / 1000 - 3 * 3600);
      expect(to).toBeGreaterThanOrEqual(tour.history.endMs / 1000);
      expect(to - from).toBeLessThan(DAY / 1000 + 3 * 3600);
    }
    // One day's window in a custom span: a single point, and the axis spans the range around it.
    const day = Math.floor((tour.history.endMs - 3 * DAY) / DAY) * DAY;
    await page.goto(`${url}/#/models/fraud?window=86400&from=${day + HOUR}&to=${day + 2 * HOUR}`);
    const chart = page.locator("#accuracy-chart");
    await chart.locator("canvas").waitFor();
    expect(await chart.getAttribute("data-points")).toBe("1");
    expect(Number(await chart.getAttribute("data-x-from"))).toBe(day / 1000 - 43_200);
    expect(Number(await chart.getAttribute("data-x-to"))).toBe(day / 1000 + 43_200);
    // The custom form takes UTC times.
    await page.goto(`${url}/#/models/fraud?window=3600`);
    await page.click('button[data-range="custom"]');
    await page.fill("#range-from", new Date(day).toISOString().slice(0, 16));
    await page.fill("#range-to", new Date(day + 6 * HOUR).toISOString().slice(0, 16));
    await page.click('button[data-range="apply"]');
    await page.waitForURL(new RegExp(`from=${day}&to=${day + 6 * HOUR}`));
    await expect.poll(() => page.getAttribute("#accuracy-chart", "data-points"), POLL).toBe("6");
  });

  it("shows the regression model's error per window, and its label-free estimate", async () => {
    await page.goto(`${url}/#/models/eta?window=3600`);
    await page.locator("#error-chart canvas").waitFor();
    expect(await page.textContent(".page")).toContain("Error per 1h window");
    expect(Number(await page.getAttribute("#error-chart", "data-points"))).toBeGreaterThan(100);
    // The label-free estimate of MAE and RMSE beside them (DLE; windows with labels have one from the start).
    await expect.poll(async () => Number(await page.getAttribute("#error-chart", "data-estimates")), POLL).toBeGreaterThan(0);
    // The versions table (the rules card below has its own).
    const headers = await page.$$eval("table.grid:not(.rules) th", (els) => els.map((e) => e.textContent));
    expect(headers).toEqual(["Version", "Stage", "Predictions", "Labelled", "MAE", "RMSE"]);
  });

  it("shows the week's drift of amount in the heat map, and a drifted cell opens its distribution against the reference", async () => {
    const amount = tour.drift;
    const hours = Array.from({ length: (amount.toMs - amount.fromMs) / HOUR }, (_, i) => amount.fromMs + i * HOUR);
    await page.goto(`${url}/#/models/fraud/drift?window=3600&version=v3`);
    await page.locator(".heatmap .hm-cell").first().waitFor();
    const drifted = (feature: string) =>
      page.$$eval(`.hm-cell[data-feature="${feature}"][data-drifted="true"]`, (els) =>
        els.map((e) => Number(e.getAttribute("data-window"))),
      );
    const cells = await drifted("amount");
    // Every hour of the shift is drifted; outside it, hardly any (the scores decide on effect size).
    expect(cells.filter((w) => hours.includes(w))).toEqual(hours);
    expect(cells.filter((w) => !hours.includes(w)).length).toBeLessThanOrEqual(2);
    // The drift still under way at the end of the week.
    expect((await drifted("num_tx_24h")).filter((w) => w >= tour.ongoingFromMs).length).toBeGreaterThan(0);
    await page.click(`.hm-cell[data-feature="amount"][data-window="${hours[2]}"]`);
    await page.locator("#distribution .bar-chart svg rect").first().waitFor();
    expect(await page.textContent("#distribution")).toContain("drifted");
    expect(await page.textContent("#distribution")).toMatch(/values vs [\d,]+ in the reference/);
    // The data-quality violations read at a glance: one line each, the table within its card.
    await page.locator("table.quality tbody tr").first().waitFor();
    const layout = await page.evaluate<{ rows: number; tallest: number; line: number; overflow: number }>(`(() => {
      const table = document.querySelector("table.quality");
      const rows = [...table.querySelectorAll("tbody tr")].map((r) => r.getBoundingClientRect().height);
      const line = parseFloat(getComputedStyle(table.querySelector("tbody td")).lineHeight);
      return { rows: rows.length, tallest: Math.max(...rows), line, overflow: table.scrollWidth - table.parentElement.clientWidth };
    })()`);
    expect(layout.rows).toBeGreaterThan(0);
    expect(layout.tallest).toBeLessThan(2 * layout.line);
    expect(layout.overflow).toBeLessThanOrEqual(0);
    await shot("drift");
    // Drift per slice: the selector offers all traffic and the declared keys' slices; a country's
    // heat map (against the same reference) shows the shift of amount in its hours too.
    const slices = await page.$$eval("#drift-slices select option", (els) => els.map((e) => e.getAttribute("value") ?? ""));
    expect(slices[0]).toBe("");
    const country = slices.find((s) => s.startsWith("country="));
    expect(country, "a country slice scored for drift").toBeDefined();
    await page.selectOption("#drift-slices select", country!);
    await page.waitForFunction(`document.querySelector(".page")?.textContent?.includes(${JSON.stringify(`slice ${country}`)})`);
    await page.locator(".heatmap .hm-cell").first().waitFor();
    expect((await drifted("amount")).filter((w) => hours.includes(w)).length).toBeGreaterThan(hours.length / 2);
  });

  it("ranks country=BR worst among the slices over its drop, and opens its trend", async () => {
    const drop = tour.drop;
    // The drop's eight hours and four either side, wherever they fall in the UTC day: the demo's
    // week starts at the hour it is run, so for a run between 09:00 and 16:00 UTC the calendar
    // day of the drop's start held as few as one of its eight hours, and another country could
    // rank worst by chance (a fresh clone's run at 13:2x UTC: country=NG).
    const from = drop.fromMs - 4 * HOUR;
    const to = drop.toMs + 4 * HOUR;
    await page.goto(`${url}/#/models/fraud/slices?window=3600&from=${from}&to=${to}`);
    const first = page.locator("tr[data-slice]").first();
    await first.waitFor();
    // BR leads, alone or in one of its intersections with a device (the demo declares country × device).
    expect(await first.getAttribute("data-slice")).toMatch(/^country( × device)?=BR( × (ios|android|web))?$/);
    // Called significantly worse with the false-discovery rate controlled: its q-value is the API's.
    const api = await getJson(`/v1/models/fraud/slices?window=3600&from=${from}&to=${to}&limit=500`);
    const brApi = api.slices.find((s: any) => s.slice_key === "country" && s.slice_value === "BR");
    expect(brApi.significantly_worse).toBe(true);
    expect(brApi.q_value).toBeLessThanOrEqual(api.fdr);
    const br = page.locator('tr[data-slice="country=BR"]');
    expect(await br.getAttribute("data-worse")).toBe("true");
    expect(Number(await br.locator("td[data-q]").getAttribute("data-q"))).toBe(brApi.q_value);
    expect(await br.locator("td[data-q]").textContent()).toMatch(/^(< 0\.001|0\.0\d\d)$/);
    const flagged = api.slices.filter((s: any) => s.significantly_worse).length;
    expect(await page.textContent("#slices-flagged")).toBe(`${flagged} significantly worse`);
    expect(await page.textContent("#slices-tested")).toContain(`${api.tested} slices tested`);
    // The intersections, one key at a time.
    await page.click('button[data-key="country × device"]');
    await page.waitForURL(/key=country/);
    await expect
      .poll(async () => (await page.$$eval("tr[data-slice]", (els) => els.map((e) => e.getAttribute("data-slice")))).join("|"), POLL)
      .toMatch(/^country × device=\w+ × (ios|android|web)(\|country × device=\w+ × (ios|android|web))*$/);
    await page.click('button[data-key=""]');
    await br.click();
    await page.waitForURL(/slice=country%3DBR/);
    await page.locator("#slice-trend canvas").waitFor();
    // The range is kept: its sixteen hours, BR's trend at its drop.
    expect(page.url()).toContain(`from=${from}`);
    expect(Number(await page.getAttribute("#slice-trend", "data-points"))).toBeGreaterThan(12);
    await shot("slices");
  });

  it("ranks a regression model's slices by MAE: madrid worst over its slowdown, flagged with its q-value", async () => {
    const m = await demo.waitFor(new RegExp(`deliveries in madrid took 1\\.6× longer from ${TIME} to ${TIME} UTC`), 1_000);
    const [from, to] = [printed(m[1]!), printed(m[2]!)];
    await page.goto(`${url}/#/models/eta/slices?window=3600&from=${from}&to=${to}`);
    const first = page.locator("tr[data-slice]").first();
    await first.waitFor();
    expect(await first.getAttribute("data-slice")).toBe("city=madrid");
    expect(await page.$$eval("table.slices th", (els) => els.map((e) => e.textContent))).toContain("MAE");
    const api = await getJson(`/v1/models/eta/slices?window=3600&from=${from}&to=${to}&limit=500`);
    expect(api.metric).toBe("mae");
    const madrid = api.slices[0];
    expect(madrid.slice_value).toBe("madrid");
    expect(madrid.significantly_worse).toBe(true);
    // MAE in minutes, as the API has it, and its q-value.
    expect(await first.locator("td").nth(3).textContent()).toBe(madrid.mae.toFixed(2));
    expect(Number(await first.locator("td[data-q]").getAttribute("data-q"))).toBe(madrid.q_value);
    await page.locator("#slice-trend canvas").waitFor();
  });

  it("shows the fraud model's fairness by age band: rates per group, the reference, and the four-fifths rule", async () => {
    await page.goto(`${url}/#/models/fraud`);
    // Reached from the model page: the binary model's Fairness tab.
    const tab = page.locator('a.tab[data-task="binary"]');
    await expect.poll(() => tab.isVisible(), POLL).toBe(true);
    await tab.click();
    await page.waitForURL(/\/fairness/);
    await page.locator("table.fairness tbody tr").first().waitFor();
    // The week alone (live traffic would move the figures between the page's reading and the API's).
    const [from, to] = [tour.history.startMs, Math.floor(tour.history.endMs / HOUR) * HOUR];
    await page.goto(`${url}/#/models/fraud/fairness?window=86400&from=${from}&to=${to}`);
    // The sensitive key is chosen by default.
    await page.locator('button[data-key="age_band"].on').waitFor();
    await page.locator("table.fairness tbody tr").first().waitFor();
    const api = await getJson(`/v1/models/fraud/fairness?key=age_band&window=1h&from=${from}&to=${to}`);
    const groups = await page.$$eval("table.fairness tbody tr", (els) => els.map((e) => e.getAttribute("data-group")));
    expect(groups).toEqual(api.groups.map((g: any) => g.group));
    expect(groups).toEqual(["18-24", "25-39", "40-64", "65+"]);
    // The model never sees age, yet flags the young most often (through account age).
    expect(api.reference).toBe("18-24");
    expect(await page.getAttribute("[data-reference]", "data-reference")).toBe("18-24");
    const older = api.groups.find((g: any) => g.group === "40-64");
    expect(older.passes_four_fifths).toBe(false);
    expect(await page.textContent("#four-fifths")).toBe(
      `four-fifths rule fails for ${api.adverse_impact.join(", ")}: selected at under 80 % of 18-24's rate`,
    );
    expect(await page.locator('table.fairness-versus tr[data-group="40-64"] td[data-four-fifths]').textContent()).toBe(
      `fails (${older.versus_reference.selection_rate.ratio.toFixed(2)})`,
    );
    const rate = older.rates.selection_rate;
    expect(await page.locator('table.fairness tr[data-group="40-64"] td[data-rate="selection_rate"]').textContent()).toBe(
      `${(rate.value * 100).toFixed(1)}% (${(rate.ci95[0] * 100).toFixed(1)}% – ${(rate.ci95[1] * 100).toFixed(1)}%)`,
    );
    // Each group's selection rate per day of the week.
    await page.locator("#fairness-trend canvas").waitFor();
    expect(Number(await page.getAttribute("#fairness-trend", "data-points"))).toBeGreaterThanOrEqual(7);
    await shot("fairness");
  });

  it("compares the shadow v5 with production v3 on the same requests: the reading, its evidence and the 2×2 table", async () => {
    await page.goto(`${url}/#/models/fraud`);
    // Reached from the model page's Compare tab: the pair seen on the most requests.
    await page.locator('a.tab[href$="/compare"]').click();
    await page.waitForURL(/\/compare/);
    await page.locator("#paired-reading").waitFor();
    expect(await page.textContent('[data-variant="b"]')).toBe("v5 (shadow)");
    // The week alone (live traffic would move the figures between the page's reading and the API's).
    const [from, to] = [tour.history.startMs, Math.floor(tour.history.endMs / HOUR) * HOUR];
    await page.goto(`${url}/#/models/fraud/compare?a=v3&a_stage=production&b=v5&b_stage=shadow&from=${from}&to=${to}`);
    await page.locator('button[data-pair="v3/v5"].on').waitFor();
    const c = (await getJson(`/v1/models/fraud/compare?a=v3&b=v5&from=${from}&to=${to}`)).comparison;
    // A quarter of production's labelled requests are labelled pairs: thousands over the week.
    expect(c.classification.labelled_pairs).toBeGreaterThan(1_000);
    expect(await page.getAttribute("#paired-reading", "data-reading")).toBe(c.reading);
    expect(await page.textContent("#paired-evidence")).toBe(c.evidence);
    const t = c.classification.table;
    expect(await page.$$eval("#paired-table tbody td", (els) => els.map((e) => e.textContent))).toEqual(
      [t.both_right, t.only_a, t.only_b, t.both_wrong].map(String),
    );
    // The shadow agrees with production on most requests (same class), and is read against it.
    expect(c.agreement.value).toBeGreaterThan(0.8);
    // Under the table, the difference per window: the page draws a week's range in hours, one point per window of the API's answer.
    await page.locator("#paired-trend canvas").waitFor();
    const hourly = await getJson(`/v1/models/fraud/compare?a=v3&b=v5&from=${from}&to=${to}&window=1h`);
    expect(hourly.windows_truncated).toBe(false);
    expect(Number(await page.getAttribute("#paired-trend", "data-points"))).toBe(hourly.windows.length);
    expect(hourly.windows.reduce((n: number, w: { pairs: number }) => n + w.pairs, 0)).toBe(c.pairs);
    await shot("compare");
  });

  it("shows the multi-class model's classes: per-class scores, the confusion matrix, and its mix-up over time", async () => {
    const m = await demo.waitFor(new RegExp(`shipping tickets were routed to billing from ${TIME} to ${TIME} UTC`), 1_000);
    const [from, to] = [printed(m[1]!), printed(m[2]!)];
    await page.goto(`${url}/#/models/triage`);
    const tab = page.locator('a.tab[data-task="multiclass"]');
    await expect.poll(() => tab.isVisible(), POLL).toBe(true);
    expect(await page.locator('a.tab[data-task="binary"]').isVisible()).toBe(false);
    await tab.click();
    await page.waitForURL(/\/classes/);
    await page.locator("table.classes tbody tr").first().waitFor();
    // The week alone, so that live traffic does not move the counts between the page's reading and the API's.
    const [weekFrom, weekTo] = [tour.history.startMs, Math.floor(tour.history.endMs / HOUR) * HOUR];
    await page.goto(`${url}/#/models/triage/classes?window=3600&from=${weekFrom}&to=${weekTo}`);
    await page.locator("table.classes tbody tr").first().waitFor();
    const api = await getJson(`/v1/models/triage/classes?window=1h&from=${weekFrom}&to=${weekTo}`);
    expect(await page.$$eval("table.classes tbody tr", (els) => els.map((e) => e.getAttribute("data-class")))).toEqual([
      "account",
      "billing",
      "shipping",
      "technical",
    ]);
    // Account tickets read like billing ones: the matrix's largest confusion, the first pair over time.
    const cell = page.locator('table.confusion tr[data-truth="account"] td[data-predicted="billing"]');
    const count = api.windows
      .flatMap((w: any) => w.confusion)
      .filter((c: any) => c.truth === "account" && c.predicted === "billing")
      .reduce((a: number, c: any) => a + c.count, 0);
    expect(count).toBeGreaterThan(50);
    expect(await cell.getAttribute("title")).toMatch(new RegExp(`^account predicted as billing: ${count} `));
    await page.locator("#class-chart canvas").waitFor();
    await page.locator("#confusion-chart canvas").waitFor();
    expect((await page.getAttribute("#confusion-chart", "data-pairs"))?.split("|")[0]).toBe("account → billing");
    await shot("classes");
    // Over the mix-up, shipping tickets went to billing: most of their row, where recall was high before.
    await page.goto(`${url}/#/models/triage/classes?window=3600&from=${from}&to=${to}`);
    const mixed = page.locator('table.confusion tr[data-truth="shipping"] td[data-predicted="billing"]');
    await mixed.waitFor();
    const share = Number(/\((\d+\.\d)% of shipping\)/.exec((await mixed.getAttribute("title")) ?? "")?.[1]);
    expect(share).toBeGreaterThan(35);
    expect((await page.getAttribute("#confusion-chart", "data-pairs"))?.split("|")[0]).toBe("shipping → billing");
  });

  it("draws the binary model's ROC AUC and PR AUC per window, and lists the rules on each model with their seasonality", async () => {
    await page.goto(`${url}/#/models/fraud?window=86400`);
    const auc = page.locator("#auc-chart");
    await auc.locator("canvas").waitFor();
    const api = await getJson("/v1/models/fraud/metrics?window=1d");
    // The week's days (the last one also holds live traffic, its labels minutes late).
    const lastDay = Math.floor(tour.history.endMs / DAY) * DAY;
    const prAucs = api.windows.filter((w: any) => w.pr_auc !== null && Date.parse(`${w.window_start.replace(" ", "T")}Z`) < lastDay);
    expect(prAucs.length).toBeGreaterThanOrEqual(6);
    // Rare positives: average precision far below ROC AUC, as the chart shows them.
    for (const w of prAucs) expect(w.pr_auc).toBeLessThan(w.roc_auc);
    expect(Number(await auc.getAttribute("data-points"))).toBe(new Set(api.windows.map((w: any) => w.window_start)).size);
    expect(await auc.locator(".u-legend").textContent()).toContain("v3 · production PR AUC");
    // The rules watching fraud, the threshold rule in words.
    await page.locator('#model-rules tr[data-rule="segment-accuracy"]').waitFor();
    expect(await page.locator('#model-rules tr[data-rule="segment-accuracy"]').textContent()).toContain("accuracy < 0.7");
    expect(await page.locator('#model-rules tr[data-rule="eta-volume-by-hour"]').count()).toBe(0);
    // The regression model's seasonal rule: the same hour of past days.
    await page.goto(`${url}/#/models/eta`);
    const seasonal = page.locator('#model-rules tr[data-rule="eta-volume-by-hour"]');
    await seasonal.waitFor();
    expect(await seasonal.getAttribute("data-seasonality")).toBe("daily");
    expect(await seasonal.locator("td.baseline").textContent()).toBe("seasonal (daily): the same time of day in the last 14 days, from 5");
    // No AUC for a regression model.
    await page.locator("#error-chart canvas").waitFor();
    expect(await page.locator("#auc-chart").count()).toBe(0);
  });

  it("runs a query in the SQL console and shows the table and a chart", async () => {
    await page.goto(`${url}/#/sql`);
    await page.fill(
      "#sql",
      `SELECT window_start, model_version, round(accuracy, 4) AS accuracy FROM ${config.clickhouse.database}.slice_metrics WHERE model_id = 'fraud' AND window_seconds = 86400 AND slice_key = '' ORDER BY window_start, model_version`,
    );
    const api = await stableAnswer("/v1/models/fraud/metrics?window=1d", async () => {
      await runSql(page);
      return page.locator("#sql-table tbody tr").count();
    });
    expect(api.shown).toBe(api.windows.length);
    await page.locator("#sql-chart canvas").waitFor();
    await shot("sql");
  });

  it("alerts inbox: every state, from the month's trained suppressor and the week's evaluation, with links to their windows and feedback", async () => {
    const { alerts } = await getJson(`/v1/alerts?status=all&limit=5000`);
    const repo = alertsRepository(clickhouse);
    const active = (await repo.latestSuppressorModel())!;
    expect(active.version).toBe(tour.month.model);
    expect(active.version).toMatch(/^gbt-/);
    const byStatus = (s: string) => alerts.filter((a: { status: string }) => a.status === s);
    for (const s of ["firing", "resolved", "suppressed", "held"]) expect(byStatus(s).length, s).toBeGreaterThan(0);
    // The month's explored alerts, as many as it printed: the same ones whenever it is played.
    const explored = alerts.filter((a: any) => a.suppression?.reason === "explore");
    expect(explored.filter((a: any) => Date.parse(a.started_at) < tour.month.endMs).length).toBe(tour.month.explored);
    // The week's alerts were judged by the active model.
    const week = alerts.filter((a: any) => Date.parse(a.started_at) >= tour.history.startMs && a.suppression?.model_version);
    expect(week.length).toBeGreaterThan(0);
    expect(week.every((a: any) => a.suppression.model_version === active.version)).toBe(true);

    // Firing: something is under way, with its link to the window that raised it.
    await page.goto(`${url}/#/alerts`);
    const firing = byStatus("firing")[0];
    const item = page.locator(`li.alert[data-alert="${firing.id}"]`);
    await item.waitFor();
    // The same summary, its numbers aside: an alert on the window the live traffic is filling
    // takes each new value (a run read "predictions 7888 > 49.791" from the API, 8297 on the page).
    const shape = (text: string | null) => text?.replace(/\d+(\.\d+)?/g, "#");
    expect(shape(await item.locator(":scope > p.summary").textContent())).toBe(shape(firing.summary));
    await item.locator(':scope > .feedback button[data-action="acted"]').click();
    await item.locator(':scope > .feedback [data-feedback="acted"]').waitFor();
    const stored = await getJson(`/v1/alerts/${firing.id}`);
    expect(stored.feedback.action).toBe("acted");

    // Suppressed: listed with the suppressor's score, reason and version, never hidden.
    await page.goto(`${url}/#/alerts?status=suppressed`);
    const suppressed = page.locator("li.alert .suppression.suppress").first();
    await suppressed.waitFor();
    expect(await suppressed.getAttribute("data-reason")).toBe("below_threshold");
    expect(await suppressed.textContent()).toMatch(/Suppressed · \d+% chance of being acted on · below_threshold.*suppressor gbt-/);

    // Held: a drift alert grouped under the alert it explains.
    await page.goto(`${url}/#/alerts?status=held`);
    await page.locator("li.alert[data-status=held]").first().waitFor();
    expect(await page.locator("li.alert[data-status=held] p.group").first().textContent()).toMatch(/grouped under|held under/);

    // Explored: surfaced at random so the suppressor keeps learning. The inbox lists the newest 200
    // (the API's own answer to the page's request); each explored one among them says so.
    const newest = (await getJson("/v1/alerts?status=all&limit=200")).alerts;
    await page.goto(`${url}/#/alerts?status=all`);
    await page.locator("li.alert").first().waitFor();
    for (const a of newest.filter((x: any) => x.suppression?.reason === "explore").slice(0, 3)) {
      await page.locator(`li.alert[data-alert="${a.id}"] .suppression[data-reason="explore"]`).waitFor();
    }

    // A drift alert's link opens the heat map at its window with the distribution shown.
    const drift = alerts.find((a: any) => a.metric === "drift.amount" && Date.parse(a.started_at) >= tour.history.startMs);
    expect(drift, "the week's amount drift raised an alert").toBeDefined();
    await page.goto(`${url}/#/alerts?status=all`);
    const link = page.locator(`li.alert[data-alert="${drift.id}"] .chart-link a`);
    await link.waitFor();
    await link.click();
    await page.waitForURL(/\/drift\?.*feature=amount/);
    await page.locator("#distribution .bar-chart svg rect").first().waitFor();
    expect(await page.textContent("#distribution")).toContain("amount");

    await page.goto(`${url}/#/alerts/digest?hours=24`);
    await page.locator("#digest-open li.alert").first().waitFor();
    const counts = await page.$$eval("[data-count]", (els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute("data-count"), Number(e.querySelector("b")!.textContent)])),
    );
    expect(counts.firing).toBeGreaterThan(0);

    // The newest alerts (the week's, in every state): the top of the list, not a month of it.
    await page.goto(`${url}/#/alerts?status=all`);
    await page.locator("li.alert").first().waitFor();
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: viewport?.width ?? 1360, height: 2200 });
    await page.screenshot({ path: join(SCREENSHOTS, "alerts.png") });
    await page.setViewportSize(viewport ?? { width: 1360, height: 900 });
  });

  it("shows the live traffic that follows the week: a 5-minute window newer than the history, drawn last on the chart", async () => {
    // The history ends on a window's start (printed to the minute): that window holds live traffic only.
    const live = Math.ceil(tour.history.endMs / (5 * MINUTE)) * 5 * MINUTE;
    const windows = await waitUntil(
      "a live 5-minute window of the fraud model",
      async () =>
        (await getJson(`/v1/models/fraud/metrics?window=5m&from=${live}`)).windows.filter(
          (w: { window_start: string; predictions: number }) =>
            Date.parse(`${w.window_start.replace(" ", "T")}Z`) >= live && w.predictions > 0,
        ),
      (w) => w.length > 0,
      420_000,
    );
    const newest = Math.max(...windows.map((w: { window_start: string }) => Date.parse(`${w.window_start.replace(" ", "T")}Z`)));
    await page.goto(`${url}/#/models/fraud?window=300`);
    await page.locator("#volume-chart canvas").waitFor();
    // The axis follows the data: it ends half a window after the newest window, a live one.
    expect(Number(await page.getAttribute("#volume-chart", "data-x-to"))).toBeGreaterThanOrEqual(newest / 1000 + 150);
    // And the demo says so in the terminal, with what ClickHouse holds.
    await demo.waitFor(/demo: sent \d+ predictions, \d+ labels \(0 rejected\); in ClickHouse: \d+ predictions/, 60_000);
  }, 480_000);

  it("stops everything it started on Ctrl-C", async () => {
    const services = demo.services();
    expect(services.map((s) => s.name).sort()).toEqual(["evaluator", "gateway", "processor"]);
    expect(await demo.interrupt()).toBe(0);
    expect(services.filter((s) => isAlive(s.pid))).toEqual([]);
    expect(demo.lines.some((l) => l.includes("[hindsight] stopped"))).toBe(true);
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

/** Drops what the demo made in the test stack: its database's tables (the database is the analyst one, released after) and its topics. */
async function dropDemo(config: Config): Promise<void> {
  const ch = createClickHouse(config.clickhouse);
  await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
  await ch.close();
  const kafka = createKafka({ ...config.kafka, logger: createLogger("test", "error") });
  const { predictions, labels, dlq } = config.topics;
  await withAdmin(kafka, (admin) =>
    admin.deleteTopics({ topics: [predictions, labels, dlq, config.alerts.topic, config.alerts.leaderTopic] }),
  ).catch(() => undefined);
}
