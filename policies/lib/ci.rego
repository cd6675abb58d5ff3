# CI jobs and deploy secrets: a CI job may use a deploy secret only from a protected branch of
# the repository the secret belongs to.
#
# The job's identity is `input.principal.attributes.repository` ("acme/api") and `.ref`
# ("refs/heads/main"), as a CI OIDC token states them. A secret is a deploy secret when its
# reference is labelled `kind: deploy` (its repository in label `repository`), or when the
# resource is a secret with attributes `kind: deploy` (its repository in attribute
# `repository`). Protected refs per repository are in `data.vigil.ci.protected_branches`; a
# repository not listed there has `data.vigil.ci.default_protected_branches`, else
# ["refs/heads/main"].
package vigil.lib.ci

import rego.v1

job if input.principal.kind == "ci_job"

repository := object.get(input.principal.attributes, "repository", "")

ref := object.get(input.principal.attributes, "ref", "")

# Protected ref patterns of repository repo. Globs with `/` as separator: `refs/heads/release/*`
# matches refs/heads/release/1.2 but not refs/heads/release/1.2/hotfix.
protected_refs(repo) := object.get(ci_data, ["protected_branches", repo], default_protected_refs)

default_protected_refs := object.get(ci_data, "default_protected_branches", ["refs/heads/main"])

ci_data := data.vigil.ci if {
	is_object(data.vigil.ci)
} else := {}

protected(repo, r) if {
	some pattern in protected_refs(repo)
	glob.match(pattern, ["/"], r)
}

# The job runs from a protected ref of its own repository: its code was reviewed and merged.
on_protected_ref if {
	job
	repository != ""
	protected(repository, ref)
}

# Deploy secrets the request would use, as {"name", "repository"}; repository "" when unknown.
deploy_secrets contains {"name": s.name, "repository": object.get(s.labels, "repository", "")} if {
	some s in input.secrets
	s.labels.kind == "deploy"
}

deploy_secrets contains {"name": input.resource.id, "repository": object.get(input.resource.attributes, "repository", "")} if {
	input.resource.kind == "secret"
	input.resource.attributes.kind == "deploy"
}

# The job's resource belongs to its own repository, or names none.
own_resource if object.get(input.resource.attributes, "repository", repository) == repository

# A CI job trusted to act on production without a human: it runs from a protected ref of its
# own repository and touches only that repository's resources.
trusted_job if {
	on_protected_ref
	own_resource
}

deny_reasons contains {
	"code": "ci_identity_incomplete",
	"message": sprintf("CI job %s asks for deploy secret %s but does not state its repository and ref", [input.principal.id, s.name]),
} if {
	job
	some s in deploy_secrets
	"" in {repository, ref}
}

deny_reasons contains {
	"code": "ci_other_repository",
	"message": sprintf("deploy secret %s belongs to repository \"%s\", not to %s, the CI job's repository", [s.name, s.repository, repository]),
} if {
	job
	ref != ""
	repository != ""
	some s in deploy_secrets
	s.repository != repository
}

deny_reasons contains {
	"code": "ci_wrong_branch",
	"message": sprintf("deploy secret %s may be used only from %s of %s, not from %s", [s.name, concat(" or ", protected_refs(repository)), repository, ref]),
} if {
	job
	ref != ""
	repository != ""
	some s in deploy_secrets
	s.repository == repository
	not protected(repository, ref)
}
