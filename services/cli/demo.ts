/**
 * `hindsight demo`: realistic traffic from the seeded generator (services/demo/generator.ts) sent
 * over HTTP like a production service would: a fraud model with late labels and scheduled
 * incidents. On an empty system it first sends a week of history (services/demo/history.ts), so
 * the dashboard has something to show at once. Starts the whole system first when it is not
 * running, and stops what it started.
 */
import { withAgeBand } from "../demo/age-band.js";
import { withRequest, withShadow } from "../demo/shadow.js";
import { createEtaTraffic } from "../demo/eta.js";
import { createTriageTraffic } from "../demo/triage.js";
import { createDemoTraffic, defaultIncidents, type DemoIncident } from "../demo/generator.js";
import { demoHistory } from "../demo/history.js";
import { sendAlertMonth } from "./demo-alerts.js";
import { readFileSync } from "node:fs";
import { parseRuleFile } from "../../schemas/rules.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { int, row } from "../common/clickhouse/row-schema.js";
import { ident, sql } from "../common/clickhouse/sql.js";
import { gatewayUrl, type CliContext } from "./context.js";
import { devToken } from "./local-stack.js";
import { printBanner, runInForeground, startAll } from "./up.js";
import { sleep } from "../../infra/local/process.js";

export interface DemoOptions {
  rate: number;
  seed: number;
  timeScale: number;
  durationS: number | undefined;
  /** Days of history sent first when the model has none yet; 0 for none. */
  historyDays: number;
}

export async function demo(ctx: CliContext, options: DemoOptions): Promise<number> {
  const base = gatewayUrl(ctx.config);
  const alreadyUp = await fetch(`${base}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (alreadyUp) {
    ctx.log(`sending demo traffic to the running gateway at ${base}; Ctrl-C stops the traffic`);
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    process.once("SIGTERM", () => abort.abort());
    await sendTraffic(ctx, options, tokenFor(ctx), abort.signal);
    return 0;
  }
  const running = await startAll(ctx, { detach: false });
  printBanner(ctx, running.token, false);
  ctx.log(`sending demo traffic to ${base}; Ctrl-C stops the traffic and the system`);
  return runInForeground(ctx, running, (signal) => sendTraffic(ctx, options, running.token ?? tokenFor(ctx), signal));
}

function tokenFor(ctx: CliContext): string {
  const withScopes = ctx.config.http.tokens.find((t) => t.scopes.includes("ingest") && t.scopes.includes("label"));
  return withScopes?.token ?? devToken(ctx.home).token;
}

/** The demo's alert rules (examples/rules.yaml), applied once when no rules are active. */
async function applyDemoRules(ctx: CliContext): Promise<void> {
  const ch = createClickHouse(ctx.config.clickhouse);
  try {
    const repo = alertsRepository(ch);
    if ((await repo.activeRules()).length > 0) return;
    const file = parseRuleFile(readFileSync(new URL("../../examples/rules.yaml", import.meta.url), "utf8"));
    await repo.applyRuleFile(file, "file:examples/rules.yaml", Date.now());
    ctx.log(`demo: applied ${file.rules.length} alert rules from examples/rules.yaml (GET /v1/alerts, or the dashboard's Alerts page)`);
  } finally {
    await ch.close();
  }
}

/** A week (or `historyDays`) of the model's past, sent once, when the model has no predictions yet. */
async function sendHistory(ctx: CliContext, options: DemoOptions, token: string, signal: AbortSignal): Promise<DemoIncident | undefined> {
  if (options.historyDays <= 0 || (await predictionCount(ctx)) > 0) return undefined;
  // The history ends where the current base window begins, so the live traffic that follows has
  // that window to itself: the newest window on the charts is live from the first minute.
  const base = Math.min(...ctx.config.metrics.windowSizes) * 1000;
  const nowMs = Math.floor(Date.now() / base) * base;
  const history = demoHistory({ seed: options.seed, nowMs, days: options.historyDays });
  ctx.log("demo: a month of answered alerts first, from before the history, so the suppressor is trained and active");
  const month = await sendAlertMonth(ctx, { seed: options.seed, endMs: history.startMs, nowMs });
  if (month) {
    ctx.log(
      `demo: ${month.alerts} past alerts up to ${utc(month.endMs)} UTC, ${month.answered} answered; from ${utc(month.judgedFromMs)} UTC a first suppressor held back ` +
        `${month.suppressed} (${month.explored} more surfaced by exploration), ${month.held} drift alerts held under another; active model: ${month.model}`,
    );
  }
  await declareFraud(ctx, token);
  const fraud = history.traffic.advance(nowMs);
  const eta = history.eta.advance(nowMs);
  const triage = history.triage.advance(nowMs);
  const predictions = [...fraud.predictions.map(withAgeBand).flatMap(withShadow), ...eta.predictions, ...triage.predictions];
  const labels = [...fraud.labels.map(withRequest), ...eta.labels, ...triage.labels];
  ctx.log(
    `demo: sending ${options.historyDays} days of history first, from ${utc(history.startMs)} to ${utc(nowMs)} UTC: ` +
      `${predictions.length} predictions, ${labels.length} labels ` +
      `(of which ${eta.predictions.length} and ${eta.labels.length} for the regression model 'eta', ` +
      `${triage.predictions.length} and ${triage.labels.length} for the multi-class model 'triage')`,
  );
  let sent = 0;
  for (const [path, items] of [
    ["/v1/predictions", predictions],
    ["/v1/labels", labels],
  ] as const) {
    for (let i = 0; i < items.length && !signal.aborted; i += 5_000) {
      await post(`${gatewayUrl(ctx.config)}${path}`, token, items.slice(i, i + 5_000));
      const before = Math.floor((4 * sent) / (predictions.length + labels.length));
      sent += Math.min(5_000, items.length - i);
      const quarter = Math.floor((4 * sent) / (predictions.length + labels.length));
      if (quarter > before) ctx.log(`demo: history ${25 * quarter} % sent`);
    }
  }
  ctx.log("demo: the history's windows, drift and alerts fill in over the next minutes. A tour:");
  for (const line of history.tour) ctx.log(`  - ${line}`);
  ctx.log("  - the Models page: the week's accuracy, label coverage and volume; the canary v4 beside production v3");
  ctx.log(
    "  - model 'fraud': its Compare page, the shadow v5 against production v3 on the same requests (a quarter of them), " +
      "with McNemar's test and the promote / hold / roll back reading (GET /v1/models/fraud/compare?a=v3&b=v5)",
  );
  ctx.log(
    "  - model 'fraud': its Fairness page by age_band (a segment the model never sees, yet the young are flagged most), " +
      "and its Slices page with the intersections country × device",
  );
  ctx.log(
    "  - the Alerts page: firing, suppressed (with the suppressor's score, reason and version), held beneath the alert they explain, " +
      "and explored alerts; each links to the window that raised it; the Digest tab for a shift handover",
  );
  ctx.log(
    "  - SQL to try (dashboard SQL page, or POST /v1/sql): SELECT window_start, slice_value, accuracy FROM slice_metrics " +
      "WHERE model_id = 'fraud' AND window_seconds = 3600 AND slice_key = 'country' AND slice_value = 'BR' ORDER BY window_start",
  );
  return history.ongoing;
}

/**
 * The fraud model declared before its first prediction (so no window is recomputed): its country,
 * the sensitive `age_band` its Fairness page compares, and the intersection `country × device`.
 */
async function declareFraud(ctx: CliContext, token: string): Promise<void> {
  const res = await fetch(`${gatewayUrl(ctx.config)}/v1/models/fraud`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      task: "binary",
      positive_class: "fraud",
      threshold: 0.5,
      // Each declared key costs a drift summary per window (drift per slice): device is in the intersection.
      slice_keys: ["country", "age_band", "country × device"],
    }),
  }).catch((err: Error) => err);
  if (res instanceof Error || !res.ok) {
    const why = res instanceof Error ? res.message : `HTTP ${res.status}`;
    ctx.log(`demo: could not declare the fraud model's slices (${why}); it is inferred from its first prediction instead`);
  }
}

/** A time as the tour prints it, to the minute: "2026-12-06 07:40". */
const utc = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

async function predictionCount(ctx: CliContext): Promise<number> {
  const client = createClickHouse(ctx.config.clickhouse);
  try {
    const db = ctx.config.clickhouse.database;
    const [r] = await client.rows(row({ n: int }), sql`SELECT count() AS n FROM ${ident(`${db}.predictions`)} WHERE model_id = 'fraud'`);
    return r?.n ?? 0;
  } finally {
    await client.close();
  }
}

async function sendTraffic(ctx: CliContext, options: DemoOptions, token: string, signal: AbortSignal): Promise<void> {
  await applyDemoRules(ctx);
  // The history's last incident goes on live for a while, so its alert is firing when the newcomer looks.
  const ongoing = await sendHistory(ctx, options, token, signal);
  const startMs = Date.now();
  const traffic = createDemoTraffic({
    seed: options.seed,
    startMs,
    predictionsPerSecond: options.rate,
    timeScale: options.timeScale,
    incidents: [...defaultIncidents(startMs), ...(ongoing ? [ongoing] : [])],
    idPrefix: `demo-${options.seed}-${startMs.toString(36)}`,
  });
  // The regression model at a tenth of the rate; deliveries in madrid slow down from +20 to +35 minutes.
  const eta = createEtaTraffic({
    seed: options.seed,
    startMs,
    predictionsPerSecond: options.rate / 10,
    timeScale: options.timeScale / 60,
    slowdowns: [{ city: "madrid", fromMs: startMs + 20 * 60_000, toMs: startMs + 35 * 60_000, factor: 1.6 }],
    idPrefix: `eta-${options.seed}-${startMs.toString(36)}`,
  });
  // The multi-class model at a tenth of the rate, its tickets resolved as late as the fraud labels come.
  const triage = createTriageTraffic({
    seed: options.seed,
    startMs,
    predictionsPerSecond: options.rate / 10,
    timeScale: options.timeScale / 16,
    idPrefix: `triage-${options.seed}-${startMs.toString(36)}`,
  });
  ctx.log(
    `demo: live traffic from ${utc(startMs)} UTC: ${options.rate} predictions/s of model 'fraud' (v3 production, v4 canary, v5 shadowing a quarter of v3's requests); labels arrive late ` +
      `(median 2 days compressed ${options.timeScale}× into ${Math.round(172_800 / options.timeScale)} s); ` +
      "incidents: 'amount' drifts at +10 min, country=BR accuracy drops at +30 min, merchant_category 'gaming' vanishes at +40 min; " +
      `and ${options.rate / 10} predictions/s of the regression model 'eta', whose madrid deliveries slow down at +20 min, ` +
      `and of the multi-class model 'triage'`,
  );
  const sent = { predictions: 0, labels: 0, rejected: 0 };
  let lastReport = Date.now();
  const endAt = options.durationS === undefined ? Infinity : startMs + options.durationS * 1000;
  while (!signal.aborted && Date.now() < endAt) {
    const until = Math.min(Date.now(), endAt);
    const fraud = traffic.advance(until);
    const deliveries = eta.advance(until);
    const tickets = triage.advance(until);
    const predictions = [...fraud.predictions.map(withAgeBand).flatMap(withShadow), ...deliveries.predictions, ...tickets.predictions];
    const labels = [...fraud.labels.map(withRequest), ...deliveries.labels, ...tickets.labels];
    for (const [path, items] of [
      ["/v1/predictions", predictions],
      ["/v1/labels", labels],
    ] as const) {
      for (let i = 0; i < items.length; i += 5_000) {
        const answer = await post(`${gatewayUrl(ctx.config)}${path}`, token, items.slice(i, i + 5_000));
        sent[path === "/v1/predictions" ? "predictions" : "labels"] += answer.accepted;
        sent.rejected += answer.rejected.length;
      }
    }
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      ctx.log(`demo: sent ${sent.predictions} predictions, ${sent.labels} labels (${sent.rejected} rejected)${await stored(ctx)}`);
    }
    await sleep(250);
  }
  ctx.log(`demo: finished after ${sent.predictions} predictions and ${sent.labels} labels${await stored(ctx)}`);
}

async function post(url: string, token: string, items: unknown[]): Promise<{ accepted: number; rejected: unknown[] }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(items),
    }).catch((err: Error) => err);
    if (!(res instanceof Error) && res.status === 202) return (await res.json()) as { accepted: number; rejected: unknown[] };
    const why = res instanceof Error ? res.message : `HTTP ${res.status}: ${await res.text()}`;
    if ((!(res instanceof Error) && res.status < 500) || attempt >= 5) throw new Error(`POST ${url} failed: ${why}`);
    await sleep(200 * 2 ** attempt);
  }
}

async function stored(ctx: CliContext): Promise<string> {
  const client = createClickHouse(ctx.config.clickhouse);
  try {
    const db = ctx.config.clickhouse.database;
    const [counts] = await client.rows(
      row({ p: int, l: int }),
      sql`SELECT (SELECT count() FROM ${ident(`${db}.prediction_events`)}) AS p, (SELECT count() FROM ${ident(`${db}.label_events`)}) AS l`,
    );
    const [quality] = await client.rows(
      row({ correct: int, n: int }),
      sql`
      SELECT sum(correct) AS correct, sum(class_n) AS n FROM ${ident(`${db}.slice_metrics`)}
      WHERE model_id = 'fraud' AND slice_key = '' AND window_seconds = ${Math.min(...ctx.config.metrics.windowSizes)}`,
    );
    const n = quality?.n ?? 0;
    const accuracy = n > 0 ? `; accuracy so far ${(quality!.correct / n).toFixed(3)} on ${n} labelled predictions` : "";
    return `; in ClickHouse: ${counts?.p} predictions, ${counts?.l} labels${accuracy}`;
  } catch {
    return "";
  } finally {
    await client.close();
  }
}
