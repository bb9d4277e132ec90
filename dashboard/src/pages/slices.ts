/**
 * Slices: the worst sub-populations by the better end of their 95 % interval (so a small slice is
 * not called worst on a few examples), by accuracy or, for a regression model, by MAE; with sample
 * sizes, each slice tested against the rest of the traffic and the false-discovery rate controlled
 * across every slice tested (Benjamini–Hochberg q-values; a slice is flagged only when its q-value
 * is within the rate); single keys and intersections of two keys (`country × device`) side by side
 * or one key at a time. A click shows that slice's trend beside the population's.
 */
import { api, enc } from "../api.js";
import { timeChart } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { compact, pct, windowName } from "../format.js";
import { pooledAccuracy, type MetricRow } from "../series.js";
import { apiBounds, coveringWindow, parseRange, rangeParams } from "../range.js";
import {
  formatGap,
  formatQ,
  formatValue,
  intervalScale,
  isIntersection,
  METRIC_NAME,
  parseSliceName,
  pooledMae,
  sliceKeys,
  sliceName,
  type SliceRanking,
} from "../slice-view.js";
import { modelHeader, queryWindow, rangePicker, setQuery, WINDOWS, windowPicker } from "./shared.js";

/** Slices listed; the API is asked for more so that one key's slices can be shown from them. */
const SHOWN = 25;
const FETCHED = 500;

export async function slicesPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const trendWindow = queryWindow(query, 3600);
  const selected = query.get("slice");
  const onlyKey = query.get("key");
  const range = parseRange(query, Date.now());
  const kept = () => ({ window: trendWindow, ...(selected ? { slice: selected } : {}), ...(onlyKey ? { key: onlyKey } : {}) });
  const go = (values: Record<string, string | number>) =>
    setQuery(`/models/${enc(id)}/slices`, { ...kept(), ...rangeParams(range), ...values });
  const keyBox = h("div", { class: "seg", role: "group", "aria-label": "slice key" });
  root.append(
    modelHeader(id, "slices", [
      keyBox,
      windowPicker(trendWindow, (w) => go({ window: w })),
      rangePicker(range, (r) => setQuery(`/models/${enc(id)}/slices`, { ...kept(), ...r })),
    ]),
  );
  const summary = h("div", { id: "slices-summary" });
  const listBox = h("div", {}, loading());
  const trendBox = h("div", { class: "chart", id: "slice-trend" });
  const trendCard = card("Trend", trendBox);
  const listCard = card("Worst slices", summary, listBox);
  root.append(listCard, trendCard);

  // Windows that fit the range, so that the ranking is over the range, not whole days around it.
  const rankWindow = coveringWindow(range, WINDOWS);
  const res = await api.get<SliceRanking>(`/v1/models/${enc(id)}/slices`, {
    window: rankWindow,
    order: "worst",
    limit: FETCHED,
    ...apiBounds(range, rankWindow),
  });
  const metric = res.metric;
  listCard.querySelector("h2")!.textContent =
    `Worst slices by ${metric === "mae" ? "mean absolute error" : "accuracy"} (${range.key === "all" ? "all labelled data" : "labelled data in the range"}, at least 30 labels)`;
  const keys = sliceKeys(res.slices);
  keyBox.replaceChildren(
    h("span", { class: "muted" }, "keys"),
    h("button", { class: onlyKey ? "" : "on", "data-key": "", onclick: () => go({ key: "" }) }, "all"),
    ...keys.map((k) => h("button", { class: k === onlyKey ? "on" : "", "data-key": k, onclick: () => go({ key: k }) }, k)),
  );
  if (!res.population) {
    listBox.replaceChildren(h("p", { class: "muted" }, "No labelled predictions yet."));
    return;
  }
  const pop = res.population;
  const shown = res.slices.filter((s) => !onlyKey || s.slice_key === onlyKey).slice(0, SHOWN);
  const flagged = res.slices.filter((s) => s.significantly_worse);
  const intersections = keys.filter(isIntersection);
  summary.replaceChildren(
    h(
      "p",
      {},
      `Population: ${formatValue(metric, pop.value)} ${metric === "mae" ? "MAE" : "accuracy"} on ${compact(pop.labeled)} labelled predictions. `,
      h("span", { id: "slices-tested" }, `${res.tested} slices tested against the rest of the traffic`),
      intersections.length > 0 ? ` (intersections: ${intersections.join(", ")})` : "",
      "; ",
      h(
        "strong",
        { id: "slices-flagged", class: flagged.length > 0 ? "bad" : "" },
        `${flagged.length} significantly ${metric === "mae" ? "worse (higher error)" : "worse"}`,
      ),
      ` at a false-discovery rate of ${pct(res.fdr, 0)}, each with its Benjamini–Hochberg q-value. Bars: 95 % interval; the line is the population.`,
    ),
  );
  // Interval bars share one scale with the population's line.
  const x = intervalScale(metric, [pop.ci95, ...shown.map((s) => s.ci95)]);
  const popLine = h("i", { class: "ci-pop", style: `left:${x(pop.value)}` });
  listBox.replaceChildren(
    h(
      "table",
      { class: "grid slices" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Slice", "Predictions", "Labelled", METRIC_NAME[metric], "95 % interval", "", "vs population", "q-value", ""].map((t) =>
            h("th", {}, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...shown.map((s) => {
          const name = sliceName(s);
          return h(
            "tr",
            {
              class: `clickable${name === selected ? " selected" : ""}`,
              "data-slice": name,
              "data-worse": String(s.significantly_worse),
              onclick: () => go({ slice: name }),
            },
            h("td", {}, h("strong", {}, name)),
            h("td", { class: "num" }, compact(s.predictions)),
            h("td", { class: "num" }, compact(s.labeled)),
            h("td", { class: "num" }, formatValue(metric, s.value)),
            h("td", { class: "num muted" }, `${formatValue(metric, s.ci95[0])} – ${formatValue(metric, s.ci95[1])}`),
            h(
              "td",
              { class: "ci-cell" },
              h(
                "div",
                { class: "ci" },
                h("b", {
                  class: s.significantly_worse ? "worse" : "",
                  style: `left:${x(s.ci95[0])};width:calc(${x(s.ci95[1])} - ${x(s.ci95[0])})`,
                }),
                popLine.cloneNode(),
              ),
            ),
            h("td", { class: `num ${s.significantly_worse ? "bad" : ""}` }, formatGap(metric, s.gap)),
            h("td", { class: "num", "data-q": String(s.q_value), title: `p-value ${formatQ(s.p_value)}` }, formatQ(s.q_value)),
            h("td", {}, s.significantly_worse ? h("span", { class: "badge crit" }, "worse") : null),
          );
        }),
      ),
    ),
    ...(shown.length === 0 ? [h("p", { class: "muted" }, "No slice of this key has enough labels yet.")] : []),
  );

  const chosen = selected ?? (shown[0] ? sliceName(shown[0]) : null);
  if (!chosen) {
    trendBox.append(h("p", { class: "muted" }, "No slice has enough labels yet."));
    return;
  }
  const { key, value } = parseSliceName(chosen);
  trendCard.querySelector("h2")!.textContent = `Trend of ${chosen} per ${windowName(trendWindow)} window, beside the population`;
  const [slice, population] = await Promise.all([
    api.get<{ windows: MetricRow[] }>(`/v1/models/${enc(id)}/metrics`, {
      window: windowName(trendWindow),
      slice_key: key,
      slice_value: value,
      ...apiBounds(range, trendWindow),
    }),
    api.get<{ windows: MetricRow[] }>(`/v1/models/${enc(id)}/metrics`, {
      window: windowName(trendWindow),
      ...apiBounds(range, trendWindow),
    }),
  ]);
  const trend = (rows: MetricRow[]) => {
    if (metric === "mae") {
      const m = pooledMae(rows);
      return { xs: m.xs, values: m.mae };
    }
    const a = pooledAccuracy(rows);
    return { xs: a.xs, values: a.accuracy };
  };
  const s = trend(slice.windows);
  const p = trend(population.windows);
  const popAt = new Map(p.xs.map((t, i) => [t, p.values[i]!]));
  timeChart(
    trendBox,
    s.xs,
    [
      { label: chosen, values: s.values, color: "#dc2626", width: 2 },
      { label: "population", values: s.xs.map((t) => popAt.get(t) ?? null), color: "#64748b", dash: [5, 4] },
    ],
    {
      yFormat: metric === "mae" ? (v) => v.toFixed(1) : (v) => `${Math.round(v * 1000) / 10}%`,
      height: 260,
      windowSeconds: trendWindow,
      range,
    },
  );
}
