/**
 * From judged windows to episodes, in event time, so that a replay or a restart finds the same
 * episodes again. An episode fires once consecutive breaching windows span `for`; it resolves
 * once fine windows have covered `hold` after the last breach (a breach inside the hold keeps it
 * one episode: flap damping). Unknown windows neither extend nor break anything.
 */
import type { Judgement } from "./predicates.js";

export interface Episode {
  /** Start of the first breaching window of the run that fired. */
  start: number;
  /** End of the window at which the breach had lasted `for`. */
  firedAt: number;
  /** End of the last breaching window. */
  lastBreach: number;
  /** Start of the first fine window after the last breach, once the hold has passed; null while open. */
  resolvedAt: number | null;
  /** The breaching window that deviated most, and the latest one. */
  worst: Judgement;
  latest: Judgement;
}

export interface Pending {
  since: number;
  /** How long the breach has lasted so far, and how long it must last. */
  lastedMs: number;
  forMs: number;
}

export function findEpisodes(
  judgements: readonly Judgement[],
  forMs: number,
  holdMs: number,
): { episodes: Episode[]; pending: Pending | null } {
  const sorted = [...judgements].sort((a, b) => a.start - b.start);
  const episodes: Episode[] = [];
  let open: Episode | null = null;
  let firstOk: number | null = null;
  let runStart: number | null = null;
  let runJudgements: Judgement[] = [];

  for (const j of sorted) {
    if (j.state === "unknown") continue;
    if (open) {
      if (j.state === "breach") {
        open.lastBreach = j.end;
        open.latest = j;
        if (j.deviation > open.worst.deviation) open.worst = j;
        firstOk = null;
      } else {
        firstOk ??= j.start;
        // From the clearing, not the last breach: unknown windows in between are not fine time.
        if (j.end - firstOk >= holdMs) {
          open.resolvedAt = firstOk;
          episodes.push(open);
          open = null;
          firstOk = null;
        }
      }
      continue;
    }
    if (j.state === "breach") {
      runStart ??= j.start;
      runJudgements.push(j);
      if (j.end - runStart >= forMs) {
        const worst = runJudgements.reduce((a, b) => (b.deviation > a.deviation ? b : a));
        open = { start: runStart, firedAt: j.end, lastBreach: j.end, resolvedAt: null, worst, latest: j };
        runStart = null;
        runJudgements = [];
      }
    } else {
      runStart = null;
      runJudgements = [];
    }
  }
  if (open) episodes.push(open);
  const last = runJudgements.at(-1);
  const pending = runStart !== null && last ? { since: runStart, lastedMs: last.end - runStart, forMs } : null;
  return { episodes, pending };
}
