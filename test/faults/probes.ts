/** What the fault scenarios and the soak read from a running processor and from the stack. */
import { createServer } from "node:net";
import { sql } from "../../services/common/clickhouse/sql.js";
import type { ClickHouse } from "../../services/common/clickhouse/client.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

export interface ProcessorHealth {
  rssMb: number;
  heapMb: number;
  /** Event-loop lag p99 over prom-client's monitoring window, in ms. */
  eventLoopP99Ms: number;
}

/** Reads the processor's own /metrics (prom-client's process metrics, prefixed hindsight_). */
export async function processorHealth(port: number): Promise<ProcessorHealth> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  const value = (name: string) => {
    const line = text.split("\n").find((l) => l.startsWith(name) && (l[name.length] === " " || l[name.length] === "{"));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN;
  };
  return {
    rssMb: value("hindsight_process_resident_memory_bytes") / 2 ** 20,
    heapMb: value("hindsight_nodejs_heap_size_used_bytes") / 2 ** 20,
    eventLoopP99Ms: value("hindsight_nodejs_eventloop_lag_p99_seconds") * 1000,
  };
}

/** Active data parts of a database's tables: what merges keep small, and what grows when they cannot. */
export async function activeParts(ch: ClickHouse): Promise<number> {
  const [row] = await ch.rows(
    anyRow<{ n: string }>(),
    sql`SELECT count() AS n FROM system.parts WHERE active AND database = ${ch.database}`,
  );
  return Number(row?.n ?? 0);
}
