/**
 * The one place that sends unusable messages to the dead-letter topic: the original bytes, the
 * reason and where they came from, in the Avro envelope and in plain headers (so `kcat` or any
 * consumer can triage without decoding).
 */
import { encode } from "./avro-codec.js";
import type { KafkaProducer } from "./client.js";
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

export function createDeadLetterPublisher(producer: KafkaProducer, topic: string, service: string, now: () => number = Date.now): DeadLetterPublisher {
  return {
    async publish(letters) {
      if (letters.length === 0) return;
      await producer.send(
        topic,
        letters.map(({ source, reason, message, step }) => ({
          key: source.key,
          value: encode("deadLetter", {
            reason,
            message,
            step,
            service,
            source_topic: source.topic,
            source_partition: source.partition,
            source_offset: Number(source.offset),
            key: source.key,
            payload: source.value ?? Buffer.alloc(0),
            failed_at: now(),
          }),
          headers: {
            "hindsight-schema": "dead-letter.v1",
            "hindsight-dlq-reason": reason,
            "hindsight-dlq-step": step,
            "hindsight-dlq-source": `${source.topic}/${source.partition}/${source.offset}`,
          },
        })),
      );
    },
  };
}
