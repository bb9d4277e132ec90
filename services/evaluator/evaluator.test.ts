/**
 * The evaluator against in-memory storage and a fake clock: what is paged and owed must follow
 * from the windows' event times, never from the order in which the evaluator happened to see
 * them or from a pass that failed half-way.
 */
import { describe, expect, it } from "vitest";
import { parseRuleFile } from "../../schemas/rules.js";
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import type { NotificationRow, StoredRule } from "../common/clickhouse/alerts.repository.js";
import type { SeriesRow } from "../common/clickhouse/alert-series.repository.js";
import { createLogger } from "../common/observability/logger.js";
import {
  createEvaluator,
  concurrent,
  MAX_SEASONAL_LOOKBACK_MS,
  seasonalLookbackMs,
  type EvaluatorAlerts,
  type EvaluatorSeries,
} from "./evaluator.js";

const MINUTE = 60_000;
// An hour before midnight UTC, the time of day at which the integration test failed.
const WALL = Date.UTC(2026, 11, 5, 23, 0, 0);
const START = Date.UTC(2026, 11, 5, 16, 0, 0);
const DRIFT = { from: START + 60 * MINUTE, to: START + 120 * MINUTE };
const DROP = { from: START + 150 * MINUTE, to: START + 210 * MINUTE };

const RULES = parseRuleFile(`
receivers:
  - { name: oncall, type: webhook, url: "http://127.0.0.1:1/hook" }
settings: { repeat_interval: 24h, hold: 15m, digest_hour_utc: 8 }
rules:
  - { id: segment-accuracy, kind: threshold, metric: accuracy, op: "<", threshold: 0.7, min_coverage: 0.6, window: 5m, for: 10m, target: { model: fraud, slice: "country=*" } }
  - { id: amount-drift, kind: threshold, metric: drift.amount, window: 5m, for: 10m, target: { model: fraud } }
`);

/** ClickHouse's replacing tables as maps: the row with the highest version wins, the later one on a tie. */
function fakeAlerts() {
  const alerts = new Map<string, AlertRow>();
  const notifications = new Map<string, NotificationRow>();
  const failures = { knownNotifications: 0 };
  const rules: StoredRule[] = RULES.rules.map((rule) => ({ rule, version: 1, appliedAtMs: WALL }));
  const copy = (a: AlertRow) => ({ ...a });
  const repo: EvaluatorAlerts = {
    activeRules: async () => rules,
    settings: async () => ({ receivers: RULES.receivers, settings: RULES.settings }),
    openAlerts: async () => [...alerts.values()].filter((a) => a.resolved_ms === null).map(copy),
    alertsOfRule: async (id) => [...alerts.values()].filter((a) => a.rule_id === id).map(copy),
    recentlyUpdated: async (since) => [...alerts.values()].filter((a) => a.updated_wall_ms >= since).map(copy),
    resolvedNotOwed: async () =>
      [...alerts.values()]
        .filter(
          (a) =>
            a.disposition === "surfaced" &&
            a.resolved_ms !== null &&
            ![...notifications.values()].some((n) => n.alert_id === a.alert_id && n.kind === "resolved"),
        )
        .map(copy),
    writeAlerts: async (rows) => {
      for (const r of rows) if ((alerts.get(r.alert_id)?.updated_wall_ms ?? -1) <= r.updated_wall_ms) alerts.set(r.alert_id, copy(r));
    },
    writeRuleStatus: async () => {},
    knownNotifications: async (ids) => {
      if (failures.knownNotifications > 0) {
        failures.knownNotifications--;
        throw new Error("ClickHouse: connection reset");
      }
      return new Set(ids.filter((id) => notifications.has(id)));
    },
    writeNotifications: async (rows) => {
      for (const r of rows) notifications.set(r.notification_id, { ...r });
    },
  };
  const owed = (ruleId: string) => {
    const ids = new Set([...alerts.values()].filter((a) => a.rule_id === ruleId).map((a) => a.alert_id));
    return [...notifications.values()]
      .filter((n) => ids.has(n.alert_id) && n.receiver === "oncall")
      .map((n) => n.kind)
      .sort();
  };
  return { repo, alerts, failures, owed };
}

/** Windows as the processor would store them, made visible a table at a time; the marker counts inserts. */
function fakeSeries() {
  let inserts = 0;
  const stored = { accuracy: [] as SeriesRow[], drift: [] as SeriesRow[] };
  const row = (start: number, over: Partial<SeriesRow>): SeriesRow => ({
    model_id: "fraud",
    model_version: "v3",
    stage: "production",
    slice: "",
    metric: "",
    feature: "",
    window_start_ms: start,
    value: null,
    n: 200,
    successes: null,
    coverage: null,
    breach: null,
    signal_threshold: null,
    ...over,
  });
  const windows = (from: number, to: number) => Array.from({ length: (to - from) / (5 * MINUTE) }, (_, i) => from + i * 5 * MINUTE);
  const series: EvaluatorSeries = {
    performance: async () => stored.accuracy,
    drift: async () => stored.drift,
    quality: async () => [],
    marker: async () => String(inserts),
  };
  return {
    series,
    /** Accuracy of country=BR per window up to `to`: 0.93, and 0.37 during the drop. */
    accuracyUntil(to: number) {
      stored.accuracy = windows(START, to).map((s) => {
        const value = s >= DROP.from && s < DROP.to ? 0.37 : 0.93;
        return row(s, { slice: "country=BR", metric: "accuracy", value, successes: Math.round(value * 200), coverage: 0.8 });
      });
      inserts++;
    },
    /** Drift decisions on `amount` per window up to `to`: drifted during the incidents (by default the drift incident). */
    driftUntil(to: number, incidents = [DRIFT]) {
      stored.drift = driftRows(incidents, to);
      inserts++;
    },
  };
}

function setup() {
  const storage = fakeAlerts();
  const windows = fakeSeries();
  const clock = { now: WALL };
  const evaluator = createEvaluator(
    { windowSizes: [300, 3600], lookbackMs: 8 * 86_400_000 },
    {
      alerts: storage.repo,
      series: windows.series,
      suppression: { decide: async () => ({ disposition: "surfaced", score: null, version: "", reason: "no_model" }) },
      clock: () => clock.now,
      log: createLogger("evaluator-test", "silent"),
    },
  );
  const pass = async () => {
    clock.now += 300;
    return evaluator.evaluateOnce();
  };
  return { storage, windows, clock, evaluator, pass };
}

describe("seasonal look-back", () => {
  const ruleOf = (r: Record<string, unknown>) =>
    parseRuleFile(JSON.stringify({ rules: [{ id: "r", metric: "predictions", ...r }] })).rules[0]!;
  const DAY = 86_400_000;

  it("reads as many past periods as the history needs, plus one, and never more than 13 weeks", () => {
    expect(seasonalLookbackMs(ruleOf({ kind: "adaptive", window: "1h", history_windows: 4, seasonality: "weekly" }))).toBe(5 * 7 * DAY);
    expect(
      seasonalLookbackMs(ruleOf({ kind: "relative_change", change: 0.2, window: "1h", baseline_windows: 3, seasonality: "daily" })),
    ).toBe(4 * DAY);
    expect(seasonalLookbackMs(ruleOf({ kind: "adaptive", window: "1h", seasonality: "weekly" }))).toBe(MAX_SEASONAL_LOOKBACK_MS);
    expect(seasonalLookbackMs(ruleOf({ kind: "adaptive", window: "1h" }))).toBe(0);
  });
});

describe("concurrent", () => {
  it("is an overlap of episodes in event time; an open episode is known up to its last breach", () => {
    const span = (started_ms: number, resolved_ms: number | null, last_breach_ms = resolved_ms ?? 0) => ({
      started_ms,
      resolved_ms,
      last_breach_ms,
    });
    expect(concurrent(span(0, 10), span(10, 20))).toBe(false);
    expect(concurrent(span(0, 11), span(10, 20))).toBe(true);
    expect(concurrent(span(0, null, 150), span(100, 200))).toBe(true);
    expect(concurrent(span(0, null, 100), span(100, 200))).toBe(false);
    expect(concurrent(span(0, null, 50), span(100, null, 300))).toBe(false);
    expect(concurrent(span(300, null, 400), span(100, 200))).toBe(false);
  });
});

describe("evaluator", () => {
  it("pages a drift incident that ended before an accuracy drop began, even when drift is scored after the accuracy alert fired", async () => {
    const { storage, windows, pass } = setup();
    // Drift is scored on its own, throttled schedule: here its windows land after the labels of the drop.
    windows.accuracyUntil(DROP.from + 30 * MINUTE);
    await pass();
    expect(storage.owed("segment-accuracy")).toEqual(["firing"]);
    windows.driftUntil(DROP.from + 30 * MINUTE);
    await pass();
    const drift = [...storage.alerts.values()].find((a) => a.rule_id === "amount-drift")!;
    expect(drift.started_ms).toBe(DRIFT.from);
    expect(drift.resolved_ms).toBe(DRIFT.to);
    expect({ disposition: drift.disposition, parent: drift.parent_id }).toEqual({ disposition: "surfaced", parent: "" });
    expect(storage.owed("amount-drift")).toEqual(["firing", "resolved"]);
  });

  it("pages a drift incident whose end was not yet scored when the accuracy alert fired", async () => {
    const { storage, windows, pass } = setup();
    windows.accuracyUntil(DROP.from + 30 * MINUTE);
    await pass();
    // Drift scored only 20 minutes into its incident: the drift alert is open, its end unknown.
    windows.driftUntil(DRIFT.from + 20 * MINUTE);
    await pass();
    windows.driftUntil(DROP.to + 60 * MINUTE);
    windows.accuracyUntil(DROP.to + 60 * MINUTE);
    await pass();
    const drift = [...storage.alerts.values()].find((a) => a.rule_id === "amount-drift")!;
    expect({ disposition: drift.disposition, parent: drift.parent_id, resolved: drift.resolved_ms }).toEqual({
      disposition: "surfaced",
      parent: "",
      resolved: DRIFT.to,
    });
    expect(storage.owed("amount-drift")).toEqual(["firing", "resolved"]);
  });

  it("lists drift under an accuracy alert it turns out to overlap, whichever is scored first; what was paged stays paged", async () => {
    // One drift incident from 10 minutes before the drop to 20 minutes into it.
    const incident = { from: DROP.from - 10 * MINUTE, to: DROP.from + 20 * MINUTE };
    const outcome = async (driftFirst: boolean) => {
      const { storage, windows, pass } = setup();
      const drift = (until: number) => windows.driftUntil(until, [incident]);
      if (driftFirst) {
        drift(DROP.from + 30 * MINUTE);
        await pass();
        windows.accuracyUntil(DROP.from + 30 * MINUTE);
      } else {
        windows.accuracyUntil(DROP.from + 30 * MINUTE);
        await pass();
        // Scored up to the drop's start: the drift alert is open and known only before the accuracy alert.
        drift(DROP.from);
      }
      await pass();
      drift(DROP.to + 60 * MINUTE);
      windows.accuracyUntil(DROP.to + 60 * MINUTE);
      await pass();
      const accuracy = [...storage.alerts.values()].find((a) => a.rule_id === "segment-accuracy")!;
      const d = [...storage.alerts.values()].find((a) => a.rule_id === "amount-drift")!;
      return { underAccuracy: d.parent_id === accuracy.alert_id, disposition: d.disposition, owed: storage.owed("amount-drift") };
    };
    const expected = { underAccuracy: true, disposition: "surfaced", owed: ["firing", "resolved"] };
    expect(await outcome(true)).toEqual(expected);
    expect(await outcome(false)).toEqual(expected);
  });

  it("owes the same notifications whichever series it sees first", async () => {
    const outcome = async (first: "accuracy" | "drift") => {
      const { storage, windows, pass } = setup();
      const until = (which: string, to: number) => (which === "accuracy" ? windows.accuracyUntil(to) : windows.driftUntil(to));
      for (const which of first === "accuracy" ? ["accuracy", "drift"] : ["drift", "accuracy"]) {
        until(which, DROP.from + 30 * MINUTE);
        await pass();
      }
      until("accuracy", DROP.to + 60 * MINUTE);
      until("drift", DROP.to + 60 * MINUTE);
      await pass();
      return { accuracy: storage.owed("segment-accuracy"), drift: storage.owed("amount-drift") };
    };
    const expected = { accuracy: ["firing", "resolved"], drift: ["firing", "resolved"] };
    expect(await outcome("drift")).toEqual(expected);
    expect(await outcome("accuracy")).toEqual(expected);
  });

  it("still holds a drift alert beneath an accuracy alert it overlaps in event time", async () => {
    const { storage, windows, pass } = setup();
    windows.accuracyUntil(DROP.from + 30 * MINUTE);
    await pass();
    // A second drift incident, during the drop.
    windows.driftUntil(DROP.from + 30 * MINUTE, [DRIFT, { from: DROP.from + 5 * MINUTE, to: DROP.from + 25 * MINUTE }]);
    await pass();
    const accuracy = [...storage.alerts.values()].find((a) => a.rule_id === "segment-accuracy")!;
    const drifts = [...storage.alerts.values()].filter((a) => a.rule_id === "amount-drift").sort((a, b) => a.started_ms - b.started_ms);
    expect(drifts.map((d) => [d.disposition, d.parent_id])).toEqual([
      ["surfaced", ""],
      ["held", accuracy.alert_id],
    ]);
  });

  it("owes a resolution written by a pass that failed before its outbox write, though nothing changes afterwards", async () => {
    const { storage, windows, pass } = setup();
    windows.accuracyUntil(DROP.from + 30 * MINUTE);
    await pass();
    expect(storage.owed("segment-accuracy")).toEqual(["firing"]);
    windows.accuracyUntil(DROP.to + 60 * MINUTE);
    storage.failures.knownNotifications = 1;
    await expect(pass()).rejects.toThrow(/connection reset/);
    expect([...storage.alerts.values()][0]!.resolved_ms).toBe(DROP.to);
    // A quiet period: no window changes; the next passes find the alert already resolved in storage.
    await pass();
    await pass();
    expect(storage.owed("segment-accuracy")).toEqual(["firing", "resolved"]);
  });

  it("owes nothing twice across passes at any wall time, midnight UTC included", async () => {
    const { storage, windows, clock, pass } = setup();
    windows.accuracyUntil(DROP.to + 60 * MINUTE);
    windows.driftUntil(DROP.to + 60 * MINUTE);
    clock.now = Date.UTC(2026, 11, 5, 23, 59, 59, 500);
    await pass();
    const before = storage.owed("segment-accuracy").length + storage.owed("amount-drift").length;
    for (let i = 0; i < 5; i++) await pass();
    expect(storage.owed("segment-accuracy").length + storage.owed("amount-drift").length).toBe(before);
    expect(before).toBe(4);
  });
});

/** Drift decisions on `amount` per window up to `until`, breaching inside the given incidents. */
function driftRows(incidents: { from: number; to: number }[], until: number): SeriesRow[] {
  const rows: SeriesRow[] = [];
  for (let s = START; s < until; s += 5 * MINUTE) {
    const breach = incidents.some((i) => s >= i.from && s < i.to);
    rows.push({
      model_id: "fraud",
      model_version: "v3",
      stage: "production",
      slice: "",
      metric: "drift.amount",
      feature: "amount",
      window_start_ms: s,
      value: breach ? 0.9 : 0.02,
      n: 200,
      successes: null,
      coverage: null,
      breach,
      signal_threshold: 0.1,
    });
  }
  return rows;
}
