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

/**
 * The grains an alert's identity is learned at, finest last: its rule kind, its type (rule kind,
 * metric, scope), the type within its model, and its stream (the type on one model and slice).
 * Each grain's acted rate is smoothed toward the next coarser one, so a grain with few answers
 * speaks with the voice of its parent and a grain with many answers with its own. The type within
 * a model is also the grain of the disagreement watch and of the per-type recall floor.
 */
export const typeModelKey = (r: Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "model">): string => `${alertType(r)}|${r.model}`;
const typeSliceKey = (r: Pick<AlertRecord, "rule_kind" | "metric" | "scope" | "slice">): string => `${alertType(r)}|${r.slice}`;

/**
 * The model's input, in this order: the documented ONNX input `features` is float32 [N, FEATURE_NAMES.length].
 * No feature grows with time alone: trees split on such a clock to memorise past periods.
 * Conditional rates (breach size, sample size, hour, burst role) are kept per type and per type
 * within a model; the latter is smoothed toward the former, shifted by how the type within the
 * model differs from the type overall.
 */
export const FEATURE_NAMES = [
  "severity_warning",
  "scope_slice",
  "log_deviation",
  "log_sample_size",
  "deviation_z_type_model",
  "kind_acted_logit",
  "type_acted_logit",
  "type_model_acted_logit",
  "stream_acted_logit",
  "type_slice_acted_logit",
  "type_model_recent_acted_logit",
  "type_dev_below_acted_logit",
  "type_dev_above_acted_logit",
  "type_model_dev_below_acted_logit",
  "type_model_dev_above_acted_logit",
  "type_model_dev_near_acted_logit",
  "type_model_samples_below_acted_logit",
  "type_model_samples_above_acted_logit",
  "type_model_hour_acted_logit",
  "type_model_burst_role_acted_logit",
  "type_model_evidence_log",
  "stream_burst_position_log",
  "stream_fired_1h_log",
  "minutes_since_stream_fired_log",
  "deviation_change_from_stream_previous",
  "hours_since_type_model_acted_log",
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
  /** Half-life of the recent acted rate, so changes in responders' behaviour show (default 7 days). */
  recentHalfLifeMs: number;
  /**
   * Half-life of every other acted rate (default 30 days): long enough to be stable, short enough
   * that behaviour from months ago stops speaking.
   */
  memoryHalfLifeMs: number;
  /** Pseudo-count pulling each grain's acted rate toward the coarser rate it refines (default 5). */
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
/** Breach sizes are binned on ln(deviation + 0.001), from DEV_LOW in DEV_STEP steps (bins at both ends take the rest). */
const DEV_LOW = -7;
const DEV_STEP = 0.1;
const DEV_BINS = 120;
/** "Near" a breach size: within this many bins either side (±0.3 in ln, about ±35 %). */
const DEV_NEAR = 3;
/** Sample sizes are binned on log10(1 + n) in quarter decades from 1 (10 samples) to 6. */
const SAMPLE_LOW = 1;
const SAMPLE_STEP = 0.25;
const SAMPLE_BINS = 20;
/** Hours since the last acted-on alert are capped here, also the value when there was none. */
const HOURS_CAP = 30 * 24;
const RATE_FLOOR = 1e-3;
/** Minutes since the stream last fired are capped here (a week), also the value when it never did. */
const MINUTES_CAP = 7 * 24 * 60;
/** How much a breach's size differs from the stream's previous one (|log ratio|), capped; also the value when there is none. */
const DEVIATION_CHANGE_CAP = 5;
/** Earlier fires counted back into a burst at most: beyond this a burst is simply "long". */
const BURST_CAP = 20;

/**
 * Acted and answered weights that fade with a half-life. Each answer is stored scaled up by
 * 2^((t − epoch)/halfLife), so fading is one division at read time and a sum over many cells
 * (a range of breach sizes) needs no per-cell fading. Doubles hold the scale for decades.
 */
interface Cell {
  acted: number;
  n: number;
}
const cell = (): Cell => ({ acted: 0, n: 0 });

/** What is kept for a grain with conditional rates (a type, a type within a model). */
interface Conditional {
  devActed: Float64Array;
  devN: Float64Array;
  sampleActed: Float64Array;
  sampleN: Float64Array;
  byHour: Cell[];
  /** First alert of a burst, the second, later ones. */
  byBurstRole: Cell[];
}
const conditional = (): Conditional => ({
  devActed: new Float64Array(DEV_BINS),
  devN: new Float64Array(DEV_BINS),
  sampleActed: new Float64Array(SAMPLE_BINS),
  sampleN: new Float64Array(SAMPLE_BINS),
  byHour: Array.from({ length: 16 }, cell),
  byBurstRole: [cell(), cell(), cell()],
});

interface TypeModelState {
  recent: Cell;
  /** Sums of log(deviation) and its square over its alerts, unfaded: how unusual a breach is for it. */
  fires: number;
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
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** A finer grain's prior: the coarser conditional rate, shifted by how the finer grain differs overall. */
const shifted = (p: number, finer: number, coarser: number) => sigmoid(logit(p) + logit(finer) - logit(coarser));
const clampDeviation = (d: number) => (Number.isFinite(d) && d > 0 ? Math.min(d, 1e6) : 0);
const logOfDeviation = (d: number) => Math.log(clampDeviation(d) + 1e-3);
const clampBin = (i: number, bins: number) => Math.max(0, Math.min(bins - 1, i));
export const deviationBin = (deviation: number): number => clampBin(Math.floor((logOfDeviation(deviation) - DEV_LOW) / DEV_STEP), DEV_BINS);
const samples = (n: number) => Math.max(0, Number.isFinite(n) ? n : 0);
export const sampleBin = (sampleSize: number): number =>
  clampBin(Math.floor((Math.log10(1 + samples(sampleSize)) - SAMPLE_LOW) / SAMPLE_STEP), SAMPLE_BINS);

/** UTC hour in 3-hour blocks, weekdays apart from weekends: 16 buckets. Teams' local hours map onto them consistently. */
export function hourBucket(time: number): number {
  const date = new Date(time);
  const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 1 : 0;
  return weekend * 8 + Math.floor(date.getUTCHours() / 3);
}

const burstRole = (position: number) => Math.min(2, position);

/** Sums of two parallel arrays over bins [from, to]. */
function rangeSum(acted: Float64Array, n: Float64Array, from: number, to: number): Cell {
  const c = cell();
  for (let i = Math.max(0, from); i <= Math.min(n.length - 1, to); i++) {
    c.acted += acted[i]!;
    c.n += n[i]!;
  }
  return c;
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
  /** Growth-scaled acted rates per grain key ("k:", "t:", "tm:", "s:", "ts:" prefixes), with the memory half-life. */
  private rates = new Map<string, Cell>();
  private conditionals = new Map<string, Conditional>();
  private typeModels = new Map<string, TypeModelState>();
  private streams = new Map<string, StreamState>();
  /** Unfaded feedback records per type: the policy's "enough feedback" count. */
  private typeCounts = new Map<string, number>();
  private global = cell();
  /** Time the growth scales start from: the first event applied. */
  private epoch: number | undefined;

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
      this.queue.push({
        at: record.time + this.options.unacknowledgedTimeoutMs,
        seq: this.seq++,
        record,
        kind: "feedback",
        acted: false,
        fired,
      });
    }
  }

  /** Feedback records known for the alert's type at its time: the policy's "enough feedback" count. */
  feedbackCount(alert: AlertRecord): number {
    this.advance(alert.time);
    return this.typeCounts.get(alertType(alert)) ?? 0;
  }

  /** Acted / answered over every type, as known at `time` (unfaded weights). */
  globalRate(time: number): { acted: number; n: number } {
    this.advance(time);
    const scale = this.scale(time, this.options.memoryHalfLifeMs);
    return { acted: this.global.acted / scale, n: this.global.n / scale };
  }

  private scale(time: number, halfLife: number): number {
    return this.epoch === undefined ? 1 : 2 ** ((time - this.epoch) / halfLife);
  }

  /** (acted + m·prior) / (n + m) with the counts faded to `scale`. */
  private smooth(c: Cell | undefined, prior: number, scale: number): number {
    const m = this.options.priorStrength;
    if (!c || c.n === 0) return prior;
    return (c.acted / scale + m * prior) / (c.n / scale + m);
  }

  features(alert: AlertRecord): Float32Array {
    this.advance(alert.time);
    const { memoryHalfLifeMs: memory, recentHalfLifeMs: recent, burstGapMs } = this.options;
    const at = alert.time;
    const scale = this.scale(at, memory);
    const x = new Float32Array(FEATURE_COUNT);
    x[F.severity_warning] = alert.severity === "warning" ? 1 : 0;
    x[F.scope_slice] = alert.scope === "slice" ? 1 : 0;
    x[F.log_deviation] = Math.log1p(clampDeviation(alert.deviation));
    x[F.log_sample_size] = Math.log10(1 + samples(alert.sample_size));

    // Identity, coarse to fine, each grain smoothed toward the one above it.
    const type = alertType(alert);
    const tmKey = typeModelKey(alert);
    const globalRate = (this.global.acted / scale + 1) / (this.global.n / scale + 2);
    const kindRate = this.smooth(this.rates.get(`k:${alert.rule_kind}`), globalRate, scale);
    const typeRate = this.smooth(this.rates.get(`t:${type}`), kindRate, scale);
    const tmCell = this.rates.get(`tm:${tmKey}`);
    const tmRate = this.smooth(tmCell, typeRate, scale);
    x[F.kind_acted_logit] = logit(kindRate);
    x[F.type_acted_logit] = logit(typeRate);
    x[F.type_model_acted_logit] = logit(tmRate);
    x[F.stream_acted_logit] = logit(this.smooth(this.rates.get(`s:${alertStream(alert)}`), tmRate, scale));
    x[F.type_slice_acted_logit] = logit(this.smooth(this.rates.get(`ts:${typeSliceKey(alert)}`), typeRate, scale));
    const tm = this.typeModels.get(tmKey);
    x[F.type_model_recent_acted_logit] = logit(this.smooth(tm?.recent, tmRate, this.scale(at, recent)));
    x[F.type_model_evidence_log] = Math.log1p(tmCell ? tmCell.n / scale : 0);

    // Conditional rates: the type's toward its own rate, the type within the model's toward the type's, shifted.
    const typeCond = this.conditionals.get(`t:${type}`);
    const tmCond = this.conditionals.get(`tm:${tmKey}`);
    const both = (name: [FeatureName, FeatureName | undefined], pick: (c: Conditional) => Cell) => {
      const typeLevel = this.smooth(typeCond && pick(typeCond), typeRate, scale);
      if (name[1] !== undefined) x[F[name[1]]] = logit(typeLevel);
      x[F[name[0]]] = logit(this.smooth(tmCond && pick(tmCond), shifted(typeLevel, tmRate, typeRate), scale));
    };
    const d = deviationBin(alert.deviation);
    both(["type_model_dev_below_acted_logit", "type_dev_below_acted_logit"], (c) => rangeSum(c.devActed, c.devN, 0, d));
    both(["type_model_dev_above_acted_logit", "type_dev_above_acted_logit"], (c) => rangeSum(c.devActed, c.devN, d, DEV_BINS - 1));
    both(["type_model_dev_near_acted_logit", undefined], (c) => rangeSum(c.devActed, c.devN, d - DEV_NEAR, d + DEV_NEAR));
    const sb = sampleBin(alert.sample_size);
    both(["type_model_samples_below_acted_logit", undefined], (c) => rangeSum(c.sampleActed, c.sampleN, 0, sb));
    both(["type_model_samples_above_acted_logit", undefined], (c) => rangeSum(c.sampleActed, c.sampleN, sb, SAMPLE_BINS - 1));
    const hour = hourBucket(at);
    both(["type_model_hour_acted_logit", undefined], (c) => c.byHour[hour]!);

    if (tm && tm.fires >= 2) {
      const mean = tm.logDeviationSum / tm.fires;
      const sd = Math.sqrt(Math.max(0, tm.logDeviationSquares / tm.fires - mean * mean));
      x[F.deviation_z_type_model] = Math.max(-10, Math.min(10, (logOfDeviation(alert.deviation) - mean) / Math.max(sd, 0.05)));
    }
    const hours = tm?.lastActedTime === undefined ? HOURS_CAP : Math.min(HOURS_CAP, Math.max(0, at - tm.lastActedTime) / HOUR);
    x[F.hours_since_type_model_acted_log] = Math.log1p(hours);

    const stream = this.streams.get(alertStream(alert));
    const position = stream ? burstPosition(stream.fires, at, burstGapMs) : 0;
    both(["type_model_burst_role_acted_logit", undefined], (c) => c.byBurstRole[burstRole(position)]!);
    x[F.stream_burst_position_log] = Math.log1p(position);
    x[F.stream_fired_1h_log] = Math.log1p(stream ? countAfter(stream.fires, at - HOUR) : 0);
    const previous = stream ? stream.fires.length - countAfter(stream.fires, at) - 1 : -1;
    x[F.minutes_since_stream_fired_log] = Math.log1p(
      previous < 0 ? MINUTES_CAP : Math.min(MINUTES_CAP, (at - stream!.fires[previous]!) / 60_000),
    );
    x[F.deviation_change_from_stream_previous] =
      previous < 0
        ? DEVIATION_CHANGE_CAP
        : Math.min(DEVIATION_CHANGE_CAP, Math.abs(logOfDeviation(alert.deviation) - stream!.logDeviations[previous]!));
    const hourOfDay = (((at % DAY) + DAY) % DAY) / HOUR;
    x[F.hour_sin] = Math.sin((2 * Math.PI * hourOfDay) / 24);
    x[F.hour_cos] = Math.cos((2 * Math.PI * hourOfDay) / 24);
    const weekday = new Date(at).getUTCDay();
    x[F.weekend] = weekday === 0 || weekday === 6 ? 1 : 0;
    return x;
  }

  /** Applies every event known at `time`. Asking about an earlier time later sees the newer state. */
  private advance(time: number): void {
    for (let e = this.queue.peek(); e !== undefined && e.at <= time; e = this.queue.peek()) {
      this.queue.pop();
      this.epoch ??= e.at;
      if (e.kind === "fire") this.applyFire(e.record, e.fired);
      else this.applyFeedback(e.record, e.acted, e.at, e.fired);
    }
  }

  private typeModelState(record: AlertRecord): TypeModelState {
    const key = typeModelKey(record);
    let state = this.typeModels.get(key);
    if (!state) {
      state = { recent: cell(), fires: 0, logDeviationSum: 0, logDeviationSquares: 0, lastActedTime: undefined };
      this.typeModels.set(key, state);
    }
    return state;
  }

  private streamState(record: AlertRecord): StreamState {
    const key = alertStream(record);
    let state = this.streams.get(key);
    if (!state) {
      state = { fires: [], logDeviations: [] };
      this.streams.set(key, state);
    }
    return state;
  }

  private applyFire(record: AlertRecord, fired: PendingEvent["fired"]): void {
    const tm = this.typeModelState(record);
    const l = logOfDeviation(record.deviation);
    tm.fires++;
    tm.logDeviationSum += l;
    tm.logDeviationSquares += l * l;
    const stream = this.streamState(record);
    // Where the alert stood in its burst when it fired, as `features` saw it: its feedback counts there.
    fired.burstPosition = burstPosition(stream.fires, record.time, this.options.burstGapMs);
    stream.logDeviations.splice(insertSorted(stream.fires, record.time), 0, l);
  }

  private applyFeedback(record: AlertRecord, acted: boolean, at: number, fired: PendingEvent["fired"]): void {
    const a = acted ? 1 : 0;
    const w = feedbackWeight(record) * this.scale(at, this.options.memoryHalfLifeMs);
    const type = alertType(record);
    this.typeCounts.set(type, (this.typeCounts.get(type) ?? 0) + 1);
    bump(this.global, a, w);
    for (const key of [
      `k:${record.rule_kind}`,
      `t:${type}`,
      `tm:${typeModelKey(record)}`,
      `s:${alertStream(record)}`,
      `ts:${typeSliceKey(record)}`,
    ]) {
      let c = this.rates.get(key);
      if (!c) this.rates.set(key, (c = cell()));
      bump(c, a, w);
    }
    const d = deviationBin(record.deviation);
    const sb = sampleBin(record.sample_size);
    const hour = hourBucket(record.time);
    for (const key of [`t:${type}`, `tm:${typeModelKey(record)}`]) {
      let c = this.conditionals.get(key);
      if (!c) this.conditionals.set(key, (c = conditional()));
      c.devActed[d]! += w * a;
      c.devN[d]! += w;
      c.sampleActed[sb]! += w * a;
      c.sampleN[sb]! += w;
      bump(c.byHour[hour]!, a, w);
      bump(c.byBurstRole[burstRole(fired.burstPosition)]!, a, w);
    }
    const tm = this.typeModelState(record);
    bump(tm.recent, a, feedbackWeight(record) * this.scale(at, this.options.recentHalfLifeMs));
    if (acted && (tm.lastActedTime === undefined || record.time > tm.lastActedTime)) tm.lastActedTime = record.time;
  }
}

function bump(c: Cell, acted: number, weight: number): void {
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
