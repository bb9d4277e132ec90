/**
 * Scores alerts with an ONNX model through onnxruntime-node: ours, or a team's own model with the
 * documented signature (input `features` float32 [N, F] in FEATURE_NAMES order, output
 * `probability` float32 [N] or [N, 1]). A model that does not fit is refused at load time with a
 * message that says what is wrong, never at the first alert.
 */
import * as ort from "onnxruntime-node";
import { FEATURE_COUNT, FEATURE_NAMES } from "../../common/domain/suppressor/features.js";
import type { TypeFactors } from "../../common/domain/suppressor/type-calibration.js";
import { INPUT_NAME, METADATA_KEYS, ModelProto, OUTPUT_NAME } from "./onnx-export.js";

export class ModelSignatureError extends Error {
  override name = "ModelSignatureError";
}

export interface OnnxMetadata {
  featureNames?: string[];
  threshold?: number;
  version?: string;
  algorithm?: string;
  /** Per-type factors on the score (absent: every type 1). */
  typeFactors?: TypeFactors;
}

export interface OnnxScorer {
  metadata: OnnxMetadata;
  /** One probability per row, in row order. */
  score(rows: readonly Float32Array[]): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Reads Hindsight's metadata from the model bytes (absent keys stay undefined). */
export function readMetadata(bytes: Uint8Array): OnnxMetadata {
  let decoded: { metadata_props?: Array<{ key?: string; value?: string }> };
  try {
    decoded = ModelProto.toObject(ModelProto.decode(bytes)) as typeof decoded;
  } catch (err) {
    throw new ModelSignatureError(`not an ONNX model: ${(err as Error).message}`);
  }
  const props = new Map((decoded.metadata_props ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
  const threshold = props.has(METADATA_KEYS.threshold) ? Number(props.get(METADATA_KEYS.threshold)) : undefined;
  return {
    featureNames: props.get(METADATA_KEYS.featureNames)?.split(","),
    threshold: threshold !== undefined && Number.isFinite(threshold) ? threshold : undefined,
    version: props.get(METADATA_KEYS.version),
    algorithm: props.get(METADATA_KEYS.algorithm),
    ...(props.has(METADATA_KEYS.typeFactors) && { typeFactors: parseTypeFactors(props.get(METADATA_KEYS.typeFactors)!) }),
  };
}

/** The per-type factors' JSON: an object of positive finite numbers, or the model is refused. */
export function parseTypeFactors(text: string): TypeFactors {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ModelSignatureError(`metadata '${METADATA_KEYS.typeFactors}' is not JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new ModelSignatureError(`metadata '${METADATA_KEYS.typeFactors}' must be an object of factors by type`);
  const factors: TypeFactors = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
      throw new ModelSignatureError(`metadata '${METADATA_KEYS.typeFactors}': the factor of '${key}' must be a positive number`);
    factors[key] = value;
  }
  return factors;
}

const describeShape = (shape: ReadonlyArray<number | string>) => `[${shape.join(", ")}]`;

export async function loadOnnxModel(bytes: Uint8Array): Promise<OnnxScorer> {
  const metadata = readMetadata(bytes);
  if (metadata.featureNames && metadata.featureNames.join(",") !== FEATURE_NAMES.join(",")) {
    const missing = FEATURE_NAMES.filter((n) => !metadata.featureNames!.includes(n));
    throw new ModelSignatureError(
      `the model was trained on other features (${metadata.featureNames.length} named in its metadata, ${FEATURE_COUNT} expected` +
        `${missing.length > 0 ? `; missing: ${missing.slice(0, 5).join(", ")}` : "; same names in another order"})`,
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (err) {
    throw new ModelSignatureError(`onnxruntime cannot load the model: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    checkSignature(session);
    const scorer = makeScorer(session, metadata);
    // A trial batch catches models whose declared shapes hide a mismatch.
    const trial = await scorer.score([new Float32Array(FEATURE_COUNT), new Float32Array(FEATURE_COUNT)]);
    if (trial.length !== 2)
      throw new ModelSignatureError(`output '${OUTPUT_NAME}' must hold one value per row: 2 rows gave ${trial.length} values`);
    return scorer;
  } catch (err) {
    await session.release();
    if (err instanceof ModelSignatureError) throw err;
    throw new ModelSignatureError(
      `the model fails on input '${INPUT_NAME}' float32 [N, ${FEATURE_COUNT}]: ${(err as Error).message.split("\n")[0]}`,
    );
  }
}

function checkSignature(session: ort.InferenceSession): void {
  const inputs = session.inputMetadata;
  if (inputs.length !== 1 || inputs[0]!.name !== INPUT_NAME) {
    throw new ModelSignatureError(
      `the model must take exactly one input named '${INPUT_NAME}'; it takes ${inputs.map((i) => `'${i.name}'`).join(", ") || "none"}`,
    );
  }
  const input = inputs[0]!;
  if (!input.isTensor || input.type !== "float32")
    throw new ModelSignatureError(`input '${INPUT_NAME}' must be a float32 tensor${input.isTensor ? `, not ${input.type}` : ""}`);
  const last = input.shape[1];
  if (input.shape.length !== 2 || (typeof last === "number" && last !== FEATURE_COUNT)) {
    throw new ModelSignatureError(`input '${INPUT_NAME}' must have shape [N, ${FEATURE_COUNT}], not ${describeShape(input.shape)}`);
  }
  const output = session.outputMetadata.find((o) => o.name === OUTPUT_NAME);
  if (!output) {
    throw new ModelSignatureError(
      `the model must have an output named '${OUTPUT_NAME}'; it has ${session.outputMetadata.map((o) => `'${o.name}'`).join(", ")}`,
    );
  }
  if (!output.isTensor || output.type !== "float32")
    throw new ModelSignatureError(`output '${OUTPUT_NAME}' must be a float32 tensor${output.isTensor ? `, not ${output.type}` : ""}`);
  const shape = output.shape;
  if (!(shape.length === 1 || (shape.length === 2 && (shape[1] === 1 || typeof shape[1] === "string")))) {
    throw new ModelSignatureError(`output '${OUTPUT_NAME}' must have shape [N] or [N, 1], not ${describeShape(shape)}`);
  }
}

function makeScorer(session: ort.InferenceSession, metadata: OnnxMetadata): OnnxScorer {
  return {
    metadata,
    async score(rows) {
      if (rows.length === 0) return new Float32Array(0);
      const data = new Float32Array(rows.length * FEATURE_COUNT);
      rows.forEach((row, i) => {
        if (row.length !== FEATURE_COUNT) throw new Error(`row ${i} has ${row.length} features, expected ${FEATURE_COUNT}`);
        data.set(row, i * FEATURE_COUNT);
      });
      const result = await session.run({ [INPUT_NAME]: new ort.Tensor("float32", data, [rows.length, FEATURE_COUNT]) }, [OUTPUT_NAME]);
      const out = result[OUTPUT_NAME]!;
      return out.data as Float32Array;
    },
    close: () => session.release(),
  };
}
