/**
 * The alerts inbox: firing, suppressed (with the suppressor's score and reason, never hidden),
 * resolved and held alerts, each with feedback buttons, and the alerts grouped under another one
 * shown beneath it; and the digest for a shift handover.
 */
import { alertLink } from "../alert-link.js";
import { api, enc } from "../api.js";
import { card, errorBox, h, loading } from "../dom.js";
import { ago, lastBreach, num, pct, utc } from "../format.js";
import { failure, type Alert } from "./shared.js";

/** The API's alert with its place in a group (the shared type leaves it out). */
type InboxAlert = Alert & { parent_id: string | null; group_reason: string | null };

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

/** The suppressor's reasons (domain/suppressor/policy.ts) in words; the code is shown too. */
const REASONS: Record<string, string> = {
  below_threshold: "its score is below the suppressor's threshold",
  above_threshold: "its score is at or above the suppressor's threshold",
  critical: "critical alerts are always surfaced",
  slo: "SLO alerts are always surfaced",
  no_model: "no suppressor model is trained yet",
  insufficient_feedback: "too little feedback on alerts of this kind yet",
  explore: "surfaced at random so the suppressor keeps learning",
};

export async function alertsPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): Promise<void> {
  const status = query.get("status") ?? "firing";
  const model = query.get("model") ?? "";
  root.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Alerts", model ? ` · ${model}` : ""),
      h(
        "nav",
        { class: "tabs" },
        ...TABS.map(([key, text]) =>
          h(
            "a",
            {
              href: `#/alerts?${new URLSearchParams({ status: key, ...(model ? { model } : {}) })}`,
              class: key === status ? "tab active" : "tab",
            },
            text,
          ),
        ),
        h("a", { href: "#/alerts/digest", class: "tab" }, "Digest"),
      ),
    ),
  );
  const list = h("div", {}, loading());
  root.append(card(TABS.find(([k]) => k === status)?.[1] ?? status, list));
  try {
    // Every alert too, so the alerts grouped under a listed one show beneath it whatever their status.
    const [{ alerts }, everything] = await Promise.all([
      api.get<{ alerts: InboxAlert[] }>("/v1/alerts", { status, model: model || undefined, limit: 200 }),
      status === "all" ? null : api.get<{ alerts: InboxAlert[] }>("/v1/alerts", { status: "all", model: model || undefined, limit: 1000 }),
    ]);
    list.replaceChildren(
      alerts.length === 0 ? h("p", { class: "muted" }, "Nothing here.") : alertList(alerts, everything?.alerts ?? alerts),
    );
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
      h(
        "nav",
        { class: "tabs" },
        h("a", { href: "#/alerts", class: "tab" }, "Inbox"),
        ...[8, 12, 24, 72].map((n) => h("a", { href: `#/alerts/digest?hours=${n}`, class: n === hours ? "tab active" : "tab" }, `${n} h`)),
      ),
    ),
  );
  const box = h("div", {}, loading());
  root.append(box);
  try {
    const d = await api.get<{ from: string; to: string; counts: Record<string, number>; open: InboxAlert[]; suppressed: InboxAlert[] }>(
      "/v1/alerts/digest",
      { hours },
    );
    box.replaceChildren(
      card(
        `${utc(Date.parse(d.from))} → ${utc(Date.parse(d.to))} UTC`,
        h(
          "div",
          { class: "counts" },
          ...Object.entries(d.counts).map(([k, v]) =>
            h("a", { class: `count ${k}`, href: `#/alerts?status=${k}`, "data-count": k }, h("b", {}, String(v)), k),
          ),
        ),
      ),
      h(
        "section",
        { class: "card", id: "digest-open" },
        h("h2", {}, `Still open (${d.open.length})`),
        d.open.length ? alertList(d.open) : h("p", { class: "muted" }, "Nothing open."),
      ),
      h(
        "section",
        { class: "card", id: "digest-suppressed" },
        h("h2", {}, `Suppressed in this period (${d.suppressed.length})`),
        d.suppressed.length ? alertList(d.suppressed) : h("p", { class: "muted" }, "Nothing suppressed."),
      ),
    );
  } catch (err) {
    box.replaceChildren(failure(err, "The alerts digest"));
  }
}

/**
 * Alerts as a list, each with the alerts grouped under it (from `pool`) beneath; one whose parent
 * is listed too appears only beneath it.
 */
function alertList(alerts: InboxAlert[], pool: InboxAlert[] = alerts): HTMLElement {
  const listed = new Set(alerts.map((a) => a.id));
  const children = new Map<string, InboxAlert[]>();
  for (const a of pool) if (a.parent_id) children.set(a.parent_id, [...(children.get(a.parent_id) ?? []), a]);
  const top = alerts.filter((a) => !a.parent_id || !listed.has(a.parent_id));
  return h("ul", { class: "alerts" }, ...top.map((a) => alertItem(a, children.get(a.id) ?? [], listed)));
}

function alertItem(a: InboxAlert, children: InboxAlert[] = [], listed: Set<string> = new Set()): HTMLElement {
  return h(
    "li",
    { class: `alert ${a.status}`, "data-alert": a.id, "data-status": a.status },
    h(
      "div",
      { class: "alert-head" },
      h("span", { class: `status ${a.status}` }, a.status),
      h("span", { class: `sev ${a.severity}` }, a.severity),
      h("strong", { class: "rule-name" }, a.rule.name),
      h("span", { class: "rule-id", title: "rule and the version that raised this alert" }, `${a.rule.id} · v${a.rule.version}`),
      h(
        "span",
        { class: "target" },
        h("a", { href: `#/models/${enc(a.model_id)}` }, a.model_id),
        ` ${a.model_version}`,
        a.stage ? ` · ${a.stage}` : "",
        " · ",
        h("span", { class: "chip" }, a.slice || "all traffic"),
      ),
    ),
    h("p", { class: "summary" }, a.summary),
    chartLink(a),
    h(
      "div",
      { class: "facts" },
      fact(a.metric, h("b", { class: "value" }, num(a.value)), h("span", { class: "muted" }, ` vs threshold ${num(a.threshold)}`)),
      fact("samples", `${a.sample_size.toLocaleString("en-US")} in a ${a.window} window`),
      fact("started", `${utc(Date.parse(a.started_at))} UTC`),
      a.resolved_at
        ? fact("resolved", `${utc(Date.parse(a.resolved_at))} UTC`)
        : fact("last breach", lastBreach(Date.parse(a.last_seen_at))),
    ),
    suppression(a),
    a.group_reason
      ? h(
          "p",
          { class: "group" },
          a.group_reason,
          a.parent_id && !listed.has(a.parent_id)
            ? h("span", { class: "muted" }, " · parent ", h("span", { class: "mono" }, a.parent_id))
            : "",
        )
      : "",
    feedbackBox(a),
    children.length
      ? h(
          "div",
          { class: "children" },
          h("p", { class: "children-head" }, `${children.length} grouped beneath`),
          h("ul", { class: "alerts nested" }, ...children.map((c) => alertItem(c, [], new Set([a.id])))),
        )
      : "",
  );
}

/** The chart and window that raised the alert. */
function chartLink(a: InboxAlert): HTMLElement | "" {
  const href = alertLink(a);
  if (!href) return "";
  return h(
    "p",
    { class: "chart-link" },
    h("a", { href, title: "the chart and window that raised this alert" }, "View the window that raised it ›"),
  );
}

function fact(label: string, ...value: Array<Node | string>): HTMLElement {
  return h("span", { class: "fact" }, h("small", {}, label), ...value);
}

/** The suppressor's judgement: a suppressed alert says how likely it was to be acted on, and why. */
function suppression(a: InboxAlert): HTMLElement | "" {
  const s = a.suppression;
  if (!s) return "";
  const words = REASONS[s.reason] ?? s.reason.replace(/_/g, " ");
  return h(
    "p",
    { class: `suppression ${s.decision}`, "data-reason": s.reason },
    h("b", {}, s.decision === "suppress" ? "Suppressed" : "Surfaced"),
    s.score === null ? "" : ` · ${pct(s.score, 0)} chance of being acted on`,
    " · ",
    h("code", {}, s.reason),
    ` — ${words}`,
    s.model_version ? h("span", { class: "muted" }, ` · suppressor ${s.model_version}`) : "",
  );
}

function feedbackBox(a: InboxAlert): HTMLElement {
  const feedback = h("div", { class: "feedback" });
  const showFeedback = (action: string, at: string) =>
    feedback.replaceChildren(
      h("span", { class: "badge ok", "data-feedback": action }, `${action.replace("_", " ")} · ${ago(Date.parse(at))}`),
    );
  if (a.feedback) showFeedback(a.feedback.action, a.feedback.at);
  else
    feedback.append(
      ...ACTIONS.map(([action, text]) =>
        h(
          "button",
          {
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
          },
          text,
        ),
      ),
    );
  return feedback;
}
