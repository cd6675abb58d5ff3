package vigil.lib.commands_test

import data.vigil.lib.commands
import rego.v1

command(text) := [{"kind": "command", "name": "", "text": text}]

# Each destructive command, and the pattern that should catch it.
destructive_cases := {
	# SQL
	"DROP TABLE users": "sql.drop",
	"drop table if exists users;": "sql.drop",
	"DROP\n\tTABLE   users": "sql.drop",
	"drop database billing": "sql.drop",
	"DROP SCHEMA public CASCADE": "sql.drop",
	"TRUNCATE users": "sql.truncate",
	"truncate table audit.events": "sql.truncate",
	"DELETE FROM users": "sql.delete_without_where",
	"delete from users;": "sql.delete_without_where",
	"DELETE FROM users RETURNING *": "sql.delete_without_where",
	"BEGIN; DELETE FROM orders; COMMIT;": "sql.delete_without_where",
	"DELETE FROM users WHERE 1=1": "sql.delete_without_where",
	"delete from users where true;": "sql.delete_without_where",
	"psql -c 'DELETE FROM users'": "sql.delete_without_where",
	# rm
	"rm -rf /": "shell.rm_root",
	"rm -fr /": "shell.rm_root",
	"rm -Rf /": "shell.rm_root",
	"rm -r -f /": "shell.rm_root",
	"rm --recursive --force /": "shell.rm_root",
	"sudo rm -rf /*": "shell.rm_root",
	"sudo  RM  -RF  /": "shell.rm_root",
	"cd /tmp && rm -rf / ; echo done": "shell.rm_root",
	"rm -rf \"/\"": "shell.rm_root",
	"rm -rf /etc": "shell.rm_root",
	"rm -rf /var/*": "shell.rm_root",
	"rm -rf ~": "shell.rm_root",
	"rm -rf $HOME/": "shell.rm_root",
	"/bin/rm -rf /": "shell.rm_root",
	"rm -rf --no-preserve-root /": "shell.rm_no_preserve_root",
	"rm --no-preserve-root -rf /mnt/../": "shell.rm_no_preserve_root",
	# terraform
	"terraform destroy": "terraform.destroy",
	"terraform destroy -auto-approve -target=aws_db_instance.main": "terraform.destroy",
	"terraform -chdir=infra/prod destroy": "terraform.destroy",
	"tofu destroy": "terraform.destroy",
	"terraform apply -destroy": "terraform.apply_destroy",
	"terraform apply -auto-approve -destroy": "terraform.apply_destroy",
	# buckets
	"aws s3 rb s3://prod-logs --force": "storage.aws_s3_rb",
	"aws s3 rm s3://prod-logs --recursive": "storage.aws_s3_rm_recursive",
	"aws --profile prod s3api delete-bucket --bucket prod-logs": "storage.aws_s3api_delete_bucket",
	"aws s3api delete-bucket --bucket prod-logs": "storage.aws_s3api_delete_bucket",
	"gsutil rm -r gs://prod-logs": "storage.gsutil_rm_recursive",
	"gsutil -m rm -r gs://prod-logs/**": "storage.gsutil_rm_recursive",
	"gsutil rm -a -R gs://prod-logs": "storage.gsutil_rm_recursive",
	"gsutil rb gs://prod-logs": "storage.gsutil_rb",
	"gsutil -o GSUtil:parallel_process_count=8 -m rm -r gs://prod-logs": "storage.gsutil_rm_recursive",
	"gcloud storage rm -r gs://prod-logs": "storage.gcloud_rm_recursive",
	"gcloud storage rm --recursive gs://prod-logs/": "storage.gcloud_rm_recursive",
	"gcloud storage buckets delete gs://prod-logs": "storage.gcloud_buckets_delete",
	"gcloud --project prod storage rm -r gs://prod-logs": "storage.gcloud_rm_recursive",
	"az storage container delete --name prod-logs": "storage.az_delete",
	"az storage account delete -n prodlogs -g rg": "storage.az_delete",
	"az --subscription prod storage container delete -n logs": "storage.az_delete",
	# kubernetes
	"kubectl delete namespace payments": "k8s.delete",
	"kubectl delete ns payments": "k8s.delete",
	"kubectl --context prod delete namespace payments": "k8s.delete",
	"kubectl -n payments delete statefulset postgres": "k8s.delete",
	"KUBECTL DELETE NAMESPACE payments": "k8s.delete",
	"kubectl delete namespace/payments": "k8s.delete",
}

test_destructive_commands_match_their_pattern if {
	every text, id in destructive_cases {
		id in commands.matches(text)
	}
}

test_destructive_commands_are_destructive_as_command_content if {
	every text, _ in destructive_cases {
		commands.destructive(command(text))
	}
}

test_every_pattern_has_a_case if {
	ids := {id | some id, _ in commands.destructive_patterns} | {"sql.delete_without_where"}
	ids == {id | some _, id in destructive_cases}
}

safe_commands := [
	# SQL that reads, or deletes with a condition
	"SELECT * FROM users",
	"select * from dropped_tables",
	"SELECT drop_table_count FROM stats",
	"SELECT * FROM truncated_logs",
	"DELETE FROM users WHERE id = 42",
	"delete from sessions\nwhere expires_at < now();",
	"DELETE FROM users WHERE id IN (1, 2)",
	"CREATE TABLE drops (id int)",
	"ALTER TABLE users ADD COLUMN dropped_at timestamptz",
	# shell
	"rm -rf /tmp/build",
	"rm -rf ./node_modules",
	"rm -rf build/",
	"rm /etc/nginx/sites-enabled/default",
	"rm -f /tmp/lock",
	"truncate -s 0 /var/log/app.log",
	"ls -la /",
	"echo rm",
	"grep -r format /",
	# terraform
	"terraform plan",
	"terraform plan -destroy",
	"terraform apply",
	"terraform state list",
	# buckets
	"aws s3 ls s3://prod-logs",
	"aws s3 rm s3://prod-logs/tmp/one-file.txt",
	"aws s3 cp ./report.csv s3://prod-logs/",
	"gsutil ls gs://prod-logs",
	"gsutil rm gs://prod-logs/one-file.txt",
	"gcloud storage ls gs://prod-logs",
	"gcloud storage rm gs://prod-logs/one-file.txt --project=prod",
	"az storage container list",
	# kubernetes
	"kubectl get pods -n payments",
	"kubectl get namespace payments",
	"kubectl describe ns payments",
	"kubectl delete pod payments-7d9f",
	"kubectl logs deploy/payments | grep delete",
]

test_read_only_and_narrow_commands_are_not_destructive if {
	every text in safe_commands {
		count(commands.matches(text)) == 0
	}
}

test_string_literal_mentioning_drop_table_is_a_tolerated_false_positive if {
	# Documented: the patterns do not parse SQL, so a literal can trip them.
	"sql.drop" in commands.matches("SELECT 'drop table' AS example")
}

test_commands_arrive_as_text_of_command_sql_or_tool_call if {
	every kind in ["command", "sql", "tool_call"] {
		commands.destructive([{"kind": kind, "name": "", "text": "DROP TABLE users"}])
	}
}

test_other_content_kinds_are_not_inspected if {
	every kind in ["prompt", "completion", "log", "trace", "tool_result", "http_body", "unspecified"] {
		not commands.destructive([{"kind": kind, "name": "", "text": "DROP TABLE users"}])
	}
}

test_json_tool_call_arguments_are_walked if {
	call := {"kind": "tool_call", "name": "run_sql", "json": {"name": "run_sql", "arguments": {"query": "DROP TABLE users"}}}
	commands.findings([call]) == {"sql.drop"}
}

test_json_tool_call_arguments_nested_in_lists_are_walked if {
	call := {"kind": "tool_call", "name": "", "json": {"tool": "shell", "args": {"steps": [{"run": "ls"}, {"run": "sudo rm -rf /*"}]}}}
	commands.findings([call]) == {"shell.rm_root"}
}

test_json_encoded_arguments_string_is_decoded_and_walked if {
	# OpenAI tool calls carry `arguments` as a JSON string; the newline is escaped inside it.
	call := {"kind": "tool_call", "name": "", "json": {"name": "run_sql", "arguments": "{\"query\":\"DELETE FROM users\\n\"}"}}
	"sql.delete_without_where" in commands.findings([call])
}

test_json_encoded_arguments_are_read_as_decoded_text if {
	# Inside the encoded string, "\nwhere" is backslash, n, where: no word boundary before
	# WHERE. Decoded, the DELETE has its WHERE.
	call := {"kind": "tool_call", "name": "", "json": {"arguments": "{\"query\":\"delete from sessions\\nwhere expires_at < now()\"}"}}
	not commands.destructive([call])
}

test_json_tool_call_that_reads_is_not_destructive if {
	call := {"kind": "tool_call", "name": "run_sql", "json": {"name": "run_sql", "arguments": {"query": "SELECT * FROM dropped_tables"}}}
	not commands.destructive([call])
}

test_findings_collect_every_pattern_across_items if {
	items := array.concat(command("terraform destroy"), [{"kind": "sql", "name": "", "text": "TRUNCATE users"}])
	commands.findings(items) == {"terraform.destroy", "sql.truncate"}
}
