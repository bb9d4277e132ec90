/**
 * The gateway's own schemas in the schema registry: registered (or found) under the subjects
 * Confluent's serializers use for our topics (`<topic>-value`), once at start. A registry that is
 * down is waited out, as the processor does: the gateway starts once it can produce with real ids.
 */
import type { Config } from "../common/config/env.js";
import { SCHEMAS } from "../common/kafka/avro-codec.js";
import { createSchemaRegistryClient, RegistryUnavailableError, valueSubject } from "../common/kafka/schema-registry.js";
import type { Logger } from "../common/observability/logger.js";

export async function registerOwnSchemas(config: Config, logger: Logger): Promise<{ prediction: number; label: number }> {
  const client = createSchemaRegistryClient(config.schemaRegistry.url!);
  for (let attempt = 1; ; attempt++) {
    try {
      const [prediction, label] = await Promise.all([
        client.register(valueSubject(config.topics.predictions), SCHEMAS.prediction.text),
        client.register(valueSubject(config.topics.labels), SCHEMAS.label.text),
      ]);
      logger.info({ registry: client.url, prediction, label }, "schema registry: our schemas registered");
      return { prediction, label };
    } catch (err) {
      if (!(err instanceof RegistryUnavailableError)) throw err;
      const delay = Math.min(5_000, 200 * 2 ** (attempt - 1));
      logger.warn({ attempt, delay, err: err.message }, "schema registry unavailable; registering our schemas again shortly");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
