import { describe, expect, it } from "vitest";
import { FEATURE_NAMES, SuppressorHistory } from "../../common/domain/suppressor/features.js";
import { fitSuppressor, sortByTime } from "../../common/domain/suppressor/replay.js";
import { predict } from "../../common/domain/suppressor/model.js";
import { generateAlertHistory } from "../../../bench/alert-history.js";
import { ModelProto, exportOnnx } from "./onnx-export.js";
import { ModelSignatureError, loadOnnxModel, readMetadata } from "./onnx-scorer.js";

const history = sortByTime(generateAlertHistory({ days: 12, seed: 11 }));
const rows = (() => {
  const h = new SuppressorHistory();
  return history.map((r) => {
    const x = h.features(r);
    h.add(r);
    return x;
  });
})();

describe("ONNX export and scoring", () => {
  const cases = [
    ["logistic", "logistic", {}],
    ["boosted_trees", "boosted_trees", { trees: 25 }],
    // Boosting from the recent acted rate's logit: the export adds that column times its weight.
    [
      "boosted_trees",
      "boosted_trees from a rate offset",
      { trees: 25, offsetFeatures: [FEATURE_NAMES.indexOf("type_model_recent_acted_logit"), FEATURE_NAMES.indexOf("stream_acted_logit")] },
    ],
  ] as const;
  for (const [algorithm, name, trees] of cases) {
    it(`onnxruntime scores a ${name} model as the TypeScript model does, to 1e-6`, async () => {
      const fitted = fitSuppressor(history, { algorithm, trees });
      if (name.includes("offset")) expect(fitted.model.kind === "boosted_trees" && fitted.model.offset?.features.length).toBe(2);
      const bytes = exportOnnx(fitted.model, { featureNames: FEATURE_NAMES, threshold: fitted.threshold, version: "v-test" });
      const scorer = await loadOnnxModel(bytes);
      try {
        expect(scorer.metadata).toEqual({ featureNames: [...FEATURE_NAMES], threshold: fitted.threshold, version: "v-test", algorithm });
        const scores = await scorer.score(rows);
        expect(scores.length).toBe(rows.length);
        let worst = 0;
        rows.forEach((x, i) => (worst = Math.max(worst, Math.abs(scores[i]! - predict(fitted.model, x)))));
        expect(worst).toBeLessThan(1e-6);
      } finally {
        await scorer.close();
      }
    });
  }

  it("refuses a model that is not ONNX, or whose signature or features do not match, saying why", async () => {
    const fitted = fitSuppressor(history, { algorithm: "logistic" });
    const good = exportOnnx(fitted.model, { featureNames: FEATURE_NAMES, threshold: 0.1, version: "v" });
    await expect(loadOnnxModel(new TextEncoder().encode("hello, not a model"))).rejects.toThrow(ModelSignatureError);

    const renamed = FEATURE_NAMES.map((n, i) => (i === 0 ? "something_else" : n));
    await expect(loadOnnxModel(exportOnnx(fitted.model, { featureNames: renamed, threshold: 0.1, version: "v" }))).rejects.toThrow(
      new RegExp(`trained on other features .*missing: ${FEATURE_NAMES[0]}`),
    );

    const decoded = ModelProto.toObject(ModelProto.decode(good)) as {
      graph: { input: Array<{ name: string }>; node: Array<{ input: string[] }> };
      metadata_props: unknown[];
    };
    const rename = (from: string, to: string) => {
      const copy = structuredClone(decoded);
      copy.metadata_props = [];
      copy.graph.input[0]!.name = to;
      for (const node of copy.graph.node) node.input = node.input.map((n) => (n === from ? to : n));
      return ModelProto.encode(ModelProto.fromObject(copy)).finish();
    };
    await expect(loadOnnxModel(rename("features", "x"))).rejects.toThrow(/exactly one input named 'features'; it takes 'x'/);

    const narrow = exportOnnx(
      { kind: "logistic", weights: [1, 2, 3], intercept: 0 },
      { featureNames: ["a", "b", "c"], threshold: 0.1, version: "v" },
    );
    const withoutNames = ModelProto.toObject(ModelProto.decode(narrow)) as { metadata_props: unknown[] };
    withoutNames.metadata_props = [];
    await expect(loadOnnxModel(ModelProto.encode(ModelProto.fromObject(withoutNames)).finish())).rejects.toThrow(
      new RegExp(`shape \\[N, ${FEATURE_NAMES.length}\\], not \\[N, 3\\]`),
    );
    expect(readMetadata(ModelProto.encode(ModelProto.fromObject(withoutNames)).finish())).toEqual({});
  });

  it("carries the per-type factors in its metadata, and refuses factors that are not positive numbers", () => {
    const model = { kind: "logistic" as const, weights: [1, 2, 3], intercept: 0 };
    const meta = { featureNames: ["a", "b", "c"], threshold: 0.1, version: "v" };
    const typeFactors = { "k:drift": 0.5, "tm:drift|psi|global|fraud": 2.25 };
    expect(readMetadata(exportOnnx(model, { ...meta, typeFactors })).typeFactors).toEqual(typeFactors);
    // None learned: no metadata key, and the evaluator multiplies by nothing.
    expect(readMetadata(exportOnnx(model, { ...meta, typeFactors: {} })).typeFactors).toBeUndefined();
    const withFactors = (value: string) => {
      const decoded = ModelProto.toObject(ModelProto.decode(exportOnnx(model, meta))) as {
        metadata_props: Array<{ key: string; value: string }>;
      };
      decoded.metadata_props.push({ key: "hindsight.type_factors", value });
      return ModelProto.encode(ModelProto.fromObject(decoded)).finish();
    };
    expect(() => readMetadata(withFactors("{"))).toThrow(/'hindsight.type_factors' is not JSON/);
    expect(() => readMetadata(withFactors("[1, 2]"))).toThrow(/must be an object of factors by type/);
    expect(() => readMetadata(withFactors('{"k:drift": 0}'))).toThrow(/the factor of 'k:drift' must be a positive number/);
    expect(() => readMetadata(withFactors('{"k:drift": "2"}'))).toThrow(ModelSignatureError);
  });
});
