/**
 * Runs a recomputation over a list of base windows in bounded pieces, so that no statement grows
 * with a model's history and no failure that repeats holds the pipeline up:
 * - the windows go out in chunks of at most `maxWindows` (sorted, so each chunk spans a short range);
 * - a transient failure (ClickHouse down, busy, a timeout) is waited out with backoff, never skipped;
 * - a deterministic one (syntax, size, a memory or row limit, a refused row) splits the chunk in
 *   halves, and a single window that still fails is set aside with its error, then the rest goes on.
 * Each piece is idempotent (it rewrites replacing rows from the raw events), so running it again
 * after a transient failure is harmless.
 */
import type { Logger } from "../common/observability/logger.js";
import { classifyStatementError, clickHouseErrorCode, type StatementFailure } from "../common/clickhouse/errors.js";

export interface PiecesOptions {
  maxWindows: number;
  stopped: () => boolean;
  logger: Logger;
  what: string;
  /** A window that failed alone with a deterministic error; the run goes on without it. */
  onSetAside: (window: number, err: Error) => Promise<void>;
  /** Windows whose piece succeeded (clears what was set aside for them earlier). */
  onDone?: (windows: number[]) => Promise<unknown>;
  onRetry?: () => void;
  onSplit?: () => void;
  classify?: (err: unknown) => StatementFailure;
  sleep?: (ms: number) => Promise<void>;
}

export class StoppedError extends Error {
  override readonly name = "StoppedError";
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Chunks of at most `size` of the sorted, distinct windows. */
export function chunkWindows(windows: Iterable<number>, size: number): number[][] {
  const sorted = [...new Set(windows)].sort((a, b) => a - b);
  const out: number[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}

export async function runInPieces(windows: Iterable<number>, step: (chunk: number[]) => Promise<void>, opts: PiecesOptions): Promise<void> {
  const classify = opts.classify ?? classifyStatementError;
  const sleep = opts.sleep ?? defaultSleep;

  /** The piece, retried while the failure is transient; a deterministic failure is thrown. */
  async function attempt(chunk: number[]): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        return await step(chunk);
      } catch (err) {
        if (opts.stopped()) throw new StoppedError(`${opts.what} stopped`);
        if (classify(err) === "deterministic") throw err;
        const delay = Math.min(5_000, 100 * 2 ** (n - 1));
        opts.onRetry?.();
        opts.logger.warn({ attempt: n, delay, windows: chunk.length, err: (err as Error).message }, `${opts.what} failed, retrying`);
        await sleep(delay);
      }
    }
  }

  async function piece(chunk: number[]): Promise<void> {
    try {
      await attempt(chunk);
    } catch (err) {
      if (err instanceof StoppedError) throw err;
      if (chunk.length > 1) {
        opts.onSplit?.();
        opts.logger.warn(
          { windows: chunk.length, code: clickHouseErrorCode(err), err: (err as Error).message.slice(0, 500) },
          `${opts.what} failed deterministically; splitting the piece`,
        );
        const half = Math.ceil(chunk.length / 2);
        await piece(chunk.slice(0, half));
        await piece(chunk.slice(half));
        return;
      }
      opts.logger.error(
        { window: chunk[0], code: clickHouseErrorCode(err), err: (err as Error).message.slice(0, 500) },
        `${opts.what} failed deterministically for one window; set aside`,
      );
      await opts.onSetAside(chunk[0]!, err as Error);
      return;
    }
    await opts.onDone?.(chunk);
  }

  for (const chunk of chunkWindows(windows, opts.maxWindows)) {
    if (opts.stopped()) throw new StoppedError(`${opts.what} stopped`);
    await piece(chunk);
  }
}
