/**
 * Recomputes the base windows the metrics consumer group marked dirty (migration 015), apart from
 * that group: its partitions commit once their marks are stored, so a backfill's old windows never
 * hold up the partitions that carry live traffic.
 *
 * Several workers run, each at its own pace: one per kind takes a few of its newest pending windows
 * (live traffic; a label's statistics never wait for a busy window's drift), and one takes the oldest
 * beyond those (a backfill's history), so a backfill's long cycles never delay live windows and a
 * busy live stream never starves a backfill.
 *
 * Each cycle takes a bounded set of pending windows from its end of time, notes ClickHouse's clock,
 * recomputes them, and clears what it recomputed as of that clock: a window marked again meanwhile
 * stays pending. A live cycle recomputes by kind and model in runs that span at most `maxWindows`
 * base windows; a backlog cycle runs one statement per kind, sized by the rows it reads (migration
 * 016's window_rows), over at most SPARSE_FACTOR × `maxWindows` base windows, and leaves the rest
 * pending. Each recomputation rewrites replacing rows from the raw events, so a crash mid-cycle
 * only repeats work. Failures are the steps' own business: outages are waited out and a window
 * that fails deterministically is set aside (runInPieces), so a cycle always ends and clears what
 * it took. One instance runs the workers (the `owns` predicate), like the recompute jobs.
 */
import type { Logger } from "../common/observability/logger.js";
import type { DirtyKind, DirtyWindow, DirtyWindowsRepository } from "../common/clickhouse/dirty-windows.repository.js";
import { StoppedError } from "./pieces.js";

export type WindowsRepo = Pick<DirtyWindowsRepository, "now" | "pending" | "clear" | "rowsIn">;

/** Recomputes these base windows (epoch seconds) of a model (and version, for drift). */
export type RecomputeWindows = (modelId: string, version: string, windows: number[]) => Promise<void>;
export type WindowSteps = Partial<Record<DirtyKind, RecomputeWindows>>;

export interface WindowWorkerOptions {
  /** The base window's length, seconds. */
  baseSeconds: number;
  /**
   * Most windows one recomputation covers when their rows are not known (default 200); a live
   * cycle takes a quarter of that per kind, and no live recomputation spans more.
   */
  maxWindows?: number;
  /**
   * The backlog's statements are sized by rows instead (window_rows): up to this many rows read
   * (default 1,000,000), over at most SPARSE_FACTOR × maxWindows base windows.
   */
  maxRows?: number;
  /** Which pending windows this worker takes: the newest, or the oldest beyond each kind's newest share. */
  end: "newest" | "oldest";
  /**
   * Marks one base window can hold, per kind (its cells, for the kinds marked by cell; 1 for the
   * others). The backlog takes this many times as many of that kind's marks a cycle, so that a dense
   * history still goes up to SPARSE_FACTOR × maxWindows base windows a statement rather than that
   * many cells.
   */
  marksPerWindow?: Partial<Record<DirtyKind, number>>;
  /** Least pause between two cycles with work; each pause also lasts as long as the last cycle. */
  minPauseMs?: number;
  /** How often an idle worker looks for marks (other instances write them too). */
  pollMs?: number;
  owns: () => boolean;
  logger: Logger;
  onCycle?: (windows: number, ms: number) => void;
  clock?: () => number;
  sleep?: (ms: number, wake: Promise<void>) => Promise<void>;
}

/**
 * Windows per kind a live (newest) worker takes in a cycle: a quarter of a recomputation's, so that
 * when a backfill's newest windows sit beside the live ones, the live ones are not kept waiting.
 */
export const newestShare = (maxWindows: number) => Math.max(1, Math.ceil(maxWindows / 4));

/** How many times `maxWindows` the backlog may cover in one statement when its rows are few. */
export const SPARSE_FACTOR = 10;

/**
 * A group's pending windows cut into statements by the rows each will read: a statement reads
 * the event time from its first window to its last, so the rows of windows in between that are
 * not pending count too. A window whose rows are not known weighs maxRows / maxWindows, so
 * `maxWindows` of them make a statement, as when nothing is known. At most `maxSpan` base windows
 * of event time per statement, and at least one window.
 */
export function rowChunks(
  pending: readonly number[],
  rowsOf: ReadonlyMap<number, number>,
  o: { baseSeconds: number; maxWindows: number; maxRows: number; maxSpan: number },
): number[][] {
  const sorted = [...new Set(pending)].sort((a, b) => a - b);
  const isPending = new Set(sorted);
  const between = [...rowsOf].filter(([w]) => !isPending.has(w)).sort((a, b) => a[0] - b[0]);
  const unknown = o.maxRows / o.maxWindows;
  const out: number[][] = [];
  let chunk: number[] = [];
  let total = 0;
  let k = 0;
  for (const w of sorted) {
    // Rows of the windows not pending since the chunk's last one, which this one would add.
    let gap = 0;
    for (; k < between.length && between[k]![0] < w; k++) gap += between[k]![1];
    const own = rowsOf.get(w) ?? unknown;
    const tooBig = total + gap + own > o.maxRows || (w - chunk[0]!) / o.baseSeconds >= o.maxSpan;
    if (chunk.length > 0 && tooBig) {
      out.push(chunk);
      chunk = [];
      total = 0;
      gap = 0;
    }
    chunk.push(w);
    total += gap + own;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

export interface WindowGroup {
  kind: DirtyKind;
  modelId: string;
  version: string;
  windows: number[];
}

/**
 * Pending windows grouped by kind, model and version, and cut where they lie `spanS` or more
 * after the run's first: a recomputation reads the event-time range its windows span, so a group
 * of the newest and the oldest windows would otherwise read a whole history.
 */
export function groupWindows(windows: readonly DirtyWindow[], spanS: number): WindowGroup[] {
  const groups = new Map<string, WindowGroup>();
  for (const w of windows) {
    const k = JSON.stringify([w.kind, w.model_id, w.model_version]);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { kind: w.kind, modelId: w.model_id, version: w.model_version, windows: [] }));
    g.windows.push(w.window_start);
  }
  const out: WindowGroup[] = [];
  for (const g of groups.values()) {
    const sorted = [...new Set(g.windows)].sort((a, b) => a - b);
    let run: number[] = [];
    for (const w of sorted) {
      if (run.length > 0 && w - run[0]! >= spanS) {
        out.push({ ...g, windows: run });
        run = [];
      }
      run.push(w);
    }
    if (run.length > 0) out.push({ ...g, windows: run });
  }
  return out;
}

const defaultSleep = (ms: number, wake: Promise<void>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void wake.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });

export class WindowWorker {
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Resolved by a nudge or a stop: ends an idle wait early. */
  private wake: Promise<void> = Promise.resolve();
  private wakeUp: () => void = () => undefined;
  private readonly stopping: Promise<void>;
  private stopNow!: () => void;
  private readonly clock: () => number;
  private readonly sleep: (ms: number, wake: Promise<void>) => Promise<void>;

  constructor(
    private readonly repo: WindowsRepo,
    /** The kinds this worker recomputes, and how. */
    private readonly steps: WindowSteps,
    private readonly options: WindowWorkerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.stopping = new Promise<void>((resolve) => (this.stopNow = resolve));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Marks were just stored here: an idle worker looks now rather than at its next poll. */
  nudge(): void {
    this.wakeUp();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopNow();
    await this.loop;
  }

  /** One cycle; the number of windows it recomputed (0: nothing pending, or not this instance's work). */
  async cycle(): Promise<number> {
    if (!this.options.owns()) return 0;
    const max = this.options.maxWindows ?? 200;
    const backlog = this.options.end === "oldest";
    const kinds = Object.keys(this.steps) as DirtyKind[];
    const done: DirtyWindow[] = [];
    let startedAt: number;
    if (!backlog) {
      // Live windows: a few per kind, in runs of at most `max` base windows of event time.
      // ClickHouse's clock is read beside the marks: it only has to come before the recomputation reads.
      const read = await Promise.all([this.repo.now(), this.repo.pending(newestShare(max), "newest", kinds, 0)]);
      startedAt = read[0];
      const taken = read[1];
      const groups = groupWindows(taken, max * this.options.baseSeconds);
      await this.eachKind(kinds, async (kind) => {
        for (const g of groups.filter((x) => x.kind === kind)) await this.recompute(kind, g, g.windows, done);
      });
    } else {
      // The backlog: one model's (and version's) oldest windows per kind, one statement each,
      // sized by the rows it will read, so a sparse history goes thousands of windows at a time.
      const span = SPARSE_FACTOR * max;
      const marks = (kind: DirtyKind) => span * (this.options.marksPerWindow?.[kind] ?? 1);
      const [now, ...perKind] = await Promise.all([
        this.repo.now(),
        ...kinds.map((kind) => this.repo.pending(marks(kind), "oldest", [kind], newestShare(max))),
      ]);
      startedAt = now;
      const taken = perKind.flat();
      const groups = groupWindows(taken, span * this.options.baseSeconds);
      await this.eachKind(kinds, async (kind) => {
        const g = groups.find((x) => x.kind === kind);
        if (!g) return;
        const rows = await this.repo.rowsIn(kind, g.modelId, g.version, g.windows[0]!, g.windows.at(-1)!);
        const maxRows = this.options.maxRows ?? 1_000_000;
        const [first] = rowChunks(g.windows, rows, { baseSeconds: this.options.baseSeconds, maxWindows: max, maxRows, maxSpan: span });
        await this.recompute(kind, g, first!, done);
      });
    }
    await this.repo.clear(done, startedAt);
    return done.length;
  }

  /** Kinds side by side: their statements are independent. */
  private async eachKind(kinds: DirtyKind[], work: (kind: DirtyKind) => Promise<void>): Promise<void> {
    await Promise.all(kinds.map(work));
  }

  private async recompute(kind: DirtyKind, g: WindowGroup, windows: number[], done: DirtyWindow[]): Promise<void> {
    if (this.stopped) throw new StoppedError("window recomputation stopped");
    await this.steps[kind]!(g.modelId, g.version, windows);
    for (const w of windows) done.push({ kind, model_id: g.modelId, model_version: g.version, window_start: w });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      // Armed before the cycle, so marks stored while it runs make the next look immediate.
      const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
      this.wake = Promise.race([woken, this.stopping]);
      const began = this.clock();
      let pause: number;
      let idle = false;
      try {
        const n = await this.cycle();
        failures = 0;
        const took = this.clock() - began;
        if (n > 0) this.options.onCycle?.(n, took);
        idle = n === 0;
        // A busy worker leaves ClickHouse to ingestion at least half the time.
        pause = idle ? (this.options.pollMs ?? 250) : Math.max(this.options.minPauseMs ?? 0, took);
      } catch (err) {
        if (this.stopped || err instanceof StoppedError) break;
        // The steps wait out outages themselves; what reaches here is reading or clearing the marks.
        failures++;
        pause = Math.min(5_000, 100 * 2 ** failures);
        this.options.logger.warn({ err: (err as Error).message, delay: pause }, "window recomputation cycle failed; trying again");
      }
      await this.sleep(pause, idle ? this.wake : this.stopping);
    }
  }
}
