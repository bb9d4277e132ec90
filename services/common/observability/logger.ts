import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs to stdout; `name` tells the services apart when `hindsight up` interleaves them. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
