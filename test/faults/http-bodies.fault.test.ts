/**
 * Scenario 5: request bodies at and around the size limit, far above it, a gzip bomb, an array
 * of a million items and deeply nested JSON. Each gets a 4xx that names the problem (413 for sizes,
 * 415 for a compressed body, 400 for nesting; within the limits, 202), never a 500, and none makes
 * the gateway's memory jump (the gateway runs in this process, whose RSS is sampled).
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, startGateway, TEST_TOKEN, type TestStack } from "../helpers/harness.js";
import { Ledger } from "./ledger.js";
import { rawPost, withPeakRss } from "./http.js";
import { report } from "./figures.js";

const LIMIT = 4 * 1024 * 1024;
const MAX_ITEMS = 5000;

describe("fault 5: hostile HTTP bodies", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  const peaks: number[] = [];
  let sent = 0;
  let accepted = 0;

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_MAX_BODY_BYTES: String(LIMIT), HINDSIGHT_MAX_BATCH_ITEMS: String(MAX_ITEMS) });
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    report({
      scenario: "5. hostile HTTP bodies",
      sent,
      found: accepted,
      lost: 0,
      doubled: 0,
      inDlq: 0,
      recoveryS: null,
      note: `no 5xx; peak RSS growth of the gateway's process ${Math.max(0, ...peaks).toFixed(0)} MB`,
    });
    await gateway?.close();
    await stack?.cleanup();
  });

  const post = async (body: Buffer | string, headers: Record<string, string> = {}) => {
    const { value, peakGrowthMb } = await withPeakRss(() =>
      rawPost(
        `${gateway.url}/v1/predictions`,
        { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json", ...headers },
        body,
      ),
    );
    peaks.push(peakGrowthMb);
    sent++;
    expect(value.status).toBeLessThan(500);
    // Far below what buffering a decompressed bomb or a 10× body would take.
    expect(peakGrowthMb).toBeLessThan(200);
    return value;
  };

  /** A valid batch padded with trailing whitespace (valid JSON) to exactly `bytes`. */
  function batchOfBytes(bytes: number): string {
    const ledger = new Ledger({ seed: 5, predictions: 1000 });
    const json = JSON.stringify(Array.from({ length: ledger.size }, (_, i) => ledger.prediction(i)));
    expect(json.length).toBeLessThan(bytes);
    return json + " ".repeat(bytes - json.length);
  }

  it("accepts a body of the limit − 1 and of the limit, and refuses limit + 1 and 10× with 413", async () => {
    for (const bytes of [LIMIT - 1, LIMIT]) {
      const answer = await post(batchOfBytes(bytes));
      expect(answer.status).toBe(202);
      accepted += JSON.parse(answer.body).accepted as number;
    }
    for (const bytes of [LIMIT + 1, LIMIT * 10]) {
      const answer = await post(batchOfBytes(bytes));
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).error.message).toContain(`limit of ${LIMIT} bytes`);
    }
  });

  it("refuses a gzip bomb without inflating it", async () => {
    // 256 MiB of spaces inside a valid array compress to about 256 KiB.
    const bomb = gzipSync(Buffer.concat([Buffer.from("["), Buffer.alloc(256 * 2 ** 20, 0x20), Buffer.from("]")]), { level: 9 });
    const answer = await post(bomb, { "content-encoding": "gzip" });
    // 415: the gateway inflates nothing, and says so before reading the body.
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.body).error.message).toBe("Content-Encoding gzip is not supported; send the body uncompressed");
  });

  it("refuses an array of a million items with 413, naming the item limit", async () => {
    const answer = await post(`[${"0,".repeat(999_999)}0]`, {});
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.message).toContain(`at most ${MAX_ITEMS} items`);
  });

  it("refuses deeply nested JSON with 400", async () => {
    const depth = 200_000;
    for (const body of ["[".repeat(depth) + "]".repeat(depth), `[${'{"a":'.repeat(depth)}1${"}".repeat(depth)}]`]) {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.message).toMatch(/nest/i);
    }
  });
});
