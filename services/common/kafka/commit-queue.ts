/**
 * The commits of a consumer that fetches on while its earlier batches are still being written
 * (consumer.ts, `pipelined`). Waiting for each batch's insert before the next fetch left both the
 * processor and ClickHouse idle half the time; here the next batch is decoded while the last one is
 * inserted, and offsets still never pass unwritten data:
 * - a partition's offsets are committed in order, each once its batch and every earlier batch of the
 *   partition are durable;
 * - when a batch fails (not while stopping), nothing after it in that partition is committed; the
 *   partition is paused, then sought back to the failed batch's first offset after a backoff, and
 *   batches fetched before the seek took effect are ignored until the failed one comes again;
 * - a rebalance forgets every pending commit: the partition's next owner reads from the last commit;
 * - at most `maxPending` messages wait for durability; past that, the consumer waits for room.
 */
export interface CommitQueueDeps {
  /** Commits `offset` (the next to read) for the partition. */
  commit(topic: string, partition: number, offset: string): Promise<void>;
  /** Stops fetching the partition (until `seek`). */
  pause(topic: string, partition: number): void;
  /** Fetches the partition again from `offset`, resuming it. */
  seek(topic: string, partition: number, offset: string): void;
  stopping(): boolean;
  onFailure(topic: string, partition: number, offset: string, error: Error, retryInMs: number): void;
  /** A refused commit (a rebalance under way): the next commit of the partition covers it, or its next owner reads it again. */
  onCommitError(topic: string, partition: number, error: Error): void;
  /** The wait before a partition's n-th consecutive failure is fetched again. */
  backoffMs?: (failures: number) => number;
}

interface PartitionState {
  /** Commits happen in this chain's order. */
  chain: Promise<void>;
  /** Bumped by a failure or a reset: commits registered under an older epoch are dropped. */
  epoch: number;
  /** The first offset of the failed batch the partition waits for, if any. */
  redeliver: string | undefined;
  failures: number;
}

const defaultBackoff = (failures: number) => Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));

export class CommitQueue {
  private readonly partitions = new Map<string, PartitionState>();
  private pending = 0;
  private roomWaiters: Array<() => void> = [];
  /** Backoffs under way; a drain cuts them short. */
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly deps: CommitQueueDeps,
    private readonly maxPending: number,
  ) {}

  private state(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let s = this.partitions.get(key);
    if (!s) {
      s = { chain: Promise.resolve(), epoch: 0, redeliver: undefined, failures: 0 };
      this.partitions.set(key, s);
    }
    return s;
  }

  /** Whether a batch starting at `first` is to be handled; false while its partition waits for a failed batch to come again. */
  accepts(topic: string, partition: number, first: string): boolean {
    const s = this.state(topic, partition);
    if (s.redeliver === undefined) return true;
    if (BigInt(first) > BigInt(s.redeliver)) return false;
    s.redeliver = undefined;
    return true;
  }

  /** Settles once fewer than `maxPending` messages wait for durability. */
  async room(): Promise<void> {
    while (this.pending >= this.maxPending) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Messages taken and not yet durable (or given up). */
  get pendingMessages(): number {
    return this.pending;
  }

  /** A taken batch of `count` messages from `first` to `last`, durable once `durable` resolves. */
  add(topic: string, partition: number, first: string, last: string, count: number, durable: Promise<void>): void {
    const s = this.state(topic, partition);
    const epoch = s.epoch;
    this.pending += count;
    // Settled here, so a failure is never unhandled while earlier batches are still awaited.
    const outcome = durable.then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    s.chain = s.chain.then(async () => {
      try {
        const error = await outcome;
        if (s.epoch !== epoch) return;
        if (!error) {
          s.failures = 0;
          await this.deps
            .commit(topic, partition, (BigInt(last) + 1n).toString())
            .catch((err: Error) => this.deps.onCommitError(topic, partition, err));
          return;
        }
        if (this.deps.stopping()) return;
        s.epoch++;
        s.failures++;
        s.redeliver = first;
        const delay = (this.deps.backoffMs ?? defaultBackoff)(s.failures);
        this.deps.pause(topic, partition);
        this.deps.onFailure(topic, partition, first, error, delay);
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.sleepers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, delay);
          this.sleepers.add(wake);
        });
        if (s.redeliver === first && !this.deps.stopping()) this.deps.seek(topic, partition, first);
      } finally {
        this.pending -= count;
        for (const wake of this.roomWaiters.splice(0)) wake();
      }
    });
  }

  /** Forgets every pending commit (a rebalance): what they covered is read again from the last commit. */
  reset(): void {
    for (const s of this.partitions.values()) {
      s.epoch++;
      s.redeliver = undefined;
    }
  }

  /** Settles when every batch taken so far is committed, or given up; call it when stopping, as it cuts backoffs short. */
  async drain(): Promise<void> {
    for (const wake of [...this.sleepers]) wake();
    await Promise.all([...this.partitions.values()].map((s) => s.chain));
  }
}
