import { describe, expect, it } from "vitest";
import { findEpisodes } from "./episodes.js";
import type { Judgement, JudgementState } from "./predicates.js";

const W = 300_000; // 5-minute windows
const MIN = 60_000;

/** The i-th 5-minute window, judged `state`; `deviation` marks breaches apart. */
const j = (i: number, state: JudgementState, deviation = state === "breach" ? 0.1 : 0): Judgement => ({
  start: i * W,
  end: (i + 1) * W,
  state,
  value: state === "unknown" ? null : 0.5,
  threshold: 0.9,
  deviation,
  n: 100,
  reason: state,
});
/** "B" breach, "." fine, "?" unknown, one character per consecutive window from window 0. */
const series = (pattern: string): Judgement[] => [...pattern].map((c, i) => j(i, c === "B" ? "breach" : c === "." ? "ok" : "unknown"));

describe("findEpisodes: for", () => {
  it("for 0 fires at the end of the first breaching window", () => {
    const { episodes, pending } = findEpisodes(series("..B"), 0, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 2 * W, firedAt: 3 * W, lastBreach: 3 * W, resolvedAt: null });
    expect(pending).toBeNull();
  });

  it("for 10m with 5-minute windows needs two breaching windows", () => {
    const one = findEpisodes(series(".B"), 10 * MIN, 0);
    expect(one.episodes).toEqual([]);
    expect(one.pending).toEqual({ since: W, lastedMs: 5 * MIN, forMs: 10 * MIN });

    const two = findEpisodes(series(".BB"), 10 * MIN, 0);
    expect(two.episodes).toHaveLength(1);
    expect(two.episodes[0]).toMatchObject({ start: W, firedAt: 3 * W, lastBreach: 3 * W, resolvedAt: null });
    expect(two.pending).toBeNull();
  });

  it("for 15m is pending after two windows, with how long it has lasted", () => {
    const { episodes, pending } = findEpisodes(series("BB"), 15 * MIN, 0);
    expect(episodes).toEqual([]);
    expect(pending).toEqual({ since: 0, lastedMs: 10 * MIN, forMs: 15 * MIN });
  });

  it("a fine window breaks the run; the run starts again after it", () => {
    const { episodes, pending } = findEpisodes(series("B.B"), 10 * MIN, 0);
    expect(episodes).toEqual([]);
    expect(pending).toEqual({ since: 2 * W, lastedMs: 5 * MIN, forMs: 10 * MIN });

    const later = findEpisodes(series("BB.BBB"), 15 * MIN, 0);
    expect(later.episodes).toHaveLength(1);
    expect(later.episodes[0]).toMatchObject({ start: 3 * W, firedAt: 6 * W });
  });

  it("a run that ends in a fine window leaves nothing pending", () => {
    expect(findEpisodes(series("B."), 10 * MIN, 0)).toEqual({ episodes: [], pending: null });
  });

  it("no breaches, or no data, give nothing", () => {
    expect(findEpisodes(series("...."), 0, 0)).toEqual({ episodes: [], pending: null });
    expect(findEpisodes([], 0, 0)).toEqual({ episodes: [], pending: null });
    expect(findEpisodes(series("????"), 0, 0)).toEqual({ episodes: [], pending: null });
  });
});

describe("findEpisodes: unknown windows", () => {
  it("do not break a breaching run", () => {
    const { episodes } = findEpisodes(series("B?B"), 10 * MIN, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, firedAt: 3 * W, lastBreach: 3 * W });
  });

  it("do not fire, and do not resolve an open episode", () => {
    expect(findEpisodes(series("??"), 0, 0).episodes).toEqual([]);
    const { episodes } = findEpisodes(series("B???"), 0, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.resolvedAt).toBeNull();
    expect(episodes[0]!.lastBreach).toBe(W);
  });

  it("leave a pending run pending", () => {
    expect(findEpisodes(series("B??"), 10 * MIN, 0).pending).toEqual({ since: 0, lastedMs: 5 * MIN, forMs: 10 * MIN });
  });

  it("do not count as fine time towards the hold", () => {
    // Breach, three unknown windows, then it clears at window 4 and breaches again at window 5:
    // within 15 minutes of clearing, so still one episode.
    const { episodes } = findEpisodes(series("B???.B..."), 0, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, lastBreach: 6 * W, resolvedAt: 6 * W });
  });
});

describe("findEpisodes: resolution and the hold", () => {
  it("hold 0 resolves at the start of the first fine window", () => {
    const { episodes } = findEpisodes(series("BB..."), 0, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, firedAt: W, lastBreach: 2 * W, resolvedAt: 2 * W });
  });

  it("hold 15m resolves once fine windows have covered 15 minutes, at the start of the first", () => {
    expect(findEpisodes(series("B.."), 0, 15 * MIN).episodes[0]!.resolvedAt).toBeNull();
    const { episodes } = findEpisodes(series("B...."), 0, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, lastBreach: W, resolvedAt: W });
  });

  it("a breach within the hold after clearing stays one episode (flap damping)", () => {
    const { episodes } = findEpisodes(series("B..B..."), 0, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, firedAt: W, lastBreach: 4 * W, resolvedAt: 4 * W });
  });

  it("a flapping breach joins the open episode at once, without waiting for `for`", () => {
    const { episodes, pending } = findEpisodes(series("BB.B"), 10 * MIN, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, firedAt: 2 * W, lastBreach: 4 * W, resolvedAt: null });
    expect(pending).toBeNull();
  });

  it("a breach after the hold has passed is a new episode, which needs `for` again", () => {
    const { episodes, pending } = findEpisodes(series("BB..B"), 10 * MIN, 10 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, firedAt: 2 * W, lastBreach: 2 * W, resolvedAt: 2 * W });
    expect(pending).toEqual({ since: 4 * W, lastedMs: 5 * MIN, forMs: 10 * MIN });

    const both = findEpisodes(series("BB..BB."), 10 * MIN, 10 * MIN);
    expect(both.episodes.map((e) => [e.start, e.firedAt, e.lastBreach, e.resolvedAt])).toEqual([
      [0, 2 * W, 2 * W, 2 * W],
      [4 * W, 6 * W, 6 * W, null],
    ]);
  });

  it("with hold 0 every clearing ends the episode", () => {
    const { episodes } = findEpisodes(series("B.B.B"), 0, 0);
    expect(episodes.map((e) => [e.start, e.resolvedAt])).toEqual([
      [0, W],
      [2 * W, 3 * W],
      [4 * W, null],
    ]);
  });

  it("an episode still open at the end of the data is returned open", () => {
    const { episodes } = findEpisodes(series(".BBB"), 0, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: W, firedAt: 2 * W, lastBreach: 4 * W, resolvedAt: null });
  });

  it("judges in time order whatever the input order", () => {
    const shuffled = series("B..B....").reverse();
    const { episodes } = findEpisodes(shuffled, 0, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ start: 0, lastBreach: 4 * W, resolvedAt: 4 * W });
  });
});

describe("findEpisodes: worst and latest", () => {
  it("worst is the most deviating breach, latest the last, across the run and the open episode", () => {
    const js = [j(0, "breach", 0.2), j(1, "breach", 0.5), j(2, "breach", 0.3), j(3, "ok"), j(4, "breach", 0.9), j(5, "breach", 0.1)];
    const { episodes } = findEpisodes(js, 10 * MIN, 15 * MIN);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.worst).toBe(js[4]);
    expect(episodes[0]!.latest).toBe(js[5]);
  });

  it("worst may come from the run before it fired", () => {
    const js = [j(0, "breach", 0.7), j(1, "breach", 0.2), j(2, "breach", 0.3)];
    const { episodes } = findEpisodes(js, 10 * MIN, 0);
    expect(episodes[0]!.worst).toBe(js[0]);
    expect(episodes[0]!.latest).toBe(js[2]);
  });

  it("a tie keeps the earlier window", () => {
    const js = [j(0, "breach", 0.4), j(1, "breach", 0.4)];
    const { episodes } = findEpisodes(js, 0, 15 * MIN);
    expect(episodes[0]!.worst).toBe(js[0]);
    expect(episodes[0]!.latest).toBe(js[1]);
  });

  it("windows of a broken run do not count towards a later episode's worst", () => {
    const js = [j(0, "breach", 0.9), j(1, "ok"), j(2, "breach", 0.2), j(3, "breach", 0.3)];
    const { episodes } = findEpisodes(js, 10 * MIN, 0);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.start).toBe(2 * W);
    expect(episodes[0]!.worst).toBe(js[3]);
  });
});
