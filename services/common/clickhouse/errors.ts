/**
 * Which ClickHouse failures are worth retrying. A server that is down, restarting, overloaded or
 * slow is retried with backoff forever (the processor never skips data); a batch the server
 * rejects as malformed will never succeed, so it is split to find the rows at fault.
 */
import { RowShapeError } from "./row-schema.js";

// Error codes for data the server cannot parse or store: retrying the same bytes cannot help.
const REJECTED_DATA_CODES = new Set([
  "6", // CANNOT_PARSE_TEXT
  "26", // CANNOT_PARSE_QUOTED_STRING
  "27", // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  "38", // CANNOT_PARSE_DATE
  "41", // CANNOT_PARSE_DATETIME
  "53", // TYPE_MISMATCH
  "69", // ARGUMENT_OUT_OF_BOUND
  "70", // CANNOT_CONVERT_TYPE
  "72", // CANNOT_PARSE_NUMBER
  "117", // INCORRECT_DATA
  "130", // CANNOT_READ_ARRAY_FROM_TEXT
  "190", // SIZES_OF_ARRAYS_DOESNT_MATCH
  "321", // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
]);

export type ClickHouseFailure = "retry" | "rejected_data";

/** The server's error code: from the client's parsed error, or from a message that names it ("Code: 27. ..."). */
export function clickHouseErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^\d+$/.test(code)) return code;
  const message = err instanceof Error ? err.message : String(err);
  return /Code: (\d+)/.exec(message)?.[1];
}

export function classifyClickHouseError(err: unknown): ClickHouseFailure {
  const code = clickHouseErrorCode(err);
  return code !== undefined && REJECTED_DATA_CODES.has(code) ? "rejected_data" : "retry";
}

/**
 * Codes of a server that is down, busy, restarting or cut off: waiting helps. Every other coded
 * error is the statement's own fault (syntax, size, a memory or row limit, a row the server
 * refuses) and comes back the same on every retry. Errors without a server code (connection
 * refused or reset, client timeouts) are outages.
 */
const TRANSIENT_CODES = new Set([
  "3", // UNEXPECTED_END_OF_FILE
  "32", // ATTEMPT_TO_READ_AFTER_EOF
  "159", // TIMEOUT_EXCEEDED (a busy server)
  "164", // READONLY (a server starting up)
  "202", // TOO_MANY_SIMULTANEOUS_QUERIES
  "203", // NO_FREE_CONNECTION
  "209", // SOCKET_TIMEOUT
  "210", // NETWORK_ERROR
  "225", // NO_ZOOKEEPER
  "236", // ABORTED
  "242", // TABLE_IS_READ_ONLY
  "252", // TOO_MANY_PARTS
  "319", // UNKNOWN_STATUS_OF_INSERT
  "394", // QUERY_WAS_CANCELLED
  "425", // SYSTEM_ERROR
  "999", // KEEPER_EXCEPTION
  "1000", // POCO_EXCEPTION
]);

export type StatementFailure = "transient" | "deterministic";

/** Whether repeating the same statement can succeed (transient) or will fail the same way. */
export function classifyStatementError(err: unknown): StatementFailure {
  // A result we cannot read comes back the same on every read.
  if (err instanceof RowShapeError) return "deterministic";
  const code = clickHouseErrorCode(err);
  // A request the HTTP layer refuses for its size is refused the same way every time.
  if (code === "1000" && /too long|too large/i.test(err instanceof Error ? err.message : String(err))) return "deterministic";
  return code !== undefined && !TRANSIENT_CODES.has(code) ? "deterministic" : "transient";
}
