/**
 * Drift per slice: the drift of a model version's features within one slice of a declared slice key
 * (country = DE), against the version's reference over all traffic. Pure.
 *
 * State stays bounded however many values a key has: each base window keeps the summaries of the
 * `perKey` busiest slices of each key and only a row count for the rest (`otherRows`), and a window
 * scores at most `perKey` slices per key, the busiest that can reach a decision; every other row of
 * the key is counted in its `otherRows`, visibly. Summaries merge by addition, like overall drift's.
 *
 * Decisions are overall drift's (decideDrift: effect size above 1,000 values, a test of significance
 * below, nothing below the minimum sample), with the Benjamini–Hochberg adjustment taken across
 * every feature of every slice of a key in the window: testing a hundred slices does not multiply
 * false alarms.
 */
import type { FeatureRule } from "../../../../schemas/models.js";
import { DRIFT_DEFAULTS, decideDrift, type FeatureDrift } from "./feature-drift.js";
import type { FeatureProfile } from "./profile.js";
import { emptySummary, mergeInto, type FeatureSummary } from "./summary.js";
import { CROSS } from "../model-spec.js";

/** One slice's summaries in one window (a base window, or a larger one merged from them). */
export interface SliceSummaries {
  key: string;
  value: string;
  /** the slice's rows in the window */
  rows: number;
  features: FeatureSummary[];
}

/** The slices of one window, and per key the rows not in any of them. */
export interface SliceWindow {
  slices: SliceSummaries[];
  otherRows: Record<string, number>;
}

export interface SliceDrift {
  key: string;
  value: string;
  rows: number;
  /** the key's rows in the window outside the slices scored */
  otherRows: number;
  drift: FeatureDrift[];
}

const id = (key: string, value: string) => `${key}\u0000${value}`;

const copy = (s: FeatureSummary): FeatureSummary => ({ ...s, counts: [...s.counts], sums: [...s.sums], unseenTop: [...s.unseenTop] });

/** Base windows merged into one window: summaries added per slice and feature, other rows per key. */
export function mergeSliceWindows(windows: Iterable<SliceWindow>): SliceWindow {
  const slices = new Map<string, { key: string; value: string; rows: number; features: Map<string, FeatureSummary> }>();
  const otherRows: Record<string, number> = {};
  for (const w of windows) {
    for (const [key, n] of Object.entries(w.otherRows)) otherRows[key] = (otherRows[key] ?? 0) + n;
    for (const s of w.slices) {
      let acc = slices.get(id(s.key, s.value));
      if (!acc) slices.set(id(s.key, s.value), (acc = { key: s.key, value: s.value, rows: 0, features: new Map() }));
      acc.rows += s.rows;
      for (const f of s.features) {
        const known = acc.features.get(f.feature);
        if (known) mergeInto(known, f);
        else acc.features.set(f.feature, copy(f));
      }
    }
  }
  return {
    slices: [...slices.values()].map((s) => ({ key: s.key, value: s.value, rows: s.rows, features: [...s.features.values()] })),
    otherRows,
  };
}

/** The fewest rows a slice needs for any of its features to reach a decision. */
export function minimumRows(profiles: readonly FeatureProfile[], rules: Record<string, FeatureRule>): number {
  const mins = profiles.map((p) => rules[p.feature]?.drift?.min_samples ?? DRIFT_DEFAULTS.minSamples);
  return mins.length === 0 ? DRIFT_DEFAULTS.minSamples : Math.min(...mins);
}

/**
 * Scores a window's slices: per key, the `perKey` busiest slices with at least `minimumRows` rows
 * (ties by value), every feature of the reference; the rest of the key's rows go to `otherRows`.
 */
export function decideSliceDrift(
  window: SliceWindow,
  profiles: readonly FeatureProfile[],
  rules: Record<string, FeatureRule>,
  perKey: number,
): SliceDrift[] {
  const least = minimumRows(profiles, rules);
  const byKey = new Map<string, SliceSummaries[]>();
  for (const s of window.slices) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  for (const key of Object.keys(window.otherRows)) if (!byKey.has(key)) byKey.set(key, []);
  const out: SliceDrift[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const ranked = byKey.get(key)!.sort((a, b) => b.rows - a.rows || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const scored = ranked.filter((s) => s.rows >= least).slice(0, perKey);
    const scoredRows = scored.reduce((n, s) => n + s.rows, 0);
    const otherRows = ranked.reduce((n, s) => n + s.rows, 0) - scoredRows + (window.otherRows[key] ?? 0);
    if (scored.length === 0) continue;
    const inputs = scored.flatMap((s) => {
      const byName = new Map(s.features.map((f) => [f.feature, f]));
      return profiles.map((p) => {
        const summary = byName.get(p.feature) ?? emptySummary(p.feature, p.counts.length, p.kind === "numeric");
        return { profile: p, window: { ...summary, rows: s.rows }, rule: rules[p.feature] };
      });
    });
    // One call per key: Benjamini–Hochberg across every feature of every slice of the key.
    const decided = decideDrift(inputs);
    scored.forEach((s, i) => {
      out.push({
        key,
        value: s.value,
        rows: s.rows,
        otherRows,
        drift: decided.slice(i * profiles.length, (i + 1) * profiles.length),
      });
    });
  }
  return out;
}

/**
 * The declared slice keys drift is computed for: the single keys. An intersection's slices are small
 * (too few rows per window to decide drift) and many (countries × devices), and summarising them
 * multiplied the demo's drift work several times over; they are ranked by their metrics instead.
 */
export function driftSliceKeys(declared: readonly string[]): string[] {
  return declared.filter((k) => !k.includes(CROSS));
}

/** A `key=value` slice filter as the API takes it (the first '=' splits; a value may hold more). */
export function parseSliceFilter(text: string): { key: string; value: string } | undefined {
  const at = text.indexOf("=");
  if (at <= 0) return undefined;
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}
