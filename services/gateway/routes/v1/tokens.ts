/**
 * Stored tokens and the audit log over HTTP:
 *   POST   /v1/tokens        create a token; its secret is in this answer only (admin, every model)
 *   GET    /v1/tokens        every token without its secret: scopes, models, expiry, last use (admin, every model)
 *   DELETE /v1/tokens/:id    revoke a token, effective within HINDSIGHT_TOKEN_REFRESH_MS (admin, every model)
 *   GET    /v1/audit         admin actions, newest first (admin; a model-limited token sees the
 *                            entries that concern only its models)
 * Only an unlimited admin manages tokens: a model-limited admin could otherwise mint a token wider
 * than its own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { GatewayContext } from "../../app.js";
import { principalOf } from "../../auth.js";
import type { StoredToken, TokensRepository } from "../../../common/clickhouse/tokens.repository.js";
import { modelIdParam, parseOr400, timeParam } from "./params.js";

export const SCOPE_NAMES = ["ingest", "label", "feedback", "read", "admin"] as const;

const NewTokenBody = z
  .object({
    name: z.string().min(1).max(128),
    scopes: z.array(z.enum(SCOPE_NAMES)).min(1),
    models: z.array(modelIdParam.shape.id).min(1, "list at least one model id, or leave 'models' out for every model").max(1000).optional(),
    expires_at: z.union([z.number().int().positive(), timeParam]).optional(),
    expires_in_days: z.number().positive().max(3650).optional(),
  })
  .strict()
  .refine((b) => b.expires_at === undefined || b.expires_in_days === undefined, {
    message: "give expires_at or expires_in_days, not both",
    path: ["expires_at"],
  });

const TokenIdParam = z.object({ id: z.string().regex(/^tok_[0-9a-f]{16}$/, "not a valid token id") });
const AuditQuery = z.object({ from: timeParam.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(500) });

const iso = (ms: number) => (ms ? new Date(ms).toISOString() : null);

export function tokenView(t: StoredToken, lastUsedMs: number | undefined, nowMs: number) {
  return {
    token_id: t.token_id,
    name: t.name,
    scopes: t.scopes,
    models: t.models.length ? t.models : "all",
    expires_at: iso(t.expires_at_ms),
    created_at: iso(t.created_at_ms),
    created_by: t.created_by,
    last_used_at: iso(lastUsedMs ?? 0),
    revoked_at: iso(t.revoked_at_ms),
    revoked_by: t.revoked_by || null,
    status: t.revoked_at_ms ? "revoked" : t.expires_at_ms && t.expires_at_ms <= nowMs ? "expired" : "active",
  };
}

/** Who did it, as the audit log names the caller. */
export const actorOf = (request: FastifyRequest) => {
  const p = principalOf(request);
  return { actor: p.name ?? (p.tokenId ? p.tokenId : "bootstrap token"), actor_token_id: p.tokenId ?? "" };
};

export function tokenRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const repo = (): TokensRepository => {
    if (!ctx.deps.tokens) throw Object.assign(new Error("stored tokens are not available"), { statusCode: 503 });
    return ctx.deps.tokens;
  };
  const everyModel = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (principalOf(request).modelFilter === "all") return true;
    void reply.code(403).send({ error: { code: "forbidden", message: "only an admin token for every model may manage tokens" } });
    return false;
  };

  app.post("/v1/tokens", { preHandler: ctx.requireScope("admin") }, async (request, reply) => {
    if (!everyModel(request, reply)) return reply;
    const body = parseOr400(NewTokenBody, request.body, reply);
    if (!body) return reply;
    const now = Date.now();
    const expiresAtMs =
      body.expires_at ?? (body.expires_in_days === undefined ? undefined : now + Math.round(body.expires_in_days * 86_400_000));
    if (expiresAtMs !== undefined && expiresAtMs <= now)
      return reply.code(400).send({ error: { code: "bad_request", message: "expires_at: must be in the future" } });
    const { actor } = actorOf(request);
    const { token, stored } = await repo().create(
      { name: body.name, scopes: body.scopes, models: body.models, expiresAtMs, createdBy: actor },
      now,
    );
    await ctx.deps.tokenSource?.refresh?.();
    await ctx.audit(request, "token.create", stored.token_id, stored.models, {
      name: stored.name,
      scopes: stored.scopes,
      expires_at: iso(stored.expires_at_ms),
    });
    return reply.code(201).send({ token, ...tokenView(stored, undefined, now) });
  });

  app.get("/v1/tokens", { preHandler: ctx.requireScope("admin") }, async (request, reply) => {
    if (!everyModel(request, reply)) return reply;
    const [tokens, used] = await Promise.all([repo().list(), repo().lastUsed()]);
    const now = Date.now();
    return { tokens: tokens.map((t) => tokenView(t, used.get(t.token_id), now)) };
  });

  app.delete("/v1/tokens/:id", { preHandler: ctx.requireScope("admin") }, async (request, reply) => {
    if (!everyModel(request, reply)) return reply;
    const p = parseOr400(TokenIdParam, request.params, reply);
    if (!p) return reply;
    const { actor } = actorOf(request);
    const revoked = await repo().revoke(p.id, actor);
    if (!revoked) return reply.code(404).send({ error: { code: "not_found", message: `no token '${p.id}'` } });
    await ctx.deps.tokenSource?.refresh?.();
    await ctx.audit(request, "token.revoke", p.id, revoked.models, { name: revoked.name });
    return tokenView(revoked, undefined, Date.now());
  });

  app.get("/v1/audit", { preHandler: ctx.requireScope("admin") }, async (request, reply) => {
    const q = parseOr400(AuditQuery, request.query, reply);
    if (!q) return reply;
    const filter = principalOf(request).modelFilter;
    const rows = await repo().auditLog({ models: filter === "all" ? undefined : [...filter], fromMs: q.from, limit: q.limit });
    return { entries: rows.map((r) => ({ ...r, at: new Date(r.at_ms).toISOString() })) };
  });
}
