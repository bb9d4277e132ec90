/**
 * A multi-class model's classes: per-class precision, recall and F1 over the range with their
 * support, each class's recall (or precision, F1) per window, the confusion matrix over the range
 * (rows: true class, shaded by the share of the row), and the matrix over time as the share of a
 * true class sent to each wrong class, for the pairs confused most.
 */
import { api, enc } from "../api.js";
import { PALETTE, timeChart } from "../charts.js";
import { type ClassesAnswer, type ClassMetric, cellShade, classSeries, confusionGrid, confusionSeries } from "../classes-view.js";
import { card, h, loading } from "../dom.js";
import { compact, pct, windowName } from "../format.js";
import { apiBounds, parseRange, rangeParams } from "../range.js";
import { modelSpec } from "./model-spec.js";
import { failure, modelHeader, queryWindow, rangePicker, setQuery, windowPicker } from "./shared.js";

const METRICS: Array<[ClassMetric, string]> = [
  ["recall", "Recall"],
  ["precision", "Precision"],
  ["f1", "F1"],
];

export async function classesPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  // Days by default: an hour holds a few dozen tickets per class, too few for a steady line.
  const window = queryWindow(query, 86_400);
  const range = parseRange(query, Date.now());
  const metric = (METRICS.find(([m]) => m === query.get("metric")) ?? METRICS[0]!)[0];
  const path = `/models/${enc(id)}/classes`;
  const go = (values: Record<string, string | number>) => setQuery(path, { window, metric, ...rangeParams(range), ...values });
  root.append(
    modelHeader(id, "classes", [
      h(
        "div",
        { class: "seg", role: "group", "aria-label": "class metric" },
        h("span", { class: "muted" }, "per class"),
        ...METRICS.map(([m, text]) =>
          h("button", { class: m === metric ? "on" : "", "data-metric": m, onclick: () => go({ metric: m }) }, text),
        ),
      ),
      windowPicker(window, (w) => go({ window: w })),
      rangePicker(range, (r) => setQuery(path, { window, metric, ...r })),
    ]),
  );
  const tableBox = h("div", {}, loading());
  const matrixBox = h("div", { id: "confusion-matrix" });
  const perClassBox = h("div", { class: "chart", id: "class-chart" });
  const confusionBox = h("div", { class: "chart", id: "confusion-chart" });
  const metricName = METRICS.find(([m]) => m === metric)![1];
  root.append(
    card(`${metricName} of each class per ${windowName(window)} window`, perClassBox),
    card(
      `The confusion matrix over time: the pairs confused most, as a share of the true class, per ${windowName(window)} window`,
      confusionBox,
    ),
    h(
      "div",
      { class: "two" },
      card("Per class over the range", tableBox),
      card("Confusion matrix over the range (rows: true class)", matrixBox),
    ),
  );

  const spec = await modelSpec(id);
  if (spec && spec.task !== "multiclass") {
    tableBox.replaceChildren(h("p", { class: "muted" }, `Per-class metrics are for multi-class models; '${id}' is ${spec.task}.`));
    return;
  }
  let res: ClassesAnswer;
  try {
    res = await api.get<ClassesAnswer>(`/v1/models/${enc(id)}/classes`, { window: windowName(window), ...apiBounds(range, window) });
  } catch (err) {
    tableBox.replaceChildren(failure(err, "The classes API"));
    return;
  }
  if (res.classes.length === 0) {
    tableBox.replaceChildren(
      h("p", { class: "muted" }, range.key === "all" ? "No labelled predictions yet." : "No labelled predictions in this time range."),
    );
    return;
  }
  const color = new Map(res.classes.map((c, i) => [c.class, PALETTE[i % PALETTE.length]!]));

  tableBox.replaceChildren(
    h(
      "table",
      { class: "grid classes" },
      h(
        "thead",
        {},
        h("tr", {}, ...["Class", "Support", "Precision", "Recall", "F1"].map((t, i) => h("th", { class: i ? "num" : "" }, t))),
      ),
      h(
        "tbody",
        {},
        ...res.classes.map((c) =>
          h(
            "tr",
            { "data-class": c.class },
            h("td", {}, h("i", { class: "dot", style: `background:${color.get(c.class)}` }), c.class),
            h("td", { class: "num" }, compact(c.support)),
            h("td", { class: "num" }, pct(c.precision)),
            h("td", { class: "num" }, pct(c.recall)),
            h("td", { class: "num" }, pct(c.f1)),
          ),
        ),
      ),
    ),
  );

  const grid = confusionGrid(res.confusion);
  matrixBox.replaceChildren(
    h(
      "table",
      { class: "grid confusion" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "true ↓ · predicted →"),
          ...grid.classes.map((c) => h("th", { class: "num" }, c)),
          h("th", { class: "num" }, "total"),
        ),
      ),
      h(
        "tbody",
        {},
        ...grid.rows.map((r) =>
          h(
            "tr",
            { "data-truth": r.truth },
            h("th", {}, r.truth),
            ...r.counts.map((n, i) =>
              h(
                "td",
                {
                  class: "num",
                  "data-predicted": grid.classes[i]!,
                  title: `${r.truth} predicted as ${grid.classes[i]}: ${n} (${pct(r.shares[i])} of ${r.truth})`,
                  style: `background:${cellShade(r.shares[i] ?? null)};color:${(r.shares[i] ?? 0) > 0.5 ? "#fff" : "inherit"}`,
                },
                compact(n),
              ),
            ),
            h("td", { class: "num muted" }, compact(r.total)),
          ),
        ),
      ),
    ),
    h("p", { class: "muted" }, `${compact(grid.total)} labelled predictions; a cell's shade is its share of the row (the true class).`),
  );

  const perClass = classSeries(res.windows, metric);
  timeChart(
    perClassBox,
    perClass.xs,
    perClass.series.map((s) => ({ ...s, color: color.get(s.label) ?? "#64748b" })),
    { yFormat: (v) => pct(v, 0), height: 240, windowSeconds: window, range, syncKey: `classes-${id}` },
  );
  const confused = confusionSeries(res.windows);
  if (confused.series.length === 0) {
    confusionBox.append(h("p", { class: "muted" }, "No class was mistaken for another in this range."));
    return;
  }
  timeChart(
    confusionBox,
    confused.xs,
    confused.series.map((s, i) => ({ ...s, color: PALETTE[(i + 2) % PALETTE.length]! })),
    { yFormat: (v) => pct(v, 0), height: 220, windowSeconds: window, range, syncKey: `classes-${id}` },
  );
  confusionBox.dataset.pairs = confused.series.map((s) => s.label).join("|");
}
