import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { PolicyLoadingConfig } from "../config/server-config.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import { createBundleVerifier } from "./bundle-signature.js";
import type { BundleSource, BundleSourceKind } from "./bundle-source.js";
import { createDirectorySource } from "./directory-source.js";
import { createFileSource } from "./file-source.js";
import { createHttpBundleSource } from "./http-bundle-source.js";
import { optionalEntrypoints, requiredEntrypoints } from "./prepare-policy.js";

/** Options for {@link createBundleSource}. */
export interface BundleSourceSetup {
  /** A directory, a bundle file or an http(s) URL. */
  location: string;
  kind: BundleSourceKind;
  loading: PolicyLoadingConfig;
  /** The last good downloaded bundle is kept under `<dataDir>/bundles`. */
  dataDir: string;
  opaPath: string;
  logger: Logger;
}

/** The configured source and, when a key is configured, the signature check for its bundles. */
export interface ConfiguredSource {
  source: BundleSource;
  verify: ((files: ReadonlyMap<string, Buffer>) => Promise<unknown>) | undefined;
}

/** Builds the one bundle source the configuration names. */
export async function createBundleSource(setup: BundleSourceSetup): Promise<ConfiguredSource> {
  const { loading, logger } = setup;
  let verify: ConfiguredSource["verify"];
  if (loading.verificationKeyFile) {
    if (setup.kind === "directory") {
      // Sources compiled on this machine carry no signature; refusing beats silently skipping.
      throw new ConfigError(
        "--policy-verification-key needs a signed bundle file or URL, not a Rego directory",
      );
    }
    const publicKey = await readFile(loading.verificationKeyFile, "utf8").catch(() => {
      throw new ConfigError(
        `--policy-verification-key: cannot read ${loading.verificationKeyFile}`,
      );
    });
    const verifier = createBundleVerifier({
      publicKey,
      ...(loading.verificationKeyId ? { keyId: loading.verificationKeyId } : {}),
      ...(loading.verificationScope ? { scope: loading.verificationScope } : {}),
    });
    verify = (files) => verifier.verify(files, setup.location);
  }
  switch (setup.kind) {
    case "directory":
      return {
        verify,
        source: createDirectorySource({
          dir: setup.location,
          opaPath: setup.opaPath,
          entrypoints: requiredEntrypoints,
          optionalEntrypoints,
          watch: loading.watch,
          logger,
        }),
      };
    case "file":
      return { verify, source: createFileSource({ path: setup.location, watch: loading.watch }) };
    case "http":
      return {
        verify,
        source: createHttpBundleSource({
          url: setup.location,
          persistDir: join(setup.dataDir, "bundles"),
          pollIntervalMs: loading.pollMs,
          ...(loading.token ? { headers: { authorization: `Bearer ${loading.token}` } } : {}),
          logger,
        }),
      };
  }
}
