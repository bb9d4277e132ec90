/**
 * The alerts inbox: firing, suppressed (with the suppressor's score and reason, never hidden),
 * resolved and held alerts, each with feedback buttons; and the digest for a shift handover.
 */
import { api, enc } from "../api.js";
import { card, errorBox, h, loading } from "../dom.js";
import { ago, num, pct, utc } from "../format.js";
import { failure, type Alert } from "./shared.js";

const TABS = [
  ["firing", "Firing"],
  ["suppressed", "Suppressed"],
  ["held", "Held"],
  ["resolved", "Resolved"],
  ["all", "All"],
] as const;

const ACTIONS = [
  ["acted", "Acted"],
  ["ignored", "Ignored"],
  ["false_positive", "False positive"],
] as const;

export async function alertsPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const status = query.get("status") ?? "firing";
  const model = query.get("model") ?? "";
  root.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Alerts", model ? ` · ${model}` : ""),
      h("nav", { class: "tabs" }, ...TABS.map(([key, text]) => h("a", { href: `#/alerts?${new URLSearchParams({ status: key, ...(model ? { model } : {}) })}`, class: key === status ? "tab active" : "tab" }, text)), h("a", { href: "#/alerts/digest", class: "tab" }, "Digest")),
    ),
  );
  const list = h("div", {}, loading());
  root.append(card(TABS.find(([k]) => k === status)?.[1] ?? status, list));
  try {
    const { alerts } = await api.get<{ alerts: Alert[] }>("/v1/alerts", { status, model: model || undefined, limit: 200 });
    list.replaceChildren(alerts.length === 0 ? h("p", { class: "muted" }, "Nothing here.") : alertList(alerts));
  } catch (err) {
    list.replaceChildren(failure(err, "The alerts API"));
  }
}

export async function digestPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const hours = Number(query.get("hours")) || 24;
  root.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Shift digest"),
      h("nav", { class: "tabs" }, h("a", { href: "#/alerts", class: "tab" }, "Inbox"), ...[8, 12, 24, 72].map((n) => h("a", { href: `#/alerts/digest?hours=${n}`, class: n === hours ? "tab active" : "tab" }, `${n} h`))),
    ),
  );
  const box = h("div", {}, loading());
  root.append(box);
  try {
    const d = await api.get<{ from: string; to: string; counts: Record<string, number>; open: Alert[]; suppressed: Alert[] }>("/v1/alerts/digest", { hours });
    box.replaceChildren(
      card(
        `${utc(Date.parse(d.from))} → ${utc(Date.parse(d.to))} UTC`,
        h("div", { class: "counts" }, ...Object.entries(d.counts).map(([k, v]) => h("a", { class: "count", href: `#/alerts?status=${k}` }, h("b", {}, String(v)), k))),
      ),
      card(`Still open (${d.open.length})`, d.open.length ? alertList(d.open) : h("p", { class: "muted" }, "Nothing open.")),
      card(`Suppressed in this period (${d.suppressed.length})`, d.suppressed.length ? alertList(d.suppressed) : h("p", { class: "muted" }, "Nothing suppressed.")),
    );
  } catch (err) {
    box.replaceChildren(failure(err, "The alerts digest"));
  }
}

function alertList(alerts: Alert[]): HTMLElement {
  return h("ul", { class: "alerts" }, ...alerts.map(alertItem));
}

function alertItem(a: Alert): HTMLElement {
  const feedback = h("div", { class: "feedback" });
  const showFeedback = (action: string, at: string) => feedback.replaceChildren(h("span", { class: "badge ok", "data-feedback": action }, `${action.replace("_", " ")} · ${ago(Date.parse(at))}`));
  if (a.feedback) showFeedback(a.feedback.action, a.feedback.at);
  else
    feedback.append(
      ...ACTIONS.map(([action, text]) =>
        h("button", {
          "data-action": action,
          onclick: async (e: Event) => {
            const buttons = feedback.querySelectorAll("button");
            buttons.forEach((b) => (b.disabled = true));
            try {
              const r = await api.post<{ action: string; at: string }>(`/v1/alerts/${enc(a.id)}/feedback`, { action });
              showFeedback(r.action, r.at);
            } catch (err) {
              buttons.forEach((b) => (b.disabled = false));
              (e.target as HTMLElement).after(errorBox((err as Error).message));
            }
          },
        }, text),
      ),
    );
  const s = a.suppression;
  return h(
    "li",
    { class: `alert ${a.status}`, "data-alert": a.id },
    h(
      "div",
      { class: "alert-head" },
      h("span", { class: `sev ${a.severity}` }, a.severity),
      h("span", { class: `status ${a.status}` }, a.status),
      h("strong", {}, a.rule.name),
      h("a", { href: `#/models/${enc(a.model_id)}` }, `${a.model_id} ${a.model_version} (${a.stage})`),
      a.slice ? h("span", { class: "chip" }, a.slice) : "",
      a.feature ? h("span", { class: "chip" }, a.feature) : "",
    ),
    h("p", {}, a.summary),
    h(
      "p",
      { class: "muted" },
      `${a.metric} ${num(a.value)} vs threshold ${num(a.threshold)} · ${a.sample_size.toLocaleString("en-US")} samples in ${a.window} · since ${utc(Date.parse(a.started_at))} UTC, last seen ${ago(Date.parse(a.last_seen_at))}`,
      a.resolved_at ? ` · resolved ${utc(Date.parse(a.resolved_at))} UTC` : "",
    ),
    s ? h("p", { class: `suppression ${s.decision}` }, `Suppressor: ${s.decision}${s.score === null ? "" : `, chance it is acted on ${pct(s.score, 0)}`}${s.model_version ? ` (model ${s.model_version})` : ""} — ${s.reason}`) : "",
    feedback,
  );
}

