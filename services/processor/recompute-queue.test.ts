import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import { RecomputeQueue, retryingClickHouse } from "./recompute-queue.js";

const logger = createLogger("test", "silent");

describe("RecomputeQueue", () => {
  it("coalesces marks made while a run is under way into the next run", async () => {
    const runs: Array<Record<string, number[]>> = [];
    let release!: () => void;
    const firstRunBlocked = new Promise<void>((r) => (release = r));
    const queue = new RecomputeQueue(async (work) => {
      runs.push(Object.fromEntries([...work].map(([k, v]) => [k, [...v].sort((a, b) => a - b)])));
      if (runs.length === 1) await firstRunBlocked;
    });
    queue.mark("a", 300);
    const first = queue.schedule();
    await new Promise((r) => setTimeout(r, 10));
    queue.mark("a", 600);
    queue.mark("b", 0);
    const second = queue.schedule();
    queue.mark("a", 300);
    expect(queue.schedule()).toBe(second);
    release();
    await Promise.all([first, second]);
    expect(runs).toEqual([{ a: [300] }, { a: [300, 600], b: [0] }]);
  });

  it("keeps runs apart by at least the minimum interval", async () => {
    const at: number[] = [];
    const queue = new RecomputeQueue(async () => void at.push(Date.now()), 150);
    queue.mark("a", 0);
    await queue.schedule();
    queue.mark("a", 0);
    await queue.schedule();
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(145);
  });

  it("lets a failed run reject its callers without blocking the next", async () => {
    let calls = 0;
    const queue = new RecomputeQueue(async () => {
      if (++calls === 1) throw new Error("boom");
    });
    queue.mark("a", 0);
    await expect(queue.schedule()).rejects.toThrow("boom");
    queue.mark("a", 0);
    await expect(queue.schedule()).resolves.toBeUndefined();
  });
});

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
    let calls = 0;
    const rejected = new Error("Code: 53, e.displayText() = DB::Exception: Type mismatch");
    const step = () => {
      calls++;
      return Promise.reject(rejected);
    };
    await expect(retryingClickHouse(step, { stopped: () => false, logger, what: "test" })).rejects.toBe(rejected);
    expect(calls).toBe(1);
    await expect(
      retryingClickHouse(() => Promise.reject(new Error("ECONNREFUSED")), { stopped: () => true, logger, what: "test" }),
    ).rejects.toThrow("ECONNREFUSED");
  });
});
