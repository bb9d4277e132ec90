/**
 * A small client for the Confluent Schema Registry REST API (Confluent's own registry, Apicurio's
 * `/apis/ccompat/v7`, Karapace, Redpanda): fetch a schema by id, register one under a subject.
 * Errors are typed by what the caller should do: `SchemaNotFoundError` is an answer (the id does not
 * exist there: the message is dead-lettered), `RegistryUnavailableError` is an outage (wait it out).
 */

const CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

export interface SchemaRegistryClient {
  /** The writer's schema (Avro JSON text) registered under `id`. */
  schemaById(id: number): Promise<string>;
  /** Registers `schema` (Avro JSON text) under `subject`, or finds it there; resolves to its id. */
  register(subject: string, schema: string): Promise<number>;
  readonly url: string;
}

/** The registry answered that the id (or subject) does not exist, or refused the request: deterministic. */
export class SchemaNotFoundError extends Error {
  override readonly name = "SchemaNotFoundError";
}

/** The registry could not be reached or failed (5xx, timeout): transient, retry later. */
export class RegistryUnavailableError extends Error {
  override readonly name = "RegistryUnavailableError";
}

export function createSchemaRegistryClient(url: string, options: { timeoutMs?: number } = {}): SchemaRegistryClient {
  const base = url.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { "content-type": CONTENT_TYPE }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RegistryUnavailableError(`schema registry ${base} unreachable: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text().catch(() => "");
    // 408 and 429 are the registry asking for patience, like a 5xx.
    if (res.status >= 500 || res.status === 408 || res.status === 429)
      throw new RegistryUnavailableError(`schema registry ${base} answered ${res.status} to ${method} ${path}: ${text.slice(0, 300)}`);
    if (!res.ok) throw new SchemaNotFoundError(`schema registry answered ${res.status} to ${method} ${path}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RegistryUnavailableError(`schema registry ${base} answered ${method} ${path} with something other than JSON`);
    }
  }

  return {
    url: base,
    async schemaById(id) {
      const body = (await call("GET", `/schemas/ids/${id}`)) as { schema?: unknown; schemaType?: unknown };
      if (body.schemaType !== undefined && body.schemaType !== "AVRO")
        throw new SchemaNotFoundError(`schema id ${id} is a ${String(body.schemaType)} schema, not Avro`);
      if (typeof body.schema !== "string") throw new SchemaNotFoundError(`schema id ${id}: the registry's answer has no schema text`);
      return body.schema;
    },
    async register(subject, schema) {
      const body = (await call("POST", `/subjects/${encodeURIComponent(subject)}/versions`, { schema, schemaType: "AVRO" })) as {
        id?: unknown;
      };
      if (typeof body.id !== "number") throw new SchemaNotFoundError(`registering under ${subject}: the registry's answer has no id`);
      return body.id;
    },
  };
}

/** The subject Confluent's serializers use by default (TopicNameStrategy) for a topic's values. */
export const valueSubject = (topic: string) => `${topic}-value`;
