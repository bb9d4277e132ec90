/**
 * Where an alert was raised: the chart and window behind it, as a dashboard link. A drifted feature
 * opens the drift heat map at that feature's window with its distribution; a data check, the drift
 * page's checks; a slice's metric, the slices page with that slice's trend; a model's metric, its
 * metrics page. The time range spans the episode with a dozen windows either side.
 */
import type { ApiAlert } from "../../services/common/domain/alerts/alert-view.js";

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "5m" → 300; NaN for anything else. */
export function windowSeconds(label: string): number {
  const m = /^(\d+)([smhd])$/.exec(label);
  return m ? Number(m[1]) * UNIT_S[m[2]!]! : Number.NaN;
}

export function alertLink(
  a: Pick<
    ApiAlert,
    "model_id" | "model_version" | "metric" | "feature" | "slice" | "window" | "started_at" | "last_seen_at" | "resolved_at"
  >,
): string | null {
  const w = windowSeconds(a.window);
  if (!a.model_id || !Number.isFinite(w)) return null;
  const started = Date.parse(a.started_at);
  const ended = a.resolved_at ? Date.parse(a.resolved_at) : Date.parse(a.last_seen_at) + w * 1000;
  const margin = 12 * w * 1000;
  const range = { from: String(started - margin), to: String(ended + margin) };
  const model = encodeURIComponent(a.model_id);
  const q = (values: Record<string, string>) => new URLSearchParams({ window: String(w), ...values, ...range }).toString();
  if (a.metric.startsWith("drift.") && a.feature)
    return `#/models/${model}/drift?${q({ version: a.model_version, feature: a.feature, at: String(started) })}`;
  if (a.metric.startsWith("quality.")) return `#/models/${model}/drift?${q({ version: a.model_version })}`;
  if (a.slice) return `#/models/${model}/slices?${q({ slice: a.slice })}`;
  return `#/models/${model}?${q({})}`;
}
