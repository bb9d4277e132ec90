/**
 * Bearer tokens with scopes. Tokens are compared by their SHA-256 digests in constant time, so
 * neither the comparison nor the lookup leaks how much of a guess was right.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Scope, TokenSpec } from "../common/config/env.js";

const digest = (token: string) => createHash("sha256").update(token).digest();

export function createAuthorizer(tokens: TokenSpec[]) {
  const known = tokens.map((t) => ({ digest: digest(t.token), scopes: new Set<Scope>(t.scopes) }));

  /** A preHandler that answers 401 without a known token and 403 without the scope. */
  return (scope: Scope) => async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="hindsight"')
        .send({ error: { code: "unauthorized", message: "missing bearer token: send 'Authorization: Bearer <token>'" } });
    }
    const presented = digest(match[1]!);
    const holder = known.find((k) => timingSafeEqual(k.digest, presented));
    if (!holder) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="hindsight", error="invalid_token"')
        .send({ error: { code: "unauthorized", message: "unknown token" } });
    }
    if (!holder.scopes.has(scope)) {
      return reply.code(403).send({ error: { code: "forbidden", message: `this token lacks the '${scope}' scope` } });
    }
  };
}
