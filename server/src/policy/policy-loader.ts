import type { Logger } from "../logging/logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { type PolicyBundle, readBundle } from "./bundle-reader.js";
import type { BundleOrigin, BundleSource } from "./bundle-source.js";
import type { PolicyEngine } from "./policy-engine.js";

/** Options for {@link createPolicyLoader}. */
export interface PolicyLoaderOptions {
  source: BundleSource;
  engine: PolicyEngine;
  logger: Logger;
  /** Default: not recorded. */
  metrics?: Metrics | undefined;
  /**
   * Checks a bundle's files before anything in it is parsed or run (signature verification).
   * Default: none; bundles are trusted as read.
   */
  verify?: ((files: ReadonlyMap<string, Buffer>) => Promise<unknown>) | undefined;
}

/** Connects a bundle source to the engine: every candidate is read, verified and loaded. */
export interface PolicyLoader {
  /** Starts the source; resolves after its first attempt (see {@link BundleSource.start}). */
  start(): Promise<void>;
  /** Stops the source and waits for a load in progress to finish. */
  close(): Promise<void>;
}

/**
 * Creates the loader. Candidates are loaded one at a time, in the order the source delivers
 * them, so a slow load can never be overtaken by an older bundle and swap it back in.
 */
export function createPolicyLoader(options: PolicyLoaderOptions): PolicyLoader {
  const { source, engine, logger, metrics } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const record = (result: "ok" | "rejected") => {
    metrics?.policyLoads.inc({ source_kind: source.kind, result });
    metrics?.policyLastLoad.set({ result }, Date.now() / 1000);
  };

  const deliver = (archive: Buffer, origin: BundleOrigin) =>
    serially(async () => {
      let bundle: PolicyBundle;
      try {
        bundle = await readBundle(archive, origin.location, { verify: options.verify });
      } catch (error) {
        engine.recordFailure(origin.location, error);
        record("rejected");
        return false;
      }
      const previous = engine.active();
      try {
        const info = await engine.load(bundle);
        record("ok");
        if (previous)
          metrics?.policyActive.remove({ revision: previous.revision, source_kind: source.kind });
        metrics?.policyActive.set({ revision: info.revision, source_kind: source.kind }, 1);
        if (origin.persisted)
          logger.warn(
            { revision: info.revision },
            "serving the persisted copy of the last good bundle",
          );
        return true;
      } catch {
        // load() has recorded and logged why; the previous bundle keeps serving.
        record("rejected");
        return false;
      }
    });

  const fail = (error: unknown) => {
    engine.recordFailure(source.location, error);
    record("rejected");
  };

  return {
    start: () => source.start(deliver, fail),
    async close() {
      await source.close();
      await queue;
    },
  };
}
