/**
 * Paired comparison of two variants (versions or stages) scored on the same requests, over the
 * chosen range: the promote / hold / roll back reading with its evidence, agreement, and the 2×2
 * table of labelled pairs with McNemar's test and the accuracy difference's interval (or, for
 * regression, the paired difference in absolute error), and under it that difference per window
 * with its interval, so a team sees when the candidate fell behind. GET /v1/models/:id/compare.
 */
import { api, enc } from "../api.js";
import { PALETTE, timeChart } from "../charts.js";
import {
  type CompareAnswer,
  type Comparison,
  differenceSeries,
  pairTable,
  points,
  pValue,
  readingBadge,
  trendWindow,
  variantName,
} from "../compare-view.js";
import { card, h, loading } from "../dom.js";
import { compact, num, pct, windowName } from "../format.js";
import { parseRange, rangeParams, type TimeRange } from "../range.js";
import { failure, modelHeader, rangePicker, setQuery, WINDOWS } from "./shared.js";

export async function comparePage(root: HTMLElement, params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const id = params.id!;
  const range = parseRange(query, Date.now());
  const path = `/models/${enc(id)}/compare`;
  const chosen = ["a", "a_stage", "b", "b_stage"].flatMap((k) => (query.get(k) ? [[k, query.get(k)!] as const] : []));
  const pairBox = h("div", { class: "seg", role: "group", "aria-label": "pair of variants" });
  root.append(modelHeader(id, "compare", [pairBox, rangePicker(range, (r) => setQuery(path, { ...Object.fromEntries(chosen), ...r }))]));
  const summary = h("div", { id: "paired-summary" }, loading());
  const details = h("div", {});
  const trend = h("div", {});
  root.append(card("Paired comparison on the same requests", summary), details, trend);
  const window = trendWindow(range, WINDOWS);

  let answer: CompareAnswer;
  try {
    answer = await api.get<CompareAnswer>(`/v1/models/${enc(id)}/compare`, {
      ...Object.fromEntries(chosen),
      window: windowName(window),
      ...(range.fromMs === undefined ? {} : { from: range.fromMs }),
      ...(range.toMs === undefined ? {} : { to: range.toMs }),
    });
  } catch (err) {
    summary.replaceChildren(failure(err, "The comparison API"));
    return;
  }
  pairBox.replaceChildren(
    h("span", { class: "muted" }, "pair"),
    ...answer.available.map((p) => {
      const on =
        answer.comparison !== null &&
        variantName(p.a) === variantName(answer.comparison.a) &&
        variantName(p.b) === variantName(answer.comparison.b);
      return h(
        "button",
        {
          class: on ? "on" : "",
          "data-pair": `${p.a.version}/${p.b.version}`,
          onclick: () => setQuery(path, { a: p.a.version, a_stage: p.a.stage, b: p.b.version, b_stage: p.b.stage, ...rangeParams(range) }),
        },
        `${variantName(p.a)} vs ${variantName(p.b)}`,
      );
    }),
  );
  const c = answer.comparison;
  if (!c) {
    summary.replaceChildren(
      h("p", { class: "muted" }, answer.note ?? "No variants were scored on the same requests in this range."),
      h("p", { class: "muted" }, "Send each variant's prediction with the request_id they share, and label the request once."),
    );
    return;
  }
  summary.replaceChildren(
    h(
      "p",
      {},
      "Incumbent ",
      h("strong", { "data-variant": "a" }, variantName(c.a)),
      " against candidate ",
      h("strong", { "data-variant": "b" }, variantName(c.b)),
      ` on ${compact(c.pairs)} shared requests. Reading: `,
      h("span", { class: `badge ${readingBadge(c.reading)}`, id: "paired-reading", "data-reading": c.reading }, c.reading),
    ),
    h("p", { class: "muted", id: "paired-evidence" }, c.evidence),
    c.agreement
      ? h(
          "p",
          {},
          "The two predict the same class on ",
          h("strong", { id: "paired-agreement" }, pct(c.agreement.value)),
          ` of the requests (95 % interval ${pct(c.agreement.low)} – ${pct(c.agreement.high)}).`,
        )
      : "",
  );
  details.replaceChildren(c.classification ? classification(c) : regression(c));
  drawTrend(trend, answer, c, window, range);
}

/** The difference (B − A) per window with its 95 % interval, under the table, in `trend` (already in the page). */
function drawTrend(trend: HTMLElement, answer: CompareAnswer, c: Comparison, window: number, range: TimeRange): void {
  const accuracy = c.classification !== null;
  const title = `${accuracy ? "Accuracy difference" : "Difference in absolute error"} (B − A) per ${windowName(window)} window`;
  if (!answer.windows) {
    trend.replaceChildren(card(title, h("p", { class: "muted" }, "This gateway does not give the comparison per window.")));
    return;
  }
  const box = h("div", { class: "chart", id: "paired-trend" });
  const reading = accuracy
    ? "Below 0 the candidate is less accurate than the incumbent."
    : "Above 0 the candidate errs more than the incumbent.";
  const cut = answer.windows_truncated ? " Only the first windows are drawn: choose a shorter range." : "";
  trend.replaceChildren(
    card(
      title,
      h("p", { class: "muted" }, `Solid: the difference in each window with labelled pairs; dotted: its 95 % interval. ${reading}${cut}`),
      box,
    ),
  );
  const s = differenceSeries(answer.windows);
  const line = { color: PALETTE[0]!, dash: [2, 3], width: 1 };
  timeChart(
    box,
    s.xs,
    [
      { label: "difference", values: s.value, color: PALETTE[0]! },
      { label: "low", values: s.low, ...line },
      { label: "high", values: s.high, ...line },
    ],
    { yFormat: accuracy ? (v) => `${(v * 100).toFixed(1)} pts` : (v) => num(v), height: 240, windowSeconds: window, range },
  );
}

function classification(c: Comparison): HTMLElement {
  const k = c.classification!;
  const [right, wrong] = pairTable(k.table);
  const row = (r: [string, number, number]) => h("tr", {}, h("th", {}, r[0]), h("td", {}, String(r[1])), h("td", {}, String(r[2])));
  return h(
    "div",
    { class: "two" },
    card(
      `Labelled pairs (${compact(k.labelled_pairs)})`,
      h(
        "table",
        { id: "paired-table" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "B right"), h("th", {}, "B wrong"))),
        h("tbody", {}, row(right!), row(wrong!)),
      ),
      h(
        "p",
        { class: "muted" },
        "The pairs where exactly one variant is right decide the comparison; the others say nothing about the difference.",
      ),
    ),
    card(
      "Accuracy",
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          h("tr", {}, h("th", {}, variantName(c.a)), h("td", {}, pct(k.accuracy_a))),
          h("tr", {}, h("th", {}, variantName(c.b)), h("td", {}, pct(k.accuracy_b))),
          h("tr", {}, h("th", {}, "difference (B − A)"), h("td", { id: "paired-difference" }, points(k.difference))),
          h(
            "tr",
            {},
            h("th", {}, `McNemar (${k.mcnemar.method === "exact" ? "exact" : "χ², continuity corrected"})`),
            h("td", {}, `${pValue(k.mcnemar.p_value)} on ${compact(k.mcnemar.discordant)} discordant pairs`),
          ),
        ),
      ),
    ),
  );
}

function regression(c: Comparison): HTMLElement {
  const r = c.regression!;
  const d = r.difference;
  return card(
    `Labelled pairs (${compact(r.labelled_pairs)})`,
    h(
      "table",
      { id: "paired-table" },
      h(
        "tbody",
        {},
        h("tr", {}, h("th", {}, `MAE ${variantName(c.a)}`), h("td", {}, num(r.mae_a))),
        h("tr", {}, h("th", {}, `MAE ${variantName(c.b)}`), h("td", {}, num(r.mae_b))),
        h(
          "tr",
          {},
          h("th", {}, "mean of |error B| − |error A|"),
          h("td", { id: "paired-difference" }, d ? `${num(d.value)} [${num(d.low)}, ${num(d.high)}], ${pValue(d.p_value)}` : "—"),
        ),
      ),
    ),
  );
}
