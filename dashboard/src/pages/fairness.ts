/**
 * Fairness of a binary model over the groups of one segment key (a sensitive one by default, such
 * as an age band): each group's selection rate, true and false positive rates and accuracy with
 * 95 % intervals, their differences and ratios to the reference group, the four-fifths rule, and
 * each group's selection rate per window over the range.
 */
import { api, enc } from "../api.js";
import { PALETTE, timeChart } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { compact, pct, windowName } from "../format.js";
import {
  defaultKey,
  differs,
  type FairnessAnswer,
  type FairnessRate,
  formatDifference,
  formatRate,
  formatRatio,
  fourFifths,
  RATE_NAMES,
  selectionSeries,
  type CountsRow,
} from "../fairness-view.js";
import { apiBounds, coveringWindow, parseRange, rangeParams } from "../range.js";
import { sliceKeys, type SliceRanking } from "../slice-view.js";
import { modelSpec } from "./model-spec.js";
import { failure, modelHeader, queryWindow, rangePicker, setQuery, WINDOWS, windowPicker } from "./shared.js";

const RATES: FairnessRate[] = ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"];
/** Groups drawn over time: one metrics request each, so a key with many values shows its largest few. */
const TREND_GROUPS = 8;

export async function fairnessPage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const range = parseRange(query, Date.now());
  const trendWindow = queryWindow(query, 86_400);
  const path = `/models/${enc(id)}/fairness`;
  const chosenKey = query.get("key");
  const go = (values: Record<string, string | number>) =>
    setQuery(path, { window: trendWindow, ...(chosenKey ? { key: chosenKey } : {}), ...rangeParams(range), ...values });
  const keyBox = h("div", { class: "seg", role: "group", "aria-label": "segment key" });
  root.append(
    modelHeader(id, "fairness", [
      keyBox,
      windowPicker(trendWindow, (w) => go({ window: w })),
      rangePicker(range, (r) => setQuery(path, { window: trendWindow, ...(chosenKey ? { key: chosenKey } : {}), ...r })),
    ]),
  );
  const summary = h("div", { id: "fairness-summary" }, loading());
  const ratesBox = h("div", {});
  const versusBox = h("div", {});
  const trendBox = h("div", { class: "chart", id: "fairness-trend" });
  const trendCard = card("Selection rate per window", trendBox);
  root.append(card("Groups", summary, ratesBox), card("Against the reference group", versusBox), trendCard);

  const spec = await modelSpec(id);
  if (spec && spec.task !== "binary") {
    summary.replaceChildren(
      h("p", { class: "muted" }, `Fairness compares selection and error rates of a binary model; '${id}' is ${spec.task}.`),
    );
    return;
  }
  const rankWindow = coveringWindow(range, WINDOWS);
  // The declared keys, or (every segment key sliced) the keys the slices carry.
  const keys = spec?.slice_keys.length
    ? spec.slice_keys
    : sliceKeys(
        (
          await api.get<SliceRanking>(`/v1/models/${enc(id)}/slices`, {
            window: rankWindow,
            min_labeled: 1,
            limit: 1000,
            ...apiBounds(range, rankWindow),
          })
        ).slices,
      );
  const key = chosenKey ?? defaultKey(keys);
  keyBox.replaceChildren(
    h("span", { class: "muted" }, "groups of"),
    ...keys.map((k) => h("button", { class: k === key ? "on" : "", "data-key": k, onclick: () => go({ key: k }) }, k)),
  );
  if (!key) {
    summary.replaceChildren(h("p", { class: "muted" }, "No segments yet: fairness compares the groups of a segment key."));
    return;
  }

  let report: FairnessAnswer;
  try {
    report = await api.get<FairnessAnswer>(`/v1/models/${enc(id)}/fairness`, { key, window: rankWindow, ...apiBounds(range, rankWindow) });
  } catch (err) {
    summary.replaceChildren(failure(err, "The fairness API"));
    return;
  }
  if (report.groups.length === 0) {
    summary.replaceChildren(
      h("p", { class: "muted" }, report.note ?? `No group of ${key} has enough labelled predictions in this range yet.`),
    );
    return;
  }
  const ref = report.reference;
  summary.replaceChildren(
    h(
      "p",
      {},
      `Groups of ${key} over ${range.key === "all" ? "all labelled data" : "the labelled data in the range"}. Reference: `,
      h("strong", { "data-reference": ref ?? "" }, ref ?? "none"),
      " (selected most often, as the four-fifths rule compares). ",
      report.adverse_impact.length === 0
        ? h("span", { class: "badge ok", id: "four-fifths" }, "every group passes the four-fifths rule")
        : h(
            "span",
            { class: "badge crit", id: "four-fifths" },
            `four-fifths rule fails for ${report.adverse_impact.join(", ")}: selected at under 80 % of ${ref}'s rate`,
          ),
    ),
    ...(report.too_few_labels.length > 0
      ? [
          h(
            "p",
            { class: "muted" },
            `Too few labels to compare: ${report.too_few_labels.map((g) => `${g.group} (${compact(g.labeled)})`).join(", ")}.`,
          ),
        ]
      : []),
  );
  ratesBox.replaceChildren(
    h(
      "table",
      { class: "grid fairness" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Group"),
          h("th", { class: "num" }, "Labelled"),
          ...RATES.map((r) => h("th", { class: "num" }, `${RATE_NAMES[r]} (95 %)`)),
        ),
      ),
      h(
        "tbody",
        {},
        ...report.groups.map((g) =>
          h(
            "tr",
            { "data-group": g.group, class: g.group === ref ? "selected" : "" },
            h("td", {}, h("strong", {}, g.group)),
            h("td", { class: "num" }, compact(g.labeled)),
            ...RATES.map((r) => h("td", { class: "num", "data-rate": r }, formatRate(g.rates[r]))),
          ),
        ),
      ),
    ),
  );
  versusBox.replaceChildren(
    h(
      "p",
      { class: "muted" },
      `Each group minus ${ref} (percentage points, Newcombe's interval) and over ${ref} (ratio, Katz's interval). Red: the 95 % interval of the difference leaves out 0.`,
    ),
    h(
      "table",
      { class: "grid fairness-versus" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Group"),
          h("th", {}, "Four-fifths rule"),
          ...RATES.flatMap((r) => [h("th", { class: "num" }, `${RATE_NAMES[r]} −`), h("th", { class: "num" }, "÷")]),
        ),
      ),
      h(
        "tbody",
        {},
        ...report.groups.map((g) =>
          h(
            "tr",
            { "data-group": g.group },
            h("td", {}, h("strong", {}, g.group)),
            h(
              "td",
              { class: g.passes_four_fifths === false ? "bad" : "", "data-four-fifths": String(g.passes_four_fifths) },
              fourFifths(g, ref),
            ),
            ...RATES.flatMap((r) => {
              const c = g.versus_reference[r];
              return [
                h("td", { class: `num ${differs(c) ? "bad" : ""}` }, g.group === ref ? "–" : formatDifference(c)),
                h("td", { class: "num muted" }, g.group === ref ? "–" : formatRatio(c)),
              ];
            }),
          ),
        ),
      ),
    ),
  );

  // The largest groups over time, each its own slice's windows.
  const trendGroups = [...report.groups].sort((a, b) => b.labeled - a.labeled).slice(0, TREND_GROUPS);
  trendCard.querySelector("h2")!.textContent =
    `Selection rate of each group of ${key} per ${windowName(trendWindow)} window (labelled predictions)`;
  try {
    const byGroup = await Promise.all(
      trendGroups.map(async (g) => ({
        group: g.group,
        rows: (
          await api.get<{ windows: CountsRow[] }>(`/v1/models/${enc(id)}/metrics`, {
            window: windowName(trendWindow),
            slice_key: key,
            slice_value: g.group,
            ...apiBounds(range, trendWindow),
          })
        ).windows,
      })),
    );
    const s = selectionSeries(byGroup.sort((a, b) => (a.group < b.group ? -1 : 1)));
    timeChart(
      trendBox,
      s.xs,
      s.series.map((x, i) => ({ ...x, color: PALETTE[i % PALETTE.length]!, width: x.label === ref ? 2.5 : 1.5 })),
      { yFormat: (v) => pct(v, 1), height: 240, windowSeconds: trendWindow, range },
    );
  } catch (err) {
    trendBox.replaceChildren(failure(err, "The groups' metrics"));
  }
}
