import { describe, expect, it } from "vitest";
import { createLogger } from "../common/observability/logger.js";
import { chunkWindows, runInPieces } from "./pieces.js";

const logger = createLogger("test", "silent");
const chError = (code: number, text: string) => new Error(`Code: ${code}. DB::Exception: ${text}`);
const noSleep = async () => undefined;

describe("runInPieces", () => {
  it("never sends more than maxWindows per statement, sorted and distinct", async () => {
    const seen: number[][] = [];
    const windows = Array.from({ length: 1000 }, (_, i) => (999 - i) * 300);
    await runInPieces([...windows, 0, 300], async (c) => void seen.push(c), {
      maxWindows: 128,
      stopped: () => false,
      logger,
      what: "t",
      onSetAside: async () => undefined,
      sleep: noSleep,
    });
    expect(Math.max(...seen.map((c) => c.length))).toBe(128);
    expect(seen.flat()).toEqual([...windows].sort((a, b) => a - b));
    expect(chunkWindows([5, 1, 5, 3], 2)).toEqual([[1, 3], [5]]);
  });

  it("splits a piece that fails deterministically and sets aside the one window at fault; the rest is done", async () => {
    const done: number[] = [];
    const setAside: Array<[number, string]> = [];
    let statements = 0;
    let splits = 0;
    await runInPieces(
      [0, 300, 600, 900, 1200, 1500, 1800, 2100],
      async (chunk) => {
        statements++;
        if (chunk.includes(900)) throw chError(62, "Syntax error: Max query size exceeded");
      },
      {
        maxWindows: 8,
        stopped: () => false,
        logger,
        what: "t",
        onSetAside: async (w, e) => void setAside.push([w, e.message]),
        onDone: async (c) => void done.push(...c),
        onSplit: () => void splits++,
        sleep: noSleep,
      },
    );
    // 8 → 4+4, the failing 4 → 2+2, the failing 2 → 1+1.
    expect(splits).toBe(3);
    expect(setAside).toEqual([[900, "Code: 62. DB::Exception: Syntax error: Max query size exceeded"]]);
    expect(done.sort((a, b) => a - b)).toEqual([0, 300, 600, 1200, 1500, 1800, 2100]);
    // 8 → 4+4 → 2+2 → 1+1: a bounded number of statements (log2 of the piece per failing window).
    expect(statements).toBeLessThanOrEqual(8);
  });

  it("memory limit (241) and refused rows split too; a transient error is waited out, never skipped", async () => {
    let calls = 0;
    let retries = 0;
    let splits = 0;
    const setAside: number[] = [];
    const done: number[] = [];
    await runInPieces(
      [0, 300],
      async (chunk) => {
        calls++;
        if (calls <= 3) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" });
        if (chunk.length > 1) throw chError(241, "Memory limit (total) exceeded");
        if (chunk[0] === 300) throw chError(27, "Cannot parse input");
      },
      {
        maxWindows: 10,
        stopped: () => false,
        logger,
        what: "t",
        onSetAside: async (w) => void setAside.push(w),
        onDone: async (c) => void done.push(...c),
        onRetry: () => void retries++,
        onSplit: () => void splits++,
        sleep: noSleep,
      },
    );
    expect(calls).toBe(6);
    expect([retries, splits]).toEqual([3, 1]);
    expect(done).toEqual([0]);
    expect(setAside).toEqual([300]);
  });

  it("gives up waiting once stopped", async () => {
    let stopped = false;
    const run = runInPieces(
      [0],
      async () => {
        stopped = true;
        throw new Error("Timeout error.");
      },
      { maxWindows: 10, stopped: () => stopped, logger, what: "t", onSetAside: async () => undefined, sleep: noSleep },
    );
    await expect(run).rejects.toThrow(/stopped/);
  });
});
