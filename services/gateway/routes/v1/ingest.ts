/**
 * POST /v1/predictions and POST /v1/labels: validate each item on its own, produce the valid ones
 * to Kafka as Avro (keyed by prediction_id so a prediction and its labels share a partition), and
 * report the invalid ones by index, field path and reason. Valid items are accepted even when
 * others in the same batch are not.
 */
import type { FastifyInstance } from "fastify";
import type { ZodType } from "zod";
import { LabelHttp, PredictionHttp, type LabelEvent, type PredictionEvent } from "../../../../schemas/events.js";
import { encode, LEGACY_SCHEMAS, SCHEMAS } from "../../../common/kafka/avro-codec.js";
import { maxMessageBytes, messageBytes, MessageTooLargeError, type OutgoingMessage } from "../../../common/kafka/client.js";
import { batchItems, UnparsableLine } from "../../batch-body.js";
import type { GatewayContext } from "../../app.js";
import { principalOf } from "../../auth.js";

export interface Rejection {
  index: number;
  path: string;
  message: string;
}

// Enough issues per item to fix it, not so many that one bad batch floods the answer.
const MAX_ISSUES_PER_ITEM = 5;

/** `refuse` vetoes a valid item (e.g. a model the token may not touch) with the field and reason. */
export function validateBatch<T>(
  items: unknown[],
  schema: ZodType<T>,
  refuse?: (item: T) => { path: string; message: string } | undefined,
): { valid: T[]; rejected: Rejection[] /** Each valid item's index in the batch. */; validIndex: number[] } {
  const valid: T[] = [];
  const validIndex: number[] = [];
  const rejected: Rejection[] = [];
  items.forEach((item, index) => {
    if (item instanceof UnparsableLine) {
      rejected.push({ index, path: "", message: item.message });
      return;
    }
    const parsed = schema.safeParse(item);
    const refused = parsed.success ? refuse?.(parsed.data) : undefined;
    if (refused) rejected.push({ index, ...refused });
    else if (parsed.success) {
      valid.push(parsed.data);
      validIndex.push(index);
    } else {
      for (const issue of parsed.error.issues.slice(0, MAX_ISSUES_PER_ITEM)) {
        rejected.push({ index, path: issue.path.join("."), message: issue.message });
      }
    }
  });
  return { valid, rejected, validIndex };
}

/** The 413 for events that alone exceed one produce call: nothing was sent, each such event is named by its index. */
function tooLarge(messages: OutgoingMessage[], validIndex: number[], limit: number) {
  const rejected = messages.flatMap((m, i) => {
    const bytes = messageBytes(m);
    return bytes > maxMessageBytes(limit)
      ? [
          {
            index: validIndex[i]!,
            path: "",
            message: `this event takes ${bytes} bytes encoded, over the limit of ${limit} bytes per Kafka produce`,
          },
        ]
      : [];
  });
  return {
    error: {
      code: "event_too_large",
      message: `${rejected.length} event(s) encode to more than the limit of ${limit} bytes per Kafka produce (HINDSIGHT_KAFKA_MAX_BATCH_BYTES); nothing from this batch was accepted: shrink or drop them and resend`,
    },
    rejected,
  };
}

export function ingestRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { config, deps, requireScope, metrics } = ctx;

  function route<T extends PredictionEvent | LabelEvent>(
    url: string,
    kind: "prediction" | "label",
    scope: "ingest" | "label",
    schema: ZodType<T>,
    topic: string,
  ) {
    app.post(url, { preHandler: requireScope(scope) }, async (request, reply) => {
      const body = batchItems(request.body);
      if (!body.ok) return reply.code(400).send({ error: { code: "bad_request", message: body.message } });
      if (body.items.length > config.http.maxBatchItems) {
        return reply.code(413).send({
          error: {
            code: "batch_too_large",
            message: `a batch holds at most ${config.http.maxBatchItems} items, this one has ${body.items.length}; split it`,
          },
        });
      }
      const principal = principalOf(request);
      // Per item, like any other invalid field: the rest of the batch still goes through.
      const { valid, rejected, validIndex } = validateBatch(body.items, schema, (event) =>
        principal.canAccessModel(event.model_id)
          ? undefined
          : { path: "model_id", message: `this token may not send ${kind}s for model '${event.model_id}'` },
      );
      const receivedAt = Date.now();
      const messages: OutgoingMessage[] = valid.map((event) => ({
        // A label for a whole request has no prediction id: its request is the key.
        key: event.prediction_id || (event.request_id ?? ""),
        value:
          kind === "prediction"
            ? encode("prediction", { ...(event as PredictionEvent), received_at: receivedAt }, deps.schemaIds?.prediction)
            : encode("label", { ...(event as LabelEvent), received_at: receivedAt }, deps.schemaIds?.label),
        // The earlier version's name when the event went out in its form (encode: no request id, fixed ids).
        headers: { "hindsight-schema": event.request_id == null && !deps.schemaIds ? LEGACY_SCHEMAS[kind].name : SCHEMAS[kind].name },
      }));
      try {
        // The producer sends in chunks under the broker's per-batch limit, so any batch the body limit lets in fits.
        await deps.producer.send(topic, messages);
      } catch (err) {
        if (err instanceof MessageTooLargeError) return reply.code(413).send(tooLarge(messages, validIndex, err.limit));
        request.log.error({ err }, "producing to Kafka failed");
        // Some chunks may have gone through; a retry of the whole batch is safe (events carry their keys, duplicates collapse).
        return reply
          .code(503)
          .header("retry-after", "5")
          .send({ error: { code: "unavailable", message: "Kafka is unavailable; this batch was not accepted, retry it whole" } });
      }
      metrics.accepted.inc({ kind }, valid.length);
      metrics.rejected.inc({ kind }, body.items.length - valid.length);
      return reply.code(202).send({ accepted: valid.length, rejected });
    });
  }

  route("/v1/predictions", "prediction", "ingest", PredictionHttp, config.topics.predictions);
  route("/v1/labels", "label", "label", LabelHttp, config.topics.labels);
}
