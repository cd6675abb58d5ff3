/**
 * The no-op floor: Vigil's server stack (`createVigilServer`, the Connect adapter, h2c and
 * HTTP/1.1 on one port) with a PolicyService whose Authorize answers an empty response at
 * once, without interceptors, policy or audit. Run as its own process by `noop-process.ts`;
 * prints `{"msg":"listening","port":N}` once bound, like `vigil serve`.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { AuthorizeResponseSchema, PolicyService } from "../../gen/vigil/v1/policy_service_pb.js";
import { createLogger } from "../../server/src/logging/logger.js";
import { createVigilServer } from "../../server/src/server/vigil-server.js";

const logger = createLogger({ level: "warn" });
const server = await createVigilServer({
  routes: (router: ConnectRouter) => {
    router.service(PolicyService, { authorize: () => create(AuthorizeResponseSchema) });
  },
  // The same bound `vigil serve` uses by default, so request parsing is configured alike.
  maxMessageBytes: 4 * 1024 * 1024,
  logger,
});
const address = await server.listen("127.0.0.1", 0);
console.log(JSON.stringify({ msg: "listening", port: address.port }));
process.once("SIGTERM", () => {
  void server.close(1_000).then(() => process.exit(0));
});
