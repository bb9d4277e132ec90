/** The gateway process: config once, the wired app, listen, clean shutdown on a signal. */
import { loadConfig } from "../common/config/env.js";
import { createLogger } from "../common/observability/logger.js";
import { exitOnSignal } from "../common/shutdown.js";
import { createGateway } from "./gateway.js";

const config = loadConfig(process.env);
const logger = createLogger("gateway", config.logLevel);
if (config.http.tokens.length === 0) logger.warn("HINDSIGHT_TOKENS is empty: every authenticated route will answer 401");

const app = await createGateway(config, logger);
await app.listen({ host: config.http.host, port: config.http.port });

exitOnSignal(logger, () => app.close(), 15_000);
