/**
 * kafkajs behind our own small interface (kafkajs is no longer actively maintained, so nothing
 * outside this folder imports it). Its logs go through pino.
 */
import { Kafka, logLevel, Partitioners, type Admin, type Producer, type LogEntry } from "kafkajs";
import type { Logger } from "../observability/logger.js";
import { DEFAULT_PRODUCE_MAX_BYTES } from "../config/env.js";

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Connection attempts before giving up; startup waits this long for a broker. */
  retries?: number;
  /** Most bytes of records one produce call carries; producers made from this client inherit it. */
  maxBatchBytes?: number;
}

/** The produce limit of each client made by createKafka, so that every producer made from it keeps under the broker's. */
const batchLimits = new WeakMap<Kafka, number>();

const LEVELS: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

export function createKafka(options: KafkaOptions): Kafka {
  const log = options.logger.child({ component: "kafkajs" });
  const kafka = new Kafka({
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
  batchLimits.set(kafka, options.maxBatchBytes ?? DEFAULT_PRODUCE_MAX_BYTES);
  return kafka;
}

export interface KafkaProducer {
  /**
   * Sends and waits for the broker's acknowledgement from all in-sync replicas, in produce calls
   * of at most `maxBatchBytes` each (in order); throws MessageTooLargeError, sending nothing, when
   * one message alone is over the limit. If a later call fails, earlier ones stay delivered.
   */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
  /** The most bytes of records one produce call carries; no single message may exceed it. */
  readonly maxBatchBytes: number;
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Thrown before anything is sent when a message cannot fit in any produce call. */
export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
  constructor(
    /** Position of the first such message in the array passed to `send`. */
    readonly index: number,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `message ${index} takes ${bytes} bytes in a record batch, over the limit of ${limit} bytes per produce (HINDSIGHT_KAFKA_MAX_BATCH_BYTES)`,
    );
  }
}

// Kafka's record batch header, and an upper bound on one record's framing (length, attributes,
// timestamp and offset deltas, key and value lengths and header count as varints; per header its
// two lengths), so that the estimate is never below what the broker counts.
const BATCH_OVERHEAD = 61;
const RECORD_OVERHEAD = 36;
const HEADER_OVERHEAD = 10;

/** An upper bound on the bytes one message takes in a record batch. */
export function messageBytes(m: OutgoingMessage): number {
  let n = RECORD_OVERHEAD + m.value.length + (m.key === null ? 0 : Buffer.byteLength(m.key));
  for (const [k, v] of Object.entries(m.headers ?? {})) n += HEADER_OVERHEAD + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** The most bytes one message may take so that it fits in a produce call under `maxBatchBytes`. */
export const maxMessageBytes = (maxBatchBytes: number) => maxBatchBytes - BATCH_OVERHEAD;

/**
 * Splits messages, in order, into runs whose record batches stay under `maxBatchBytes` even if the
 * whole run lands on one partition (the broker's message.max.bytes is per partition's batch).
 */
export function chunkByBytes(messages: OutgoingMessage[], maxBatchBytes: number): OutgoingMessage[][] {
  const budget = maxMessageBytes(maxBatchBytes);
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  messages.forEach((m, index) => {
    const size = messageBytes(m);
    if (size > budget) throw new MessageTooLargeError(index, size, maxBatchBytes);
    if (bytes + size > budget && current.length > 0) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export async function createProducer(kafka: Kafka, options: { maxBatchBytes?: number } = {}): Promise<KafkaProducer> {
  const maxBatchBytes = options.maxBatchBytes ?? batchLimits.get(kafka) ?? DEFAULT_PRODUCE_MAX_BYTES;
  // The Java-compatible murmur2 partitioner, so producers in other languages that key by
  // prediction_id put a prediction and its labels on the same partition as we do.
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    async send(topic, messages) {
      // One after another, so a key's messages keep their order across chunks.
      for (const chunk of chunkByBytes(messages, maxBatchBytes)) await producer.send({ topic, acks: -1, messages: chunk });
    },
    disconnect: () => producer.disconnect(),
    maxBatchBytes,
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
        producer
          .send(topic, messages)
          .then(resolve, reject)
          .finally(() => clearTimeout(timer));
      }),
    disconnect: () => producer.disconnect(),
    maxBatchBytes: producer.maxBatchBytes,
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
        waitForLeaders: false,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
      });
      await waitForLeaders(admin, missing);
    }
    return missing;
  });
}

/**
 * Until every partition of the topics has a leader. A broker that has just started can answer
 * "unknown topic or partition" (retriable) for a moment after creating one, which kafkajs's own
 * wait (`waitForLeaders`) throws instead of retrying: a benchmark's set-up failed on it.
 */
export async function waitForLeaders(
  admin: Pick<Admin, "fetchTopicMetadata">,
  topics: string[],
  opts: { timeoutMs?: number; sleep?: (ms: number) => Promise<void>; clock?: () => number } = {},
): Promise<void> {
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = clock() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      if (found.length === topics.length && found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable) throw err;
    }
    if (clock() >= deadline)
      throw new Error(`Kafka topics ${topics.join(", ")} have no leader ${timeoutMs / 1000} s after they were created`);
    await sleep(100);
  }
}

/** Messages a consumer group has yet to read, summed over the topics' partitions. */
export async function consumerLag(kafka: Kafka, groupId: string, topics: string[]): Promise<Record<string, number>> {
  const offsets = await withAdmin(kafka, (admin) => groupOffsets(admin, groupId, topics));
  return Object.fromEntries(Object.entries(offsets).map(([topic, o]) => [topic, o.lag]));
}

/** A group's committed offsets summed over the topics' partitions, and its unread messages. */
export async function groupPosition(kafka: Kafka, groupId: string, topics: string[]): Promise<{ committed: number; lag: number }> {
  const offsets = await withAdmin(kafka, (admin) => groupOffsets(admin, groupId, topics));
  const all = Object.values(offsets);
  return { committed: all.reduce((n, o) => n + o.committed, 0), lag: all.reduce((n, o) => n + o.lag, 0) };
}

/**
 * Per topic, a group's committed offsets summed over its partitions, and the messages it has yet
 * to read (from a partition's start where it never committed). A broker that has just started
 * answers "the coordinator is loading" (retriable) for a moment: that is waited out, up to
 * `timeoutMs`, instead of failing the caller (a benchmark's first look at its group failed on it).
 */
export async function groupOffsets(
  admin: Pick<Admin, "fetchOffsets" | "fetchTopicOffsets">,
  groupId: string,
  topics: string[],
  opts: { timeoutMs?: number; sleep?: (ms: number) => Promise<void>; clock?: () => number } = {},
): Promise<Record<string, { committed: number; lag: number }>> {
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = clock() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    try {
      const out: Record<string, { committed: number; lag: number }> = {};
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
        const ends = await admin.fetchTopicOffsets(topic);
        const o = { committed: 0, lag: 0 };
        for (const p of partitions) {
          const end = ends.find((e) => e.partition === p.partition);
          const at = Number(p.offset) < 0 ? Number(end?.low ?? 0) : Number(p.offset);
          o.committed += Math.max(0, Number(p.offset));
          o.lag += Math.max(0, Number(end?.high ?? 0) - at);
        }
        out[topic] = o;
      }
      return out;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || clock() >= deadline) throw err;
      await sleep(200);
    }
  }
}
