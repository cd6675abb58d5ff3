#!/usr/bin/env node
// The CLI: from the build in dist/ when it is fresh, else from the TypeScript sources through
// tsx, so `npx vigil` works without a build step (see load-entry.js).
import { importEntry } from "./load-entry.js";

const { main } = await importEntry("server/src/cli/vigil.ts");
await main();
