package vigil.lib.ci_test

import data.vigil.lib.ci
import rego.v1

test_default_protected_branch_is_main if {
	ci.protected("acme/api", "refs/heads/main")
	not ci.protected("acme/api", "refs/heads/develop")
}

test_default_is_main_even_without_ci_data if {
	ci.protected("acme/api", "refs/heads/main") with data.vigil.ci as null
	not ci.protected("acme/api", "refs/heads/dev") with data.vigil.ci as null
}

test_repository_specific_globs_use_slash_as_separator if {
	ci.protected("acme/payments", "refs/heads/release/2026.03")
	not ci.protected("acme/payments", "refs/heads/release/2026.03/hotfix")
	not ci.protected("acme/api", "refs/heads/release/2026.03")
}

test_default_protected_branches_come_from_data if {
	ci.protected("acme/api", "refs/heads/trunk") with data.vigil.ci.default_protected_branches as ["refs/heads/trunk"]
}

test_deploy_secrets_come_from_labels_and_from_the_resource if {
	inp := {
		"principal": {"id": "x", "kind": "ci_job", "groups": [], "attributes": {}},
		"resource": {"kind": "secret", "id": "prod/key", "attributes": {"kind": "deploy", "repository": "acme/web"}},
		"secrets": [
			{"name": "A", "store": "vault", "labels": {"kind": "deploy", "repository": "acme/api"}},
			{"name": "B", "store": "vault", "labels": {"kind": "deploy"}},
			{"name": "C", "store": "vault", "labels": {}},
		],
	}
	ci.deploy_secrets == {
		{"name": "A", "repository": "acme/api"},
		{"name": "B", "repository": ""},
		{"name": "prod/key", "repository": "acme/web"},
	} with input as inp
}
