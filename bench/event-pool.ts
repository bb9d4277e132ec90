/**
 * Cheap load for benchmarks: the load generator shares the machine's two cores with the system
 * under test, so events are encoded once into a pool and each one sent gets a fresh prediction_id
 * spliced in front (the id is the Avro record's first field).
 */
import { encode } from "../services/common/kafka/avro-codec.js";
import { createDemoTraffic, type DemoPrediction } from "../services/demo/generator.js";
import type { PredictionEvent } from "../schemas/events.js";

export function toWire(p: DemoPrediction): PredictionEvent {
  return { ...p, prediction: { label: p.prediction.label, score: p.prediction.score, scores: null, value: null }, received_at: null };
}

/**
 * Encoded events with their prediction_id cut off: [5-byte header, rest of the record]. Their event
 * times start a minute before the pool is made, so labels sent now join them: a fixed date drifts
 * beyond the label horizon as the calendar moves on, and the load's labels then silently stop
 * joining (from 2026-12-01, with the 2026-11-01 this once had).
 */
export function splittablePool(size: number, startMs = Date.now() - 60_000): Array<{ header: Buffer; rest: Buffer }> {
  const traffic = createDemoTraffic({ seed: 11, predictionsPerSecond: 5_000, labelShare: 0, startMs });
  const pool: Array<{ header: Buffer; rest: Buffer }> = [];
  while (pool.length < size) {
    for (const p of traffic.advance(traffic.cursorMs + 10_000).predictions) {
      const bytes = encode("prediction", toWire(p));
      const idBytes = avroString(p.prediction_id);
      pool.push({ header: bytes.subarray(0, 5), rest: bytes.subarray(5 + idBytes.length) });
    }
  }
  return pool.slice(0, size);
}

/** Avro's string encoding: zig-zag varint length, then UTF-8 bytes. */
export function avroString(s: string): Buffer {
  const utf8 = Buffer.from(s, "utf8");
  const len: number[] = [];
  let n = utf8.length * 2; // zig-zag of a non-negative number
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from(len), utf8]);
}

export function withId(entry: { header: Buffer; rest: Buffer }, id: string): Buffer {
  return Buffer.concat([entry.header, avroString(id), entry.rest]);
}
