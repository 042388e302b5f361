"""`sagetrim guardrails policy` and `check` from the command line."""

from __future__ import annotations

import json


def test_policy_then_check(cli, tmp_path):
    policy = tmp_path / "guardrail.json"
    made = cli("guardrails", "policy", "--allow", "ml.t3.*,ml.m5.*", "--deny-gpu", "--max-size", "4xlarge",
               "--out", str(policy))
    assert made.code == 0, made.err
    doc = json.loads(policy.read_text())
    assert all(s["Effect"] == "Deny" for s in doc["Statement"])
    denied = cli("guardrails", "check", str(policy), "--action", "CreateTrainingJob", "--instance-type",
                 "ml.p3.2xlarge", "--format", "json")
    assert denied.code == 3 and json.loads(denied.out)["allowed"] is False
    allowed = cli("guardrails", "check", str(policy), "--action", "sagemaker:CreateEndpointConfig",
                  "--instance-type", "ml.m5.xlarge")
    assert allowed.code == 0 and "allowed" in allowed.out
    too_big = cli("guardrails", "check", str(policy), "--action", "CreateNotebookInstance", "--instance-type",
                  "ml.m5.12xlarge")
    assert too_big.code == 3


def test_bad_input_is_a_usage_error(cli, tmp_path):
    nothing = cli("guardrails", "policy")
    assert nothing.code == 2 and "--allow" in nothing.err
    typo = cli("guardrails", "policy", "--allow", "ml.zz9.*")
    assert typo.code == 2 and "Traceback" not in typo.err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = cli("guardrails", "check", str(broken), "--action", "CreateTrainingJob", "--instance-type", "ml.m5.large")
    assert result.code == 2 and "broken.json" in result.err
