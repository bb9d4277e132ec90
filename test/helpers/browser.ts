/**
 * A headless Chromium for the browser tests: Debian's `chromium` package (installed with apt-get
 * when missing, as the local stack installs clickhouse-server), driven by playwright-core, with a
 * fresh profile per run and nothing that reaches the network on its own.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { ensureAptPackages } from "../../infra/local/apt.js";
import { ROOT } from "../../infra/local/paths.js";
import { DASHBOARD_DIST } from "../../services/gateway/routes/dashboard.js";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) await ensureAptPackages(["chromium"], (line) => process.stderr.write(`[browser] ${line}\n`));
  const profile = mkdtempSync(join(tmpdir(), "hindsight-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Builds the dashboard when dashboard/dist is missing (`npm ci` builds it through `prepare`) or
 * older than a source file, so a browser test never checks a page edited since the last build.
 */
export function ensureDashboardBuilt(): void {
  const built = join(DASHBOARD_DIST, "index.html");
  if (existsSync(built) && statSync(built).mtimeMs >= newestSourceMs()) return;
  const r = spawnSync("npm", ["run", "build:dashboard"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build:dashboard failed");
}

function newestSourceMs(): number {
  const dir = join(ROOT, "dashboard");
  const sources = [
    join(dir, "index.html"),
    join(dir, "vite.config.ts"),
    ...readdirSync(join(dir, "src"), { recursive: true, encoding: "utf8" })
      .filter((f) => !f.endsWith(".test.ts"))
      .map((f) => join(dir, "src", f)),
  ];
  return Math.max(...sources.map((f) => statSync(f).mtimeMs));
}
