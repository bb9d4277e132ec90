/** Models: every model's health at a glance, one row each. */
import { api, enc } from "../api.js";
import { sparkline } from "../charts.js";
import { card, h, loading } from "../dom.js";
import { pct, toMs, utc } from "../format.js";
import { type EstimateRow, latestSettled, latestWindow, type MetricRow, volume, withEstimates } from "../series.js";
import { failure, type Alert } from "./shared.js";
import { explained } from "../explain.js";

interface Model {
  model_id: string;
  task: string;
  slice_keys: string[];
  declared: boolean;
}

const DAY_MS = 86_400_000;

export async function modelsPage(root: HTMLElement): Promise<void> {
  const body = h("tbody", {});
  const table = h(
    "table",
    { class: "grid models" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...[
          "Model",
          "Task",
          "Open alerts",
          "Accuracy (last settled day)",
          "Estimated (latest hour)",
          "Label coverage (latest day)",
          "Drifted features (24 h)",
          "Predictions per hour, 7 days",
        ].map((t) => h("th", explained(t), t)),
      ),
    ),
    body,
  );
  const note = loading();
  root.append(h("div", { class: "page-head" }, h("h1", {}, "Models")), card("Health", table, note));

  const [{ models }, alerts] = await Promise.all([
    api.get<{ models: Model[] }>("/v1/models"),
    api.get<{ alerts: Alert[] }>("/v1/alerts", { status: "open", limit: 1000 }).catch((err: unknown) => err),
  ]);
  note.remove();
  if (models.length === 0) {
    table.after(h("p", { class: "muted" }, "No models yet: send predictions (see the README's quick start) and they appear here."));
    return;
  }
  if (!Array.isArray((alerts as { alerts?: Alert[] }).alerts)) table.after(failure(alerts, "The alerts API"));
  const open = (alerts as { alerts?: Alert[] }).alerts ?? null;

  for (const m of models) {
    const cells = { acc: h("td", {}, "…"), est: h("td", {}, "…"), cov: h("td", {}, "…"), drift: h("td", {}, "…"), spark: h("td", {}, "…") };
    const mine = open?.filter((a) => a.model_id === m.model_id) ?? null;
    const crit = mine?.filter((a) => a.severity === "critical").length ?? 0;
    body.append(
      h(
        "tr",
        { "data-model": m.model_id },
        h("td", {}, h("a", { href: `#/models/${enc(m.model_id)}`, class: "strong" }, m.model_id)),
        h("td", {}, m.task),
        h(
          "td",
          {},
          mine === null
            ? "–"
            : h(
                "a",
                {
                  href: `#/alerts?model=${enc(m.model_id)}`,
                  class: mine.length === 0 ? "badge ok" : crit > 0 ? "badge crit" : "badge warn",
                },
                mine.length === 0 ? "none" : `${mine.length} open${crit ? `, ${crit} critical` : ""}`,
              ),
        ),
        cells.acc,
        cells.est,
        cells.cov,
        cells.drift,
        cells.spark,
      ),
    );
    void fillRow(m, cells);
  }
}

async function fillRow(m: Model, cells: Record<"acc" | "est" | "cov" | "drift" | "spark", HTMLElement>): Promise<void> {
  const id = enc(m.model_id);
  const [hourly, daily, drifted] = await Promise.all([
    api.get<{ windows: MetricRow[] }>(`/v1/models/${id}/metrics`, { window: "1h" }),
    api.get<{ windows: MetricRow[] }>(`/v1/models/${id}/metrics`, { window: "1d" }),
    api.get<{ scores: Array<{ feature: string; window_start_ms: number }> }>(`/v1/models/${id}/drift`, {
      window: "1h",
      only: "drifted",
      limit: 2000,
    }),
  ]);
  const settled = latestSettled(daily.windows);
  cells.acc.replaceChildren(
    settled
      ? h(
          "span",
          { title: `day of ${utc(settled.window_start_ms).slice(0, 10)}, ${pct(settled.coverage)} labelled` },
          // A regression model has no accuracy: its mean absolute error stands in, named.
          settled.accuracy === null && settled.mae !== null ? `MAE ${settled.mae.toFixed(2)}` : pct(settled.accuracy),
        )
      : h(
          "span",
          {
            class: "muted",
            title:
              "Accuracy appears for the latest day with at least half of its predictions labelled; labels arrive as your label source posts them.",
          },
          "waiting for labels",
        ),
  );
  // A binary model's calibrated estimate of its newest hour (GET /v1/models/:id/estimates), read for that hour only.
  const newestHour = Math.max(0, ...hourly.windows.map((r) => toMs(r.window_start)));
  const estimates =
    m.task === "binary" && hourly.windows.length > 0
      ? await api
          .get<{ windows: EstimateRow[] }>(`/v1/models/${id}/estimates`, { window: "1h", from: newestHour })
          .catch(() => ({ windows: [] as EstimateRow[] }))
      : { windows: [] };
  const hour = latestWindow(withEstimates(hourly.windows, estimates.windows));
  cells.est.replaceChildren(hour ? h("span", { title: `hour from ${utc(hour.window_start_ms)} UTC` }, pct(hour.estimated)) : "–");
  const day = latestWindow(daily.windows);
  cells.cov.replaceChildren(
    day ? h("span", { title: `${day.labeled} of ${day.predictions} predictions labelled` }, pct(day.coverage)) : "–",
  );
  // "Now" is the newest data, not the wall clock: a replayed or delayed stream still reads right.
  const newest = hour?.window_start_ms ?? 0;
  const recent = new Map<string, number>();
  for (const s of drifted.scores) if (s.window_start_ms > newest - DAY_MS) recent.set(s.feature, (recent.get(s.feature) ?? 0) + 1);
  cells.drift.replaceChildren(
    recent.size === 0
      ? h("span", { class: "badge ok" }, "none")
      : h(
          "a",
          { href: `#/models/${id}/drift` },
          ...[...recent.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([f, n]) => h("span", { class: "chip warn", title: `${n} drifted hourly windows` }, f)),
        ),
  );
  const v = volume(hourly.windows.filter((r) => toMs(r.window_start) > newest - 7 * DAY_MS));
  cells.spark.replaceChildren(sparkline(v.ys) as unknown as Node);
}
