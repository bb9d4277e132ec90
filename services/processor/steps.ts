/**
 * The processor's per-message steps. Each returns a result instead of throwing, and the caller
 * handles every non-ok result in one place (dead-letter with the reason).
 */
import type { ZodError } from "zod";
import { LabelWire, PredictionWire } from "../../schemas/events.js";
import { DecodeError, type DecodeReason } from "../common/kafka/avro-codec.js";
import type { BatchReader } from "../common/kafka/wire-decoder.js";
import type { ConsumedMessage } from "../common/kafka/consumer.js";
import { labelRow, predictionRow, type LabelRow, type PredictionRow } from "../common/domain/event-rows.js";

export type StepResult<T> = { ok: true; value: T } | { ok: false; reason: DecodeReason | "invalid"; step: string; message: string };

export type EventKind = "prediction" | "label";

export function describeZodError(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
}

export function toPredictionRow(m: ConsumedMessage, ingestedAtS: number, reader: BatchReader): StepResult<PredictionRow> {
  let decoded: { record: unknown; schemaId: number };
  try {
    decoded = reader.decode("prediction", m.value);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: err.reason, step: "decode", message: err.message };
    throw err;
  }
  const parsed = PredictionWire.safeParse(decoded.record);
  if (!parsed.success) return { ok: false, reason: "invalid", step: "validate", message: describeZodError(parsed.error) };
  return {
    ok: true,
    value: predictionRow(parsed.data, { partition: m.partition, offset: Number(m.offset), schemaId: decoded.schemaId, ingestedAtS }),
  };
}

export function toLabelRow(m: ConsumedMessage, ingestedAtS: number, reader: BatchReader): StepResult<LabelRow> {
  let decoded: { record: unknown; schemaId: number };
  try {
    decoded = reader.decode("label", m.value);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: err.reason, step: "decode", message: err.message };
    throw err;
  }
  const parsed = LabelWire.safeParse(decoded.record);
  if (!parsed.success) return { ok: false, reason: "invalid", step: "validate", message: describeZodError(parsed.error) };
  return {
    ok: true,
    value: labelRow(parsed.data, { partition: m.partition, offset: Number(m.offset), schemaId: decoded.schemaId, ingestedAtS }),
  };
}
