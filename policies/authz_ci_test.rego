# CI jobs: offboarded identities, and deploy secrets only from a protected branch of the job's
# own repository.
package vigil.authz_test

import data.vigil.authz
import rego.v1

ci_job(repository, ref) := {
	"id": sprintf("repo:%s:ref:%s", [repository, ref]),
	"kind": "ci_job",
	"groups": [],
	"attributes": {"repository": repository, "ref": ref, "workflow": "deploy.yml"},
}

deploy_key(repository) := {"name": "DEPLOY_KEY", "store": "github-actions", "labels": {"kind": "deploy", "repository": repository}}

prod_secret(id) := {"kind": "secret", "id": id, "attributes": {"environment": "production"}}

ci_deploy(repository, ref, secret_repository) := with_input({
	"principal": ci_job(repository, ref),
	"resource": prod_secret("prod/deploy-key"),
	"secrets": [deploy_key(secret_repository)],
})

test_offboarded_ci_job_is_denied_every_secret if {
	every secrets in [
		[deploy_key("acme/legacy-billing")],
		[{"name": "NPM_TOKEN", "store": "github-actions", "labels": {}}],
		[],
	] {
		inp := object.union(offboarded_ci_job, {"secrets": secrets})
		d := authz.decision with input as inp
		d.decision == "deny"
		"offboarded_identity" in codes(d)
	}
}

test_offboarded_identity_stays_denied_on_its_protected_branch if {
	inp := object.union(ci_deploy("acme/legacy-billing", "refs/heads/main", "acme/legacy-billing"), {"principal": {"id": "repo:acme/legacy-billing:ref:refs/heads/main"}})
	d := authz.decision with input as inp
	codes(d) == ["offboarded_identity"]
}

test_offboarded_identity_is_not_saved_by_an_approval_grant if {
	inp := object.union(offboarded_ci_job, {"grant": valid_grant})
	d := authz.decision with input as inp with time.now_ns as now_ns
	d.decision == "deny"
}

test_ci_job_deploys_its_own_repository_from_main if {
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/main", "acme/api")
	d.decision == "allow"
	codes(d) == ["allowed"]
}

test_ci_job_deploys_from_a_release_branch_its_repository_protects if {
	d := authz.decision with input as ci_deploy("acme/payments", "refs/heads/release/2026.03", "acme/payments")
	d.decision == "allow"
}

test_ci_job_on_a_feature_branch_is_denied_the_deploy_secret if {
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/feature/login", "acme/api")
	d.decision == "deny"
	codes(d) == ["ci_wrong_branch"]
	d.reasons[0].message == "deploy secret DEPLOY_KEY may be used only from refs/heads/main of acme/api, not from refs/heads/feature/login"
}

test_protected_branches_are_per_repository if {
	# release/* is protected in acme/payments only; main is the default everywhere else.
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/release/2026.03", "acme/api")
	codes(d) == ["ci_wrong_branch"]
}

test_release_glob_does_not_reach_into_sub_branches if {
	d := authz.decision with input as ci_deploy("acme/payments", "refs/heads/release/2026.03/hotfix", "acme/payments")
	codes(d) == ["ci_wrong_branch"]
}

test_pull_request_refs_and_tags_are_not_protected_by_default if {
	every ref in ["refs/pull/42/merge", "refs/tags/v1.2.3", "refs/heads/mainline", "main"] {
		d := authz.decision with input as ci_deploy("acme/api", ref, "acme/api")
		codes(d) == ["ci_wrong_branch"]
	}
}

test_ci_job_is_denied_another_repositorys_deploy_secret if {
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/main", "acme/payments")
	d.decision == "deny"
	codes(d) == ["ci_other_repository"]
}

test_deploy_secret_without_a_repository_belongs_to_no_job if {
	inp := object.union(ci_deploy("acme/api", "refs/heads/main", "acme/api"), {"secrets": [{"name": "DEPLOY_KEY", "store": "vault", "labels": {"kind": "deploy"}}]})
	d := authz.decision with input as inp
	codes(d) == ["ci_other_repository"]
}

test_other_repository_on_a_feature_branch_gives_only_the_repository_reason if {
	d := authz.decision with input as ci_deploy("acme/api", "refs/heads/feature/x", "acme/payments")
	codes(d) == ["ci_other_repository"]
}

test_deploy_secret_can_be_the_resource_itself if {
	resource := {"kind": "secret", "id": "prod/api-deploy-key", "attributes": {"environment": "production", "kind": "deploy", "repository": "acme/api"}}
	own := with_input({"principal": ci_job("acme/api", "refs/heads/main"), "resource": resource, "secrets": []})
	other := with_input({"principal": ci_job("acme/web", "refs/heads/main"), "resource": resource, "secrets": []})
	branch := with_input({"principal": ci_job("acme/api", "refs/heads/dev"), "resource": resource, "secrets": []})
	authz.decision.decision == "allow" with input as own
	codes(authz.decision) == ["ci_other_repository"] with input as other
	codes(authz.decision) == ["ci_wrong_branch"] with input as branch
}

test_ci_job_that_does_not_state_repository_and_ref_is_denied_deploy_secrets if {
	inp := object.union(ci_deploy("acme/api", "refs/heads/main", "acme/api"), {"principal": {"attributes": {"repository": "", "ref": ""}}})
	d := authz.decision with input as inp
	codes(d) == ["ci_identity_incomplete"]
}

test_ci_job_may_read_ordinary_secrets_from_any_branch if {
	inp := with_input({"principal": ci_job("acme/api", "refs/heads/feature/x"), "secrets": [{"name": "NPM_TOKEN", "store": "github-actions", "labels": {}}]})
	d := authz.decision with input as inp
	d.decision == "allow"
}

test_deploy_rule_applies_only_to_ci_jobs if {
	inp := object.union(ci_deploy("acme/api", "refs/heads/feature/x", "acme/api"), {"principal": {"id": "alice@example.com", "kind": "user"}})
	d := authz.decision with input as inp
	d.decision == "allow"
}
