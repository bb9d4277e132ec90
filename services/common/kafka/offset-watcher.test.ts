import { describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { createOffsetWatcher } from "./offset-watcher.js";

/** A broker whose committed offsets are whatever `committed` holds when asked; `failing` makes fetches throw. */
function broker(committed: Map<number, string>, state = { fetches: 0, failing: false }) {
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchOffsets: async () => {
      state.fetches++;
      if (state.failing) throw new Error("broker restarting");
      return [{ topic: "t", partitions: [...committed].map(([partition, offset]) => ({ partition, offset })) }];
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, state };
}

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 30));
  return done;
};

describe("createOffsetWatcher", () => {
  it("returns once the group's committed offset reaches the one waited for", async () => {
    const committed = new Map([[0, "5"]]);
    const watcher = createOffsetWatcher(broker(committed).kafka, "g", ["t"], 5);
    const wait = watcher.waitFor("t", 0, 8n);
    expect(await settled(wait)).toBe(false);
    committed.set(0, "8");
    await wait;
  });

  it("returns at once when this process stored the rows, without waiting for a poll of the broker", async () => {
    const { kafka, state } = broker(new Map([[0, "0"]]));
    const watcher = createOffsetWatcher(kafka, "g", ["t"], 60_000);
    const wait = watcher.waitFor("t", 0, 8n);
    expect(await settled(wait)).toBe(false);
    const fetches = state.fetches;
    watcher.stored("t", 0, 7n);
    expect(await settled(wait)).toBe(false);
    watcher.stored("t", 0, 8n);
    expect(await settled(wait)).toBe(true);
    expect(state.fetches).toBe(fetches);
  });

  it("keeps the highest offset stored on each partition apart", async () => {
    const watcher = createOffsetWatcher(broker(new Map()).kafka, "g", ["t"], 60_000);
    watcher.stored("t", 0, 9n);
    watcher.stored("t", 0, 4n);
    await watcher.waitFor("t", 0, 9n);
    expect(await settled(watcher.waitFor("t", 1, 1n))).toBe(false);
  });

  it("keeps waiting through a broker that fails, and a stop ends the wait", async () => {
    const { kafka, state } = broker(new Map([[0, "9"]]), { fetches: 0, failing: true });
    const watcher = createOffsetWatcher(kafka, "g", ["t"], 5);
    const signal = { aborted: false };
    const wait = watcher.waitFor("t", 0, 9n, signal);
    expect(await settled(wait)).toBe(false);
    expect(state.fetches).toBeGreaterThan(1);
    signal.aborted = true;
    await expect(wait).rejects.toThrow("stopped while waiting");
  });
});
