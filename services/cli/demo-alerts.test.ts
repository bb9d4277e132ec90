import { describe, expect, it } from "vitest";
import type { FeedbackRow, NotificationRow, SuppressorModelRow } from "../common/clickhouse/alerts.repository.js";
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { loadConfig } from "../common/config/env.js";
import { alertMonth, monthEndBefore } from "../demo/alert-month.js";
import { playAlertMonth, type MonthStore } from "./demo-alerts.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 5, 30);
/** The history's start: the month ends on the Monday before it. */
const HISTORY = NOW - 7 * DAY;
const END = monthEndBefore(HISTORY);

/** The alert store in memory, answering as the ClickHouse repository does (latest row per alert, latest answer). */
function memoryStore() {
  const alerts = new Map<string, AlertRow>();
  const feedback: FeedbackRow[] = [];
  const notifications: NotificationRow[] = [];
  const models: SuppressorModelRow[] = [];
  const store: MonthStore = {
    latestSuppressorModel: async () => [...models].sort((a, b) => b.trained_at_ms - a.trained_at_ms)[0],
    saveSuppressorModel: async (m) => void models.push(m),
    writeAlerts: async (rows) => rows.forEach((r) => alerts.set(r.alert_id, { ...r })),
    addFeedback: async (row) => void feedback.push(row),
    writeNotifications: async (rows) => void notifications.push(...rows),
    history: async (fromMs) =>
      [...alerts.values()]
        .filter((a) => a.first_seen_wall_ms >= fromMs)
        .sort((a, b) => a.first_seen_wall_ms - b.first_seen_wall_ms)
        .map((a) => {
          const latest = feedback.filter((f) => f.alert_id === a.alert_id).sort((x, y) => y.at_ms - x.at_ms)[0];
          return { ...a, action: latest?.action ?? "", action_ms: latest?.at_ms ?? 0 };
        }),
  };
  return { store, alerts, feedback, notifications, models };
}

describe("the demo's month played through the suppressor", () => {
  const config = loadConfig({}).alerts;

  it("trains a first model, judges the rest of the month with it, then trains the active one", async () => {
    const m = memoryStore();
    const lines: string[] = [];
    const report = (await playAlertMonth(m.store, config, { seed: 1, endMs: HISTORY, nowMs: NOW }, (l) => lines.push(l)))!;
    const rows = [...m.alerts.values()];
    const count = (f: (a: AlertRow) => boolean) => rows.filter(f).length;

    expect([report.alerts, report.endMs]).toEqual([alertMonth({ seed: 1, endMs: END }).length, END]);
    // The last 40 % of the 30 days (12 of them) are judged by the first model.
    expect(report.judgedFromMs).toBe(END - 12 * 86_400_000);
    expect(rows).toHaveLength(report.alerts);
    // Two versions, the later one (trained now) active and reported.
    expect(m.models.map((x) => x.trained_at_ms)).toEqual([END - 12 * DAY, NOW]);
    expect(report.model).toBe(m.models[1]!.version);
    expect(lines).toHaveLength(2);
    // Every state the inbox can show, from the product's own policy and grouping.
    expect(report.suppressed).toBe(count((a) => a.disposition === "suppressed"));
    expect(report.suppressed).toBeGreaterThan(10);
    expect(report.explored).toBeGreaterThan(0);
    expect(report.held).toBeGreaterThan(0);
    for (const a of rows.filter((x) => x.disposition === "suppressed")) {
      expect([a.suppress_reason, a.suppressor_version]).toEqual(["below_threshold", m.models[0]!.version]);
      expect(a.suppress_score).toBeLessThan(m.models[0]!.threshold);
    }
    for (const a of rows.filter((x) => x.disposition === "held")) {
      expect(a.metric.startsWith("drift.")).toBe(true);
      expect(m.alerts.get(a.parent_id)?.started_ms).toBeLessThan(a.resolved_ms!);
    }
    // Critical alerts always surface; before the first model, nothing is scored.
    expect(count((a) => a.severity === "critical" && a.disposition === "suppressed")).toBe(0);
    expect(count((a) => a.first_seen_wall_ms < END - 12 * DAY && a.suppress_score !== null)).toBe(0);

    // Only what surfaced was delivered and answered (nobody saw the rest), each answer at its own time.
    const surfaced = new Set(rows.filter((a) => a.disposition === "surfaced").map((a) => a.alert_id));
    expect(m.feedback.every((f) => surfaced.has(f.alert_id) && f.at_ms <= NOW)).toBe(true);
    expect(m.feedback).toHaveLength(report.answered);
    expect(new Set(m.notifications.map((n) => n.alert_id))).toEqual(surfaced);
    expect(m.notifications.every((n) => n.delivered_wall_ms > 0)).toBe(true);
  }, 60_000);

  it("suppresses and explores the same alerts whenever it is played, at least one explored", async () => {
    // Nows at other hours and weekdays, weeks apart: the month moves by whole weeks, its decisions stay.
    const nows = [NOW, NOW + 5 * 3_600_000 + 17 * 60_000 + 123, NOW + 3 * DAY + 11 * 3_600_000, NOW + 40 * DAY + 654_321];
    const decisions: string[][] = [];
    for (const now of nows) {
      const m = memoryStore();
      const report = (await playAlertMonth(m.store, config, { seed: 1, endMs: now - 7 * DAY, nowMs: now }, () => {}))!;
      const ids = (reason: string) => [...m.alerts.values()].filter((a) => a.suppress_reason === reason).map((a) => a.alert_id);
      expect(report.explored).toBe(ids("explore").length);
      expect(report.explored).toBeGreaterThan(0);
      decisions.push([...ids("explore"), "|", ...ids("below_threshold")]);
    }
    for (const d of decisions.slice(1)) expect(d).toEqual(decisions[0]);
  }, 120_000);

  it("goes on unjudged when on-call's answers leave nothing to learn from, and says so", async () => {
    const m = memoryStore();
    // Nobody answered: every alert counts as ignored, none acted on.
    m.store.addFeedback = async () => {};
    const lines: string[] = [];
    const report = (await playAlertMonth(m.store, config, { seed: 1, endMs: HISTORY, nowMs: NOW }, (l) => lines.push(l)))!;
    expect(lines.join("\n")).toMatch(/no suppressor as of .*nothing to learn from.*surfaces unjudged/);
    expect(report.model).toMatch(/^not trained: .*nothing to learn from/);
    expect([report.suppressed, report.explored, m.models.length]).toEqual([0, 0, 0]);
    const later = [...m.alerts.values()].filter((a) => a.first_seen_wall_ms >= END - 12 * DAY && a.disposition !== "held");
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((a) => a.disposition === "surfaced" && ["no_model", "critical", "slo"].includes(a.suppress_reason))).toBe(true);
  }, 60_000);

  it("does nothing on a store that has a suppressor model already", async () => {
    const m = memoryStore();
    m.models.push({ version: "mine", origin: "imported", trained_at_ms: 1, threshold: 0.5, model: new Uint8Array(), report: {} });
    expect(await playAlertMonth(m.store, config, { seed: 1, endMs: HISTORY, nowMs: NOW }, () => {})).toBeUndefined();
    expect(m.alerts.size).toBe(0);
  });
});
