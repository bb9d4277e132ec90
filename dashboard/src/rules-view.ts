/**
 * A model's alert rules as the model page lists them: which rules watch the model, each rule's
 * condition and its baseline in words (a seasonal rule compares with the same time of day, or hour
 * of the week, in past periods), and the state of its series. Pure.
 */

/** A rule as `GET /v1/rules` returns it (the fields the page reads). */
export interface ApiRule {
  id: string;
  name?: string;
  kind: "threshold" | "slo" | "relative_change" | "adaptive";
  metric: string;
  op?: string;
  threshold?: number;
  objective?: number;
  change?: number;
  direction?: "down" | "up" | "both";
  baseline_windows: number;
  history_windows: number;
  min_history: number;
  k: number;
  seasonality?: "none" | "daily" | "weekly";
  window: string;
  for: string;
  severity: string;
  target: { model: string; version?: string; stage?: string; slice?: string };
  version: number;
  series: Array<{ model_id: string; model_version: string; slice: string; state: string; reason: string }>;
}

/** The rules whose target is this model, or every model. */
export function rulesFor(rules: readonly ApiRule[], modelId: string): ApiRule[] {
  return rules.filter((r) => r.target.model === modelId || r.target.model === "*");
}

const num = (x: number) => String(Math.round(x * 10_000) / 10_000);

/** What makes the rule breach, in a line. */
export function condition(r: ApiRule): string {
  switch (r.kind) {
    case "threshold":
      return r.op !== undefined && r.threshold !== undefined
        ? `${r.metric} ${r.op} ${num(r.threshold)}`
        : `${r.metric}: drifted or violated`;
    case "slo":
      return `${r.metric} below its objective ${num(r.objective ?? Number.NaN)}`;
    case "relative_change":
      return `${r.metric} moves ${num((r.change ?? 0) * 100)} % ${r.direction === "down" ? "down " : r.direction === "up" ? "up " : ""}from its baseline`;
    case "adaptive":
      return `${r.metric} outside median ± ${num(r.k)} robust deviations`;
  }
}

/** What the rule compares a window with: nothing, its recent windows, or the same phase of past periods. */
export function baseline(r: ApiRule): string {
  if (r.kind === "threshold" || r.kind === "slo") return "fixed";
  const n = r.kind === "adaptive" ? r.history_windows : r.baseline_windows;
  const wait = r.kind === "adaptive" ? `, from ${r.min_history}` : "";
  if (r.seasonality === "daily") return `seasonal (daily): the same time of day in the last ${n} days${wait}`;
  if (r.seasonality === "weekly") return `seasonal (weekly): the same hour of the week in the last ${n} weeks${wait}`;
  return `the last ${n} windows${wait}`;
}

/** Where the rule looks: the target's version, stage and slice, or the whole model. */
export function scope(r: ApiRule): string {
  const parts = [r.target.version && `version ${r.target.version}`, r.target.stage, r.target.slice && `slice ${r.target.slice}`];
  return parts.filter(Boolean).join(", ") || "every version";
}

/** The rule's series on this model counted by state: "2 ok, 1 breach". */
export function states(r: ApiRule, modelId: string): string {
  const counts = new Map<string, number>();
  for (const s of r.series) if (s.model_id === modelId) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  if (counts.size === 0) return "not judged yet";
  return [...counts.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
}
