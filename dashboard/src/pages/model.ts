/**
 * One model's metrics over time at a chosen window size: accuracy realised (solid), provisional
 * (hollow points: the window's labels have not mostly arrived) and estimated without labels
 * (dashed); label coverage and volume below on the same time axis; versions side by side; the
 * feedback-delay distribution. A regression model shows its MAE and RMSE where a classifier shows
 * accuracy.
 */
import { api, enc } from "../api.js";
import { groupedBars, PALETTE, timeChart, type LineSpec } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { compact, pct, toMs, utc, windowName } from "../format.js";
import {
  accuracySeries,
  align,
  byVersion,
  delayBuckets,
  errorSeries,
  type EstimateRow,
  isRegression,
  type MetricRow,
  versionKey,
  withEstimates,
} from "../series.js";
import { apiBounds, parseRange, rangeParams } from "../range.js";
import { failure, modelHeader, queryWindow, rangePicker, setQuery, windowPicker } from "./shared.js";
import { explained } from "../explain.js";
import { aucCard, rulesCard } from "./model-extras.js";

/** Label coverage from which a window's accuracy counts as realised rather than provisional. */
const SETTLED_AT = 0.5;

export async function modelPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const window = queryWindow(query, 3600);
  const range = parseRange(query, Date.now());
  root.append(
    modelHeader(id, "overview", [
      windowPicker(window, (w) => setQuery(`/models/${enc(id)}`, { window: w, ...rangeParams(range) })),
      rangePicker(range, (r) => setQuery(`/models/${enc(id)}`, { window, ...r })),
    ]),
  );

  const accuracyBox = h("div", { class: "chart", id: "accuracy-chart" });
  const firstTitle = h("h2", {}, `Accuracy per ${windowName(window)} window`);
  const firstNote = h(
    "p",
    { class: "muted" },
    `Solid: realised accuracy (≥ ${pct(SETTLED_AT, 0)} of the window's predictions labelled). Hollow points: provisional, labels still arriving. Dashed: estimated without labels from the model's calibrated scores, with the labels already in; dotted: its 95 % interval where labels are missing.`,
  );
  const coverageBox = h("div", { class: "chart", id: "coverage-chart" });
  const volumeBox = h("div", { class: "chart", id: "volume-chart" });
  const versionsBox = h("div", {}, loading());
  const delaysBox = h("div", {}, loading());
  root.append(
    h("section", { class: "card" }, firstTitle, firstNote, accuracyBox),
    card("Label coverage", coverageBox),
    card("Predictions", volumeBox),
    h("div", { class: "two" }, card("Versions side by side", versionsBox), card("Feedback delay (prediction → label)", delaysBox)),
  );
  root.append(rulesCard(id));

  const [metrics, delays, estimates] = await Promise.all([
    api.get<{ windows: MetricRow[] }>(`/v1/models/${enc(id)}/metrics`, { window: windowName(window), ...apiBounds(range, window) }),
    api
      .get<{ versions: Array<{ model_version: string; stage: string; labeled: number; bins: Array<{ upper_s: number; count: number }> }> }>(
        `/v1/models/${enc(id)}/label-delays`,
        { ...apiBounds(range, window) },
      )
      .catch((e: unknown) => e as Error),
    // Binary and regression models (another task answers 400: a multi-class model keeps the view's mean confidence).
    api
      .get<{ windows: EstimateRow[] }>(`/v1/models/${enc(id)}/estimates`, { window: windowName(window), ...apiBounds(range, window) })
      .catch(() => ({ windows: [] as EstimateRow[] })),
  ]);
  const rows = withEstimates(metrics.windows, estimates.windows);
  accuracyBox.dataset.estimates = String(estimates.windows.filter((e) => e.accuracy !== null && e.accuracy !== undefined).length);
  if (rows.length === 0) {
    accuracyBox.append(
      h(
        "p",
        { class: "muted" },
        range.key === "all"
          ? "No windows yet for this model: they appear seconds after its first predictions are stored, and accuracy follows as their labels arrive."
          : "No windows in this time range: pick a longer one, or all.",
      ),
    );
    return;
  }
  const keys = [...new Set(rows.map(versionKey))].sort();
  const color = (label: string) => PALETTE[keys.findIndex((k) => label.startsWith(k)) % PALETTE.length]!;

  const sync = `model-${id}`;
  const pctAxis = (v: number) => `${Math.round(v * 1000) / 10}%`;
  const regression = isRegression(rows);
  if (regression) {
    firstTitle.textContent = `Error per ${windowName(window)} window`;
    firstNote.textContent =
      "Solid: mean absolute error (MAE), thin: root mean squared error (RMSE), in the label's units, over the window's labelled predictions. Dashed: each estimated without labels from the version's error model, with the labels already in; dotted: its 95 % interval where labels are missing. Lower is better.";
    accuracyBox.id = "error-chart";
    const err = errorSeries(rows);
    accuracyBox.dataset.estimates = String(estimates.windows.filter((e) => e.mae !== null && e.mae !== undefined).length);
    const errLines: LineSpec[] = err.series.map((s, i) => ({
      label: s.label,
      values: s.values,
      color: color(s.label),
      ...(err.kinds[i] === "estimated"
        ? { dash: [6, 4], width: 1.2 }
        : err.kinds[i] === "band"
          ? { dash: [1, 3], width: 1 }
          : err.kinds[i] === "rmse"
            ? { width: 1 }
            : { width: 2 }),
    }));
    timeChart(accuracyBox, err.xs, errLines, { yFormat: (v) => compact(v), syncKey: sync, height: 260, windowSeconds: window, range });
  } else {
    const acc = accuracySeries(rows, SETTLED_AT);
    const accLines: LineSpec[] = acc.series.map((s, i) => ({
      label: s.label,
      values: s.values,
      color: color(s.label),
      ...(acc.kinds[i] === "estimated"
        ? { dash: [6, 4], width: 1.2 }
        : acc.kinds[i] === "band"
          ? { dash: [1, 3], width: 1 }
          : acc.kinds[i] === "provisional"
            ? { pointsOnly: true }
            : { width: 2 }),
    }));
    timeChart(accuracyBox, acc.xs, accLines, { yFormat: pctAxis, syncKey: sync, height: 260, windowSeconds: window, range });
  }
  const coverage = align(rows, versionKey, (r) => r.label_coverage);
  timeChart(
    coverageBox,
    coverage.xs,
    coverage.series.map((s) => ({ ...s, color: color(s.label), fill: `${color(s.label)}14` })),
    { yRange: [0, 1], yFormat: pctAxis, syncKey: sync, height: 150, windowSeconds: window, range },
  );
  const vol = align(rows, versionKey, (r) => r.predictions);
  timeChart(
    volumeBox,
    vol.xs,
    vol.series.map((s) => ({ ...s, color: color(s.label) })),
    { yFormat: (v) => compact(v), syncKey: sync, height: 150, windowSeconds: window, range },
  );
  aucCard(volumeBox.closest(".card")!, rows, { color, sync, window, range });

  const lastStart = rows.at(-1)!.window_start;
  versionsBox.replaceChildren(
    h(
      "table",
      { class: "grid" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...(regression
            ? ["Version", "Stage", "Predictions", "Labelled", "MAE", "RMSE"]
            : ["Version", "Stage", "Predictions", "Labelled", "Accuracy", "Estimated", "Δ vs estimate"]
          ).map((t) => h("th", explained(t), t)),
        ),
      ),
      h(
        "tbody",
        {},
        ...byVersion(rows).map((v) =>
          h(
            "tr",
            {},
            h("td", {}, h("i", { class: "dot", style: `background:${color(versionKey(v))}` }), v.model_version),
            h("td", {}, v.stage),
            h("td", { class: "num" }, compact(v.predictions)),
            h("td", { class: "num" }, `${compact(v.labeled)} (${pct(v.coverage, 0)})`),
            ...(regression
              ? [
                  h("td", { class: "num" }, v.mae === null ? "–" : v.mae.toFixed(2)),
                  h("td", { class: "num" }, v.rmse === null ? "–" : v.rmse.toFixed(2)),
                ]
              : [
                  h("td", { class: "num" }, pct(v.accuracy)),
                  h("td", { class: "num" }, pct(v.estimated)),
                  h(
                    "td",
                    { class: "num" },
                    v.accuracy !== null && v.estimated !== null ? `${((v.accuracy - v.estimated) * 100).toFixed(1)} pts` : "–",
                  ),
                ]),
          ),
        ),
      ),
    ),
    h("p", { class: "muted" }, `All ${rows.length} rows shown, through the window starting ${utc(toMs(lastStart))} UTC.`),
  );

  if (delays instanceof Error) {
    delaysBox.replaceChildren(failure(delays, "The label-delay histogram"));
    return;
  }
  if (delays.versions.length === 0) {
    delaysBox.replaceChildren(h("p", { class: "muted" }, "No labels yet."));
    return;
  }
  const buckets = delays.versions.map((v) => ({ v, b: delayBuckets(v.bins) }));
  const longest = buckets.reduce((a, b) => (b.b.length > a.b.length ? b : a)).b;
  delaysBox.replaceChildren(
    groupedBars(
      longest.map((b) => b.label),
      buckets.map(({ v, b }) => ({
        name: `${versionKey(v)} (${compact(v.labeled)} labels)`,
        color: color(versionKey(v)),
        values: longest.map((_, i) => b[i]?.share ?? 0),
      })),
      { format: (x) => pct(x, 0), height: 230 },
    ),
  );
}
