/**
 * Which base window a pair of variants belongs to. Pure.
 *
 * Two predictions of one model pair when they carry the same request id, come from different
 * variants (model_version, stage), and were made within `pairSlackSeconds` of each other (a shadow
 * scores the request at the same moment, a canary's retry a little later; two predictions further
 * apart are not the same request served twice). The pair belongs to the base window of the earlier
 * of the two, so a window's pairs are found by reading its own event time plus the slack after it,
 * and a new prediction at t can change the pairs of only two windows: t's and (t − slack)'s.
 */
import { baseWindowStart } from "./model-spec.js";

/** Five minutes, or the base window if that is shorter (so a prediction touches at most two windows). */
export function pairSlackSeconds(baseSeconds: number): number {
  return Math.min(300, baseSeconds);
}

/** The base windows (epoch seconds) whose pairs a prediction at this event time can be part of. */
export function pairWindows(eventTimeMs: number, baseSeconds: number): number[] {
  const own = baseWindowStart(eventTimeMs, baseSeconds);
  const earlier = baseWindowStart(eventTimeMs - pairSlackSeconds(baseSeconds) * 1000, baseSeconds);
  return earlier === own ? [own] : [earlier, own];
}
