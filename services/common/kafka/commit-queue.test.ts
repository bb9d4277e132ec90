import { describe, expect, it } from "vitest";
import { CommitQueue, type CommitQueueDeps } from "./commit-queue.js";

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function fakes(options: { backoffMs?: number; stopping?: () => boolean; failCommits?: number } = {}) {
  const calls: string[] = [];
  let failCommits = options.failCommits ?? 0;
  const deps: CommitQueueDeps = {
    commit: async (topic, partition, offset) => {
      if (failCommits-- > 0) throw new Error("rebalance in progress");
      calls.push(`commit ${topic}/${partition}@${offset}`);
    },
    pause: (topic, partition) => calls.push(`pause ${topic}/${partition}`),
    seek: (topic, partition, offset) => calls.push(`seek ${topic}/${partition}@${offset}`),
    stopping: options.stopping ?? (() => false),
    onFailure: (topic, partition, offset, error) => calls.push(`failed ${topic}/${partition}@${offset}: ${error.message}`),
    onCommitError: (topic, partition, error) => calls.push(`refused ${topic}/${partition}: ${error.message}`),
    backoffMs: () => options.backoffMs ?? 0,
  };
  return { deps, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe("CommitQueue", () => {
  it("commits a partition's batches in order, each once it and every earlier one are durable", async () => {
    const { deps, calls } = fakes();
    const q = new CommitQueue(deps, 1_000);
    const first = deferred();
    const second = deferred();
    const other = deferred();
    q.add("p", 0, "0", "9", 10, first.promise);
    q.add("p", 0, "10", "19", 10, second.promise);
    q.add("p", 1, "0", "4", 5, other.promise);
    second.resolve();
    other.resolve();
    await settle();
    // Partition 1 does not wait for partition 0; partition 0's second batch waits for its first.
    expect(calls).toEqual(["commit p/1@5"]);
    first.resolve();
    await q.drain();
    expect(calls).toEqual(["commit p/1@5", "commit p/0@10", "commit p/0@20"]);
    expect(q.pendingMessages).toBe(0);
  });

  it("after a failed batch commits nothing later in its partition, reads it again, and ignores batches fetched before the seek", async () => {
    const { deps, calls } = fakes();
    const q = new CommitQueue(deps, 1_000);
    const failing = deferred();
    q.add("p", 0, "100", "149", 50, failing.promise);
    q.add("p", 0, "150", "199", 50, Promise.resolve());
    failing.reject(new Error("writer stopped"));
    await q.drain();
    expect(calls).toEqual(["pause p/0", "failed p/0@100: writer stopped", "seek p/0@100"]);
    // A batch fetched before the seek took effect is skipped; the failed one, come again, is taken.
    expect(q.accepts("p", 0, "200")).toBe(false);
    expect(q.accepts("p", 0, "100")).toBe(true);
    expect(q.accepts("p", 0, "150")).toBe(true);
    q.add("p", 0, "100", "199", 100, Promise.resolve());
    await q.drain();
    expect(calls.at(-1)).toBe("commit p/0@200");
  });

  it("gives up quietly while stopping: no seek, no commit", async () => {
    const { deps, calls } = fakes({ stopping: () => true });
    const q = new CommitQueue(deps, 1_000);
    q.add("p", 0, "0", "9", 10, Promise.reject(new Error("writer stopped")));
    await q.drain();
    expect(calls).toEqual([]);
    expect(q.pendingMessages).toBe(0);
  });

  it("forgets pending commits at a rebalance", async () => {
    const { deps, calls } = fakes();
    const q = new CommitQueue(deps, 1_000);
    const pending = deferred();
    q.add("p", 0, "0", "9", 10, pending.promise);
    q.reset();
    pending.resolve();
    await q.drain();
    expect(calls).toEqual([]);
  });

  it("keeps going after a refused commit; the next commit covers it", async () => {
    const { deps, calls } = fakes({ failCommits: 1 });
    const q = new CommitQueue(deps, 1_000);
    q.add("p", 0, "0", "9", 10, Promise.resolve());
    q.add("p", 0, "10", "19", 10, Promise.resolve());
    await q.drain();
    expect(calls).toEqual(["refused p/0: rebalance in progress", "commit p/0@20"]);
  });

  it("makes the consumer wait while too many messages await durability", async () => {
    const { deps } = fakes();
    const q = new CommitQueue(deps, 100);
    const a = deferred();
    q.add("p", 0, "0", "59", 60, a.promise);
    await q.room();
    q.add("p", 1, "0", "59", 60, Promise.resolve());
    await settle();
    let roomy = false;
    const waiting = q.room().then(() => (roomy = true));
    await settle();
    // 60 messages of partition 0 still wait: 60 < 100 after partition 1's were committed.
    expect(q.pendingMessages).toBe(60);
    expect(roomy).toBe(true);
    q.add("p", 1, "60", "99", 40, deferred().promise);
    let later = false;
    void q.room().then(() => (later = true));
    await settle();
    expect(later).toBe(false);
    a.resolve();
    await settle();
    expect(later).toBe(true);
    await waiting;
  });

  it("cuts a backoff short when drained for a stop", async () => {
    const { deps, calls } = fakes({ backoffMs: 60_000 });
    const q = new CommitQueue(deps, 1_000);
    q.add("p", 0, "0", "9", 10, Promise.reject(new Error("dead letters not acknowledged")));
    await settle();
    const started = Date.now();
    await q.drain();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(calls).toEqual(["pause p/0", "failed p/0@0: dead letters not acknowledged", "seek p/0@0"]);
  });
});
