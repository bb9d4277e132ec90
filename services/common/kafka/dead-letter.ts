/**
 * The one place that sends unusable messages to the dead-letter topic: the original bytes, the
 * reason and where they came from, in the Avro envelope and in plain headers (so `kcat` or any
 * consumer can triage without decoding). Letters go out in produce calls under the producer's
 * byte limit; a letter that could not fit in any (its source message was near the broker's own
 * limit, and the envelope adds to it) keeps the head of its payload, says so in its message and a
 * `hindsight-dlq-truncated` header, and never blocks its partition.
 */
import { encode } from "./avro-codec.js";
import { maxMessageBytes, messageBytes, type KafkaProducer, type OutgoingMessage } from "./client.js";
import type { ConsumedMessage } from "./consumer.js";

export interface DeadLetter {
  source: ConsumedMessage;
  reason: string;
  message: string;
  step: string;
}

export interface DeadLetterPublisher {
  publish(letters: DeadLetter[]): Promise<void>;
}

/** What a truncated letter keeps of its key and detail text, far below any sane limit. */
const KEPT_KEY_BYTES = 1024;
const KEPT_MESSAGE_CHARS = 2000;

interface Parts {
  key: Buffer | null;
  payload: Buffer;
  message: string;
  truncated?: string;
}

function toMessage(letter: DeadLetter, parts: Parts, service: string, failedAt: number): OutgoingMessage {
  const { source, reason, step } = letter;
  return {
    key: parts.key,
    value: encode("deadLetter", {
      reason,
      message: parts.message,
      step,
      service,
      source_topic: source.topic,
      source_partition: source.partition,
      source_offset: Number(source.offset),
      key: parts.key,
      payload: parts.payload,
      failed_at: failedAt,
    }),
    headers: {
      "hindsight-schema": "dead-letter.v1",
      "hindsight-dlq-reason": reason,
      "hindsight-dlq-step": step,
      "hindsight-dlq-source": `${source.topic}/${source.partition}/${source.offset}`,
      ...(parts.truncated === undefined ? {} : { "hindsight-dlq-truncated": parts.truncated }),
    },
  };
}

/** The letter as sent: whole when it fits in one produce call of `maxBatchBytes`, else with its payload (and if need be key) cut. */
export function deadLetterMessage(letter: DeadLetter, service: string, failedAt: number, maxBatchBytes: number): OutgoingMessage {
  const payload = letter.source.value ?? Buffer.alloc(0);
  const whole = toMessage(letter, { key: letter.source.key, payload, message: letter.message }, service, failedAt);
  const budget = maxMessageBytes(maxBatchBytes);
  if (messageBytes(whole) <= budget) return whole;
  const key =
    letter.source.key && letter.source.key.length > KEPT_KEY_BYTES ? letter.source.key.subarray(0, KEPT_KEY_BYTES) : letter.source.key;
  const detail = letter.message.slice(0, KEPT_MESSAGE_CHARS);
  const keyNote = key !== letter.source.key ? `, key from ${letter.source.key!.length} to ${KEPT_KEY_BYTES} bytes` : "";
  const note = (kept: number) =>
    `payload truncated from ${payload.length} to ${kept} bytes${keyNote} to fit the dead-letter topic's limit of ${maxBatchBytes} bytes per produce`;
  const parts = (kept: number): Parts => ({
    key,
    payload: payload.subarray(0, kept),
    message: `${detail} [${note(kept)}]`,
    truncated: note(kept),
  });
  // Sized without the payload and with the longest note; 16 bytes cover the payload's length prefix.
  const bare = messageBytes(toMessage(letter, parts(0), service, failedAt)) + 2 * String(payload.length).length;
  return toMessage(letter, parts(Math.max(0, Math.min(payload.length, budget - bare - 16))), service, failedAt);
}

export function createDeadLetterPublisher(
  producer: KafkaProducer,
  topic: string,
  service: string,
  now: () => number = Date.now,
): DeadLetterPublisher {
  return {
    async publish(letters) {
      if (letters.length === 0) return;
      const failedAt = now();
      // The producer splits these into produce calls under its limit; each letter alone fits.
      await producer.send(
        topic,
        letters.map((letter) => deadLetterMessage(letter, service, failedAt, producer.maxBatchBytes)),
      );
    },
  };
}
