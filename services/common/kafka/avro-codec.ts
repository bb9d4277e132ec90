/**
 * Avro framing for every Hindsight message: byte 0x00, the schema id as a big-endian int32, then
 * the Avro binary record (the same layout as Confluent's wire format, with fixed ids instead of a
 * registry). The id carries the schema version in every message, so a reader always knows which
 * writer schema to decode with.
 */
import { readFileSync } from "node:fs";
import avro from "avsc";
import type { LabelEvent, PredictionEvent } from "../../../schemas/events.js";

const MAGIC = 0;
const HEADER_BYTES = 5;

function loadSchema(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(schemaText(file)) as avro.Schema);
}

/** A schema file's JSON, as a schema registry is given it. */
function schemaText(file: string): string {
  return JSON.stringify(JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), "utf8")));
}

export const SCHEMAS = {
  prediction: { id: 4, name: "prediction.v2", type: loadSchema("prediction.v2.avsc"), text: schemaText("prediction.v2.avsc") },
  label: { id: 5, name: "label.v2", type: loadSchema("label.v2.avsc"), text: schemaText("label.v2.avsc") },
  deadLetter: { id: 3, name: "dead-letter.v1", type: loadSchema("dead-letter.v1.avsc"), text: schemaText("dead-letter.v1.avsc") },
} as const;
export type SchemaKind = keyof typeof SCHEMAS;

/**
 * The records as they were before `request_id` (v2 adds it, with a null default). Every message
 * written before keeps its fixed id and is read through Avro's schema resolution; and an event
 * without a request id is still written in this form, so a reader of the earlier version keeps
 * reading everything but the events that carry request ids.
 */
export const LEGACY_SCHEMAS = {
  prediction: { id: 1, name: "prediction.v1", type: loadSchema("prediction.v1.avsc") },
  label: { id: 2, name: "label.v1", type: loadSchema("label.v1.avsc") },
} as const;

const byId = new Map<number, { kind: SchemaKind; type: avro.Type; resolver?: avro.Resolver }>([
  ...(Object.keys(SCHEMAS) as SchemaKind[]).map((kind) => [SCHEMAS[kind].id, { kind, type: SCHEMAS[kind].type }] as const),
  ...(["prediction", "label"] as const).map(
    (kind) =>
      [
        LEGACY_SCHEMAS[kind].id,
        { kind, type: SCHEMAS[kind].type, resolver: SCHEMAS[kind].type.createResolver(LEGACY_SCHEMAS[kind].type) },
      ] as const,
  ),
]);

/** The name of the schema a fixed id stands for. */
const nameOf = (id: number): string =>
  Object.values(SCHEMAS).find((s) => s.id === id)?.name ?? Object.values(LEGACY_SCHEMAS).find((s) => s.id === id)?.name ?? String(id);

export interface DeadLetterRecord {
  reason: string;
  message: string;
  step: string;
  service: string;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  key: Buffer | null;
  payload: Buffer;
  failed_at: number;
}

export interface RecordOf {
  prediction: PredictionEvent;
  label: LabelEvent;
  deadLetter: DeadLetterRecord;
}

/**
 * Why a message could not be read, the dead-letter reason: bytes that are no framed record
 * (undecodable), a schema id the registry does not know (unknown_schema), or a writer's schema that
 * cannot be read as ours (unresolvable_schema).
 */
export type DecodeReason = "undecodable" | "unknown_schema" | "unresolvable_schema";

/** Thrown for bytes that are not a framed Hindsight record of the expected kind. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    message: string,
    readonly reason: DecodeReason = "undecodable",
  ) {
    super(message);
  }
}

/**
 * `id` is the schema id written in the header: the id a schema registry gave our schema, or, when
 * omitted, the fixed one (the earlier version's for an event without a request id, see LEGACY_SCHEMAS).
 */
export function encode<K extends SchemaKind>(kind: K, record: RecordOf[K], id?: number): Buffer {
  let type: avro.Type = SCHEMAS[kind].type;
  if (id === undefined) {
    id = SCHEMAS[kind].id as number;
    const legacy = kind === "prediction" || kind === "label" ? LEGACY_SCHEMAS[kind as "prediction" | "label"] : undefined;
    if (legacy && (record as { request_id?: string | null }).request_id == null) ({ id, type } = legacy);
  }
  const body = type.toBuffer(record);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC, 0);
  out.writeInt32BE(id, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** The schema id in a framed message's header; throws DecodeError for bytes that have none. */
export function schemaIdOf(bytes: Buffer | null): number {
  if (bytes === null || bytes.length < HEADER_BYTES) throw new DecodeError("message too short for the 5-byte schema header");
  if (bytes.readUInt8(0) !== MAGIC) throw new DecodeError(`unknown magic byte ${bytes.readUInt8(0)}, expected 0`);
  return bytes.readInt32BE(1);
}

/** The Avro body after the header, read with `type` (and a resolver from the writer's schema, if it differs). */
export function decodeBody<T>(type: avro.Type, bytes: Buffer, resolver?: avro.Resolver): T {
  try {
    // decode() instead of fromBuffer() so that trailing garbage is reported rather than ignored.
    const { value, offset } = type.decode(bytes, HEADER_BYTES, resolver);
    if (offset !== bytes.length) throw new DecodeError(offset < 0 ? "truncated Avro record" : "trailing bytes after the Avro record");
    return value as T;
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`invalid Avro body: ${(err as Error).message}`);
  }
}

/** Decodes with the fixed ids 1–5 (no schema registry). */
export function decode<K extends SchemaKind>(kind: K, bytes: Buffer | null): RecordOf[K] {
  const id = schemaIdOf(bytes);
  const schema = byId.get(id);
  if (schema === undefined) throw new DecodeError(`unknown schema id ${id}`);
  if (schema.kind !== kind) throw new DecodeError(`schema id ${id} is ${nameOf(id)}, expected ${SCHEMAS[kind].name}`);
  return decodeBody<RecordOf[K]>(schema.type, bytes!, schema.resolver);
}
