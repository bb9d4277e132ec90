/**
 * Bearer tokens with scopes, optionally limited to some models. Tokens are compared by their
 * SHA-256 digests in constant time, so neither the comparison nor the lookup leaks how much of a
 * guess was right; the raw token is never stored, logged or used as a key (rate limits are keyed
 * by the digest).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Scope, TokenSpec } from "../common/config/env.js";

const digest = (token: string) => createHash("sha256").update(token).digest();

/** Who is calling, as the routes see it after `requireScope` let the request through. */
export interface Principal {
  /** The token's configured name, for logs; never the token. */
  name: string | undefined;
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
    scopes: new Set(spec.scopes),
    modelFilter: spec.models ? [...spec.models] : "all",
    canAccessModel: (modelId) => models === undefined || models.has(modelId),
  };
}

const BEARER = /^Bearer\s+(\S+)$/i;

export function createAuth(tokens: TokenSpec[]) {
  const known: Holder[] = tokens.map((t) => ({ digest: digest(t.token), principal: principal(t) }));

  /** Every known token is compared, so the time taken does not depend on which one matched. */
  function lookup(header: string | undefined): Holder | undefined {
    const match = BEARER.exec(header ?? "");
    if (!match) return undefined;
    const presented = digest(match[1]!);
    let found: Holder | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, presented) && !found) found = k;
    return found;
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
    if (!holder) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="hindsight", error="invalid_token"')
        .send({ error: { code: "unauthorized", message: "unknown token" } });
    }
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
    return holder ? `token:${holder.digest.toString("hex")}` : `ip:${request.ip}`;
  };

  return { requireScope, rateLimitKey };
}

/** Kept for callers that only need the preHandler. */
export function createAuthorizer(tokens: TokenSpec[]) {
  return createAuth(tokens).requireScope;
}
