import { describe, expect, it } from "vitest";
import { distinctWindows, type DirtyWindow } from "./dirty-windows.repository.js";

describe("distinctWindows", () => {
  it("keeps each kind, model, version and start once, in first-seen order, counting its rows", () => {
    const w = (kind: DirtyWindow["kind"], model_version: string, window_start: number): DirtyWindow => ({
      kind,
      model_id: "fraud",
      model_version,
      window_start,
    });
    const marks = [w("drift", "v3", 300), w("volume", "", 300), w("drift", "v3", 300), w("drift", "v4", 300), w("drift", "v3", 600)];
    expect(distinctWindows(marks)).toEqual([
      { ...w("drift", "v3", 300), rows: 2 },
      { ...w("volume", "", 300), rows: 1 },
      { ...w("drift", "v4", 300), rows: 1 },
      { ...w("drift", "v3", 600), rows: 1 },
    ]);
    // Counted marks add up, also when their sets are merged again.
    expect(distinctWindows([...distinctWindows(marks), { ...w("drift", "v3", 300), rows: 5 }])[0]).toEqual({
      ...w("drift", "v3", 300),
      rows: 7,
    });
    // The input is left as it was.
    expect(marks[0]).toEqual(w("drift", "v3", 300));
    expect(distinctWindows([])).toEqual([]);
  });

  it("does not confuse a model and version whose names run into each other", () => {
    const a: DirtyWindow = { kind: "drift", model_id: "fraud", model_version: "v3", window_start: 0 };
    const b: DirtyWindow = { kind: "drift", model_id: "fraudv", model_version: "3", window_start: 0 };
    expect(distinctWindows([a, b])).toHaveLength(2);
  });
});
