import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root (where package.json is). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Downloads kept between runs (git-ignored): Kafka jars. */
export const CACHE_DIR = join(ROOT, ".cache");
/** Default state of the embedded stack (git-ignored): data, logs, pid files, the dev token. */
export const DEFAULT_HOME = join(ROOT, ".hindsight");
