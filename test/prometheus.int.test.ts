/**
 * Model quality in Prometheus: GET /v1/metrics/models against the real pipeline (gateway, Kafka,
 * processor, ClickHouse), scraped by a real Prometheus (Debian's package) and read back with PromQL.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import { escapeLabel, renderModelMetrics } from "../services/gateway/routes/v1/model-metrics.js";
import { postJson, startPipeline, stopPipeline, TEST_TOKEN, waitUntil, type Pipeline } from "./helpers/harness.js";
import { startPrometheus, type Prometheus } from "./helpers/prometheus.js";

const LIMITED = "test-token-read-prom-reg-only-01";
const HOUR = 3600;
// The previous whole hour: one 1-hour window holds all the test's events, and it is the newest.
const W0 = Math.floor(Date.now() / 1000 / HOUR) * HOUR - HOUR;

const cls = Array.from({ length: 200 }, (_, i) => ({
  i,
  predicted: i % 4 === 0 ? "fraud" : "legit",
  truth: i < 150 ? (i % 3 === 0 ? "fraud" : "legit") : undefined,
  country: i % 2 === 0 ? "DE" : "FR",
  ts: (W0 + i * 10) * 1000,
}));
const labelled = cls.filter((e) => e.truth !== undefined);
const accuracyOf = (events: typeof cls) => events.filter((e) => e.truth === e.predicted).length / events.length;
const EXPECTED = {
  accuracy: accuracyOf(labelled),
  coverage: labelled.length / cls.length,
  de: accuracyOf(labelled.filter((e) => e.country === "DE")),
};

/** The value of one series in exposition text, by its exact label set. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}} `;
  const line = text.split("\n").find((l) => l.startsWith(wanted));
  return line === undefined ? undefined : Number(line.slice(wanted.length));
}

describe("the exposition text", () => {
  it("escapes label values and leaves out series without a value", () => {
    const row = {
      model_id: 'm"1\\',
      model_version: "v\n2",
      stage: "production",
      slice_key: "",
      slice_value: "",
      task: "binary",
      window_start: 1,
      predictions: 3,
      labeled: 0,
      label_coverage: 0,
      accuracy: null,
      mae: null,
      delay_p50_s: null,
      delay_p90_s: null,
    };
    const text = renderModelMetrics({
      windowSeconds: 3600,
      versions: { rows: [row], truncated: true },
      slices: { rows: [], truncated: false },
      drift: { rows: [], truncated: false },
      alerts: { rows: [], truncated: false },
    });
    expect(text).toContain('hindsight_model_predictions{model="m\\"1\\\\",version="v\\n2",stage="production"} 3');
    expect(text).not.toContain("hindsight_model_accuracy_ratio");
    expect(text).toContain('hindsight_model_open_alerts{model="m\\"1\\\\",severity="critical"} 0');
    expect(text).toContain('hindsight_model_metrics_truncated{family="versions"} 1');
    expect(text.match(/^# TYPE hindsight_model_feedback_delay_seconds/gm)).toBeNull();
  });
});

describe("model quality in Prometheus", () => {
  let pipeline: Pipeline;
  let prometheus: Prometheus | undefined;
  const scrape = async (token = TEST_TOKEN, query = "") => {
    const res = await fetch(`${pipeline.gateway.url}/v1/metrics/models${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  };

  beforeAll(async () => {
    pipeline = await startPipeline({
      HINDSIGHT_REFERENCE_ROWS: "100",
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
        { token: LIMITED, scopes: ["read"], models: ["prom-reg"] },
      ]),
    });
    const { url } = pipeline.gateway;
    expect(
      (
        await fetch(`${url}/v1/models/prom-cls`, {
          method: "PUT",
          headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ task: "multiclass", slice_keys: ["country"] }),
        })
      ).status,
    ).toBe(200);
    const predictions = cls.map((e) => ({
      prediction_id: `c-${e.i}`,
      model_id: "prom-cls",
      model_version: "v1",
      timestamp: e.ts,
      features: { amount: e.i % 50, country: e.country },
      prediction: { label: e.predicted },
      segments: { country: e.country, device: e.i % 3 === 0 ? "ios" : "web" },
    }));
    const regression = Array.from({ length: 120 }, (_, i) => ({
      prediction_id: `r-${i}`,
      model_id: "prom-reg",
      model_version: "r7",
      stage: "shadow",
      timestamp: (W0 + i * 20) * 1000,
      features: { x: i },
      prediction: { value: i },
    }));
    for (const batch of [predictions, regression])
      expect((await postJson(`${url}/v1/predictions`, batch)).body).toMatchObject({ accepted: batch.length, rejected: [] });
    const labels = [
      ...labelled.map((e) => ({ prediction_id: `c-${e.i}`, model_id: "prom-cls", label: e.truth, labeled_at: e.ts + 600_000 })),
      // Errors of 0.5 and 1.5 in turn: MAE exactly 1.
      ...regression.map((p, i) => ({
        prediction_id: p.prediction_id,
        model_id: "prom-reg",
        value: i + (i % 2 === 0 ? 0.5 : -1.5),
        labeled_at: p.timestamp + 60_000,
      })),
    ];
    expect((await postJson(`${url}/v1/labels`, labels)).body).toMatchObject({ accepted: labels.length, rejected: [] });
    // Open alerts are the evaluator's rows; two written as it would: one firing, one resolved.
    const alert = (id: string, severity: string, resolved: number | null) =>
      JSON.stringify({
        alert_id: id,
        fingerprint: id,
        rule_id: "r",
        rule_kind: "threshold",
        rule_name: "r",
        severity,
        model_id: "prom-cls",
        model_version: "v1",
        stage: "production",
        resolved_ms: resolved,
        updated_wall_ms: Date.now(),
      });
    await pipeline.stack.clickhouse.insertJsonEachRow(`${pipeline.stack.config.clickhouse.database}.alerts_state`, [
      `${alert("a1", "critical", null)}\n${alert("a2", "warning", Date.now())}\n`,
    ]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await stopPipeline(pipeline);
  });

  it("serves each model version's newest window, declared slices and open alerts", async () => {
    const { text } = await waitUntil(
      "both models' labelled windows",
      () => scrape(),
      (s) =>
        sample(s.text, "hindsight_model_labeled", { model: "prom-cls", version: "v1", stage: "production" }) === labelled.length &&
        sample(s.text, "hindsight_model_labeled", { model: "prom-reg", version: "r7", stage: "shadow" }) === 120,
      60_000,
    );
    const c = { model: "prom-cls", version: "v1", stage: "production" };
    const r = { model: "prom-reg", version: "r7", stage: "shadow" };
    expect(sample(text, "hindsight_model_window_start_seconds", c)).toBe(W0);
    expect(sample(text, "hindsight_model_predictions", c)).toBe(200);
    expect(sample(text, "hindsight_model_accuracy_ratio", c)).toBeCloseTo(EXPECTED.accuracy, 12);
    expect(sample(text, "hindsight_model_label_coverage_ratio", c)).toBeCloseTo(EXPECTED.coverage, 12);
    expect(sample(text, "hindsight_model_mae", r)).toBeCloseTo(1, 12);
    expect(sample(text, "hindsight_model_accuracy_ratio", r)).toBeUndefined();
    // Delays are kept in 5 % bins: 10 minutes and 1 minute, within a bin.
    expect(sample(text, "hindsight_model_feedback_delay_seconds", { ...c, quantile: "0.5" })).toBeGreaterThan(600 / 1.06);
    expect(sample(text, "hindsight_model_feedback_delay_seconds", { ...c, quantile: "0.5" })).toBeLessThan(600 * 1.06);
    expect(sample(text, "hindsight_model_feedback_delay_seconds", { ...r, quantile: "0.9" })).toBeLessThan(60 * 1.06);
    // Slices of the declared key only (country), not of the undeclared `device`; none for prom-reg, which declared none.
    expect(sample(text, "hindsight_model_slice_accuracy_ratio", { ...c, slice_key: "country", slice_value: "DE" })).toBeCloseTo(
      EXPECTED.de,
      12,
    );
    expect(text).not.toMatch(/slice_key="device"/);
    expect(text).not.toMatch(/hindsight_model_slice_\w+\{model="prom-reg"/);
    expect(sample(text, "hindsight_model_open_alerts", { model: "prom-cls", severity: "critical" })).toBe(1);
    expect(sample(text, "hindsight_model_open_alerts", { model: "prom-cls", severity: "warning" })).toBe(0);
    expect(sample(text, "hindsight_model_metrics_truncated", { family: "versions" })).toBe(0);
    // Drift: the version's first 100 predictions are its reference; its newest window was compared.
    const drift = await waitUntil(
      "a drift window",
      () => scrape(),
      (s) => sample(s.text, "hindsight_model_drift_checked_features", { model: "prom-cls", version: "v1" }) !== undefined,
      60_000,
    );
    expect(sample(drift.text, "hindsight_model_drift_checked_features", { model: "prom-cls", version: "v1" })).toBe(2);
    expect(sample(drift.text, "hindsight_model_drifted_features", { model: "prom-cls", version: "v1" })).toBeGreaterThanOrEqual(0);
  });

  it("needs a read token, shows a limited token only its models, and refuses an unconfigured window", async () => {
    expect((await fetch(`${pipeline.gateway.url}/v1/metrics/models`)).status).toBe(401);
    const limited = await scrape(LIMITED);
    expect(limited.status).toBe(200);
    expect(limited.text).toMatch(/model="prom-reg"/);
    expect(limited.text).not.toMatch(/prom-cls/);
    expect((await scrape(TEST_TOKEN, "?window=7")).status).toBe(400);
    const daily = await scrape(TEST_TOKEN, "?window=1d");
    expect(sample(daily.text, "hindsight_model_metrics_window_seconds", {})).toBe(86_400);
  });

  it("is scraped by Prometheus and read back with PromQL", async () => {
    const { host } = new URL(pipeline.gateway.url);
    prometheus = await startPrometheus({
      address: host,
      metricsPath: "/v1/metrics/models",
      params: { window: "1h" },
      bearerToken: TEST_TOKEN,
    });
    const result = await waitUntil(
      "Prometheus to have scraped prom-cls",
      () => prometheus!.query('hindsight_model_accuracy_ratio{model="prom-cls",stage="production"}'),
      (r) => r.length === 1,
      30_000,
    );
    expect(result[0]!.metric).toMatchObject({ model: "prom-cls", version: "v1", stage: "production", job: "hindsight-models" });
    expect(Number(result[0]!.value[1])).toBeCloseTo(EXPECTED.accuracy, 12);
    const alerts = await prometheus.query('sum by (severity) (hindsight_model_open_alerts{model="prom-cls"})');
    expect(Object.fromEntries(alerts.map((a) => [a.metric.severity, Number(a.value[1])]))).toEqual({ critical: 1, warning: 0, info: 0 });
  });

  it("the Grafana dashboard's queries and docker-compose's Prometheus configuration are valid", async () => {
    // Every panel and variable query of infra/grafana/hindsight.json, with the variables at "All", through the real Prometheus.
    const dashboard = JSON.parse(readFileSync(join(ROOT, "infra/grafana/hindsight.json"), "utf8"));
    const all = (q: string) => q.replace(/\$(model|version|stage)\b/g, ".*");
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) =>
      (p.targets ?? []).map((t) => all(t.expr)),
    );
    expect(exprs.length).toBeGreaterThan(10);
    const answered = await Promise.all(exprs.map((e) => prometheus!.query(e)));
    // Each family the dashboard reads was scraped (the cap family and drift included).
    expect(exprs.filter((_, i) => answered[i]!.length === 0)).toEqual([]);
    for (const v of dashboard.templating.list as Array<{ query: { query: string } }>) {
      const metric = /label_values\((\w+)/.exec(v.query.query)![1]!;
      expect((await prometheus!.query(metric)).length).toBeGreaterThan(0);
    }
    // promtool (from the same Debian package) checks the compose configuration, with its secret's path pointed at a real file.
    const dir = mkdtempSync(join(tmpdir(), "hs-promtool-"));
    try {
      writeFileSync(join(dir, "token"), "x".repeat(32));
      writeFileSync(
        join(dir, "prometheus.yml"),
        readFileSync(join(ROOT, "infra/prometheus/prometheus.yml"), "utf8").replace(
          "/run/secrets/hindsight-prometheus-token",
          join(dir, "token"),
        ),
      );
      expect(execFileSync("promtool", ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" })).toMatch(/SUCCESS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
