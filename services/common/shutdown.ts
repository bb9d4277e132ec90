/**
 * Clean shutdown of a service process on SIGINT/SIGTERM: `stop` once (a second signal while
 * stopping is ignored), then exit 0; exit 1 if stopping takes longer than `graceMs`.
 */
import type { Logger } from "./observability/logger.js";

export function exitOnSignal(logger: Logger, stop: () => Promise<void>, graceMs = 30_000): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => process.exit(1), graceMs).unref();
    try {
      await stop();
    } catch (err) {
      logger.error({ err }, "shutdown failed");
      process.exit(1);
    }
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
