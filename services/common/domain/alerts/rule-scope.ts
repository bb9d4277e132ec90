/**
 * Rules files applied by a model-limited admin token (issue 15, item 3). Such a token manages its
 * models' part of the rules only:
 *  - every rule of its file targets one of its models (never "*", which is every team's);
 *  - the file replaces only the active rules that target its models; other teams' rules and shared
 *    ("*") rules stay as they are, and it may not take over another rule's id;
 *  - its receivers are added to the stored ones and belong to its models: they receive only the
 *    alerts of rules that name them, never another team's alerts nor the all-models digest; it may
 *    not replace a receiver that is shared or belongs to other models;
 *  - shared settings (repeat interval, hold, digest hour) are left alone: a file that sets them is
 *    refused.
 * An unlimited admin's file replaces everything, as before.
 */
import type { Receiver, Rule, RuleFile } from "../../../../schemas/rules.js";

/** A stored receiver; `models` marks one that belongs to those models (added by a limited token). */
export type StoredReceiver = Receiver & { models?: string[] };

export interface ScopedApply {
  /** The rules the file replaces (ids of active rules within the scope). */
  replaces: Set<string>;
  /** Every receiver to store: the others', unchanged, and the file's, owned by the token's models. */
  receivers: StoredReceiver[];
}

export class ScopeError extends Error {
  override readonly name = "ScopeError";
}

const owned = (r: StoredReceiver, models: ReadonlySet<string>) =>
  r.models !== undefined && r.models.length > 0 && r.models.every((m) => models.has(m));

/** The receivers a rule without its own list, and the digest, go to: the shared ones only. */
export const sharedReceivers = <R extends StoredReceiver>(receivers: readonly R[]): R[] =>
  receivers.filter((r) => r.models === undefined || r.models.length === 0);

/** Checks a limited token's file against what is stored; throws ScopeError naming the first reason. */
export function scopeRuleFile(
  file: RuleFile,
  hasSettings: boolean,
  active: readonly Rule[],
  stored: readonly StoredReceiver[],
  tokenModels: readonly string[],
): ScopedApply {
  const models = new Set(tokenModels);
  if (hasSettings) throw new ScopeError("settings: only an admin token for every model changes the shared settings; leave 'settings' out");
  for (const rule of file.rules) {
    if (rule.target.model === "*")
      throw new ScopeError(
        `rule '${rule.id}': a rule for every model ('*') is shared; this token may target only ${[...models].join(", ")}`,
      );
    if (!models.has(rule.target.model))
      throw new ScopeError(`rule '${rule.id}': this token may not manage rules of model '${rule.target.model}'`);
  }
  const inScope = (r: Rule) => r.target.model !== "*" && models.has(r.target.model);
  const byId = new Map(active.map((r) => [r.id, r]));
  for (const rule of file.rules) {
    const existing = byId.get(rule.id);
    if (existing && !inScope(existing))
      throw new ScopeError(`rule '${rule.id}': the id belongs to a rule this token does not manage; choose another id`);
  }
  const storedByName = new Map(stored.map((r) => [r.name, r]));
  for (const receiver of file.receivers) {
    const existing = storedByName.get(receiver.name);
    if (existing && !owned(existing, models))
      throw new ScopeError(`receiver '${receiver.name}': shared or used by other models' rules; name this token's receiver differently`);
  }
  const mine = new Set(file.receivers.map((r) => r.name));
  return {
    replaces: new Set(active.filter(inScope).map((r) => r.id)),
    receivers: [...stored.filter((r) => !mine.has(r.name)), ...file.receivers.map((r) => ({ ...r, models: [...models].sort() }))],
  };
}

/** What a model-limited token sees of the rules: its models' rules and the shared ("*") ones. */
export const visibleRule = (rule: Rule, canAccessModel: (id: string) => boolean): boolean =>
  rule.target.model === "*" || canAccessModel(rule.target.model);

/**
 * What a token sees of the receivers: those that can carry its alerts (named by a rule it sees, or
 * shared while one of its rules names none) and its models' own. An unlimited token sees them all.
 */
export function visibleReceivers<R extends StoredReceiver>(
  rules: readonly Rule[],
  receivers: readonly R[],
  modelFilter: readonly string[] | "all",
): R[] {
  if (modelFilter === "all") return [...receivers];
  const models = new Set(modelFilter);
  const named = new Set(rules.flatMap((r) => r.receivers ?? []));
  const usesDefault = rules.some((r) => r.receivers === undefined);
  return receivers.filter((r) => {
    if (r.models?.length) return r.models.every((m) => models.has(m));
    return named.has(r.name) || usesDefault;
  });
}
