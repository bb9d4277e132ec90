/**
 * Builds the dashboard into dashboard/dist, which the gateway serves at `/`
 * (services/gateway/routes/dashboard.ts). Plain TypeScript and uPlot: no framework to ship.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Small enough that one file loads faster than several round trips.
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
});
