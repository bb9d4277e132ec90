/**
 * Bearer tokens with scopes, optionally limited to some models. Two sources: HINDSIGHT_TOKENS (the
 * bootstrap tokens, fixed for the process) and the tokens stored in ClickHouse (a TokenSource,
 * refreshed on a timer; revocation and expiry apply within one refresh). Environment tokens are
 * compared by their SHA-256 digests in constant time; stored tokens are found by their digest, a
 * lookup on 256 bits of a random secret, which leaks nothing usable about a guess. The raw token
 * is never stored, logged or used as a key (rate limits are keyed by the digest).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Scope, TokenSpec } from "../common/config/env.js";
import type { StoredToken } from "../common/clickhouse/tokens.repository.js";
import type { TokenSource } from "./token-cache.js";

const digest = (token: string) => createHash("sha256").update(token).digest();

/** Who is calling, as the routes see it after `requireScope` let the request through. */
export interface Principal {
  /** The token's configured name, for logs and the audit log; never the token. */
  name: string | undefined;
  /** The stored token's id; undefined for a HINDSIGHT_TOKENS token. */
  tokenId: string | undefined;
  scopes: ReadonlySet<Scope>;
  /** The exact model ids the token may touch, or "all". */
  modelFilter: readonly string[] | "all";
  canAccessModel(modelId: string): boolean;
}

interface Holder {
  digest: Buffer;
  principal: Principal;
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The caller of a request that passed `requireScope`; throws on a route without it (a programming error). */
export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request);
  if (!p) throw new Error(`no principal for ${request.method} ${request.url}: the route lacks requireScope`);
  return p;
}

function principal(spec: TokenSpec): Principal {
  const models = spec.models ? new Set(spec.models) : undefined;
  return {
    name: spec.name,
    tokenId: undefined,
    scopes: new Set(spec.scopes),
    modelFilter: spec.models ? [...spec.models] : "all",
    canAccessModel: (modelId) => models === undefined || models.has(modelId),
  };
}

function storedPrincipal(t: StoredToken): Principal {
  return principal({ token: "", name: t.name, scopes: t.scopes as Scope[], ...(t.models.length ? { models: t.models } : {}) });
}

/** Why a stored token no longer opens anything, or undefined while it is valid. */
function refusal(t: StoredToken, nowMs: number): string | undefined {
  if (t.revoked_at_ms) return "token revoked";
  if (t.expires_at_ms && t.expires_at_ms <= nowMs) return "token expired";
  return undefined;
}

const BEARER = /^Bearer\s+(\S+)$/i;

const NO_TOKENS: TokenSource = { find: () => undefined, used: () => {} };

export function createAuth(tokens: TokenSpec[], stored: TokenSource = NO_TOKENS, now: () => number = Date.now) {
  const known: Holder[] = tokens.map((t) => ({ digest: digest(t.token), principal: principal(t) }));
  // Principals of stored tokens, rebuilt only when the stored version changes.
  const storedPrincipals = new WeakMap<StoredToken, Principal>();

  /** Every environment token is compared, so the time taken does not depend on which one matched. */
  function lookup(header: string | undefined): (Holder & { refused?: string; tokenId?: string }) | undefined {
    const match = BEARER.exec(header ?? "");
    if (!match) return undefined;
    const presented = digest(match[1]!);
    let found: Holder | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, presented) && !found) found = k;
    if (found) return found;
    const s = stored.find(presented.toString("hex"));
    if (!s || typeof s.token_id !== "string") return undefined;
    let p = storedPrincipals.get(s);
    if (!p) storedPrincipals.set(s, (p = { ...storedPrincipal(s), tokenId: s.token_id }));
    const refused = refusal(s, now());
    return { digest: presented, principal: p, tokenId: s.token_id, ...(refused ? { refused } : {}) };
  }

  /** A preHandler that answers 401 without a known token and 403 without the scope. */
  const requireScope = (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (!BEARER.test(header ?? "")) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="hindsight"')
        .send({ error: { code: "unauthorized", message: "missing bearer token: send 'Authorization: Bearer <token>'" } });
    }
    const holder = lookup(header);
    if (!holder || holder.refused) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="hindsight", error="invalid_token"')
        .send({ error: { code: "unauthorized", message: holder?.refused ?? "unknown token" } });
    }
    if (holder.tokenId) stored.used(holder.tokenId, now());
    if (!holder.principal.scopes.has(scope)) {
      return reply.code(403).send({ error: { code: "forbidden", message: `this token lacks the '${scope}' scope` } });
    }
    principals.set(request, holder.principal);
  };

  /**
   * The rate-limit bucket of a request: a known token's digest, else the client address, so that
   * guessing tokens cannot open a fresh bucket per guess.
   */
  const rateLimitKey = (request: FastifyRequest): string => {
    const holder = lookup(request.headers.authorization);
    return holder && !holder.refused ? `token:${holder.digest.toString("hex")}` : `ip:${request.ip}`;
  };

  return { requireScope, rateLimitKey };
}

/** Kept for callers that only need the preHandler. */
export function createAuthorizer(tokens: TokenSpec[]) {
  return createAuth(tokens).requireScope;
}
