/** Lays drift scores out as a features × windows grid for one model version. Pure. */
import { driftSeverity, type DriftCell } from "./color.js";

export interface DriftScore extends DriftCell {
  window_start_ms: number;
  model_version: string;
  feature: string;
  drifted: boolean;
  n: number;
}

export interface HeatmapLayout {
  versions: string[];
  features: string[];
  /** window starts (ms), oldest first */
  windows: number[];
  /** cells[row][column], null where the feature has no score in that window */
  cells: Array<Array<(DriftScore & { severity: number | null }) | null>>;
  /** windows left out, oldest first, to keep the grid readable */
  dropped: number;
}

/** Model inputs first, alphabetically; the model's own outputs (prediction.*) last. */
export function featureOrder(a: string, b: string): number {
  const pa = a.startsWith("prediction.") ? 1 : 0;
  const pb = b.startsWith("prediction.") ? 1 : 0;
  return pa - pb || a.localeCompare(b);
}

export function heatmapLayout(scores: DriftScore[], version: string | undefined, maxColumns = 168): HeatmapLayout {
  const versions = [...new Set(scores.map((s) => s.model_version))].sort();
  const chosen = version && versions.includes(version) ? version : versions[0];
  const own = scores.filter((s) => s.model_version === chosen);
  const features = [...new Set(own.map((s) => s.feature))].sort(featureOrder);
  const all = [...new Set(own.map((s) => s.window_start_ms))].sort((a, b) => a - b);
  const windows = all.slice(Math.max(0, all.length - maxColumns));
  const column = new Map(windows.map((w, i) => [w, i]));
  const row = new Map(features.map((f, i) => [f, i]));
  const cells = features.map(() => windows.map(() => null as (DriftScore & { severity: number | null }) | null));
  for (const s of own) {
    const c = column.get(s.window_start_ms);
    if (c === undefined) continue;
    cells[row.get(s.feature)!]![c] = { ...s, severity: driftSeverity(s) };
  }
  return { versions, features, windows, cells, dropped: all.length - windows.length };
}

/** The first drifted window per feature, for the summary beside the grid. */
export function firstDrifted(layout: HeatmapLayout): Array<{ feature: string; window_start_ms: number; drifted_windows: number }> {
  return layout.features
    .map((feature, r) => {
      const drifted = layout.cells[r]!.filter((c) => c?.drifted);
      return { feature, window_start_ms: drifted[0]?.window_start_ms ?? NaN, drifted_windows: drifted.length };
    })
    .filter((f) => f.drifted_windows > 0);
}
