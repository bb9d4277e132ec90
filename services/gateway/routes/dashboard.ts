/**
 * The web dashboard: the static files Vite builds into dashboard/dist, served at `/` by the gateway
 * itself, so the page and the API share one origin and one set of tokens. The files need no token
 * (they hold no data); every API call the page makes sends the token the user entered.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";

export const DASHBOARD_DIST = fileURLToPath(new URL("../../../dashboard/dist", import.meta.url));

export const NOT_BUILT_MESSAGE = "The dashboard is not built: run `npm run build:dashboard` (or `npm ci`, which builds it), then reload.\n";

export function dashboardRoutes(options: { dir?: string } = {}): FastifyPluginAsync {
  const dir = options.dir ?? DASHBOARD_DIST;
  return async (app) => {
    if (!existsSync(join(dir, "index.html"))) {
      app.get("/", async (_request, reply) => reply.code(503).type("text/plain; charset=utf-8").send(NOT_BUILT_MESSAGE));
      return;
    }
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      // Only what is in the build: no directory listings, nothing outside `dir`.
      wildcard: true,
      index: ["index.html"],
      cacheControl: false,
      setHeaders(reply, path) {
        // Vite names assets by their content hash, so they never change; index.html always may.
        reply.header("cache-control", path.includes(`${join(dir, "assets")}`) ? "public, max-age=31536000, immutable" : "no-cache");
      },
    });
  };
}
