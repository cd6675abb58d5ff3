#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx vigil` works without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../server/src/cli/vigil.ts");
await main();
