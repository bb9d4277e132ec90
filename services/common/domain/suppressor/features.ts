/**
 * The suppressor's features and the history state they are computed from. Training and scoring
 * share this one code path: the trainer walks the history in time order asking `features` before
 * `add`, the evaluator loads the same history and asks `features` for each new alert, so a model
 * never sees at scoring time a feature computed differently from the one it learned.
 *
 * Only what was known before the alert fired enters its features: an action counts from its
 * action_time (or the alert's time when none is recorded), an unanswered alert counts as ignored
 * once the unacknowledged timeout has passed, and a suppressed alert nobody answered never counts.
 */
import { countAtOrBelow } from "../sorted.js";
import { alertStream, alertType, isActed, type AlertRecord } from "./types.js";

/** Rule kinds with a feature of their own; any other kind (a team's own) lands in "other". */
export const KNOWN_RULE_KINDS = ["threshold", "slo", "relative_change", "adaptive", "drift", "quality"] as const;

/**
 * The model's input, in this order: the documented ONNX input `features` is float32 [N, FEATURE_NAMES.length].
 * No feature grows with time alone (a type's total feedback count used to be one): trees split on
 * such a clock to memorise past periods, and every future alert lands beyond the last split.
 */
export const FEATURE_NAMES = [
  "kind_threshold",
  "kind_slo",
  "kind_relative_change",
  "kind_adaptive",
  "kind_drift",
  "kind_quality",
  "kind_other",
  "severity_warning",
  "severity_critical",
  "scope_slice",
  "log_deviation",
  "log_sample_size",
  "deviation_z_type",
  "type_acted_logit",
  "type_recent_acted_logit",
  "stream_acted_logit",
  "type_deviation_bucket_acted_logit",
  "type_hour_bucket_acted_logit",
  "stream_fired_1h_log",
  "stream_burst_position_log",
  "minutes_since_stream_fired_log",
  "deviation_change_from_stream_previous",
  "type_burst_role_acted_logit",
  "type_fired_24h_log",
  "hours_since_type_acted_log",
  "type_never_acted",
  "hour_sin",
  "hour_cos",
  "weekend",
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;
const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<FeatureName, number>;

export interface HistoryOptions {
  /** An alert nobody answered counts as ignored this long after it fired (default 24 h). */
  unacknowledgedTimeoutMs: number;
  /** Half-life of the recent acted rate, so drift in responders' behaviour shows (default 7 days). */
  recentHalfLifeMs: number;
  /**
   * Half-life of every other acted rate (type, stream, deviation and hour buckets; default 30 days):
   * long enough to be stable, short enough that behaviour from months ago stops speaking.
   */
  memoryHalfLifeMs: number;
  /** Pseudo-count pulling sparse acted rates toward the wider rate they refine (default 5). */
  priorStrength: number;
  /**
   * Two fires of one stream this close together belong to the same burst (default 30 min): a burst
   * is a chain of fires each within this gap of the one before.
   */
  burstGapMs: number;
}

export const DEFAULT_HISTORY_OPTIONS: HistoryOptions = {
  unacknowledgedTimeoutMs: 24 * 3_600_000,
  recentHalfLifeMs: 7 * 86_400_000,
  memoryHalfLifeMs: 30 * 86_400_000,
  priorStrength: 5,
  burstGapMs: 30 * 60_000,
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Upper edges of the deviation buckets (relative breach size). */
const DEVIATION_EDGES = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2];
/** Hours since the last acted-on alert are capped here, also the value when there was none. */
const HOURS_CAP = 30 * 24;
const RATE_FLOOR = 1e-3;
/** Minutes since the stream last fired are capped here (a week), also the value when it never did. */
const MINUTES_CAP = 7 * 24 * 60;
/** How much a breach's size differs from the stream's previous one (|log ratio|), capped; also the value when there is none. */
const DEVIATION_CHANGE_CAP = 5;
/** Earlier fires counted back into a burst at most: beyond this a burst is simply "long". */
const BURST_CAP = 20;

interface Counts {
  acted: number;
  n: number;
}

/** Counts that fade with a half-life; the rate's smoothing needs the faded totals, not only their ratio. */
interface Decayed {
  acted: number;
  n: number;
  at: number;
}

interface TypeState {
  /** Every feedback record, unfaded: the policy's feedback count. */
  counts: Counts;
  memory: Decayed;
  recent: Decayed;
  byDeviation: Decayed[];
  byHour: Decayed[];
  /** Acted rates of the type's first alerts of a burst [0] and of its repeats [1]. */
  byBurstRole: Decayed[];
  fires: number[];
  /** Sums of log(deviation) and its square over the type's alerts: how unusual a breach is for its type. */
  logDeviationSum: number;
  logDeviationSquares: number;
  lastActedTime: number | undefined;
}

interface PendingEvent {
  at: number;
  seq: number;
  record: AlertRecord;
  kind: "fire" | "feedback";
  acted: boolean;
  /** Shared by an alert's fire and feedback events: the fire sets what the feedback counts under. */
  fired: { burstPosition: number };
}

const logit = (p: number) => {
  const q = Math.min(1 - RATE_FLOOR, Math.max(RATE_FLOOR, p));
  return Math.log(q / (1 - q));
};
const smoothed = (c: Counts, prior: number, strength: number) => (c.acted + strength * prior) / (c.n + strength);
const emptyDecayed = (): Decayed => ({ acted: 0, n: 0, at: -Infinity });
/** The counts as they stand at `time` (the caller never asks about a time before the last update). */
const faded = (c: Decayed, time: number, halfLife: number): Counts => {
  if (c.n === 0) return { acted: 0, n: 0 };
  const f = 2 ** (-Math.max(0, time - c.at) / halfLife);
  return { acted: c.acted * f, n: c.n * f };
};
function bumpDecayed(c: Decayed, at: number, acted: number, halfLife: number, weight: number): void {
  const now = faded(c, at, halfLife);
  c.acted = now.acted + weight * acted;
  c.n = now.n + weight;
  c.at = Math.max(c.at, at);
}
const clampDeviation = (d: number) => (Number.isFinite(d) && d > 0 ? Math.min(d, 1e6) : 0);

const logOfDeviation = (d: number) => Math.log(clampDeviation(d) + 1e-3);

/** The deviation's z-score on the log scale among the type's earlier alerts (0 until there are two). */
function deviationZ(deviation: number, type: TypeState): number {
  const n = type.fires.length;
  if (n < 2) return 0;
  const mean = type.logDeviationSum / n;
  const sd = Math.sqrt(Math.max(0, type.logDeviationSquares / n - mean * mean));
  return Math.max(-10, Math.min(10, (logOfDeviation(deviation) - mean) / Math.max(sd, 0.05)));
}

export function deviationBucket(deviation: number): number {
  const d = clampDeviation(deviation);
  const i = DEVIATION_EDGES.findIndex((edge) => d < edge);
  return i === -1 ? DEVIATION_EDGES.length : i;
}

/** UTC hour in 3-hour blocks, weekdays apart from weekends: 16 buckets. Teams' local hours map onto them consistently. */
export function hourBucket(time: number): number {
  const date = new Date(time);
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 1 : 0;
  return weekend * 8 + Math.floor(date.getUTCHours() / 3);
}

/**
 * Fires of a stream before `time` in the same burst: walking back from the latest fire at or before
 * `time`, each within `gap` of the one after it (capped at BURST_CAP).
 */
function burstPosition(sorted: number[], time: number, gap: number): number {
  let j = sorted.length - countAfter(sorted, time) - 1;
  let next = time;
  let count = 0;
  while (j >= 0 && count < BURST_CAP && next - sorted[j]! <= gap) {
    next = sorted[j]!;
    count++;
    j--;
  }
  return count;
}

/** Number of sorted values in (from, +inf). */
const countAfter = (sorted: number[], from: number): number => sorted.length - countAtOrBelow(sorted, from);

interface StreamState {
  counts: Decayed;
  fires: number[];
  /** log(deviation) of each fire, in the order of `fires`. */
  logDeviations: number[];
}

/** A binary min-heap of events by (time, insertion order), so equal times apply in the order added. */
class EventQueue {
  private items: PendingEvent[] = [];
  get size() {
    return this.items.length;
  }
  private less(a: PendingEvent, b: PendingEvent) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(e: PendingEvent) {
    const items = this.items;
    items.push(e);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  peek(): PendingEvent | undefined {
    return this.items[0];
  }
  pop(): PendingEvent | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l;
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * What the suppressor knows about past alerts and their feedback. `add` every alert (answered or
 * not) in time order; `features(alert)` then describes an alert firing at `alert.time` from what
 * was known by then. Events become known lazily, when an alert at or after their time is asked about.
 */
export class SuppressorHistory {
  readonly options: HistoryOptions;
  private queue = new EventQueue();
  private seq = 0;
  private types = new Map<string, TypeState>();
  private streams = new Map<string, StreamState>();
  private global: Counts = { acted: 0, n: 0 };

  constructor(options: Partial<HistoryOptions> = {}) {
    this.options = { ...DEFAULT_HISTORY_OPTIONS, ...options };
  }

  /** Adds one alert: its firing is known at its time, its feedback when answered (or timed out). */
  add(record: AlertRecord): void {
    const fired = { burstPosition: 0 };
    this.queue.push({ at: record.time, seq: this.seq++, record, kind: "fire", acted: false, fired });
    if (record.action != null) {
      const at = Math.max(record.time, record.action_time ?? record.time);
      this.queue.push({ at, seq: this.seq++, record, kind: "feedback", acted: isActed(record), fired });
    } else if (!record.suppressed) {
      this.queue.push({ at: record.time + this.options.unacknowledgedTimeoutMs, seq: this.seq++, record, kind: "feedback", acted: false, fired });
    }
  }

  /** Feedback records known for the alert's type at its time: the policy's "enough feedback" count. */
  feedbackCount(alert: AlertRecord): number {
    this.advance(alert.time);
    return this.types.get(alertType(alert))?.counts.n ?? 0;
  }

  /** Acted / answered over every type, as known at `time`. */
  globalRate(time: number): { acted: number; n: number } {
    this.advance(time);
    return { ...this.global };
  }

  features(alert: AlertRecord): Float32Array {
    this.advance(alert.time);
    const { priorStrength: m, memoryHalfLifeMs: memory, recentHalfLifeMs: recent, burstGapMs } = this.options;
    const at = alert.time;
    const x = new Float32Array(FEATURE_COUNT);
    const kindIndex = (KNOWN_RULE_KINDS as readonly string[]).indexOf(alert.rule_kind);
    x[kindIndex === -1 ? F.kind_other : kindIndex] = 1;
    x[F.severity_warning] = alert.severity === "warning" ? 1 : 0;
    x[F.severity_critical] = alert.severity === "critical" ? 1 : 0;
    x[F.scope_slice] = alert.scope === "slice" ? 1 : 0;
    const logDeviation = Math.log1p(clampDeviation(alert.deviation));
    x[F.log_deviation] = logDeviation;
    x[F.log_sample_size] = Math.log10(1 + Math.max(0, Number.isFinite(alert.sample_size) ? alert.sample_size : 0));

    const globalRate = (this.global.acted + 1) / (this.global.n + 2);
    const type = this.types.get(alertType(alert));
    const stream = this.streams.get(alertStream(alert));
    const typeRate = type ? smoothed(faded(type.memory, at, memory), globalRate, m) : globalRate;
    x[F.type_acted_logit] = logit(typeRate);
    if (type) {
      x[F.type_recent_acted_logit] = logit(smoothed(faded(type.recent, at, recent), typeRate, m));
      x[F.type_deviation_bucket_acted_logit] = logit(smoothed(faded(type.byDeviation[deviationBucket(alert.deviation)]!, at, memory), typeRate, m));
      x[F.type_hour_bucket_acted_logit] = logit(smoothed(faded(type.byHour[hourBucket(alert.time)]!, at, memory), typeRate, m));
      x[F.deviation_z_type] = deviationZ(alert.deviation, type);
      x[F.type_fired_24h_log] = Math.log1p(countAfter(type.fires, alert.time - DAY));
      const hours = type.lastActedTime === undefined ? HOURS_CAP : Math.min(HOURS_CAP, Math.max(0, alert.time - type.lastActedTime) / HOUR);
      x[F.hours_since_type_acted_log] = Math.log1p(hours);
      x[F.type_never_acted] = type.lastActedTime === undefined ? 1 : 0;
    } else {
      x[F.type_recent_acted_logit] = logit(typeRate);
      x[F.type_deviation_bucket_acted_logit] = logit(typeRate);
      x[F.type_hour_bucket_acted_logit] = logit(typeRate);
      x[F.hours_since_type_acted_log] = Math.log1p(HOURS_CAP);
      x[F.type_never_acted] = 1;
    }
    x[F.stream_acted_logit] = logit(stream ? smoothed(faded(stream.counts, at, memory), typeRate, m) : typeRate);
    x[F.stream_fired_1h_log] = Math.log1p(stream ? countAfter(stream.fires, alert.time - HOUR) : 0);
    const position = stream ? burstPosition(stream.fires, alert.time, burstGapMs) : 0;
    x[F.stream_burst_position_log] = Math.log1p(position);
    const previous = stream ? stream.fires.length - countAfter(stream.fires, alert.time) - 1 : -1;
    x[F.minutes_since_stream_fired_log] = Math.log1p(previous < 0 ? MINUTES_CAP : Math.min(MINUTES_CAP, (alert.time - stream!.fires[previous]!) / 60_000));
    x[F.deviation_change_from_stream_previous] =
      previous < 0 ? DEVIATION_CHANGE_CAP : Math.min(DEVIATION_CHANGE_CAP, Math.abs(logOfDeviation(alert.deviation) - stream!.logDeviations[previous]!));
    x[F.type_burst_role_acted_logit] = logit(type ? smoothed(faded(type.byBurstRole[position === 0 ? 0 : 1]!, at, memory), typeRate, m) : typeRate);
    const hourOfDay = (((alert.time % DAY) + DAY) % DAY) / HOUR;
    x[F.hour_sin] = Math.sin((2 * Math.PI * hourOfDay) / 24);
    x[F.hour_cos] = Math.cos((2 * Math.PI * hourOfDay) / 24);
    const weekday = new Date(alert.time).getUTCDay();
    x[F.weekend] = weekday === 0 || weekday === 6 ? 1 : 0;
    return x;
  }

  /** Applies every event known at `time`. Asking about an earlier time later sees the newer state. */
  private advance(time: number): void {
    for (let e = this.queue.peek(); e !== undefined && e.at <= time; e = this.queue.peek()) {
      this.queue.pop();
      if (e.kind === "fire") this.applyFire(e.record, e.fired);
      else this.applyFeedback(e.record, e.acted, e.at, e.fired);
    }
  }

  private typeState(record: AlertRecord): TypeState {
    const key = alertType(record);
    let state = this.types.get(key);
    if (!state) {
      state = {
        counts: { acted: 0, n: 0 },
        memory: emptyDecayed(),
        recent: emptyDecayed(),
        byDeviation: Array.from({ length: DEVIATION_EDGES.length + 1 }, emptyDecayed),
        byHour: Array.from({ length: 16 }, emptyDecayed),
        byBurstRole: [emptyDecayed(), emptyDecayed()],
        fires: [],
        logDeviationSum: 0,
        logDeviationSquares: 0,
        lastActedTime: undefined,
      };
      this.types.set(key, state);
    }
    return state;
  }

  private streamState(record: AlertRecord): StreamState {
    const key = alertStream(record);
    let state = this.streams.get(key);
    if (!state) {
      state = { counts: emptyDecayed(), fires: [], logDeviations: [] };
      this.streams.set(key, state);
    }
    return state;
  }

  private applyFire(record: AlertRecord, fired: PendingEvent["fired"]): void {
    const type = this.typeState(record);
    insertSorted(type.fires, record.time);
    const l = logOfDeviation(record.deviation);
    type.logDeviationSum += l;
    type.logDeviationSquares += l * l;
    const stream = this.streamState(record);
    // Where the alert stood in its burst when it fired, as `features` saw it: its feedback counts there.
    fired.burstPosition = burstPosition(stream.fires, record.time, this.options.burstGapMs);
    stream.logDeviations.splice(insertSorted(stream.fires, record.time), 0, l);
  }

  private applyFeedback(record: AlertRecord, acted: boolean, at: number, fired: PendingEvent["fired"]): void {
    const a = acted ? 1 : 0;
    const w = feedbackWeight(record);
    const type = this.typeState(record);
    bump(this.global, a, w);
    bump(type.counts, a, 1);
    const { memoryHalfLifeMs: memory, recentHalfLifeMs: recent } = this.options;
    bumpDecayed(type.memory, at, a, memory, w);
    bumpDecayed(type.recent, at, a, recent, w);
    bumpDecayed(type.byDeviation[deviationBucket(record.deviation)]!, at, a, memory, w);
    bumpDecayed(type.byHour[hourBucket(record.time)]!, at, a, memory, w);
    bumpDecayed(type.byBurstRole[fired.burstPosition === 0 ? 0 : 1]!, at, a, memory, w);
    if (acted && (type.lastActedTime === undefined || record.time > type.lastActedTime)) type.lastActedTime = record.time;
    bumpDecayed(this.streamState(record).counts, at, a, memory, w);
  }
}

function bump(c: Counts, acted: number, weight: number): void {
  c.acted += weight * acted;
  c.n += weight;
}

/**
 * How many alerts one answer stands for in the acted rates: 1 / the chance the alert was surfaced.
 * While the suppressor is on, answers come only from surfaced alerts; counted once each, the
 * explored few would stand for themselves alone and every rate would drift up until nothing is
 * suppressed. Weighted by the inverse of the exploration rate, they stand for all the
 * would-be-suppressed alerts they were drawn from (inverse propensity weighting).
 */
export const feedbackWeight = (r: Pick<AlertRecord, "surface_probability">): number => {
  const q = r.surface_probability;
  return q !== undefined && q !== null && Number.isFinite(q) && q > 0 && q < 1 ? 1 / q : 1;
};

/** Appends in the usual in-order case, inserts in place otherwise; returns where the value went. */
function insertSorted(sorted: number[], value: number): number {
  if (sorted.length === 0 || sorted[sorted.length - 1]! <= value) {
    sorted.push(value);
    return sorted.length - 1;
  }
  const at = countAtOrBelow(sorted, value);
  sorted.splice(at, 0, value);
  return at;
}
