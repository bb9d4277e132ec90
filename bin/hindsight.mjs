#!/usr/bin/env node
// The `hindsight` command. The project runs its TypeScript directly through tsx, so there is no
// build step between a clone and a running system.
import { register } from "tsx/esm/api";

register();
await import("../services/cli/main.ts");
