import { describe, expect, it } from "vitest";
import { lastBreach } from "./format.js";

describe("lastBreach", () => {
  const now = Date.UTC(2026, 11, 6, 8, 50);
  it("says how long ago a closed window's breach was", () => {
    expect(lastBreach(Date.UTC(2026, 11, 6, 8, 0), now)).toBe("2026-12-06 08:00 UTC (50 min ago)");
  });
  it("never puts a breach in the future: the window is still open", () => {
    expect(lastBreach(Date.UTC(2026, 11, 6, 9, 0), now)).toBe("in the window open until 2026-12-06 09:00 UTC");
  });
});
