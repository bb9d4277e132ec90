/**
 * What the window recomputations (quality metrics, drift) share: base windows marked dirty per key,
 * coalesced into paced runs, and ClickHouse outages waited out.
 */
import type { Logger } from "../common/observability/logger.js";
import { classifyClickHouseError } from "../common/clickhouse/errors.js";

/**
 * Marks accumulate until the next run; batches arriving while a run is under way share the next
 * one. Runs are at least `minIntervalMs` apart and each pause lasts at least four times the
 * previous run, so recomputing busy windows takes at most a fifth of the time and never starves
 * ingestion of ClickHouse.
 */
export class RecomputeQueue {
  private dirty = new Map<string, Set<number>>();
  private tail: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private notBefore = 0;

  constructor(
    private readonly run: (work: Map<string, Set<number>>) => Promise<void>,
    private readonly minIntervalMs = 0,
  ) {}

  mark(key: string, window: number): void {
    let set = this.dirty.get(key);
    if (!set) this.dirty.set(key, (set = new Set()));
    set.add(window);
  }

  /** Resolves once a run that includes everything marked so far has finished. */
  schedule(): Promise<void> {
    if (!this.next) {
      this.next = this.tail.then(async () => {
        const wait = this.notBefore - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.next = undefined;
        const work = this.dirty;
        this.dirty = new Map();
        const started = Date.now();
        try {
          await this.run(work);
        } finally {
          this.notBefore = Date.now() + Math.max(this.minIntervalMs, 4 * (Date.now() - started));
        }
      });
      this.tail = this.next.catch(() => undefined);
    }
    return this.next;
  }
}

/** Outages are waited out like the raw writes; a query ClickHouse rejects is a bug, so it throws. */
export async function retryingClickHouse<T>(
  step: () => Promise<T>,
  opts: { stopped: () => boolean; logger: Logger; what: string },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (opts.stopped() || classifyClickHouseError(err) === "rejected_data") throw err;
      const delay = Math.min(5_000, 100 * 2 ** (attempt - 1));
      opts.logger.warn({ attempt, delay, err: (err as Error).message }, `${opts.what} failed, retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
