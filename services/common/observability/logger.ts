import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** JSON logs to stdout; `name` tells the services apart when `hindsight up` interleaves them. */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Bearer tokens must never reach a log line, whatever object a caller logs.
    redact: {
      paths: ["req.headers.authorization", "request.headers.authorization", "headers.authorization", "*.headers.authorization"],
      censor: "[redacted]",
    },
  };
  // A destination other than stdout is for tests that read what would be logged.
  return destination ? pino(options, destination) : pino(options);
}
