/**
 * Model-limited tokens in the model routes. A read of a model the token may not touch is answered
 * exactly like a read of a model that does not exist, so a foreign id's existence is not revealed;
 * a write to one is refused naming only the token's own limit.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayContext } from "../../app.js";
import { principalOf } from "../../auth.js";

export function notFound(reply: FastifyReply, modelId: string): FastifyReply {
  return reply.code(404).send({ error: { code: "not_found", message: `no model '${modelId}'` } });
}

/** True when the caller may read the model and it exists; otherwise answers 404 and returns false. */
export async function readableModel(ctx: GatewayContext, request: FastifyRequest, reply: FastifyReply, modelId: string): Promise<boolean> {
  const visible = principalOf(request).canAccessModel(modelId) && (await ctx.deps.models.list()).some((m) => m.model_id === modelId);
  if (!visible) notFound(reply, modelId);
  return visible;
}

/** True when the caller may change the model; otherwise answers 403 and returns false. */
export function writableModel(request: FastifyRequest, reply: FastifyReply, modelId: string): boolean {
  if (principalOf(request).canAccessModel(modelId)) return true;
  void reply.code(403).send({ error: { code: "forbidden", message: `this token may not manage model '${modelId}'` } });
  return false;
}
