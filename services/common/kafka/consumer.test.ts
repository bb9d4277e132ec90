import { describe, expect, it } from "vitest";
import { restartDelayMs } from "./consumer.js";

describe("restartDelayMs", () => {
  it("waits 1 s after a first crash, doubles with each crash in a row, and never more than a minute", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });
});
