/**
 * A Prometheus-family daemon from Debian's packages (installed when missing) for a test: started
 * on loopback, awaited on its `/-/ready`, and stopped with its scratch directory removed.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { ensureAptPackages } from "../../infra/local/apt.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export async function ensureBinary(binary: string, debianPackage: string): Promise<void> {
  if (!existsSync(binary)) await ensureAptPackages([debianPackage], (line) => process.stderr.write(`[${debianPackage}] ${line}\n`));
}

/** Starts `binary` and waits for `url/-/ready`; `stop()` ends it and removes `dir`. */
export async function startDaemon(
  name: string,
  binary: string,
  args: string[],
  url: string,
  dir: string,
): Promise<{ stop(): Promise<void> }> {
  const child = spawn(binary, args, { stdio: "ignore" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not become ready within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
