import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import { retryingClickHouse } from "./retrying.js";

const logger = createLogger("test", "silent");

/** A step that always fails with `err`, and how many times it was called. */
function failingWith(err: Error) {
  let n = 0;
  return {
    step: () => {
      n++;
      return Promise.reject(err);
    },
    calls: () => n,
  };
}

describe("retryingClickHouse", () => {
  it("waits out an outage and returns the answer", async () => {
    let calls = 0;
    const value = await retryingClickHouse(
      async () => {
        if (++calls < 3) throw new Error("connect ECONNREFUSED");
        return 42;
      },
      { stopped: () => false, logger, what: "test" },
    );
    expect([value, calls]).toEqual([42, 3]);
  });

  it("throws at once what ClickHouse rejects as bad data, and when stopped", async () => {
    const rejected = new Error("Code: 53, e.displayText() = DB::Exception: Type mismatch");
    const { step, calls } = failingWith(rejected);
    await expect(retryingClickHouse(step, { stopped: () => false, logger, what: "test" })).rejects.toBe(rejected);
    expect(calls()).toBe(1);
    await expect(
      retryingClickHouse(() => Promise.reject(new Error("ECONNREFUSED")), { stopped: () => true, logger, what: "test" }),
    ).rejects.toThrow("ECONNREFUSED");
  });

  it("throws at once a failure that would repeat when the caller sets such failures aside, and still waits out an outage", async () => {
    const syntax = new Error("Code: 62. DB::Exception: Syntax error");
    const { step, calls } = failingWith(syntax);
    await expect(retryingClickHouse(step, { stopped: () => false, logger, what: "test", deterministicThrows: true })).rejects.toBe(syntax);
    expect(calls()).toBe(1);
    let outages = 0;
    const value = await retryingClickHouse(
      async () => {
        if (++outages < 2) throw new Error("connect ECONNREFUSED");
        return 7;
      },
      { stopped: () => false, logger, what: "test", deterministicThrows: true },
    );
    expect(value).toBe(7);
  });
});
