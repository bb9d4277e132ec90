/**
 * Request bodies for batched ingestion: a JSON array, a single JSON object, or NDJSON. NDJSON
 * lines are parsed one by one so that one broken line is reported for that line only, with the
 * same parser fastify uses for JSON bodies, which refuses `__proto__` and `constructor.prototype`
 * keys (prototype poisoning) instead of letting them slip past validation.
 */
import sjson from "secure-json-parse";

/** A body item that was not even valid JSON (NDJSON only). */
export class UnparsableLine {
  constructor(readonly message: string) {}
}

export function parseNdjson(text: string): unknown[] {
  const items: unknown[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    try {
      items.push(sjson.parse(trimmed));
    } catch (err) {
      items.push(new UnparsableLine(`invalid JSON: ${(err as Error).message}`));
    }
  }
  return items;
}

export type BatchItems = { ok: true; items: unknown[] } | { ok: false; message: string };

/**
 * Deepest nesting a body may have. An event needs 4 levels (batch, event, prediction, scores); a
 * body nested thousands deep is an attack on whatever walks it next (validation, logging), so it
 * is refused as a whole rather than reported item by item.
 */
export const MAX_JSON_DEPTH = 16;

export function batchItems(body: unknown): BatchItems {
  if (body === null || typeof body !== "object") {
    return { ok: false, message: "body must be a JSON array of events, a single event object, or NDJSON (one event per line)" };
  }
  if (exceedsDepth(body, MAX_JSON_DEPTH))
    return { ok: false, message: `body is nested deeper than ${MAX_JSON_DEPTH} levels; events need at most 4` };
  return { ok: true, items: Array.isArray(body) ? body : [body] };
}

/** Whether a parsed JSON value nests deeper than `max` arrays/objects; iterative, so no stack overflow. */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return false;
}
