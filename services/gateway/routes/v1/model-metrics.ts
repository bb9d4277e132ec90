/**
 * GET /v1/metrics/models (scope `read`): model quality in Prometheus' text format, for a
 * Prometheus that scrapes with a bearer token. Each model version and stage's newest window of one
 * configured size: volume, label coverage, accuracy (classification) or MAE (regression), feedback
 * delay; each version's newest drift window (drifted features); open alerts by severity; and the
 * slices of models that declared slice keys. Cardinality is bounded: labels are model, version,
 * stage (and severity, or a declared slice), every family is capped, and
 * `hindsight_model_metrics_truncated{family}` says when a cap cut it. A token limited to some
 * models sees only those.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createClickHouse } from "../../../common/clickhouse/client.js";
import {
  modelQualityRepository,
  type Capped,
  type DriftRow,
  type ModelQualityRepository,
  type OpenAlertsRow,
  type QualityRow,
} from "../../../common/clickhouse/model-quality.repository.js";
import type { GatewayContext } from "../../app.js";
import { principalOf } from "../../auth.js";
import { parseOr400, windowParam } from "./params.js";

/** Caps on the series one scrape returns (see README, "Prometheus and Grafana"). */
export const MODEL_METRICS_LIMITS = { versions: 500, slicesPerModel: 20, slices: 1000, driftVersions: 500, alertRows: 1500 } as const;
const SEVERITIES = ["info", "warning", "critical"] as const;

const Query = z.object({
  window: windowParam.optional(),
  /** How far back to look for a model's newest window; default the larger of one day and two windows. */
  lookback: windowParam.optional(),
});

export interface ModelMetrics {
  windowSeconds: number;
  versions: Capped<QualityRow>;
  slices: Capped<QualityRow>;
  drift: Capped<DriftRow>;
  alerts: Capped<OpenAlertsRow>;
}

/** Prometheus' escaping of a label value: backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** The exposition text: each family once, with HELP and TYPE, series without a value left out. */
export function renderModelMetrics(m: ModelMetrics): string {
  const families = new Map<string, { help: string; lines: string[] }>();
  const put = (name: string, help: string, labels: Record<string, string>, value: number | null) => {
    let family = families.get(name);
    if (!family) families.set(name, (family = { help, lines: [] }));
    if (value === null) return;
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(",");
    family.lines.push(`${name}{${text}} ${formatValue(value)}`);
  };
  for (const r of m.versions.rows) {
    const l = { model: r.model_id, version: r.model_version, stage: r.stage };
    put(
      "hindsight_model_window_start_seconds",
      "Start of the newest window the hindsight_model_* values come from (epoch seconds).",
      l,
      r.window_start,
    );
    put("hindsight_model_predictions", "Predictions in the newest window.", l, r.predictions);
    put("hindsight_model_labeled", "Predictions of the newest window that have their label.", l, r.labeled);
    put("hindsight_model_label_coverage_ratio", "Share of the newest window's predictions that have their label.", l, r.label_coverage);
    put("hindsight_model_accuracy_ratio", "Accuracy over the labelled predictions of the newest window (classification).", l, r.accuracy);
    put("hindsight_model_mae", "Mean absolute error over the labelled predictions of the newest window (regression).", l, r.mae);
    put(
      "hindsight_model_feedback_delay_seconds",
      "Time from prediction to label in the newest window, by quantile.",
      { ...l, quantile: "0.5" },
      r.delay_p50_s,
    );
    put(
      "hindsight_model_feedback_delay_seconds",
      "Time from prediction to label in the newest window, by quantile.",
      { ...l, quantile: "0.9" },
      r.delay_p90_s,
    );
  }
  for (const r of m.slices.rows) {
    const l = { model: r.model_id, version: r.model_version, stage: r.stage, slice_key: r.slice_key, slice_value: r.slice_value };
    put("hindsight_model_slice_predictions", "Predictions of a declared slice in its newest window.", l, r.predictions);
    put("hindsight_model_slice_label_coverage_ratio", "Label coverage of a declared slice in its newest window.", l, r.label_coverage);
    put("hindsight_model_slice_accuracy_ratio", "Accuracy of a declared slice in its newest window (classification).", l, r.accuracy);
    put("hindsight_model_slice_mae", "Mean absolute error of a declared slice in its newest window (regression).", l, r.mae);
  }
  for (const r of m.drift.rows) {
    const l = { model: r.model_id, version: r.model_version };
    put(
      "hindsight_model_drifted_features",
      "Input features that drifted from the reference in the version's newest drift window.",
      l,
      r.drifted_features,
    );
    put("hindsight_model_drift_checked_features", "Input features compared with the reference in that window.", l, r.features);
  }
  // Every severity of every model shown, 0 included, so that alerting on `> 0` needs no absent().
  const open = new Map(m.alerts.rows.map((r) => [`${r.model_id}\u0000${r.severity}`, r.open]));
  const models = [...new Set([...m.versions.rows.map((r) => r.model_id), ...m.alerts.rows.map((r) => r.model_id)])].sort();
  const severities = [...new Set([...SEVERITIES, ...m.alerts.rows.map((r) => r.severity)])];
  for (const model of models) {
    for (const severity of severities)
      put(
        "hindsight_model_open_alerts",
        "Open (firing) alerts by severity, suppressed ones included.",
        { model, severity },
        open.get(`${model}\u0000${severity}`) ?? 0,
      );
  }
  put("hindsight_model_metrics_window_seconds", "The window size these values are computed over.", {}, m.windowSeconds);
  for (const [family, part] of [
    ["versions", m.versions],
    ["slices", m.slices],
    ["drift", m.drift],
    ["alerts", m.alerts],
  ] as const) {
    put(
      "hindsight_model_metrics_truncated",
      "1 when a family hit its cap and some series were left out.",
      { family },
      part.truncated ? 1 : 0,
    );
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.lines.length === 0) continue;
    out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} gauge`, ...f.lines);
  }
  return `${out.join("\n")}\n`;
}

export async function modelMetricsRoutes(app: FastifyInstance, ctx: GatewayContext, repository?: ModelQualityRepository): Promise<void> {
  const { config, requireScope } = ctx;
  let repo = repository;
  if (!repo) {
    // Its own small client, closed with the app, so the gateway's wiring need not change.
    const clickhouse = createClickHouse(config.clickhouse);
    app.addHook("onClose", async () => clickhouse.close());
    repo = modelQualityRepository(clickhouse);
  }
  const sizes = config.metrics.windowSizes;
  const defaultWindow = sizes.includes(3600) ? 3600 : sizes[0]!;

  app.get("/v1/metrics/models", { preHandler: requireScope("read") }, async (request, reply) => {
    const q = parseOr400(Query, request.query, reply);
    if (!q) return reply;
    const windowSeconds = q.window ?? defaultWindow;
    if (!sizes.includes(windowSeconds))
      return reply.code(400).send({
        error: {
          code: "bad_request",
          message: `window: ${windowSeconds} s is not a configured window size (HINDSIGHT_WINDOWS: ${sizes.join(", ")})`,
        },
      });
    const lookback = q.lookback ?? Math.max(86_400, 2 * windowSeconds);
    const filter = principalOf(request).modelFilter;
    const models = filter === "all" ? undefined : filter;
    const base = { windowSeconds, sinceS: Math.floor(Date.now() / 1000) - lookback, models };
    const L = MODEL_METRICS_LIMITS;
    const empty = { rows: [], truncated: false };
    const [versions, slices, drift, alerts] =
      models !== undefined && models.length === 0
        ? [empty, empty, empty, empty]
        : await Promise.all([
            repo.latest({ ...base, limit: L.versions }),
            repo.latestSlices({ ...base, limit: L.slices, perModel: L.slicesPerModel }),
            repo.latestDrift({ ...base, limit: L.driftVersions }),
            repo.openAlerts({ models, limit: L.alertRows }),
          ]);
    return reply
      .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
      .send(renderModelMetrics({ windowSeconds, versions, slices, drift, alerts }));
  });
}
