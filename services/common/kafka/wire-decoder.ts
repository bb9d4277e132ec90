/**
 * Reading prediction and label messages in the Confluent wire format (0x00, int32 schema id, Avro
 * body), with the fixed ids 1–3 or with any id of a schema registry. A batch's unknown ids are
 * fetched before the batch is decoded (`prepare`), so decoding itself stays synchronous: each id at
 * most once, however many messages carry it, and an outage surfaces as `RegistryUnavailableError`
 * for the caller to wait out, never as a dead letter. What the registry answers for good (no such id,
 * a schema that is not Avro, a writer's schema that cannot be read as ours) is cached like a schema,
 * and every message carrying that id is dead-lettered with the reason.
 */
import avro from "avsc";
import { DecodeError, decode, decodeBody, type RecordOf, SCHEMAS, schemaIdOf } from "./avro-codec.js";
import { RegistryUnavailableError, type SchemaRegistryClient, SchemaNotFoundError } from "./schema-registry.js";

export type EventKind = "prediction" | "label";

export interface Decoded<K extends EventKind> {
  record: RecordOf[K];
  schemaId: number;
}

/** Decodes the messages of one prepared batch; throws DecodeError (with its reason) for one that cannot be read. */
export interface BatchReader {
  decode<K extends EventKind>(kind: K, bytes: Buffer | null): Decoded<K>;
}

export interface WireDecoder {
  /** Makes every schema id among `values` known; throws RegistryUnavailableError while the registry is away. */
  prepare(values: readonly (Buffer | null)[]): Promise<BatchReader>;
}

/** Without a registry: the fixed ids 4 (prediction.v2), 5 (label.v2) and the earlier versions' 1 and 2. */
export function fixedIdDecoder(): WireDecoder {
  const reader: BatchReader = {
    decode: (kind, bytes) => ({ record: decode(kind, bytes), schemaId: schemaIdOf(bytes) }),
  };
  return { prepare: async () => reader };
}

type Entry = { ok: true; writer: avro.Type; resolvers: Map<EventKind, avro.Resolver | DecodeError> } | { ok: false; error: DecodeError };

export interface RegistryDecoderOptions {
  /** Schema ids kept (least recently used dropped first); a dropped id is fetched again when it returns. */
  maxSchemas: number;
  /** Called once per fetch of an id, with what came of it (for metrics and logs). */
  onFetch?: (id: number, outcome: "found" | "not_found" | "unavailable", detail?: string) => void;
}

export function registryDecoder(client: SchemaRegistryClient, options: RegistryDecoderOptions): WireDecoder {
  const cache = new Map<number, Entry>();
  const inFlight = new Map<number, Promise<Entry>>();

  function remember(id: number, entry: Entry): void {
    cache.delete(id);
    cache.set(id, entry);
    while (cache.size > options.maxSchemas) cache.delete(cache.keys().next().value!);
  }

  async function fetchEntry(id: number): Promise<Entry> {
    let text: string;
    try {
      text = await client.schemaById(id);
    } catch (err) {
      if (err instanceof SchemaNotFoundError) {
        options.onFetch?.(id, "not_found", err.message);
        return { ok: false, error: new DecodeError(`schema id ${id} is not in the schema registry: ${err.message}`, "unknown_schema") };
      }
      options.onFetch?.(id, "unavailable", (err as Error).message);
      throw err instanceof RegistryUnavailableError ? err : new RegistryUnavailableError((err as Error).message, { cause: err });
    }
    options.onFetch?.(id, "found");
    try {
      return { ok: true, writer: avro.Type.forSchema(JSON.parse(text) as avro.Schema), resolvers: new Map() };
    } catch (err) {
      return {
        ok: false,
        error: new DecodeError(`schema id ${id} is not a usable Avro schema: ${(err as Error).message}`, "unresolvable_schema"),
      };
    }
  }

  function load(id: number): Promise<Entry> {
    const cached = cache.get(id);
    if (cached) {
      remember(id, cached);
      return Promise.resolve(cached);
    }
    let pending = inFlight.get(id);
    if (!pending) {
      pending = fetchEntry(id)
        .then((entry) => {
          remember(id, entry);
          return entry;
        })
        .finally(() => inFlight.delete(id));
      inFlight.set(id, pending);
    }
    return pending;
  }

  function resolverFor(id: number, entry: Entry & { ok: true }, kind: EventKind): avro.Resolver {
    let resolver = entry.resolvers.get(kind);
    if (resolver === undefined) {
      try {
        resolver = SCHEMAS[kind].type.createResolver(entry.writer);
      } catch (err) {
        resolver = new DecodeError(
          `schema id ${id} (${describe(entry.writer)}) cannot be read as ${SCHEMAS[kind].name}: ${(err as Error).message}`,
          "unresolvable_schema",
        );
      }
      entry.resolvers.set(kind, resolver);
    }
    if (resolver instanceof DecodeError) throw resolver;
    return resolver;
  }

  return {
    async prepare(values) {
      const ids = new Set<number>();
      for (const v of values) {
        try {
          ids.add(schemaIdOf(v));
        } catch {
          // Not framed: decode() reports it for that message.
        }
      }
      // A batch's own entries, so that a cache smaller than the batch's ids cannot evict one midway.
      const entries = new Map<number, Entry>();
      await Promise.all([...ids].map(async (id) => entries.set(id, await load(id))));
      return {
        decode<K extends EventKind>(kind: K, bytes: Buffer | null): Decoded<K> {
          const id = schemaIdOf(bytes);
          const entry = entries.get(id);
          if (entry === undefined) throw new DecodeError(`schema id ${id} was not prepared`);
          if (!entry.ok) throw entry.error;
          return { record: decodeBody<RecordOf[K]>(SCHEMAS[kind].type, bytes!, resolverFor(id, entry, kind)), schemaId: id };
        },
      };
    },
  };
}

function describe(type: avro.Type): string {
  return type.name ?? type.typeName;
}
