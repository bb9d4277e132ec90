/** Processor child processes for the fault scenarios: the real entry point, or the crashing one. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { ROOT } from "../../infra/local/paths.js";

export function spawnProcessor(env: Record<string, string>, options: { crashAfterInserts?: number } = {}): ChildProcess {
  const entry = options.crashAfterInserts === undefined ? "services/processor/main.ts" : "test/faults/crashing-processor.ts";
  const extra = options.crashAfterInserts === undefined ? {} : { FAULT_CRASH_AFTER_INSERTS: String(options.crashAfterInserts) };
  return spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...extra },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** SIGKILL (kill -9) and wait for the exit; a no-op for a process that has already exited. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

export async function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** The child's exit; a child still running after `timeoutMs` is killed and the wait fails, naming the wait. */
export async function exited(child: ChildProcess, what: string, timeoutMs = 120_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    await Promise.race([once(child, "exit"), late]);
  } catch (err) {
    await killHard(child);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
