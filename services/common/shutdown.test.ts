import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

const here = new URL(".", import.meta.url).pathname;

/** Runs a process that installs exitOnSignal with `stop`, sends it SIGTERM once ready, and resolves with its exit code and output. */
function runWithStop(stop: string, graceMs: number): Promise<{ code: number | null; output: string }> {
  const script = `
    import { exitOnSignal } from "./shutdown.ts";
    const logger = { info: (o, m) => console.log(m), error: (o, m) => console.log(m, o.err.message) };
    exitOnSignal(logger, ${stop}, ${graceMs});
    console.log("ready");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: here });
  let output = "";
  return new Promise((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes("ready") && !output.includes("shutting down")) child.kill("SIGTERM");
    });
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("exitOnSignal", () => {
  it("stops once and exits 0", async () => {
    const { code, output } = await runWithStop(`async () => console.log("stopped")`, 5_000);
    expect(code).toBe(0);
    expect(output).toMatch(/shutting down\nstopped/);
  }, 20_000);

  it("exits 1 when stopping fails, saying why", async () => {
    const { code, output } = await runWithStop(`async () => { throw new Error("broker gone"); }`, 5_000);
    expect(code).toBe(1);
    expect(output).toMatch(/shutdown failed broker gone/);
  }, 20_000);

  it("exits 1 when stopping outlasts the grace period", async () => {
    const { code } = await runWithStop(`() => new Promise(() => {})`, 300);
    expect(code).toBe(1);
  }, 20_000);
});
