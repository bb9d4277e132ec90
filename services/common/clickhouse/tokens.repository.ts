/**
 * API tokens stored in ClickHouse (only their SHA-256 digests), their last use, and the audit log
 * of admin actions. The gateway reads every token's latest version on a timer (token-cache.ts);
 * the CLI and the admin API write new versions.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { ClickHouse } from "./client.js";
import { int, jsonText, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

export interface StoredToken {
  token_id: string;
  name: string;
  /** Hex SHA-256 of the token. */
  digest: string;
  scopes: string[];
  /** Empty: every model. */
  models: string[];
  /** 0: never expires. */
  expires_at_ms: number;
  created_at_ms: number;
  created_by: string;
  /** 0: not revoked. */
  revoked_at_ms: number;
  revoked_by: string;
}

export interface NewToken {
  name: string;
  scopes: string[];
  models?: string[] | undefined;
  expiresAtMs?: number | undefined;
  createdBy: string;
}

export interface AuditEntry {
  actor: string;
  actor_token_id: string;
  action: string;
  target: string;
  model_ids: string[];
  detail: Record<string, unknown>;
}

export interface AuditRow extends Omit<AuditEntry, "detail"> {
  at_ms: number;
  detail: Record<string, unknown>;
}

export const tokenDigest = (token: string): string => createHash("sha256").update(token).digest("hex");

/** A fresh token: a recognisable prefix and 256 random bits. */
export const newTokenSecret = (): string => `hs_${randomBytes(32).toString("base64url")}`;

const TokenRow = row({
  token_id: str,
  name: str,
  digest: str,
  scopes: z.array(str),
  models: z.array(str),
  expires_at_ms: int,
  created_at_ms: int,
  created_by: str,
  revoked_at_ms: int,
  revoked_by: str,
}) satisfies z.ZodType<StoredToken>;

const AuditLogRow = row({
  at_ms: int,
  actor: str,
  actor_token_id: str,
  action: str,
  target: str,
  model_ids: z.array(str),
  detail: jsonText(z.record(z.string(), z.unknown())),
}) satisfies z.ZodType<AuditRow>;

export function tokensRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;

  async function latest(tokenId?: string): Promise<StoredToken[]> {
    return ch.rows(
      TokenRow,
      sql`
      SELECT token_id, name, digest, scopes, models, expires_at_ms, created_at_ms, created_by, revoked_at_ms, revoked_by
      FROM ${t("api_tokens")} FINAL ${tokenId === undefined ? sql`` : sql`WHERE token_id = ${tokenId}`} ORDER BY created_at_ms, token_id`,
    );
  }

  async function write(token: StoredToken): Promise<void> {
    // The version is the wall clock in microseconds: a revocation always outranks the creation.
    const version = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    await ch.insertJsonEachRow(table("api_tokens"), [JSON.stringify({ ...token, version })]);
  }

  return {
    /** Stores a new token; the secret is returned once and never stored. */
    async create(spec: NewToken, nowMs = Date.now()): Promise<{ token: string; stored: StoredToken }> {
      const token = newTokenSecret();
      const stored: StoredToken = {
        token_id: `tok_${randomBytes(8).toString("hex")}`,
        name: spec.name,
        digest: tokenDigest(token),
        scopes: [...new Set(spec.scopes)],
        models: spec.models ? [...new Set(spec.models)] : [],
        expires_at_ms: spec.expiresAtMs ?? 0,
        created_at_ms: nowMs,
        created_by: spec.createdBy,
        revoked_at_ms: 0,
        revoked_by: "",
      };
      await write(stored);
      return { token, stored };
    },

    /** Every token's latest version, revoked ones included. */
    list: () => latest(),

    async get(tokenId: string): Promise<StoredToken | undefined> {
      return (await latest(tokenId))[0];
    },

    /** Revokes a token; undefined when there is no such token. Revoking twice keeps the first time. */
    async revoke(tokenId: string, by: string, nowMs = Date.now()): Promise<StoredToken | undefined> {
      const current = (await latest(tokenId))[0];
      if (!current) return undefined;
      if (current.revoked_at_ms) return current;
      const revoked = { ...current, revoked_at_ms: nowMs, revoked_by: by };
      await write(revoked);
      return revoked;
    },

    async lastUsed(): Promise<Map<string, number>> {
      const rows = await ch.rows(
        row({ token_id: str, last: int }),
        sql`SELECT token_id, max(last_used_ms) AS last FROM ${t("api_token_usage")} GROUP BY token_id`,
      );
      return new Map(rows.map((r) => [r.token_id, r.last]));
    },

    async recordUse(uses: ReadonlyMap<string, number>): Promise<void> {
      if (uses.size === 0) return;
      await ch.insertJsonEachRow(table("api_token_usage"), [
        [...uses].map(([token_id, last_used_ms]) => JSON.stringify({ token_id, last_used_ms })).join("\n"),
      ]);
    },

    async audit(entry: AuditEntry, nowMs = Date.now()): Promise<void> {
      await ch.insertJsonEachRow(table("audit_log"), [JSON.stringify({ ...entry, at_ms: nowMs, detail: JSON.stringify(entry.detail) })]);
    },

    /** The newest audit entries first; limited to entries naming one of `models` when given. */
    async auditLog(q: { models?: string[] | undefined; fromMs?: number | undefined; limit: number }): Promise<AuditRow[]> {
      return ch.rows(
        AuditLogRow,
        sql`
        SELECT at_ms, actor, actor_token_id, action, target, model_ids, detail FROM ${t("audit_log")}
        WHERE at_ms >= ${q.fromMs ?? 0} ${q.models ? sql`AND hasAny(model_ids, ${q.models}) AND arrayAll(m -> has(${q.models}, m), model_ids)` : sql``}
        ORDER BY at_ms DESC LIMIT ${q.limit}`,
      );
    },
  };
}

export type TokensRepository = ReturnType<typeof tokensRepository>;
