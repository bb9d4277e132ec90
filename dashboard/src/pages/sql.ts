/** SQL console: read-only queries against the documented views; a table, and a chart for time series. */
import { api } from "../api.js";
import { timeChart, PALETTE } from "../charts.js";
import { card, errorBox, h } from "../dom.js";
import { num } from "../format.js";
import { sqlChart, type Column } from "../sql-chart.js";
import { failure } from "./shared.js";

interface SqlResult {
  columns: Column[];
  rows: unknown[][];
  rows_returned: number;
  truncated: boolean;
  elapsed_ms: number;
  rows_read: number;
  bytes_read: number;
}

const EXAMPLE = `SELECT window_start, model_version, round(accuracy, 4) AS accuracy
FROM hindsight.slice_metrics
WHERE model_id = 'fraud' AND window_seconds = 3600 AND slice_key = ''
ORDER BY window_start`;

const SHOWN_ROWS = 500;
const DRAFT_KEY = "hindsight.sql";

export function sqlPage(root: HTMLElement): void {
  const editor = h("textarea", { id: "sql", spellcheck: "false", rows: 8 }) as HTMLTextAreaElement;
  editor.value = sessionStorage.getItem(DRAFT_KEY) ?? EXAMPLE;
  const run = h("button", { class: "primary", id: "run-sql" }, "Run (Ctrl+Enter)");
  const status = h("span", { class: "muted", id: "sql-status" });
  const out = h("div", { id: "sql-result" });
  root.append(
    h("div", { class: "page-head" }, h("h1", {}, "SQL")),
    card(
      "Query",
      h(
        "p",
        { class: "muted" },
        "Read-only, as the analyst user, with time, memory and row limits. The views are documented in the README (prediction_events, label_events, slice_metrics, label_delays, label_quality, drift_scores, data_quality).",
      ),
      editor,
      h("div", { class: "row" }, run, status),
    ),
    out,
  );
  const execute = async () => {
    sessionStorage.setItem(DRAFT_KEY, editor.value);
    run.setAttribute("disabled", "");
    status.textContent = "running…";
    out.replaceChildren();
    try {
      const r = await api.post<SqlResult>("/v1/sql", { query: editor.value });
      status.textContent = `${r.rows_returned.toLocaleString("en-US")} rows${r.truncated ? " (truncated at the row limit)" : ""} · ${r.elapsed_ms} ms · read ${r.rows_read.toLocaleString("en-US")} rows, ${(r.bytes_read / 1e6).toFixed(1)} MB`;
      const chart = sqlChart(r.columns, r.rows);
      if (chart) {
        const box = h("div", { class: "chart", id: "sql-chart" });
        out.append(card("Chart", box));
        timeChart(
          box,
          chart.xs,
          chart.series.map((s, i) => ({ ...s, color: PALETTE[i % PALETTE.length]! })),
          { height: 240, yFormat: (v) => num(v, 3) },
        );
      }
      out.append(
        card(
          "Result",
          h(
            "div",
            { class: "scroll" },
            h(
              "table",
              { class: "grid compact", id: "sql-table" },
              h("thead", {}, h("tr", {}, ...r.columns.map((c) => h("th", { title: c.type }, c.name)))),
              h(
                "tbody",
                {},
                ...r.rows
                  .slice(0, SHOWN_ROWS)
                  .map((row) =>
                    h(
                      "tr",
                      {},
                      ...row.map((v) =>
                        h(
                          "td",
                          { class: typeof v === "number" ? "num" : "" },
                          v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v),
                        ),
                      ),
                    ),
                  ),
              ),
            ),
          ),
          r.rows.length > SHOWN_ROWS ? h("p", { class: "muted" }, `First ${SHOWN_ROWS} of ${r.rows.length} rows shown.`) : "",
        ),
      );
    } catch (err) {
      status.textContent = "";
      out.append((err as { status?: number }).status === 400 ? errorBox((err as Error).message) : failure(err, "The SQL endpoint"));
    } finally {
      run.removeAttribute("disabled");
    }
  };
  run.addEventListener("click", () => void execute());
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void execute();
    }
  });
}
