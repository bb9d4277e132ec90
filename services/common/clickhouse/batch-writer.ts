/**
 * A batched writer for one table. Callers `write()` rows and await the returned promise: it
 * settles only once ClickHouse has acknowledged an INSERT holding those rows, which is what lets
 * the processor commit Kafka offsets safely. A flush happens when `maxRows` are waiting or
 * `maxWaitMs` after the first waiting row.
 *
 * Failures: an outage is retried with capped exponential backoff until it ends or the writer is
 * stopped (nothing is skipped); a batch the server rejects as malformed is split in halves until
 * the rows at fault are isolated and handed to `onRejected` (the dead-letter path).
 */
import type { ClickHouse } from "./client.js";
import { classifyClickHouseError, clickHouseErrorCode } from "./errors.js";
import { encodeRows, type RowBinaryLayout } from "./row-binary.js";

export interface BatchWriterOptions<R> {
  table: string;
  maxRows: number;
  maxWaitMs: number;
  /** Rows per serialised JSON chunk; between chunks the event loop gets a turn. */
  chunkRows?: number;
  /** The stored form of a row, when it differs from the row itself (e.g. times as DateTime64). */
  record?: (row: R) => object;
  /** Rows sent as RowBinary in this layout instead of JSONEachRow (`record` is then unused), encoded as they are written. */
  binary?: RowBinaryLayout<R>;
  retry?: { initialMs: number; maxMs: number };
  /** Rows ClickHouse refuses one by one; must settle before the write counts as done. */
  onRejected: (row: R, error: Error) => Promise<void>;
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
  onFlushed?: (rows: number, ms: number) => void;
}

export class WriterStoppedError extends Error {
  override readonly name = "WriterStoppedError";
}

interface Pending<R> {
  rows: R[];
  /** The rows as RowBinary, encoded when written so a flush only sends them. */
  encoded: Buffer | undefined;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class BatchWriter<R> {
  private queue: Array<Pending<R>> = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly ch: ClickHouse,
    private readonly options: BatchWriterOptions<R>,
  ) {}

  write(rows: R[]): Promise<void> {
    if (this.stopped) return Promise.reject(new WriterStoppedError("writer stopped"));
    if (rows.length === 0) return Promise.resolve();
    const { binary } = this.options;
    const encoded = binary ? encodeRows(rows, binary) : undefined;
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, encoded, resolve, reject });
      this.queuedRows += rows.length;
      if (this.queuedRows >= this.options.maxRows) this.flushSoon(0);
      else this.flushSoon(this.options.maxWaitMs);
    });
  }

  /**
   * Writes what is waiting once more and stops. If ClickHouse fails now, the waiting writes are
   * rejected instead of retried: their offsets stay uncommitted and Kafka re-delivers them later.
   */
  async stop(): Promise<void> {
    if (this.stopped) return this.flushing;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // One INSERT at a time per table: fewer, larger parts, and ordering stays simple.
      this.flushing = this.flushing.then(() => this.flush());
    }, delayMs);
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedRows = 0;
    const rows = batch.flatMap((p) => p.rows);
    const encoded = this.options.binary ? batch.map((p) => p.encoded!) : undefined;
    const started = performance.now();
    try {
      await this.insertWithRetry(rows, encoded);
      this.options.onFlushed?.(rows.length, performance.now() - started);
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
    if (this.queue.length > 0) this.flushSoon(this.queuedRows >= this.options.maxRows ? 0 : this.options.maxWaitMs);
  }

  /** `encoded`: the rows' RowBinary when already at hand (a binary writer's whole batch, not a split half). */
  private async insertWithRetry(rows: R[], encoded?: Buffer[]): Promise<void> {
    const { initialMs, maxMs } = this.options.retry ?? { initialMs: 100, maxMs: 5_000 };
    for (let attempt = 1; ; attempt++) {
      try {
        const { binary } = this.options;
        if (binary) await this.ch.insertRowBinary(this.options.table, binary.columns, encoded ?? [encodeRows(rows, binary)]);
        else
          await this.ch.insertJsonEachRow(this.options.table, await serialize(rows, this.options.chunkRows ?? 2_000, this.options.record));
        return;
      } catch (err) {
        const error = err as Error;
        if (classifyClickHouseError(error) === "rejected_data") return this.split(rows, error);
        if (this.stopped) throw new WriterStoppedError(`writer stopped while retrying: ${error.message}`);
        const delay = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
        this.options.onRetry?.(error, attempt, delay);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async split(rows: R[], error: Error): Promise<void> {
    if (rows.length === 1) {
      // The dead letter names ClickHouse's error code beside its message, as the server prints them.
      const code = clickHouseErrorCode(error);
      return this.options.onRejected(
        rows[0]!,
        code && !/Code: \d+/.test(error.message) ? new Error(`Code: ${code}. ${error.message}`) : error,
      );
    }
    const mid = rows.length >> 1;
    await this.insertWithRetry(rows.slice(0, mid));
    await this.insertWithRetry(rows.slice(mid));
  }
}

/** JSONEachRow text in chunks, yielding to the event loop between chunks (≈ 8 µs per row). */
export async function serialize<R>(rows: readonly R[], chunkRows: number, record?: (row: R) => object): Promise<string[]> {
  const chunks: string[] = [];
  for (let start = 0; start < rows.length; start += chunkRows) {
    if (start > 0) await new Promise<void>((r) => setImmediate(r));
    const end = Math.min(rows.length, start + chunkRows);
    let text = "";
    for (let i = start; i < end; i++) text += `${JSON.stringify(record ? record(rows[i]!) : rows[i])}\n`;
    chunks.push(text);
  }
  return chunks;
}

/** Rows as one JSONEachRow chunk, for the small inserts that need no batching. */
export const jsonRows = (rows: readonly object[]): string[] => (rows.length ? [rows.map((r) => JSON.stringify(r)).join("\n")] : []);
