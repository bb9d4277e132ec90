/** Bits several pages share: the model header with its tabs, window choice, and API types. */
import { ApiError } from "../api.js";
import { errorBox, h } from "../dom.js";
import { windowName } from "../format.js";
import { fromInput, RANGES, toInput, type TimeRange } from "../range.js";
import { modelSpec } from "./model-spec.js";

export const WINDOWS = [300, 3600, 86_400];

const TASK_TABS = [
  ["fairness", "Fairness", "binary"],
  ["classes", "Classes", "multiclass"],
] as const;

export function modelHeader(
  id: string,
  active: "overview" | "drift" | "slices" | "compare" | "fairness" | "classes",
  extra: Node[] = [],
): HTMLElement {
  const tab = (key: string, href: string, text: string) => h("a", { href, class: active === key ? "tab active" : "tab" }, text);
  // Tabs for one task only (fairness: binary; per-class: multi-class) show once the model's task is known.
  const taskTabs = TASK_TABS.map(([key, text, task]) => {
    const a = tab(key, `#/models/${encodeURIComponent(id)}/${key}`, text);
    a.dataset.task = task;
    a.hidden = active !== key;
    return a;
  });
  void modelSpec(id).then(
    (spec) => {
      for (const a of taskTabs) a.hidden = a.dataset.task !== spec?.task && !a.classList.contains("active");
    },
    () => undefined,
  );
  return h(
    "div",
    { class: "page-head" },
    h("h1", {}, h("a", { href: "#/", class: "crumb" }, "Models"), " / ", id),
    h(
      "nav",
      { class: "tabs" },
      tab("overview", `#/models/${encodeURIComponent(id)}`, "Metrics"),
      tab("drift", `#/models/${encodeURIComponent(id)}/drift`, "Drift"),
      tab("slices", `#/models/${encodeURIComponent(id)}/slices`, "Slices"),
      tab("compare", `#/models/${encodeURIComponent(id)}/compare`, "Compare"),
      ...taskTabs,
    ),
    h("div", { class: "controls" }, ...extra),
  );
}

/** Buttons for the window sizes; the chosen one goes in the URL so a view can be shared. */
export function windowPicker(current: number, onPick: (w: number) => void): HTMLElement {
  return h(
    "div",
    { class: "seg", role: "group", "aria-label": "window size" },
    h("span", { class: "muted" }, "window"),
    ...WINDOWS.map((w) =>
      h("button", { class: w === current ? "on" : "", "data-window": windowName(w), onclick: () => onPick(w) }, windowName(w)),
    ),
  );
}

/**
 * The time range every chart of the page follows: last hour, day, week, all, or a custom span (UTC).
 * `onPick` gets the URL parameters of the new range (range.ts).
 */
export function rangePicker(current: TimeRange, onPick: (params: Record<string, string>) => void): HTMLElement {
  const now = Date.now();
  const from = h("input", { type: "datetime-local", id: "range-from", value: toInput(current.fromMs ?? now - 86_400_000) });
  const to = h("input", { type: "datetime-local", id: "range-to", value: toInput(current.toMs ?? now) });
  const bad = h("span", { class: "error", hidden: true }, "from must be before to");
  const custom = h(
    "form",
    {
      class: "range-custom",
      hidden: current.key !== "custom",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const f = fromInput(from.value);
        const t = fromInput(to.value);
        if (!(f < t)) {
          bad.hidden = false;
          return;
        }
        onPick({ from: String(f), to: String(t) });
      },
    },
    from,
    "–",
    to,
    h("button", { type: "submit", "data-range": "apply" }, "apply"),
    h("span", { class: "muted" }, "UTC"),
    bad,
  );
  return h(
    "div",
    { class: "seg", role: "group", "aria-label": "time range" },
    h("span", { class: "muted" }, "range"),
    ...RANGES.map(([key, label]) =>
      h(
        "button",
        { class: key === current.key ? "on" : "", "data-range": key, onclick: () => onPick(key === "all" ? {} : { range: key }) },
        label,
      ),
    ),
    h(
      "button",
      {
        class: current.key === "custom" ? "on" : "",
        "data-range": "custom",
        onclick: () => {
          custom.hidden = false;
        },
      },
      "custom",
    ),
    custom,
  );
}

export function queryWindow(query: URLSearchParams, fallback: number): number {
  const w = Number(query.get("window"));
  return WINDOWS.includes(w) ? w : fallback;
}

/** Replaces the hash's query without adding history entries for every click. */
export function setQuery(path: string, values: Record<string, string | number>): void {
  location.hash = `#${path}?${new URLSearchParams(Object.entries(values).map(([k, v]) => [k, String(v)])).toString()}`;
}

export function failure(err: unknown, what: string): HTMLElement {
  if (err instanceof ApiError && err.missingRoute) return h("p", { class: "muted" }, `${what} is not available on this gateway.`);
  return errorBox(`${what}: ${(err as Error).message}`);
}

/** An alert as `GET /v1/alerts` returns it: the server's own type, so the two cannot drift apart. */
export type { ApiAlert as Alert } from "../../../services/common/domain/alerts/alert-view.js";
