import type { FastifyReply, FastifyRequest } from "fastify";
import { describe, expect, it } from "vitest";
import { createAuthorizer } from "./auth.js";

const INGEST = "ingest-token-0123456789";
const READER = "reader-token-0123456789";
const authorize = createAuthorizer([
  { token: INGEST, scopes: ["ingest", "label"] },
  { token: READER, scopes: ["read"], name: "dashboard" },
]);

/** Records what the preHandler did to the reply; chainable like fastify's. */
function fakeReply() {
  const state = { status: undefined as number | undefined, headers: {} as Record<string, string>, body: undefined as unknown, sent: false };
  const reply = {
    code(status: number) {
      state.status = status;
      return reply;
    },
    header(name: string, value: string) {
      state.headers[name.toLowerCase()] = value;
      return reply;
    },
    send(body: unknown) {
      state.body = body;
      state.sent = true;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, state };
}

async function run(scope: Parameters<typeof authorize>[0], authorization?: string) {
  const { reply, state } = fakeReply();
  const request = { headers: authorization === undefined ? {} : { authorization } } as unknown as FastifyRequest;
  await authorize(scope)(request, reply);
  return state;
}

describe("createAuthorizer", () => {
  it("answers 401 with a Bearer challenge when the header is missing", async () => {
    const s = await run("ingest");
    expect(s.status).toBe(401);
    expect(s.headers["www-authenticate"]).toBe('Bearer realm="hindsight"');
    expect(s.body).toMatchObject({ error: { code: "unauthorized", message: expect.stringMatching(/missing bearer token/) } });
  });

  it.each([["Basic dXNlcjpwYXNz"], ["Bearer"], ["Bearer "], [`Bearer ${INGEST} extra`], [INGEST]])(
    "answers 401 to the malformed header %j",
    async (header) => {
      const s = await run("ingest", header);
      expect(s.status).toBe(401);
      expect(s.headers["www-authenticate"]).toMatch(/^Bearer realm="hindsight"/);
    },
  );

  it("answers 401 with invalid_token to an unknown token", async () => {
    const s = await run("ingest", "Bearer not-a-known-token-at-all");
    expect(s.status).toBe(401);
    expect(s.headers["www-authenticate"]).toBe('Bearer realm="hindsight", error="invalid_token"');
    expect(s.body).toEqual({ error: { code: "unauthorized", message: "unknown token" } });
  });

  it("answers 401 to a known token's prefix", async () => {
    expect((await run("ingest", `Bearer ${INGEST.slice(0, -1)}`)).status).toBe(401);
  });

  it("answers 403 naming the scope a known token lacks", async () => {
    const s = await run("admin", `Bearer ${INGEST}`);
    expect(s.status).toBe(403);
    expect(s.headers["www-authenticate"]).toBeUndefined();
    expect(s.body).toMatchObject({ error: { code: "forbidden", message: expect.stringContaining("'admin'") } });
    expect((await run("ingest", `Bearer ${READER}`)).status).toBe(403);
  });

  it("lets a token with the scope through without replying", async () => {
    for (const [scope, token] of [
      ["ingest", INGEST],
      ["label", INGEST],
      ["read", READER],
    ] as const) {
      const s = await run(scope, `Bearer ${token}`);
      expect(s).toEqual({ status: undefined, headers: {}, body: undefined, sent: false });
    }
  });

  it("treats the scheme name case-insensitively", async () => {
    expect((await run("read", `bearer ${READER}`)).sent).toBe(false);
  });
});
