/** What the window recomputations (quality metrics, drift) share: ClickHouse outages waited out. */
import type { Logger } from "../common/observability/logger.js";
import { classifyClickHouseError, classifyStatementError } from "../common/clickhouse/errors.js";

/**
 * Outages are waited out like the raw writes; a query ClickHouse rejects is a bug, so it throws.
 * With `deterministicThrows`, so does any failure that would repeat (syntax, size, a memory
 * limit), for a caller that sets such a failure aside instead of retrying it forever.
 */
export async function retryingClickHouse<T>(
  step: () => Promise<T>,
  opts: { stopped: () => boolean; logger: Logger; what: string; deterministicThrows?: boolean },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (opts.stopped() || classifyClickHouseError(err) === "rejected_data") throw err;
      if (opts.deterministicThrows && classifyStatementError(err) === "deterministic") throw err;
      const delay = Math.min(5_000, 100 * 2 ** (attempt - 1));
      opts.logger.warn({ attempt, delay, err: (err as Error).message }, `${opts.what} failed, retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
