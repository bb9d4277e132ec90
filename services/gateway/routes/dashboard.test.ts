/** Serving the built dashboard, and the answer when it has not been built. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { dashboardRoutes, NOT_BUILT_MESSAGE } from "./dashboard.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), "hindsight-dashboard-"));
  dirs.push(dir);
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Hindsight</title>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
  return dir;
}

async function appFor(dir: string) {
  const app = Fastify();
  await app.register(dashboardRoutes({ dir }));
  app.get("/v1/models", async () => ({ models: [] }));
  return app;
}

describe("dashboard static files", () => {
  it("serves index.html at / without a token, always revalidated", async () => {
    const app = await appFor(fakeBuild());
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.body).toContain("<title>Hindsight</title>");
    expect(res.headers["cache-control"]).toBe("no-cache");
  });

  it("serves hashed assets as immutable", async () => {
    const app = await appFor(fakeBuild());
    const res = await app.inject({ method: "GET", url: "/assets/index-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("leaves API routes alone and answers 404 for files not in the build", async () => {
    const app = await appFor(fakeBuild());
    expect((await app.inject({ method: "GET", url: "/v1/models" })).json()).toEqual({ models: [] });
    expect((await app.inject({ method: "GET", url: "/assets/missing.js" })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/../package.json" })).statusCode).toBe(404);
  });

  it("says how to build the dashboard when dashboard/dist is missing", async () => {
    const app = await appFor(join(tmpdir(), "hindsight-no-such-build"));
    const res = await app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(503);
    expect(res.body).toBe(NOT_BUILT_MESSAGE);
    expect(res.body).toContain("npm run build:dashboard");
  });
});
