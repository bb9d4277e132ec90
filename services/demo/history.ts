/**
 * The demo's past: a week of the fraud model's traffic before "now", with realistic label delays
 * and the three kinds of incident at known times, and of the regression model `eta` beside it with
 * one city's deliveries slowed for a day, so that a newcomer's dashboard shows what Hindsight is for
 * within minutes instead of after an hour of live traffic.
 */
import { createEtaTraffic, type EtaSlowdown, type EtaTraffic } from "./eta.js";
import { createDemoTraffic, type DemoIncident, type DemoTraffic } from "./generator.js";
import { createTriageTraffic, type TriageMixUp, type TriageTraffic } from "./triage.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface DemoHistory {
  startMs: number;
  traffic: DemoTraffic;
  incidents: DemoIncident[];
  /**
   * An incident under way when the history ends, so an alert is firing when the newcomer first
   * looks; live traffic carries it on until its end.
   */
  ongoing: DemoIncident & { toMs: number };
  /** The regression model's week. */
  eta: EtaTraffic;
  slowdowns: EtaSlowdown[];
  /** The multi-class model's week, with one queue's tickets mixed up with another's for half a day. */
  triage: TriageTraffic;
  mixUps: TriageMixUp[];
  /** One line per incident for the terminal's tour. */
  tour: string[];
}

/** Whole hours, so windows of every size line up with the incidents. */
export function demoHistory(opts: { seed: number; nowMs: number; days?: number; predictionsPerSecond?: number }): DemoHistory {
  const days = opts.days ?? 7;
  const startMs = Math.floor((opts.nowMs - days * DAY) / HOUR) * HOUR;
  const at = (day: number, hour: number) => startMs + (day - 1) * DAY + hour * HOUR;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  const planned: Array<DemoIncident & { toMs: number }> = [
    { kind: "feature_drift", feature: "amount", fromMs: at(2, 10), toMs: at(2, 16), shift: 2.5 },
    { kind: "segment_accuracy_drop", segment: { key: "country", value: "BR" }, fromMs: at(4, 8), toMs: at(4, 16), flipRate: 0.4 },
    { kind: "category_vanish", category: "gaming", replacement: "electronics", fromMs: at(6, 12), toMs: at(6, 16) },
  ];
  const incidents = planned.filter((i) => i.toMs <= opts.nowMs);
  const FIVE_MINUTES = 300_000;
  const ongoing = {
    kind: "feature_drift" as const,
    feature: "num_tx_24h" as const,
    fromMs: Math.floor((opts.nowMs - 90 * 60_000) / FIVE_MINUTES) * FIVE_MINUTES,
    toMs: opts.nowMs + 15 * 60_000,
    shift: 3,
  };
  const tour = incidents.map((i) => {
    const when = `from ${day(i.fromMs)} to ${day(i.toMs)} UTC`;
    if (i.kind === "feature_drift") return `'amount' drifted ×2.5 ${when}: the Drift page (window 1h)`;
    if (i.kind === "segment_accuracy_drop") return `accuracy for country=BR dropped ${when}: the Slices page, and the Alerts inbox`;
    return `merchant_category 'gaming' vanished ${when}: the Drift page's data checks`;
  });
  tour.push(
    `'num_tx_24h' has drifted ×3 since ${day(ongoing.fromMs)} UTC and goes on for a quarter of an hour more: firing alerts in the Alerts inbox`,
  );
  const traffic = createDemoTraffic({
    seed: opts.seed,
    startMs,
    predictionsPerSecond: opts.predictionsPerSecond ?? 0.1,
    // Chargebacks in hours rather than the live demo's compressed seconds; most of the week is labelled.
    labelDelay: { medianMs: 6 * HOUR, sigma: 1 },
    incidents: [...incidents, ongoing],
    idPrefix: `demo-history-${opts.seed}`,
  });
  const slowdowns = [{ city: "madrid", fromMs: at(5, 9), toMs: at(5, 15), factor: 1.6 }].filter((s) => s.toMs <= opts.nowMs);
  for (const s of slowdowns) {
    tour.push(
      `deliveries in madrid took 1.6× longer from ${day(s.fromMs)} to ${day(s.toMs)} UTC: model 'eta' (regression), its MAE and RMSE`,
    );
  }
  const eta = createEtaTraffic({
    seed: opts.seed,
    startMs,
    predictionsPerSecond: (opts.predictionsPerSecond ?? 0.1) / 8,
    slowdowns,
    idPrefix: `eta-history-${opts.seed}`,
  });
  const plannedMixUps: TriageMixUp[] = [{ truth: "shipping", predicted: "billing", share: 0.6, fromMs: at(3, 6), toMs: at(3, 18) }];
  const mixUps = plannedMixUps.filter((m) => m.toMs <= opts.nowMs);
  for (const m of mixUps) {
    tour.push(
      `${m.truth} tickets were routed to ${m.predicted} from ${day(m.fromMs)} to ${day(m.toMs)} UTC: model 'triage' (multi-class), its Classes page`,
    );
  }
  const triage = createTriageTraffic({
    seed: opts.seed,
    startMs,
    predictionsPerSecond: (opts.predictionsPerSecond ?? 0.1) / 8,
    mixUps,
    idPrefix: `triage-history-${opts.seed}`,
  });
  return { startMs, traffic, incidents, ongoing, tour, eta, slowdowns, triage, mixUps };
}
