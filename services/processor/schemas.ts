/**
 * The processor's decoder, from the configuration: the fixed schema ids without a schema registry,
 * or every id of HINDSIGHT_SCHEMA_REGISTRY_URL (cached per id) with one.
 */
import type { Config } from "../common/config/env.js";
import { createSchemaRegistryClient, RegistryUnavailableError } from "../common/kafka/schema-registry.js";
import { fixedIdDecoder, registryDecoder, type WireDecoder } from "../common/kafka/wire-decoder.js";
import type { Logger } from "../common/observability/logger.js";
import { Counter, type Registry } from "../common/observability/metrics.js";

export function decoderFor(config: Config, deps: { registry: Registry; logger: Logger }): WireDecoder {
  const { url, maxSchemas } = config.schemaRegistry;
  if (url === undefined) return fixedIdDecoder();
  const fetches = new Counter({
    name: "hindsight_processor_schema_fetches_total",
    help: "Schema ids fetched from the schema registry, by outcome: found, not_found (its messages are dead-lettered), unavailable (waited out).",
    labelNames: ["outcome"] as const,
    registers: [deps.registry],
  });
  return registryDecoder(createSchemaRegistryClient(url), {
    maxSchemas,
    onFetch(id, outcome, detail) {
      fetches.inc({ outcome });
      if (outcome !== "found") deps.logger.warn({ schemaId: id, outcome, detail }, "schema registry: schema id not fetched");
    },
  });
}

/** Retries `step` while the registry is unreachable, backing off to 5 s; any other error, or a stop, ends it. */
export async function waitOutRegistry<T>(step: () => Promise<T>, opts: { stopped: () => boolean; logger: Logger }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof RegistryUnavailableError) || opts.stopped()) throw err;
      const delay = Math.min(5_000, 100 * 2 ** (attempt - 1));
      opts.logger.warn({ attempt, delay, err: err.message }, "schema registry unavailable; waiting before decoding this batch");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
