/**
 * Slices: the worst sub-populations by the upper end of their 95 % interval (so a small slice is
 * not called worst on a few examples), with sample sizes; a click shows that slice's trend
 * beside the population's.
 */
import { api, enc } from "../api.js";
import { timeChart } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { compact, pct, windowName } from "../format.js";
import { pooledAccuracy, type MetricRow } from "../series.js";
import { apiBounds, coveringWindow, parseRange, rangeParams } from "../range.js";
import { modelHeader, queryWindow, rangePicker, setQuery, WINDOWS, windowPicker } from "./shared.js";

interface Slice {
  slice_key: string;
  slice_value: string;
  predictions: number;
  labeled: number;
  accuracy: number;
  ci95: [number, number];
  gap: number;
  significantly_worse: boolean;
}

export async function slicesPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const trendWindow = queryWindow(query, 3600);
  const selected = query.get("slice");
  const range = parseRange(query, Date.now());
  const go = (values: Record<string, string | number>) =>
    setQuery(`/models/${enc(id)}/slices`, {
      window: trendWindow,
      ...(selected ? { slice: selected } : {}),
      ...rangeParams(range),
      ...values,
    });
  root.append(
    modelHeader(id, "slices", [
      windowPicker(trendWindow, (w) => go({ window: w })),
      rangePicker(range, (r) =>
        setQuery(`/models/${enc(id)}/slices`, { window: trendWindow, ...(selected ? { slice: selected } : {}), ...r }),
      ),
    ]),
  );
  const listBox = h("div", {}, loading());
  const trendBox = h("div", { class: "chart", id: "slice-trend" });
  const trendCard = card("Trend", trendBox);
  root.append(
    card(`Worst slices (${range.key === "all" ? "all labelled data" : "labelled data in the range"}, at least 30 labels)`, listBox),
    trendCard,
  );

  // Windows that fit the range, so that the ranking is over the range, not whole days around it.
  const rankWindow = coveringWindow(range, WINDOWS);
  const res = await api.get<{ population: { accuracy: number; labeled: number; ci95: [number, number] } | null; slices: Slice[] }>(
    `/v1/models/${enc(id)}/slices`,
    { window: rankWindow, order: "worst", limit: 25, ...apiBounds(range, rankWindow) },
  );
  if (!res.population) {
    listBox.replaceChildren(h("p", { class: "muted" }, "No labelled predictions yet."));
    return;
  }
  const pop = res.population;
  // Interval bars share one scale: from a little below the worst interval to 100 %.
  const lo = Math.max(0, Math.min(pop.ci95[0], ...res.slices.map((s) => s.ci95[0])) - 0.02);
  const x = (v: number) => `${(((v - lo) / (1 - lo)) * 100).toFixed(2)}%`;
  const popLine = h("i", { class: "ci-pop", style: `left:${x(pop.accuracy)}` });
  listBox.replaceChildren(
    h(
      "p",
      {},
      `Population: ${pct(pop.accuracy)} accuracy on ${compact(pop.labeled)} labelled predictions. Bars: 95 % interval; the line is the population.`,
    ),
    h(
      "table",
      { class: "grid slices" },
      h(
        "thead",
        {},
        h("tr", {}, ...["Slice", "Predictions", "Labelled", "Accuracy", "95 % interval", "", "vs population"].map((t) => h("th", {}, t))),
      ),
      h(
        "tbody",
        {},
        ...res.slices.map((s) => {
          const key = `${s.slice_key}=${s.slice_value}`;
          return h(
            "tr",
            {
              class: `clickable${key === selected ? " selected" : ""}`,
              "data-slice": key,
              onclick: () => go({ slice: key }),
            },
            h("td", {}, h("strong", {}, key)),
            h("td", { class: "num" }, compact(s.predictions)),
            h("td", { class: "num" }, compact(s.labeled)),
            h("td", { class: "num" }, pct(s.accuracy)),
            h("td", { class: "num muted" }, `${pct(s.ci95[0])} – ${pct(s.ci95[1])}`),
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
            h(
              "td",
              { class: `num ${s.significantly_worse ? "bad" : ""}` },
              `${(s.gap * 100).toFixed(1)} pts${s.significantly_worse ? " ▼" : ""}`,
            ),
          );
        }),
      ),
    ),
  );

  const chosen = selected ?? (res.slices[0] ? `${res.slices[0].slice_key}=${res.slices[0].slice_value}` : null);
  if (!chosen) {
    trendBox.append(h("p", { class: "muted" }, "No slice has enough labels yet."));
    return;
  }
  const [key, ...rest] = chosen.split("=");
  trendCard.querySelector("h2")!.textContent = `Trend of ${chosen} per ${windowName(trendWindow)} window, beside the population`;
  const [slice, population] = await Promise.all([
    api.get<{ windows: MetricRow[] }>(`/v1/models/${enc(id)}/metrics`, {
      window: windowName(trendWindow),
      slice_key: key,
      slice_value: rest.join("="),
      ...apiBounds(range, trendWindow),
    }),
    api.get<{ windows: MetricRow[] }>(`/v1/models/${enc(id)}/metrics`, {
      window: windowName(trendWindow),
      ...apiBounds(range, trendWindow),
    }),
  ]);
  const s = pooledAccuracy(slice.windows);
  const p = pooledAccuracy(population.windows);
  const popAt = new Map(p.xs.map((x, i) => [x, p.accuracy[i]!]));
  timeChart(
    trendBox,
    s.xs,
    [
      { label: chosen, values: s.accuracy, color: "#dc2626", width: 2 },
      { label: "population", values: s.xs.map((x) => popAt.get(x) ?? null), color: "#64748b", dash: [5, 4] },
    ],
    { yFormat: (v) => `${Math.round(v * 1000) / 10}%`, height: 260, windowSeconds: trendWindow, range },
  );
}
