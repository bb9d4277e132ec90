/**
 * Small helpers for the processes the project starts on this machine: pid files, detached
 * spawning with logs to a file, waiting, stopping, and running installers with progress.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname } from "node:path";

export type Log = (line: string) => void;

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function spawnDetached(
  command: string,
  args: string[],
  options: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], env: options.env ?? process.env, cwd: options.cwd });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. True if something was running. */
export async function stopPid(pidFile: string, graceMs = 30_000): Promise<boolean> {
  const pid = readPid(pidFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Polls `ready` until it answers true, the process died, or the time is up. */
export async function waitFor(
  what: string,
  ready: () => Promise<boolean>,
  options: { timeoutMs: number; pid?: number; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    if (options.pid !== undefined && !isAlive(options.pid)) throw new Error(`${what} exited during start-up${tail(options.logFile)}`);
    await sleep(250);
  }
  throw new Error(`${what} was not ready after ${options.timeoutMs / 1000} s${tail(options.logFile)}`);
}

function tail(logFile: string | undefined): string {
  if (!logFile || !existsSync(logFile)) return "";
  const lines = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-15);
  return `; last lines of ${logFile}:\n${lines.join("\n")}`;
}

export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * Runs an installer or downloader, showing one progress line per `progressEvery` matching output
 * lines instead of its full output, which is kept for the error message if it fails.
 */
export function runWithProgress(
  command: string,
  args: string[],
  options: { label: string; log: Log; progress: RegExp; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env, cwd: options.cwd });
    const output: string[] = [];
    let steps = 0;
    let lastShown = 0;
    const started = Date.now();
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (line.trim() === "") continue;
        output.push(line);
        if (output.length > 200) output.shift();
        if (options.progress.test(line)) {
          steps++;
          if (Date.now() - lastShown > 2_000) {
            lastShown = Date.now();
            options.log(`${options.label}: ${steps} steps done, ${Math.round((Date.now() - started) / 1000)} s`);
          }
        }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => reject(new Error(`${options.label}: could not run ${command}: ${err.message}`)));
    child.on("close", (code) => {
      if (code === 0) {
        options.log(`${options.label}: done (${steps} steps, ${Math.round((Date.now() - started) / 1000)} s)`);
        resolve();
      } else reject(new Error(`${options.label} failed (exit ${code}):\n${output.slice(-30).join("\n")}`));
    });
  });
}
