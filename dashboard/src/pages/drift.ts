/**
 * Drift: a features × windows heat map coloured by drift severity (1 = on the threshold, whatever
 * the method); a click on a cell overlays the reference's and the window's distributions; the
 * data-quality violations beside it. For a model with declared slice keys, a slice selector shows
 * the heat map of one slice (scored against the same reference), most drifted slices first.
 */
import { api, enc } from "../api.js";
import { groupedBars } from "../charts.js";
import { severityColor, textOn } from "../color.js";
import { card, h, loading } from "../dom.js";
import { num, pct, utc, windowName } from "../format.js";
import { firstDrifted, heatmapLayout, type DriftScore } from "../heatmap.js";
import { distributionBars, type Distribution } from "../series.js";
import { apiBounds, parseRange, rangeParams } from "../range.js";
import { failure, modelHeader, queryWindow, rangePicker, setQuery } from "./shared.js";
import { windowPicker } from "./shared.js";

interface DriftSlice {
  slice_key: string;
  slice_value: string;
  windows: number;
  rows: number;
  drifted_windows: number;
  drifted_features: string[];
}

interface QualityCheck {
  window_start_ms: number;
  model_version: string;
  feature: string;
  check: string;
  value: number;
  expected: number;
  count: number;
  rule: string;
  detail: string;
}

export async function driftPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const window = queryWindow(query, 3600);
  const range = parseRange(query, Date.now());
  const slice = query.get("slice") ?? undefined;
  const go = (values: Record<string, string | number>, keepRange = true, keepSlice = true) =>
    setQuery(`/models/${enc(id)}/drift`, {
      window,
      ...(query.get("version") ? { version: query.get("version")! } : {}),
      ...(keepRange ? rangeParams(range) : {}),
      ...(keepSlice && slice ? { slice } : {}),
      ...values,
    });
  const versionBox = h("div", { class: "seg" });
  const sliceBox = h("div", { class: "seg", id: "drift-slices" });
  root.append(
    modelHeader(id, "drift", [
      versionBox,
      sliceBox,
      windowPicker(window, (w) => go({ window: w })),
      rangePicker(range, (r) => go(r, false)),
    ]),
  );
  const mapBox = h("div", {}, loading());
  const detailBox = h(
    "div",
    { id: "distribution" },
    h("p", { class: "muted" }, "Click a cell to compare the window's distribution with the reference."),
  );
  const qualityBox = h("div", {}, loading());
  // The heat map across the page, as wide as its windows need; the distribution and the data checks
  // beside each other below it, each wide enough for its table to read one violation per line.
  root.append(
    card(`Drift per feature and ${windowName(window)} window${slice ? ` · slice ${slice}` : ""}`, mapBox),
    h("div", { class: "drift-layout" }, card("Distribution", detailBox), card("Data-quality violations", qualityBox)),
  );

  const [drift, quality, slices] = await Promise.all([
    api.get<{ scores: DriftScore[] }>(`/v1/models/${enc(id)}/drift`, {
      window: windowName(window),
      limit: 10_000,
      ...apiBounds(range, window),
      ...(slice ? { slice } : {}),
    }),
    api
      .get<{ checks: QualityCheck[] }>(`/v1/models/${enc(id)}/quality`, {
        window: windowName(window),
        only: "violated",
        limit: 500,
        ...apiBounds(range, window),
      })
      .catch((e: unknown) => e as Error),
    api
      .get<{ slice_keys: string[]; slices: DriftSlice[] }>(`/v1/models/${enc(id)}/drift/slices`, {
        window: windowName(window),
        limit: 200,
        ...apiBounds(range, window),
      })
      .catch((e: unknown) => e as Error),
  ]);
  sliceBox.replaceChildren(...sliceSelector(slices, slice, (s) => (s ? go({ slice: s }) : go({}, true, false))));
  const layout = heatmapLayout(drift.scores, query.get("version") ?? undefined);
  const version = layout.versions.includes(query.get("version") ?? "") ? query.get("version")! : layout.versions[0];
  versionBox.replaceChildren(
    h("span", { class: "muted" }, "version"),
    ...layout.versions.map((v) => h("button", { class: v === version ? "on" : "", onclick: () => go({ version: v }) }, v)),
  );

  if (layout.features.length === 0) {
    mapBox.replaceChildren(
      h("p", { class: "muted" }, "No drift scores yet: they appear once a reference exists and windows have been scored."),
    );
  } else {
    let opened: (() => void) | undefined;
    const grid = h("div", { class: "heatmap", style: `grid-template-columns: 150px repeat(${layout.windows.length}, minmax(4px, 1fr))` });
    // Column labels: a date every so many columns, so they never overlap.
    const every = Math.max(1, Math.ceil(layout.windows.length / 8));
    grid.append(h("div", { class: "hm-corner" }));
    layout.windows.forEach((w, c) => grid.append(h("div", { class: "hm-col" }, c % every === 0 ? h("span", {}, utc(w).slice(5)) : "")));
    layout.features.forEach((feature, r) => {
      grid.append(h("div", { class: "hm-row", title: feature }, feature));
      layout.cells[r]!.forEach((cell, c) => {
        const bg = cell ? severityColor(cell.severity) : "transparent";
        const el = h("div", {
          class: `hm-cell${cell?.drifted ? " drifted" : ""}`,
          style: `background:${bg}`,
          "data-feature": feature,
          "data-window": layout.windows[c]!,
          "data-drifted": cell?.drifted ? "true" : "false",
          title: cell
            ? `${feature} · ${utc(layout.windows[c]!)} UTC\n${cell.method} ${num(cell.score)} (threshold ${cell.threshold}${cell.p_value !== null ? `, p ${cell.p_value.toExponential(1)}` : ""})\n${cell.decision}, n = ${cell.n}`
            : `${feature}: no score`,
        });
        if (cell) {
          const open = () =>
            slice
              ? detailBox.replaceChildren(
                  h(
                    "p",
                    { class: "muted" },
                    `${feature} in ${slice}: ${cell.decision}, n = ${cell.n}. Distributions are drawn for all traffic.`,
                  ),
                )
              : void showDistribution(detailBox, id, window, version!, feature, layout.windows[c]!, grid, el);
          el.addEventListener("click", open);
          // A link to one window of one feature (an alert's) opens its distribution at once.
          if (query.get("feature") === feature && Number(query.get("at")) === layout.windows[c]) opened = open;
        }
        grid.append(el);
      });
    });
    const legend = h(
      "div",
      { class: "hm-legend" },
      h("span", { class: "muted" }, "severity (score ÷ threshold)"),
      ...[0, 0.5, 1, 1.5, 2].map((s) =>
        h(
          "span",
          { class: "swatch", style: `background:${severityColor(s)};color:${textOn(severityColor(s))}` },
          s === 2 ? "≥ 2" : String(s),
        ),
      ),
      h("span", { class: "swatch", style: `background:${severityColor(null)}` }, "too few values"),
    );
    const firsts = firstDrifted(layout);
    mapBox.replaceChildren(
      grid,
      legend,
      layout.dropped > 0
        ? h(
            "p",
            { class: "muted" },
            `The ${layout.dropped} oldest windows are left out; pick a larger window or a shorter range to see further back.`,
          )
        : "",
      firsts.length === 0
        ? h("p", { class: "muted" }, "No feature drifted in these windows.")
        : h(
            "p",
            {},
            "Drifted: ",
            ...firsts.map((f) =>
              h("span", { class: "chip warn" }, `${f.feature} (${f.drifted_windows} windows from ${utc(f.window_start_ms)})`),
            ),
          ),
    );
    opened?.();
  }

  if (quality instanceof Error) {
    qualityBox.replaceChildren(failure(quality, "Data quality"));
    return;
  }
  const checks = quality.checks.filter((c) => c.model_version === version);
  qualityBox.replaceChildren(
    checks.length === 0
      ? h("p", { class: "muted" }, "No violations.")
      : h(
          "table",
          { class: "grid compact quality" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Window", "Feature", "Check", "Value", "Expected", "Detail"].map((t) =>
                h("th", t === "Value" || t === "Expected" ? { class: "num" } : {}, t),
              ),
            ),
          ),
          h(
            "tbody",
            {},
            ...checks.slice(0, 50).map((c) =>
              h(
                "tr",
                {},
                h("td", { class: "nowrap" }, utc(c.window_start_ms).slice(5)),
                h("td", {}, c.feature),
                h("td", {}, c.check),
                h("td", { class: "num" }, num(c.value)),
                h("td", { class: "num" }, num(c.expected)),
                // One line each; the whole text on hover.
                h("td", { class: "detail", title: c.detail }, c.detail),
              ),
            ),
          ),
        ),
    checks.length > 50
      ? h("p", { class: "muted" }, `The newest 50 of ${checks.length} violations; the data_quality view holds them all.`)
      : "",
  );
}

/** "all traffic" and every slice scored in the range, most drifted first; nothing for a model without slice keys. */
function sliceSelector(
  slices: { slice_keys: string[]; slices: DriftSlice[] } | Error,
  current: string | undefined,
  pick: (slice: string) => void,
) {
  if (slices instanceof Error || slices.slice_keys.length === 0) return [];
  const name = (s: DriftSlice) => `${s.slice_key}=${s.slice_value}`;
  const select = h(
    "select",
    { "aria-label": "slice", onchange: () => pick(select.value) },
    h("option", { value: "", selected: !current }, "all traffic"),
    ...slices.slices.map((s) =>
      h(
        "option",
        { value: name(s), selected: current === name(s) },
        `${name(s)}${s.drifted_windows > 0 ? ` · drifted in ${s.drifted_windows} of ${s.windows} (${s.drifted_features.join(", ")})` : ""}`,
      ),
    ),
    // A slice from a link that is not among those scored here still shows as chosen.
    current && !slices.slices.some((s) => name(s) === current) ? h("option", { value: current, selected: true }, current) : "",
  );
  return [h("span", { class: "muted" }, "slice"), select];
}

async function showDistribution(
  box: HTMLElement,
  id: string,
  window: number,
  version: string,
  feature: string,
  windowStart: number,
  grid: HTMLElement,
  cell: HTMLElement,
): Promise<void> {
  grid.querySelectorAll(".selected").forEach((e) => e.classList.remove("selected"));
  cell.classList.add("selected");
  box.replaceChildren(loading());
  try {
    const d = await api.get<
      Distribution & { method: string; score: number | null; threshold: number; drifted: boolean; model_version: string }
    >(`/v1/models/${enc(id)}/drift/distribution`, {
      window: windowName(window),
      window_start: windowStart,
      feature,
      model_version: version,
    });
    const bars = distributionBars(d);
    box.replaceChildren(
      h(
        "p",
        {},
        h("strong", {}, feature),
        ` · ${d.model_version} · ${windowName(window)} from ${utc(windowStart)} UTC · ${d.method} ${num(d.score)} (threshold ${d.threshold}) · `,
        h("span", { class: d.drifted ? "badge crit" : "badge ok" }, d.drifted ? "drifted" : "no drift"),
        ` · ${d.window.n.toLocaleString("en-US")} values vs ${d.reference.n.toLocaleString("en-US")} in the reference`,
      ),
      groupedBars(
        bars.map((b) => b.label),
        [
          { name: "reference", color: "#94a3b8", values: bars.map((b) => b.reference) },
          { name: "this window", color: d.drifted ? "#dc2626" : "#2563eb", values: bars.map((b) => b.window) },
        ],
        { format: (x) => pct(x, 0), height: 240 },
      ),
    );
    box.dataset.feature = feature;
  } catch (err) {
    box.replaceChildren(failure(err, "The distribution"));
  }
}
