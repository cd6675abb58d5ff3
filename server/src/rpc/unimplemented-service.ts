import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * A handler set for a service whose contract is published but whose implementation has not
 * landed: every method answers `Unimplemented` naming the method, for every protocol.
 */
export function createUnimplementedService(service: DescService) {
  const impl: Record<string, () => never> = {};
  for (const method of service.methods) {
    impl[method.localName] = () => {
      throw new ConnectError(
        `${service.typeName}.${method.name} is not available in this version of Vigil`,
        Code.Unimplemented,
      );
    };
  }
  return impl;
}
