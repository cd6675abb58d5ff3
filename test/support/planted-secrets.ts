/**
 * The exact secret values the end-to-end suites plant in requests, token files and commands,
 * for the check that none of them reaches a Vigil process's log. Vigil's detectors find the
 * well-known formats (`ghp_…`, `AKIA…`) on their own; this list exists for what they cannot
 * know: registered values, passwords, API tokens (`vgl_…`), webhook keys and made-up formats.
 *
 * The suites keep their own constants, so this list repeats them by value; each entry names
 * the tests that plant it. A value a suite plants that is missing here is still caught when a
 * detector knows its format, but only then: add new planted values here.
 */
export interface PlantedSecret {
  /** What the value stands for, and the tests that plant it. Shown in findings. */
  name: string;
  /** The value itself; the check also finds its base64, URL, JSON and hex forms. */
  value: string;
}

/** Every planted value the end-to-end suites pass to Vigil processes. */
export const PLANTED_SECRETS: readonly PlantedSecret[] = [
  // Detector-known formats, listed anyway so a change to a rule cannot hide them; built from
  // pieces, as the suites do, so no scanner flags this file.
  {
    name: "GitHub PAT (authorize, audit-service, cli-*, lifecycle, proxy, redact-limits, ts-client)",
    value: `ghp_${"Zq8rT2vX9kLm4nPs7wYb3cHd6fJg1aEuR5tQ"}`,
  },
  { name: "GitHub PAT (console)", value: `ghp_${"R8mZq2Vn5Xc7Lp0Kt4Wb9Yd3Hs6Jf1Ga2Ue8"}` },
  {
    name: "AWS access key id (audit-service, cli-audit, proxy, ts-client)",
    value: `AKIA${"Q3VZ7XK2M5RTNW4P"}`,
  },
  { name: "AWS access key id (lifecycle)", value: `AKIA${"Z7Q3M5N2P4R6T3V4"}` },

  // Registered values and formats no detector knows.
  { name: "registered OpenAI key (ts-client)", value: "sk-proj-q7Wm2Rt9Xv4Lp8Nz3Kc6Hd1Fb5" },
  { name: "registered value (lifecycle)", value: "hunter2-REGISTERED-9c1e7a3b5d" },
  { name: "unrecognisable key (lifecycle)", value: "sk-live-PLANTED-4f9a2c7e1b8d3a6f0e5c9b2a" },
  { name: "custom-rule token (redact-limits)", value: "acme_3f9a0c1b7e2d4f6a8b5c9d0e1f2a3b4c" },
  { name: "upstream API key (proxy)", value: "upk_7f3a9c1e5b8d2f4a6c0e9b7d5f3a1c8e" },
  { name: "query-string API key (forward-auth-nginx)", value: "sk_live_never_logged" },
  { name: "webhook signing secret (approval-webhooks)", value: "whsec_test_4f1a9c2e7b3d8a6f" },

  // Passwords.
  { name: "database password (lifecycle)", value: "Xk2#pQ9$vL4!mR7w" },
  { name: "database password in a URL (console)", value: "Zq8vR2mN4kT7wX1p" },
  { name: "DEPLOY_DB_PASSWORD (cli-ci)", value: "pw-7Hq2-Lx9v-Rk4m-unique" },

  // Vigil API tokens: valid ones from tokens files, and wrong ones callers present.
  { name: "proxy caller token agent (proxy)", value: "vgl_test_proxy_agent_3f9a1c7e" },
  { name: "proxy caller token offboarded (proxy)", value: "vgl_test_proxy_offboarded_8b2d" },
  { name: "proxy's own token (proxy)", value: "vgl_test_proxy_itself_5e6f7a8b" },
  { name: "server token alice (proxy)", value: "vgl_test_proxy_alice_1a2b3c4d" },
  { name: "unknown caller token (proxy)", value: "vgl_not_a_caller_token" },
  { name: "gateway token (forward-auth-nginx)", value: "vgl_test_nginx_gateway_4f1e" },
  { name: "token alice (approval fixtures)", value: "vgl_test_alice_5c1d8e2f" },
  { name: "token bob (approval fixtures)", value: "vgl_test_bob_9a7b3c4d" },
  { name: "token dave (approval fixtures)", value: "vgl_test_dave_1e2f3a4b" },
  { name: "token reporting (approval fixtures)", value: "vgl_test_reporting_7d6c" },
  { name: "token auditor (approval fixtures)", value: "vgl_test_auditor_3b9e41d0" },
  { name: "role token client (access-control)", value: "vgl_test_role_client_41f2" },
  { name: "role token approver (access-control)", value: "vgl_test_role_approver_8c1d" },
  { name: "role token auditor (access-control)", value: "vgl_test_role_auditor_27ab" },
  { name: "role token admin (access-control)", value: "vgl_test_role_admin_9e30" },
  { name: "role token none (access-control)", value: "vgl_test_role_none_5d77" },
  { name: "role token new (access-control)", value: "vgl_test_role_new_0c0c" },
  { name: "role token typo (access-control)", value: "vgl_test_role_typo_1a1a" },
  { name: "forged token (access-control)", value: "vgl_forged_7a7a7a7a" },
  { name: "caller token alpha (limits)", value: "vgl_test_limits_alpha_4d2f9c" },
  { name: "caller token beta (limits)", value: "vgl_test_limits_beta_8e1a7b" },
  { name: "forged token (access-control, approvals, console)", value: "vgl_not_a_real_token" },
  { name: "malformed tokens file (cli-ci)", value: "vgl_not_a_token" },
];
