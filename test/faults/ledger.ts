/**
 * The fault suite's seeded generator and its ledger: every prediction and label it can send is
 * known here (in typed arrays, so 500,000 events cost a few MB), and so is every poison message.
 * After a scenario, the checks compare ClickHouse and the dead-letter topic with the ledger:
 * - raw events: each ledger event is in the deduplicated views exactly once (lost, doubled, foreign);
 * - metrics: predictions, labelled and correct per hourly window, computed here from the ledger with
 *   plain loops (no product code), equal `slice_metrics`;
 * - dead letters: the topic holds exactly the poison messages sent, each with its reason and origin.
 * Only the Avro encoding is the product's own (messages must be in its wire format to be valid).
 */
import type { Kafka } from "kafkajs";
import { encode, decode, type DeadLetterRecord } from "../../services/common/kafka/avro-codec.js";
import type { KafkaProducer, OutgoingMessage } from "../../services/common/kafka/client.js";
import { ident, sql } from "../../services/common/clickhouse/sql.js";
import type { ClickHouse } from "../../services/common/clickhouse/client.js";
import { withAdmin } from "../../services/common/kafka/client.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { readTopic } from "../helpers/kafka.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";

const HOUR = 3_600_000;
const DAY = 86_400_000;
export const HORIZON_MS = 30 * DAY;

export interface LedgerOptions {
  seed: number;
  predictions: number;
  /** Share of predictions that get a label. */
  labelShare?: number;
  model?: string;
  /** First event time; events spread over `hours` from here. */
  t0?: number;
  hours?: number;
}

/** One label as the ledger knows it; `index` is its prediction's, or -1 for an orphan. */
export interface LedgerLabel {
  index: number;
  predictionId: string;
  fraud: boolean;
  labeledAt: number;
  source: string;
}

export type PoisonKind = "bad_magic" | "unknown_schema" | "truncated" | "wrong_type" | "invalid_value";
export interface Poison {
  kind: PoisonKind;
  topic: string;
  key: string;
  value: Buffer;
  reason: "undecodable" | "invalid";
}

export class Ledger {
  readonly model: string;
  readonly size: number;
  readonly time: Float64Array;
  readonly score: Float64Array;
  /** 0: v1/production, 1: v2/canary. */
  readonly variant: Uint8Array;
  readonly labels: LedgerLabel[] = [];
  readonly poison: Poison[] = [];
  private readonly prefix: string;
  private readonly random: () => number;

  constructor(options: LedgerOptions) {
    const { seed, predictions, labelShare = 0.5, model = "fraud", t0 = Date.UTC(2026, 9, 1), hours = 6 } = options;
    this.model = model;
    this.size = predictions;
    this.prefix = `f${seed}-`;
    this.random = seededRandom(seed);
    const r = this.random;
    this.time = new Float64Array(predictions);
    this.score = new Float64Array(predictions);
    this.variant = new Uint8Array(predictions);
    for (let i = 0; i < predictions; i++) {
      this.time[i] = t0 + Math.floor(r() * hours * HOUR);
      // Thousandths away from 0.5, so that the predicted class never rests on rounding.
      this.score[i] = (Math.floor(r() * 1000) + 0.5) / 1000;
      this.variant[i] = r() < 0.8 ? 0 : 1;
      if (r() < labelShare)
        this.labels.push({
          index: i,
          predictionId: this.id(i),
          fraud: r() < this.score[i]!,
          labeledAt: this.time[i]! + 1000 + Math.floor(r() ** 3 * 10 * DAY),
          source: "chargebacks",
        });
    }
  }

  id(i: number): string {
    return `${this.prefix}${i}`;
  }

  /** The prediction event in its wire form (what the gateway would produce). */
  prediction(i: number): Record<string, unknown> & { prediction_id: string } {
    const s = this.score[i]!;
    const country = ["DE", "FR", "BR"][i % 3]!;
    return {
      prediction_id: this.id(i),
      model_id: this.model,
      model_version: this.variant[i] ? "v2" : "v1",
      stage: this.variant[i] ? "canary" : "production",
      timestamp: this.time[i]!,
      features: { amount: 10 + (i % 97), country },
      // The label agrees with the score, so the inferred positive class is "fraud".
      prediction: { label: s >= 0.5 ? "fraud" : "legit", score: s, scores: null, value: null },
      segments: { country },
      received_at: null,
    };
  }

  /** The label event in its HTTP form; its natural key (prediction, source, labeled_at) makes re-sends collapse. */
  label(l: LedgerLabel): { prediction_id: string; model_id: string; label: string; labeled_at: number; source: string } {
    return {
      prediction_id: l.predictionId,
      model_id: this.model,
      label: l.fraud ? "fraud" : "legit",
      labeled_at: l.labeledAt,
      source: l.source,
    };
  }

  predictionMessages(from: number, to: number): OutgoingMessage[] {
    const out: OutgoingMessage[] = [];
    for (let i = from; i < Math.min(to, this.size); i++)
      out.push({ key: this.id(i), value: encode("prediction", this.prediction(i) as never) });
    return out;
  }

  labelMessages(labels: readonly LedgerLabel[]): OutgoingMessage[] {
    return labels.map((l) => ({ key: l.predictionId, value: encode("label", { ...this.label(l), value: null, received_at: null }) }));
  }

  /** Adds a later, different label for `n` labelled predictions (a conflict: it wins, being later). */
  addConflicts(n: number, source = "manual_review"): LedgerLabel[] {
    const firsts = this.labels.filter((l) => l.index >= 0 && l.source === "chargebacks");
    const step = Math.max(1, Math.floor(firsts.length / n));
    const added: LedgerLabel[] = [];
    for (let k = 0; k < n && k * step < firsts.length; k++) {
      const first = firsts[k * step]!;
      added.push({ index: first.index, predictionId: first.predictionId, fraud: !first.fraud, labeledAt: first.labeledAt + HOUR, source });
    }
    this.labels.push(...added);
    return added;
  }

  /** `n` poison messages for the predictions topic, cycling through every kind of damage. */
  addPoison(n: number, topic: string): Poison[] {
    const kinds: PoisonKind[] = ["bad_magic", "unknown_schema", "truncated", "wrong_type", "invalid_value"];
    const added: Poison[] = [];
    for (let k = 0; k < n; k++) {
      const kind = kinds[k % kinds.length]!;
      const key = `${this.prefix}poison-${this.poison.length + k}`;
      const valid = encode("prediction", { ...this.prediction(0), prediction_id: key } as never);
      let value: Buffer;
      if (kind === "bad_magic") value = Buffer.concat([Buffer.from([0x7b]), valid.subarray(1)]);
      else if (kind === "unknown_schema") value = Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), valid.subarray(5)]);
      else if (kind === "truncated") value = valid.subarray(0, Math.max(6, valid.length - 7 - (k % 5)));
      // A label record on the predictions topic: well-formed Avro of the wrong type.
      else if (kind === "wrong_type")
        value = encode("label", {
          prediction_id: key,
          model_id: this.model,
          label: "fraud",
          value: null,
          labeled_at: Date.UTC(2026, 9, 2),
          source: "x",
          received_at: null,
        });
      else
        value = encode("prediction", {
          ...this.prediction(0),
          prediction_id: key,
          prediction: { label: null, score: 3, scores: null, value: null },
        } as never);
      added.push({ kind, topic, key, value, reason: kind === "invalid_value" ? "invalid" : "undecodable" });
    }
    this.poison.push(...added);
    return added;
  }

  /** Distinct label keys the ledger holds (re-sends of one key count once). */
  labelKeys(): Set<string> {
    return new Set(this.labels.map((l) => labelKey(l.predictionId, l.source, l.labeledAt)));
  }

  /** Per hourly window, version and stage: predictions, labelled (within the horizon) and correct. */
  expectedWindows(): Map<string, { predictions: number; labeled: number; correct: number }> {
    const winner = new Map<number, LedgerLabel>();
    for (const l of this.labels) {
      if (l.index < 0 || l.labeledAt - this.time[l.index]! > HORIZON_MS) continue;
      const prev = winner.get(l.index);
      if (!prev || l.labeledAt > prev.labeledAt) winner.set(l.index, l);
    }
    const out = new Map<string, { predictions: number; labeled: number; correct: number }>();
    for (let i = 0; i < this.size; i++) {
      const key = windowKey(this.variant[i] ? "v2" : "v1", Math.floor(this.time[i]! / HOUR) * 3600);
      const e = out.get(key) ?? { predictions: 0, labeled: 0, correct: 0 };
      e.predictions++;
      const l = winner.get(i);
      if (l) {
        e.labeled++;
        if (this.score[i]! >= 0.5 === l.fraud) e.correct++;
      }
      out.set(key, e);
    }
    return out;
  }
}

const labelKey = (predictionId: string, source: string, labeledAt: number | string) => `${predictionId}|${source}|${labeledAt}`;
const windowKey = (version: string, windowStartS: number | string) => `${version}|${windowStartS}`;

export interface RawFindings {
  sent: number;
  found: number;
  lost: number;
  doubled: number;
  foreign: number;
}

export interface Findings {
  predictions: RawFindings;
  labels: RawFindings;
  windows: number;
  windowMismatches: string[];
}

/** Compares the deduplicated views and the hourly metrics with the ledger. */
export async function checkAgainstLedger(ch: ClickHouse, ledger: Ledger): Promise<Findings> {
  const db = ch.database;
  const predictionIds = await ch.rows(
    anyRow<{ prediction_id: string }>(),
    sql`SELECT prediction_id FROM ${ident(`${db}.prediction_events`)} WHERE model_id = ${ledger.model}`,
  );
  const expectedPredictions = new Set(Array.from({ length: ledger.size }, (_, i) => ledger.id(i)));
  const predictions = compare(
    expectedPredictions,
    predictionIds.map((r) => r.prediction_id),
  );

  const labelRows = await ch.rows(
    anyRow<{ prediction_id: string; source: string; labeled_at_ms: string }>(),
    sql`SELECT prediction_id, source, toUnixTimestamp64Milli(labeled_at) AS labeled_at_ms FROM ${ident(`${db}.label_events`)} WHERE model_id = ${ledger.model}`,
  );
  const labels = compare(
    ledger.labelKeys(),
    labelRows.map((r) => labelKey(r.prediction_id, r.source, r.labeled_at_ms)),
  );

  const expected = ledger.expectedWindows();
  const rows = await ch.rows(
    anyRow<{ model_version: string; ws: string; predictions: string; labeled: string; correct: string }>(),
    sql`
    SELECT model_version, toUInt32(window_start) AS ws, predictions, labeled, correct
    FROM ${ident(`${db}.slice_metrics`)}
    WHERE model_id = ${ledger.model} AND window_seconds = 3600 AND slice_key = ''`,
  );
  const windowMismatches: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const key = windowKey(r.model_version, r.ws);
    seen.add(key);
    const e = expected.get(key);
    const got = [Number(r.predictions), Number(r.labeled), Number(r.correct)];
    if (!e || got[0] !== e.predictions || got[1] !== e.labeled || got[2] !== e.correct) {
      windowMismatches.push(`${key}: stored ${got.join("/")}, ledger ${e ? [e.predictions, e.labeled, e.correct].join("/") : "none"}`);
    }
  }
  for (const key of expected.keys()) if (!seen.has(key)) windowMismatches.push(`${key}: missing from slice_metrics`);
  return { predictions, labels, windows: expected.size, windowMismatches };
}

function compare(expected: Set<string>, stored: string[]): RawFindings {
  const seen = new Set<string>();
  let doubled = 0;
  let foreign = 0;
  for (const k of stored) {
    if (seen.has(k)) doubled++;
    else if (!expected.has(k)) foreign++;
    seen.add(k);
  }
  let lost = 0;
  for (const k of expected) if (!seen.has(k)) lost++;
  return { sent: expected.size, found: stored.length, lost, doubled, foreign };
}

export interface DeadLetterFindings {
  expected: number;
  inDlq: number;
  missing: number;
  unexpected: number;
  wrongReasonOrOrigin: string[];
}

/** Every message of the dead-letter topic, matched by key with the ledger's poison. */
export async function checkDeadLetters(kafka: Kafka, dlqTopic: string, ledger: Ledger): Promise<DeadLetterFindings> {
  const total = await withAdmin(kafka, async (admin) =>
    (await admin.fetchTopicOffsets(dlqTopic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0),
  );
  const messages = total === 0 ? [] : await readTopic(kafka, dlqTopic, total, 60_000);
  const poison = new Map(ledger.poison.map((p) => [p.key, p]));
  const found = new Set<string>();
  const wrong: string[] = [];
  let unexpected = 0;
  for (const m of messages) {
    const record: DeadLetterRecord = decode("deadLetter", m.value);
    const key = record.key?.toString() ?? "";
    const p = poison.get(key);
    if (!p || found.has(key)) {
      unexpected++;
      continue;
    }
    found.add(key);
    const origin = m.headers["hindsight-dlq-source"] ?? "";
    if (
      record.reason !== p.reason ||
      record.source_topic !== p.topic ||
      !origin.startsWith(`${p.topic}/${record.source_partition}/`) ||
      Buffer.compare(record.payload, p.value) !== 0 ||
      record.message === ""
    ) {
      wrong.push(`${key} (${p.kind}): reason ${record.reason}, origin ${origin}, message ${record.message}`);
    }
  }
  return { expected: poison.size, inDlq: messages.length, missing: poison.size - found.size, unexpected, wrongReasonOrOrigin: wrong };
}

/** Shuffles in place with the given generator (Fisher–Yates). */
export function shuffle<T>(items: T[], r: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Sends the ledger's predictions at `rate` per second from `startedMs` on, each with the labels of
 * the predictions sent so far, checking the clock every `tickMs`, as a steady live service would.
 */
export async function sendAtRate(
  producer: KafkaProducer,
  topics: { predictions: string; labels: string },
  ledger: Ledger,
  rate: number,
  startedMs: number,
  tickMs: number,
): Promise<void> {
  let sentUpTo = 0;
  let labelsUpTo = 0;
  while (sentUpTo < ledger.size) {
    const due = Math.min(ledger.size, Math.round(((Date.now() - startedMs) / 1000) * rate));
    if (due > sentUpTo) {
      await producer.send(topics.predictions, ledger.predictionMessages(sentUpTo, due));
      let upTo = labelsUpTo;
      while (upTo < ledger.labels.length && ledger.labels[upTo]!.index < due) upTo++;
      await producer.send(topics.labels, ledger.labelMessages(ledger.labels.slice(labelsUpTo, upTo)));
      [sentUpTo, labelsUpTo] = [due, upTo];
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
}
