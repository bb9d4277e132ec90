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

export function batchItems(body: unknown): BatchItems {
  if (Array.isArray(body)) return { ok: true, items: body };
  if (body !== null && typeof body === "object") return { ok: true, items: [body] };
  return { ok: false, message: "body must be a JSON array of events, a single event object, or NDJSON (one event per line)" };
}
