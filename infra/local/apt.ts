/** Installs Debian packages when a tool the embedded stack needs is missing (as root, non-interactive). */
import { runWithProgress, type Log } from "./process.js";

let updated = false;

export async function ensureAptPackages(packages: string[], log: Log): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${packages.join(", ")}: install with 'sudo apt-get install -y ${packages.join(" ")}' (or point the configuration at existing services)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!updated) {
    await runWithProgress("apt-get", ["update"], { label: "apt-get update", log, progress: /^(Get|Hit):/, env });
    updated = true;
  }
  log(`installing ${packages.join(", ")} from Debian's packages`);
  await runWithProgress("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
    label: `apt-get install ${packages.join(" ")}`,
    log,
    progress: /^(Get:|Unpacking|Setting up)/,
    env,
  });
}
