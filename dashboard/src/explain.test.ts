import { describe, expect, it } from "vitest";
import { EXPLANATIONS, explained } from "./explain.js";

describe("explanations", () => {
  it("explain every metric column of the models and versions tables in one line", () => {
    for (const column of [
      "Accuracy (last settled day)",
      "Estimated (latest hour)",
      "Label coverage (latest day)",
      "Drifted features (24 h)",
      "Accuracy",
      "Estimated",
      "Δ vs estimate",
    ]) {
      expect(explained(column).title, column).toBeTruthy();
      expect(explained(column).title).not.toContain("\n");
    }
    expect(explained("Model")).toEqual({});
    expect(Object.values(EXPLANATIONS).every((t) => t.length < 250)).toBe(true);
  });
});
