/**
 * Alerts from episodes: one alert per fingerprint and episode, matched to the alerts already
 * stored so that a restart, a replay or a late label revising a window never makes a second
 * one. Ids are hashes of what they stand for, for the same reason.
 */
import { createHash } from "node:crypto";
import type { Episode } from "./episodes.js";

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 16);

export interface SeriesKey {
  ruleId: string;
  modelId: string;
  modelVersion: string;
  /** "" for the whole population, else "key=value". */
  slice: string;
  /** The metric as alerted: "accuracy", "drift.amount", "quality.null_fraction". */
  metric: string;
  /** The feature of a drift or quality alert, "" otherwise. */
  feature: string;
}

/** Rule, model, version, slice and metric (the metric names the feature for drift and quality). */
export function fingerprint(k: SeriesKey): string {
  return hash(["fp", k.ruleId, k.modelId, k.modelVersion, k.slice, k.metric, k.feature].join("\u0001"));
}

export function alertId(fp: string, episodeStart: number): string {
  return hash(`alert\u0001${fp}\u0001${episodeStart}`);
}

export function notificationId(alertId: string, kind: string, receiver: string): string {
  return hash(`notify\u0001${alertId}\u0001${kind}\u0001${receiver}`);
}

/** What reconciliation needs of a stored alert. */
export interface AlertSpan {
  id: string;
  start: number;
  lastBreach: number;
  resolvedAt: number | null;
}

export type AlertChange =
  | { kind: "create"; id: string; episode: Episode }
  | { kind: "update"; id: string; episode: Episode }
  /** The breach is no longer in the data (its windows were revised): the alert resolves at its last breach. */
  | { kind: "vanish"; id: string };

/**
 * Matches episodes to stored alerts of one fingerprint by overlap (widened by the hold time).
 * Stored alerts that start before `judgedFrom` were not looked at and are left alone.
 */
export function reconcile(
  fp: string,
  stored: readonly AlertSpan[],
  episodes: readonly Episode[],
  holdMs: number,
  judgedFrom: number,
): AlertChange[] {
  const changes: AlertChange[] = [];
  const used = new Set<string>();
  for (const e of episodes) {
    const eEnd = e.resolvedAt ?? Infinity;
    const match = stored
      .filter((s) => !used.has(s.id) && s.start <= eEnd + holdMs && (s.resolvedAt ?? Infinity) + holdMs >= e.start)
      .sort((a, b) => a.start - b.start)[0];
    if (match) {
      used.add(match.id);
      changes.push({ kind: "update", id: match.id, episode: e });
    } else {
      changes.push({ kind: "create", id: alertId(fp, e.start), episode: e });
    }
  }
  for (const s of stored) {
    if (!used.has(s.id) && s.resolvedAt === null && s.start >= judgedFrom) changes.push({ kind: "vanish", id: s.id });
  }
  return changes;
}

export type Disposition = "surfaced" | "suppressed" | "held";

/** The notifications a surfaced alert is owed so far; the outbox inserts the ones it lacks. */
export function owedNotifications(
  a: { id: string; disposition: Disposition; resolvedAt: number | null; firstSeenMs: number },
  nowMs: number,
  repeatMs: number,
): string[] {
  if (a.disposition !== "surfaced") return [];
  if (a.resolvedAt !== null) return ["firing", "resolved"];
  const repeats = repeatMs > 0 ? Math.floor((nowMs - a.firstSeenMs) / repeatMs) : 0;
  return repeats >= 1 ? ["firing", `repeat-${repeats}`] : ["firing"];
}
