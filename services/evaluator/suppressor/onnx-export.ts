/**
 * Writes the suppressor's model as an ONNX ModelProto with the documented signature:
 *   input  `features`    float32 [N, FEATURE_NAMES.length], columns in FEATURE_NAMES order
 *   output `probability` float32 [N], the predicted chance each alert is acted on.
 * Logistic regression is MatMul + Add + Sigmoid (opset 17); boosted trees are ONNX-ML's
 * TreeEnsembleRegressor (ai.onnx.ml 3) summing log-odds (plus, when the trees start from a
 * per-row offset, Gather of those columns · MatMul by their weights, added), then Sigmoid. Both run on onnxruntime-node.
 * Metadata carries what the evaluator needs besides the graph (feature names, threshold, version,
 * and the per-type factors the score is multiplied by before the threshold, as JSON, when any).
 */
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import type { BoostedTreesModel } from "../../common/domain/suppressor/boosted-trees.js";
import type { LogisticModel } from "../../common/domain/suppressor/logistic.js";
import type { SuppressorModel } from "../../common/domain/suppressor/model.js";
import type { TypeFactors } from "../../common/domain/suppressor/type-calibration.js";

export const INPUT_NAME = "features";
export const OUTPUT_NAME = "probability";
export const METADATA_KEYS = {
  featureNames: "hindsight.feature_names",
  threshold: "hindsight.threshold",
  version: "hindsight.version",
  algorithm: "hindsight.algorithm",
  typeFactors: "hindsight.type_factors",
} as const;

const root = protobuf.parse(readFileSync(new URL("./onnx-subset.proto", import.meta.url), "utf8"), { keepCase: true }).root;
export const ModelProto = root.lookupType("onnx.ModelProto");

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

type Attribute = Record<string, unknown>;
const ints = (name: string, values: number[]): Attribute => ({ name, type: ATTR.INTS, ints: values });
const floats = (name: string, values: number[]): Attribute => ({ name, type: ATTR.FLOATS, floats: values });
const int = (name: string, value: number): Attribute => ({ name, type: ATTR.INT, i: value });
const str = (name: string, value: string): Attribute => ({ name, type: ATTR.STRING, s: Buffer.from(value) });
const strs = (name: string, values: string[]): Attribute => ({ name, type: ATTR.STRINGS, strings: values.map((v) => Buffer.from(v)) });

const tensorInfo = (name: string, dims: Array<number | string>) => ({
  name,
  type: {
    tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } },
  },
});

export interface ExportMetadata {
  featureNames: readonly string[];
  threshold: number;
  version: string;
  typeFactors?: TypeFactors;
}

/** The serialised ONNX model. */
export function exportOnnx(model: SuppressorModel, meta: ExportMetadata): Uint8Array {
  const f = meta.featureNames.length;
  const { nodes, initializers, opsets } = model.kind === "logistic" ? logisticGraph(model, f) : treesGraph(model);
  // A [N,1] margin becomes [N] so the output is one probability per alert.
  nodes.push({ op_type: "Sigmoid", input: ["margin"], output: ["probability_column"], name: "sigmoid" });
  nodes.push({ op_type: "Reshape", input: ["probability_column", "flat_shape"], output: [OUTPUT_NAME], name: "flatten" });
  initializers.push({ name: "flat_shape", data_type: INT64, dims: [1], int64_data: [-1] });
  const message = ModelProto.fromObject({
    ir_version: 8,
    opset_import: opsets,
    producer_name: "hindsight",
    producer_version: "1",
    doc_string: `Hindsight alert suppressor ${meta.version}: P(alert is acted on) from features [N, ${f}]`,
    graph: {
      name: "hindsight_suppressor",
      node: nodes,
      initializer: initializers,
      input: [tensorInfo(INPUT_NAME, ["N", f])],
      output: [tensorInfo(OUTPUT_NAME, ["N"])],
    },
    metadata_props: [
      { key: METADATA_KEYS.featureNames, value: meta.featureNames.join(",") },
      { key: METADATA_KEYS.threshold, value: String(meta.threshold) },
      { key: METADATA_KEYS.version, value: meta.version },
      { key: METADATA_KEYS.algorithm, value: model.kind },
      ...(meta.typeFactors && Object.keys(meta.typeFactors).length > 0
        ? [{ key: METADATA_KEYS.typeFactors, value: JSON.stringify(meta.typeFactors) }]
        : []),
    ],
  });
  return ModelProto.encode(message).finish();
}

function logisticGraph(model: LogisticModel, f: number) {
  if (model.weights.length !== f) throw new Error(`the model has ${model.weights.length} weights but there are ${f} features`);
  return {
    opsets: [{ domain: "", version: 17 }],
    nodes: [
      { op_type: "MatMul", input: [INPUT_NAME, "weights"], output: ["dot"], name: "dot" },
      { op_type: "Add", input: ["dot", "intercept"], output: ["margin"], name: "add_intercept" },
    ] as Attribute[],
    initializers: [
      { name: "weights", data_type: FLOAT, dims: [f, 1], float_data: model.weights },
      { name: "intercept", data_type: FLOAT, dims: [1], float_data: [model.intercept] },
    ] as Attribute[],
  };
}

function treesGraph(model: BoostedTreesModel) {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    targetTreeIds: [] as number[],
    targetNodeIds: [] as number[],
    targetWeights: [] as number[],
  };
  model.trees.forEach((nodes, t) =>
    nodes.forEach((node, id) => {
      a.treeIds.push(t);
      a.nodeIds.push(id);
      if ("leaf" in node) {
        a.featureIds.push(0);
        a.values.push(0);
        a.modes.push("LEAF");
        a.trueIds.push(0);
        a.falseIds.push(0);
        a.targetTreeIds.push(t);
        a.targetNodeIds.push(id);
        a.targetWeights.push(node.leaf);
      } else {
        a.featureIds.push(node.feature);
        a.values.push(node.threshold);
        a.modes.push("BRANCH_LEQ");
        a.trueIds.push(node.left);
        a.falseIds.push(node.right);
      }
    }),
  );
  const ensemble: Attribute = {
    op_type: "TreeEnsembleRegressor",
    domain: "ai.onnx.ml",
    input: [INPUT_NAME],
    output: [model.offset ? "tree_margin" : "margin"],
    name: "trees",
    attribute: [
      str("aggregate_function", "SUM"),
      floats("base_values", [model.baseScore]),
      int("n_targets", 1),
      ints("nodes_treeids", a.treeIds),
      ints("nodes_nodeids", a.nodeIds),
      ints("nodes_featureids", a.featureIds),
      floats("nodes_values", a.values),
      strs("nodes_modes", a.modes),
      ints("nodes_truenodeids", a.trueIds),
      ints("nodes_falsenodeids", a.falseIds),
      str("post_transform", "NONE"),
      ints("target_treeids", a.targetTreeIds),
      ints("target_nodeids", a.targetNodeIds),
      ints(
        "target_ids",
        a.targetTreeIds.map(() => 0),
      ),
      floats("target_weights", a.targetWeights),
    ],
  };
  const nodes: Attribute[] = [ensemble];
  const initializers: Attribute[] = [];
  if (model.offset) {
    const { features, weights } = model.offset;
    nodes.push(
      {
        op_type: "Gather",
        input: [INPUT_NAME, "offset_columns"],
        output: ["offset_features"],
        name: "offset_features",
        attribute: [int("axis", 1)],
      },
      { op_type: "MatMul", input: ["offset_features", "offset_weights"], output: ["offset_margin"], name: "offset_dot" },
      { op_type: "Add", input: ["tree_margin", "offset_margin"], output: ["margin"], name: "add_offset" },
    );
    initializers.push(
      { name: "offset_columns", data_type: INT64, dims: [features.length], int64_data: features },
      { name: "offset_weights", data_type: FLOAT, dims: [weights.length, 1], float_data: weights },
    );
  }
  return {
    opsets: [
      { domain: "", version: 17 },
      { domain: "ai.onnx.ml", version: 3 },
    ],
    nodes,
    initializers,
  };
}
