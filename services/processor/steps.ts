/**
 * The processor's per-message steps. Each returns a result instead of throwing, and the caller
 * handles every non-ok result in one place (dead-letter with the reason).
 */
import type { ZodError } from "zod";
import { LabelWire, PredictionWire } from "../../schemas/events.js";
import { SCHEMAS, decode, DecodeError } from "../common/kafka/avro-codec.js";
import type { ConsumedMessage } from "../common/kafka/consumer.js";
import { labelRow, predictionRow, type LabelRow, type PredictionRow } from "../common/domain/event-rows.js";

export type StepResult<T> = { ok: true; value: T } | { ok: false; reason: "undecodable" | "invalid"; step: string; message: string };

export type EventKind = "prediction" | "label";

export function describeZodError(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ");
}

export function toPredictionRow(m: ConsumedMessage, ingestedAtS: number): StepResult<PredictionRow> {
  let decoded: unknown;
  try {
    decoded = decode("prediction", m.value);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: "undecodable", step: "decode", message: err.message };
    throw err;
  }
  const parsed = PredictionWire.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: "invalid", step: "validate", message: describeZodError(parsed.error) };
  return {
    ok: true,
    value: predictionRow(parsed.data, { partition: m.partition, offset: Number(m.offset), schemaId: SCHEMAS.prediction.id, ingestedAtS }),
  };
}

export function toLabelRow(m: ConsumedMessage, ingestedAtS: number): StepResult<LabelRow> {
  let decoded: unknown;
  try {
    decoded = decode("label", m.value);
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, reason: "undecodable", step: "decode", message: err.message };
    throw err;
  }
  const parsed = LabelWire.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: "invalid", step: "validate", message: describeZodError(parsed.error) };
  return {
    ok: true,
    value: labelRow(parsed.data, { partition: m.partition, offset: Number(m.offset), schemaId: SCHEMAS.label.id, ingestedAtS }),
  };
}
