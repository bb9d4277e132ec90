/**
 * kafkajs behind our own small interface (kafkajs is no longer actively maintained, so nothing
 * outside this folder imports it). Its logs go through pino.
 */
import { Kafka, logLevel, Partitioners, type Admin, type Producer, type LogEntry } from "kafkajs";
import type { Logger } from "../observability/logger.js";

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Connection attempts before giving up; startup waits this long for a broker. */
  retries?: number;
}

const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

export function createKafka(options: KafkaOptions): Kafka {
  const log = options.logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: options.retries ?? 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? "info"](rest, message);
      },
  });
}

export interface KafkaProducer {
  /** Sends and waits for the broker's acknowledgement from all in-sync replicas. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export async function createProducer(kafka: Kafka): Promise<KafkaProducer> {
  // The Java-compatible murmur2 partitioner, so producers in other languages that key by
  // prediction_id put a prediction and its labels on the same partition as we do.
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({ topic, acks: -1, messages });
    },
    disconnect: () => producer.disconnect(),
  };
}

/**
 * A producer whose sends fail after `ms` instead of retrying for as long as the client is
 * configured to: a caller answering an HTTP request (the gateway) must say 503 while Kafka is away
 * rather than hold the request. A send that fails this way may still be delivered later, which is
 * why the answer asks for a re-send and re-sends collapse (events carry their own keys).
 */
export function withSendDeadline(producer: KafkaProducer, ms: number): KafkaProducer {
  return {
    send: (topic, messages) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge within ${ms} ms`)), ms);
        producer.send(topic, messages).then(resolve, reject).finally(() => clearTimeout(timer));
      }),
    disconnect: () => producer.disconnect(),
  };
}

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: string[], partitions: number): Promise<string[]> {
  return withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
    }
    return missing;
  });
}

/** Messages a consumer group has yet to read, summed over the topics' partitions. */
export async function consumerLag(kafka: Kafka, groupId: string, topics: string[]): Promise<Record<string, number>> {
  return withAdmin(kafka, async (admin) => {
    const lag: Record<string, number> = {};
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      const endBy = new Map(ends.map((p) => [p.partition, Number(p.high)]));
      lag[topic] = partitions.reduce((sum, p) => {
        const end = endBy.get(p.partition) ?? 0;
        const at = Number(p.offset) < 0 ? Number(ends.find((e) => e.partition === p.partition)?.low ?? 0) : Number(p.offset);
        return sum + Math.max(0, end - at);
      }, 0);
    }
    return lag;
  });
}
