/** Which kind of place a bundle comes from; also the `source_kind` label on metrics. */
export type BundleSourceKind = "directory" | "file" | "http";

/**
 * Hands a candidate bundle (OPA `.tar.gz` bytes) to the policy loader. Resolves `true` when
 * the bundle was verified, loaded and made active, `false` when it was rejected (the loader
 * has already logged and recorded why). Never rejects.
 */
export type DeliverBundle = (archive: Buffer, origin: BundleOrigin) => Promise<boolean>;

/** Reports a failure that happened before there was a bundle to deliver (compile, fetch). */
export type ReportFailure = (error: unknown) => void;

/** Where a delivered archive came from, for logs, status and persistence decisions. */
export interface BundleOrigin {
  /** A path or URL. */
  location: string;
  /** The HTTP ETag the archive was served with, when there was one. */
  etag?: string;
  /** True when the archive is the copy persisted in the data dir, not a fresh download. */
  persisted?: boolean;
}

/**
 * A place policy bundles come from: a Rego directory, a bundle file or an HTTP(S) URL.
 * Exactly one source is active in a server. A source watches or polls on its own and delivers
 * each new candidate; it never decides whether a bundle is acceptable.
 */
export interface BundleSource {
  readonly kind: BundleSourceKind;
  /** The path or URL, as configured. */
  readonly location: string;
  /**
   * Produces the first candidate (or reports why there is none), then keeps watching or
   * polling in the background. Resolves once the first attempt has finished, so startup can
   * report whether a policy is active.
   */
  start(deliver: DeliverBundle, fail: ReportFailure): Promise<void>;
  /** Stops watching or polling; resolves when no further delivery can happen. */
  close(): Promise<void>;
}
