/**
 * Which ClickHouse failures are worth retrying. A server that is down, restarting, overloaded or
 * slow is retried with backoff forever (the processor never skips data); a batch the server
 * rejects as malformed will never succeed, so it is split to find the rows at fault.
 */

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
