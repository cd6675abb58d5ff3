import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { BundleFetchError, ConfigError, describeError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import {
  describeNetworkError,
  parseBundleUrl,
  readBounded,
  redactUrl,
  requestHeaders,
} from "./bundle-download.js";
import type { BundleOrigin, BundleSource, DeliverBundle, ReportFailure } from "./bundle-source.js";
import { createPersistedBundleStore } from "./persisted-bundle.js";

/** Options for {@link createHttpBundleSource}. */
export interface HttpBundleSourceOptions {
  /**
   * The bundle URL, `http:` or `https:`. Userinfo becomes a Basic `Authorization` header (unless
   * `headers` sets one); userinfo and query are sent but never logged. Required.
   */
  url: string;
  /** Directory in the data dir that keeps the last good bundle; created if missing. Required. */
  persistDir: string;
  /** Time between polls after a success or a 304, with ±10% jitter. Default: 30000. */
  pollIntervalMs?: number;
  /** Delay after the first consecutive failure; doubles with each further one. Default: 1000. */
  minBackoffMs?: number;
  /** Upper bound of the delay between failed polls. Default: 60000. */
  maxBackoffMs?: number;
  /** Limit for a whole request, body included. Default: 10000. */
  requestTimeoutMs?: number;
  /** Largest body accepted; checked while the body streams in. Default: 256 MiB. */
  maxBytes?: number;
  /** Extra request headers, e.g. `Authorization`. Their values are never logged. Default: none. */
  headers?: Record<string, string>;
  /** Receives poll and persistence events. Required. */
  logger: Logger;
  /** The fetch implementation, for tests. Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Source of jitter in [0, 1), for tests. Default: `Math.random`. */
  random?: () => number;
}

const defaults = {
  pollIntervalMs: 30_000,
  minBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  requestTimeoutMs: 10_000,
  maxBytes: 256 * 1024 * 1024,
};

/** The bundle this source delivered last, so unchanged ones are neither fetched nor re-delivered. */
interface Delivered {
  etag: string | undefined;
  sha256: string;
}

/**
 * Creates a source that polls an OPA bundle URL with `If-None-Match` and keeps the last good
 * bundle in `persistDir`, so a restart can serve it while the bundle server is down. After a
 * failure it polls again with exponential backoff and jitter; a success or a 304 resets that.
 */
export function createHttpBundleSource(options: HttpBundleSourceOptions): BundleSource {
  const url = parseBundleUrl(options.url);
  const location = redactUrl(url);
  const settings = {
    pollIntervalMs: options.pollIntervalMs ?? defaults.pollIntervalMs,
    minBackoffMs: options.minBackoffMs ?? defaults.minBackoffMs,
    maxBackoffMs: options.maxBackoffMs ?? defaults.maxBackoffMs,
    requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    maxBytes: options.maxBytes ?? defaults.maxBytes,
  };
  for (const name of Object.keys(defaults) as (keyof typeof defaults)[]) {
    const value = settings[name];
    if (!Number.isFinite(value) || value <= 0)
      throw new ConfigError(`bundle source option ${name} must be a positive number`);
  }
  if (settings.maxBackoffMs < settings.minBackoffMs)
    throw new ConfigError("bundle source option maxBackoffMs must not be below minBackoffMs");
  const baseHeaders = requestHeaders(url, options.headers);
  // fetch refuses URLs with credentials; they travel in the Authorization header instead.
  const requestUrl = new URL(url);
  requestUrl.username = "";
  requestUrl.password = "";
  requestUrl.hash = "";
  // The query selects content as much as the path does, so it is part of the key; the key is a
  // digest so that a token in the query is not written to disk.
  const sourceKey = sha256(Buffer.from(requestUrl.href));
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const log = options.logger.child({ bundleUrl: location });
  const store = createPersistedBundleStore({ dir: options.persistDir, logger: log });

  let started = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let request: AbortController | undefined;
  let work: Promise<void> | undefined;
  let delivered: Delivered | undefined;
  let failures = 0;

  async function deliverSafely(deliver: DeliverBundle, archive: Buffer, origin: BundleOrigin) {
    try {
      return (await deliver(archive, origin)) === true;
    } catch (error) {
      // The contract says deliver never rejects; if it does, treat the bundle as not taken.
      log.error({ err: describeError(error) }, "bundle delivery threw");
      return false;
    }
  }

  async function deliverPersisted(deliver: DeliverBundle): Promise<void> {
    await mkdir(options.persistDir, { recursive: true }).catch((error: unknown) =>
      log.warn({ err: describeError(error) }, "cannot create the bundle persist dir"),
    );
    const saved = await store.load(sourceKey).catch((error: unknown) => {
      log.warn({ err: describeError(error) }, "cannot read the persisted bundle; ignoring it");
      return undefined;
    });
    if (!saved || closed) return;
    const etag = saved.etag;
    log.info({ etag, savedAt: saved.savedAt }, "delivering the persisted copy of the bundle");
    const origin: BundleOrigin = { location, persisted: true, ...(etag ? { etag } : {}) };
    if (await deliverSafely(deliver, saved.archive, origin)) {
      delivered = { etag, sha256: saved.sha256 };
      return;
    }
    // Forgotten entirely, ETag included, so the first poll downloads a fresh copy.
    log.warn("the persisted bundle was rejected; discarding it");
    await store
      .discard()
      .catch((error: unknown) =>
        log.warn({ err: describeError(error) }, "cannot discard the persisted bundle"),
      );
  }

  async function download(): Promise<{ archive: Buffer; etag: string | undefined } | undefined> {
    const controller = new AbortController();
    request = controller;
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, settings.requestTimeoutMs).unref();
    try {
      const headers = new Headers(baseHeaders);
      if (delivered?.etag !== undefined) headers.set("if-none-match", delivered.etag);
      const response = await fetchImpl(requestUrl, { headers, signal: controller.signal });
      if (response.status === 304) {
        await response.body?.cancel().catch(() => undefined);
        return undefined;
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        const status = response.status;
        throw new BundleFetchError(location, `HTTP ${status}`, { status });
      }
      const archive = await readBounded(response, settings.maxBytes, location);
      return { archive, etag: response.headers.get("etag") ?? undefined };
    } catch (error) {
      if (error instanceof BundleFetchError) throw error;
      const problem = timedOut
        ? `no complete response within ${settings.requestTimeoutMs} ms`
        : `network error: ${describeNetworkError(error, [options.url, requestUrl.href], location)}`;
      throw new BundleFetchError(location, problem, { cause: error });
    } finally {
      clearTimeout(timeout);
      request = undefined;
    }
  }

  async function poll(deliver: DeliverBundle, fail: ReportFailure): Promise<void> {
    let fetched: Awaited<ReturnType<typeof download>>;
    try {
      fetched = await download();
    } catch (error) {
      // An abort by close() is not a failure anyone should hear about.
      if (closed) return;
      failures += 1;
      // The loader logs the failure and counts it in status; this line adds the streak.
      log.debug(
        { err: describeError(error), consecutiveFailures: failures },
        "bundle fetch failed",
      );
      try {
        fail(error);
      } catch (reportError) {
        log.error({ err: describeError(reportError) }, "bundle failure report threw");
      }
      return;
    }
    failures = 0;
    if (!fetched) {
      log.debug({ etag: delivered?.etag }, "bundle unchanged (304)");
      return;
    }
    if (closed) return;
    const { archive, etag } = fetched;
    const digest = sha256(archive);
    // Servers without ETags, or with one per replica, resend the same bytes: the loader has
    // already accepted or rejected them, so it is not asked again.
    if (delivered?.sha256 === digest) {
      log.debug({ etag }, "bundle content unchanged; not delivering it again");
      delivered = { etag, sha256: digest };
      return;
    }
    log.info({ etag, bytes: archive.length }, "bundle downloaded");
    const accepted = await deliverSafely(deliver, archive, {
      location,
      ...(etag ? { etag } : {}),
    });
    // Remembered even when rejected: the next poll sends this ETag, so an unchanged bad bundle
    // is answered with a 304 instead of being downloaded and rejected every interval.
    delivered = { etag, sha256: digest };
    if (!accepted) {
      log.debug({ etag }, "bundle rejected; polling only for a newer one");
      return;
    }
    try {
      await store.save(archive, { sourceKey, location, ...(etag ? { etag } : {}) });
    } catch (error) {
      log.warn({ err: describeError(error) }, "cannot persist the bundle; serving it anyway");
    }
  }

  function nextDelay(): number {
    if (failures === 0) return settings.pollIntervalMs * (0.9 + 0.2 * random());
    const base = settings.minBackoffMs * 2 ** Math.min(failures - 1, 30);
    const jittered = base * (0.8 + 0.4 * random());
    return Math.min(settings.maxBackoffMs, Math.max(settings.minBackoffMs, jittered));
  }

  function schedule(deliver: DeliverBundle, fail: ReportFailure): void {
    if (closed) return;
    const delayMs = Math.round(nextDelay());
    log.debug({ delayMs }, "next bundle poll scheduled");
    // Unref'd, like the request timeout: polling alone must not keep the process alive.
    timer = setTimeout(() => {
      timer = undefined;
      work = poll(deliver, fail).finally(() => {
        work = undefined;
        schedule(deliver, fail);
      });
    }, delayMs).unref();
  }

  return {
    kind: "http",
    location,
    async start(deliver, fail) {
      if (started) throw new Error("bundle source already started");
      started = true;
      const first = deliverPersisted(deliver).then(() =>
        closed ? undefined : poll(deliver, fail),
      );
      work = first;
      await first;
      work = undefined;
      schedule(deliver, fail);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      request?.abort();
      await work;
    },
  };
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
