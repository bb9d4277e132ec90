import { describe, expect, it } from "vitest";
import { MappingError, parseMappingFile, resolveMapping, splitList } from "./mapping.js";

const events = { reference: false };

describe("import column mapping", () => {
  it("reads a YAML mapping file, and JSON as well", () => {
    const yaml = parseMappingFile(
      "model: credit\nversion: v2\nid: loan_id\ntime: applied_at\nscore: p_default\nlabel: defaulted\nsegments: [region]\nexclude: [notes]\n",
    );
    expect(yaml).toEqual({
      model: "credit",
      version: "v2",
      id: "loan_id",
      time: "applied_at",
      score: "p_default",
      label: "defaulted",
      segments: ["region"],
      exclude: ["notes"],
    });
    expect(parseMappingFile('{"model": "credit", "features": ["age", "income"]}')).toEqual({
      model: "credit",
      features: ["age", "income"],
    });
    expect(parseMappingFile("")).toEqual({});
  });

  it("refuses unknown keys and wrong types with the key's name", () => {
    expect(() => parseMappingFile("model: credit\nlabels: y\n")).toThrow(MappingError);
    expect(() => parseMappingFile("model: credit\nlabels: y\n")).toThrow(/labels/);
    expect(() => parseMappingFile("segments: region\n")).toThrow(/segments/);
    expect(() => parseMappingFile("model: [unclosed\n")).toThrow(/not YAML or JSON/);
  });

  it("lets a flag override the file, key by key", () => {
    const m = resolveMapping({ model: "credit", version: "v1", score: "p", label: "y" }, { version: "v2", label: "truth" }, events);
    expect(m.model).toEqual({ constant: "credit" });
    expect(m.version).toEqual({ constant: "v2" });
    expect(m.label).toBe("truth");
    expect(m.score).toBe("p");
    expect(m.stage).toEqual({ constant: "production" });
    expect(m.source).toBe("import");
    expect(m.sends).toEqual({ predictions: true, labels: true });
  });

  it("sends what is mapped: predictions for an output column, labels for a label column", () => {
    expect(resolveMapping({ model: "m", version: "v", prediction: "yhat" }, {}, events).sends).toEqual({
      predictions: true,
      labels: false,
    });
    expect(resolveMapping({ model: "m", id: "pid", label: "y" }, {}, events).sends).toEqual({ predictions: false, labels: true });
  });

  it("says what is missing or contradictory", () => {
    expect(() => resolveMapping({ version: "v", score: "p" }, {}, events)).toThrow(/which model/);
    expect(() => resolveMapping({ model: "m", model_column: "model", version: "v", score: "p" }, {}, events)).toThrow(/not both/);
    expect(() => resolveMapping({ model: "m", version: "v" }, {}, events)).toThrow(/nothing to load/);
    expect(() => resolveMapping({ model: "m", score: "p" }, {}, events)).toThrow(/model version/);
    expect(() => resolveMapping({ model: "m", label: "y" }, {}, events)).toThrow(/--id/);
    expect(() => resolveMapping({ model: "m", version: "v", score: "p", regression: true }, {}, events)).toThrow(/regression/);
    expect(() => resolveMapping({ model_column: "model" }, {}, { reference: true })).toThrow(/one model/);
  });

  it("takes every column no other key names as a feature, less the excluded ones", () => {
    const m = resolveMapping(
      { model: "m", version: "v", id: "id", time: "t", score: "p", label: "y", segments: ["region"], exclude: ["notes"] },
      {},
      events,
    );
    expect("allBut" in m.features && [...m.features.allBut].sort()).toEqual(["id", "notes", "p", "region", "t", "y"]);
  });

  it("takes an explicit feature list as given; a segment may also be a feature, another mapped column may not", () => {
    const m = resolveMapping({ model: "m", version: "v", score: "p", features: ["age", "region"], segments: ["region"] }, {}, events);
    expect(m.features).toEqual({ columns: ["age", "region"] });
    expect(() => resolveMapping({ model: "m", version: "v", score: "p", features: ["age", "p"] }, {}, events)).toThrow(
      /'p' is mapped twice/,
    );
  });

  it("splits comma-separated flag values", () => {
    expect(splitList("a, b,,c ")).toEqual(["a", "b", "c"]);
  });
});
