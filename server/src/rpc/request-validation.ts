import { type Principal, PrincipalKind, type Resource } from "../../../gen/vigil/v1/common_pb.js";
import { InvalidInputError } from "../errors.js";

/** Requires a principal with an id and a kind. `field` is the proto path used in errors. */
export function requirePrincipal(principal: Principal | undefined, field: string): Principal {
  if (!principal) throw new InvalidInputError(field, "is required");
  requireText(principal.id, `${field}.id`);
  if (principal.kind === PrincipalKind.UNSPECIFIED) {
    throw new InvalidInputError(`${field}.kind`, "is required (user, service, ci_job or agent)");
  }
  if (!(principal.kind in PrincipalKind)) {
    throw new InvalidInputError(`${field}.kind`, `unknown value ${principal.kind}`);
  }
  return principal;
}

/** Requires a resource with a kind. */
export function requireResource(resource: Resource | undefined, field: string): Resource {
  if (!resource) throw new InvalidInputError(field, "is required");
  requireText(resource.kind, `${field}.kind`);
  return resource;
}

/** Requires a non-blank string. */
export function requireText(value: string, field: string): string {
  if (value.trim() === "") throw new InvalidInputError(field, "is required");
  return value;
}
