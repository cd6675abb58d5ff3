import { create } from "@bufbuild/protobuf";
import { ContentKind, PrincipalKind } from "../../gen/vigil/v1/common_pb.js";
import {
  type AuthorizeRequest,
  AuthorizeRequestSchema,
} from "../../gen/vigil/v1/policy_service_pb.js";

/** A CI job whose identity `policies/data.json` lists as offboarded, asking for a deploy key. */
export function offboardedCiJob(): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: { id: "repo:acme/legacy-billing:ref:refs/heads/main", kind: PrincipalKind.CI_JOB },
    action: "secret.read",
    resource: { kind: "secret", id: "prod/deploy-key", attributes: { environment: "production" } },
    secrets: [{ name: "DEPLOY_KEY", store: "github-actions" }],
  });
}

/** An agent asking to delete a production namespace. */
export function destructiveAgentCommand(): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: { id: "agent:deploy-bot", kind: PrincipalKind.AGENT, groups: ["agents"] },
    action: "tool.call",
    resource: { kind: "k8s-cluster", id: "main", attributes: { environment: "production" } },
    contents: [
      {
        kind: ContentKind.COMMAND,
        body: { case: "text", value: "kubectl delete namespace payments" },
      },
    ],
    sessionId: "run-42",
  });
}

/** A developer reading a staging secret. */
export function ordinaryRead(): AuthorizeRequest {
  return create(AuthorizeRequestSchema, {
    principal: { id: "alice@example.com", kind: PrincipalKind.USER, groups: ["dev"] },
    action: "secret.read",
    resource: { kind: "secret", id: "staging/db-password", attributes: { environment: "staging" } },
    secrets: [{ name: "DB_PASSWORD", store: "vault" }],
  });
}
