import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import type * as http from "node:http";
import { extname, join } from "node:path";
import type { HttpRoute } from "./http-route.js";

/** Options for {@link createConsoleRoute}. */
export interface ConsoleRouteOptions {
  /** Directory of the console's static files (`server/console`); read once, at start. */
  assetsDir: string;
  /** URL path the console is served under. Default `/console`. */
  basePath?: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

// The console holds a reviewer's token: no inline script, no third-party origin, no framing.
const securityHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  // Revalidate on every load (with the ETag) so an upgraded server never serves a stale script.
  "cache-control": "no-cache",
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Serves the reviewer console: its static files under `<basePath>/assets/`, and `index.html`
 * for every other path under `<basePath>` (the page routes itself, so `/console/approvals/<id>`
 * links from notifications open directly). The console talks to the same RPCs as every other
 * client, with the reviewer's token; this route serves only files, never data.
 */
export async function createConsoleRoute(options: ConsoleRouteOptions): Promise<HttpRoute> {
  const base = options.basePath ?? "/console";
  const assets = new Map<string, Asset>();
  for (const name of await readdir(options.assetsDir)) {
    const type = contentTypes[extname(name)];
    if (!type) continue;
    const body = await readFile(join(options.assetsDir, name));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  const page = assets.get("index.html");
  if (!page) throw new Error(`the console has no index.html in ${options.assetsDir}`);

  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    const response = res as http.ServerResponse;
    if (req.method !== "GET" && req.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
      response.end("the console is read with GET\n");
      return true;
    }
    const assetPrefix = `${base}/assets/`;
    const asset = path.startsWith(assetPrefix) ? assets.get(path.slice(assetPrefix.length)) : page;
    if (!asset) {
      response.writeHead(404, { "content-type": "text/plain", ...securityHeaders });
      response.end("no such console file\n");
      return true;
    }
    const headers = { ...securityHeaders, etag: asset.etag };
    if (req.headers["if-none-match"] === asset.etag) {
      response.writeHead(304, headers);
      response.end();
      return true;
    }
    response.writeHead(200, {
      ...headers,
      "content-type": asset.type,
      "content-length": asset.body.length,
    });
    response.end(req.method === "HEAD" ? undefined : asset.body);
    return true;
  };
}
