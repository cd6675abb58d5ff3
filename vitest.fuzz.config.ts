import { defineConfig } from "vitest/config";

// `npm run fuzz`: the RPC fuzzer, apart from `npm test` until the sporadic HTTP/2 reset it
// finds is explained and fixed (issue 8). Same global setup as the tests: the default policy compiled once by opa.
export default defineConfig({
  test: {
    include: ["test/fuzz/**/*.fuzz.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
