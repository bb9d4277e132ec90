/**
 * Two cards of the model page kept apart from it: a binary model's ROC AUC and PR AUC per window,
 * and the alert rules that watch the model, each with its condition and baseline (a seasonal rule
 * compares a window with the same time of day, or hour of the week, in past periods).
 */
import { api } from "../api.js";
import { type AucRow, aucSeries, hasAuc } from "../auc-view.js";
import { timeChart } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { windowName } from "../format.js";
import type { TimeRange } from "../range.js";
import { type ApiRule, baseline, condition, rulesFor, scope, states } from "../rules-view.js";
import { failure } from "./shared.js";

/**
 * The AUC chart after `after` (the page's last chart) when the rows are a binary model's; versions
 * keep the page's colours, ROC AUC solid and PR AUC dashed.
 */
export function aucCard(
  after: Element,
  rows: AucRow[],
  o: { color: (label: string) => string; sync: string; window: number; range: TimeRange },
): void {
  if (!hasAuc(rows)) return;
  const box = h("div", { class: "chart", id: "auc-chart" });
  after.after(
    card(
      `Ranking quality per ${windowName(o.window)} window: ROC AUC (solid) and PR AUC (dashed, average precision)`,
      h(
        "p",
        { class: "muted" },
        "Over each window's labelled predictions. PR AUC looks at the positive class alone: with rare positives it falls where ROC AUC hardly moves.",
      ),
      box,
    ),
  );
  const s = aucSeries(rows);
  timeChart(
    box,
    s.xs,
    s.series.map((l) => ({
      label: l.label,
      values: l.values,
      color: o.color(l.version),
      ...(l.kind === "pr_auc" ? { dash: [6, 4], width: 1.5 } : { width: 2 }),
    })),
    { yFormat: (v) => v.toFixed(2), syncKey: o.sync, height: 220, windowSeconds: o.window, range: o.range },
  );
}

/** The rules watching model `id` (loaded on its own; a gateway without rules shows a note). */
export function rulesCard(id: string): HTMLElement {
  const box = h("div", { id: "model-rules" }, loading());
  void api
    .get<{ rules: ApiRule[] }>("/v1/rules")
    .then(({ rules }) => {
      const mine = rulesFor(rules, id);
      if (mine.length === 0) {
        box.replaceChildren(h("p", { class: "muted" }, "No alert rule watches this model (see the README's Alerts section)."));
        return;
      }
      box.replaceChildren(
        h(
          "table",
          { class: "grid compact rules" },
          h(
            "thead",
            {},
            h("tr", {}, ...["Rule", "Condition", "Window", "Baseline", "Scope", "Severity", "Series"].map((t) => h("th", {}, t))),
          ),
          h(
            "tbody",
            {},
            ...mine.map((r) =>
              h(
                "tr",
                { "data-rule": r.id, "data-seasonality": r.seasonality ?? "none" },
                h("td", { title: r.name ?? "" }, h("strong", {}, r.id), h("span", { class: "muted" }, ` v${r.version}`)),
                h("td", {}, condition(r)),
                h("td", { class: "nowrap" }, r.for === "0s" ? r.window : `${r.window}, for ${r.for}`),
                h(
                  "td",
                  { class: "baseline" },
                  r.seasonality && r.seasonality !== "none" ? h("span", { class: "chip warn" }, baseline(r)) : baseline(r),
                ),
                h("td", {}, scope(r)),
                h("td", {}, r.severity),
                h(
                  "td",
                  {
                    class: "detail",
                    title: r.series
                      .filter((s) => s.model_id === id && s.state !== "ok")
                      .map((s) => s.reason)
                      .join("\n"),
                  },
                  states(r, id),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: unknown) => box.replaceChildren(failure(err, "The rules API")));
  return card("Alert rules on this model", box);
}
