"""What counts as autostop in a notebook lifecycle script.

Autostop is something run again and again after the script has ended (a cron entry, a systemd timer) that
calls StopNotebookInstance: sagetrim's agent, AWS's auto-stop-idle sample, or the call itself. Each trap below
mentions autostop without installing it, and must not pass for it; the verdict names the line that decided.
"""

from __future__ import annotations

import base64
import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagetrim.agent.lifecycle import AgentOptions, render_on_start
from sagetrim.rules.autostop_detect import (
    AWS_SAMPLE,
    COMMENT_ONLY,
    CRLF,
    DRY_RUN,
    EXITS,
    IN_BACKGROUND,
    KERNEL_CULLING,
    NOT_STARTED,
    NOTHING,
    PRINTED_ONLY,
    REBOOT,
    SAGETRIM_AGENT,
    SERVER_SHUTDOWN,
    Verdict,
    find_autostop,
)

SAMPLE_URL = ("https://raw.githubusercontent.com/aws-samples/amazon-sagemaker-notebook-instance-lifecycle-config-"
              "samples/master/scripts/auto-stop-idle/autostop.py")
FETCH = f"wget {SAMPLE_URL}"
CRON = ('(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python $PWD/autostop.py --time $IDLE_TIME '
        '--ignore-connections") | crontab -')


def script(*lines: str) -> str:
    return "\n".join(["#!/bin/bash", "set -e", *lines]) + "\n"


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if fragment in line)


def assert_stops(text: str, reason_part: str, deciding: str) -> Verdict:
    verdict = find_autostop(text)
    assert verdict.stops_when_idle is True, verdict
    assert reason_part in verdict.reason
    assert verdict.line == line_of(text, deciding)
    assert verdict.text is not None and deciding in verdict.text
    return verdict


def assert_does_not_stop(text: str, reason: str, deciding: str | None) -> Verdict:
    verdict = find_autostop(text)
    assert verdict.stops_when_idle is False, verdict
    assert verdict.reason == reason
    assert verdict.line == (line_of(text, deciding) if deciding else None)
    assert (deciding in verdict.text) if deciding and verdict.text else verdict.text is None
    return verdict


# --- sagetrim's own agent ----------------------------------------------------------------------------------------

def test_given_the_script_sagetrim_renders_when_judged_then_a_systemd_timer_runs_the_agent() -> None:
    text = render_on_start(AgentOptions(idle_minutes=45, ignore_connections=True), every_minutes=10)
    verdict = assert_stops(text, SAGETRIM_AGENT, "ExecStart=")
    assert verdict.reason == f"a systemd timer runs {SAGETRIM_AGENT}"


def test_given_sagetrims_script_on_an_instance_without_systemd_when_judged_then_its_cron_entry_counts() -> None:
    text = render_on_start(AgentOptions()).replace("systemctl enable --now sagetrim-autostop.timer", "true")
    assert_stops(text, f"a cron job runs {SAGETRIM_AGENT}", "/etc/cron.d/sagetrim-autostop\"")


def test_given_sagetrims_agent_in_dry_run_when_judged_then_it_never_stops_and_says_so() -> None:
    text = render_on_start(AgentOptions(dry_run=True))
    assert_does_not_stop(text, DRY_RUN, "ExecStart=")


def test_given_an_agent_that_never_calls_stop_when_carried_like_sagetrims_then_its_content_decides() -> None:
    harmless = base64.b64encode(gzip.compress(b'"""sagetrim autostop"""\nprint("idle")\n')).decode()
    lines = render_on_start(AgentOptions()).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("base64 -d <<'AGENT_GZIP_BASE64'"))
    end = lines.index("AGENT_GZIP_BASE64")
    verdict = find_autostop("\n".join([*lines[:start + 1], harmless, *lines[end:]]))
    assert verdict.stops_when_idle is False
    assert verdict.reason.startswith("a systemd timer runs `/bin/sh -c")


# --- AWS's auto-stop-idle sample and its variants ----------------------------------------------------------------

AWS_VARIANTS = {
    "as published, python 2": script("IDLE_TIME=3600", FETCH, CRON),
    "python3 and a literal time": script(
        FETCH, '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") '
               "| crontab -"),
    "the python that has boto3, logging": script(
        "IDLE_TIME=3600", FETCH,
        'if /usr/bin/python3 -c "import boto3" 2>/dev/null; then', "    PYTHON_DIR='/usr/bin/python3'",
        "else", "    PYTHON_DIR='/usr/bin/python'", "fi",
        '(crontab -l 2>/dev/null; echo "*/5 * * * * $PYTHON_DIR $PWD/autostop.py --time $IDLE_TIME '
        '--ignore-connections >> /var/log/jupyter.log") | crontab -'),
    "the conda python found at start": script(
        FETCH, "PY=$(source /home/ec2-user/anaconda3/bin/activate JupyterSystemEnv && which python)",
        '(crontab -l 2>/dev/null; echo "*/5 * * * * $PY $PWD/autostop.py --time 1800") | crontab -'),
    "kept on the notebook's volume, no download": script(
        '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 /home/ec2-user/SageMaker/autostop.py '
        '--time 3600 --ignore-connections") | crontab -'),
    "downloaded to a chosen path with curl": script(
        f"curl -fsSL {SAMPLE_URL} -o /usr/local/bin/idle-check.py",
        'echo "*/10 * * * * python3 /usr/local/bin/idle-check.py --time 3600" | crontab -'),
    "downloaded with wget -O, then copied": script(
        f"wget -q -O /tmp/check.py {SAMPLE_URL}", "cp /tmp/check.py /opt/idle/check.py",
        '(crontab -l; echo "*/5 * * * * /usr/bin/python3 /opt/idle/check.py --time 3600") | crontab -'),
    "a line in /etc/crontab through tee": script(
        FETCH, 'echo "*/5 * * * * root /usr/bin/python3 $PWD/autostop.py --time 3600" | sudo tee -a /etc/crontab'),
    "a file in /etc/cron.d from a heredoc": script(
        FETCH, "cat > /etc/cron.d/autostop <<EOF", "SHELL=/bin/bash", "# every five minutes, as root",
        "*/5 * * * * root /usr/bin/python3 $PWD/autostop.py --time 3600", "EOF"),
    "a crontab file handed to crontab": script(
        FETCH, "cat > /tmp/jobs <<EOF", "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600", "EOF",
        "crontab /tmp/jobs"),
    "after another cron job": script(
        FETCH, "(crontab -l 2>/dev/null; echo '0 * * * * /usr/bin/python3 /home/ec2-user/history.py') | crontab -",
        '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -'),
    "with an environment variable before the command": script(
        FETCH, '(crontab -l; echo "*/5 * * * * PYTHONWARNINGS=ignore python3 $PWD/autostop.py --time 3600") '
               "| crontab -"),
    "copied from the volume under another name": script(
        "cp /home/ec2-user/SageMaker/tools/autostop.py /usr/local/bin/idle.py",
        '(crontab -l; echo "*/5 * * * * python3 /usr/local/bin/idle.py --time 3600") | crontab -'),
    "installed by a shell script the script writes and runs": script(
        "cat > /home/ec2-user/install.sh <<'EOF'", FETCH,
        '(crontab -l 2>/dev/null; echo "*/5 * * * * python3 $PWD/autostop.py --time 3600") | crontab -', "EOF",
        "bash /home/ec2-user/install.sh"),
    "installed by a script run by its path": script(
        "cat > /opt/install.sh <<'EOF'", "#!/bin/bash",
        'echo "*/5 * * * * python3 /home/ec2-user/SageMaker/autostop.py --time 3600" | crontab -', "EOF",
        "chmod +x /opt/install.sh", "/opt/install.sh --quiet"),
    "installed by a file the script sources": script(
        "cat > /tmp/install.sh <<'EOF'",
        'echo "*/5 * * * * python3 /home/ec2-user/SageMaker/autostop.py --time 3600" | crontab -', "EOF",
        ". /tmp/install.sh"),
    "installed through bash -c": script(
        FETCH, "bash -c 'echo \"*/5 * * * * python3 $PWD/autostop.py --time 3600\" | crontab -'"),
    "installed for ec2-user through sudo -i": script(
        "sudo -u ec2-user -i <<'EOF'", "cd /home/ec2-user/SageMaker", FETCH,
        '(crontab -l 2>/dev/null; echo "*/5 * * * * /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -',
        "EOF"),
}


@pytest.mark.parametrize("text", AWS_VARIANTS.values(), ids=AWS_VARIANTS.keys())
def test_given_aws_auto_stop_idle_sample_scheduled_by_cron_when_judged_then_it_counts(text: str) -> None:
    deciding = next(line for line in text.split("\n")[::-1] if "* * * *" in line)
    assert_stops(text, f"a cron job runs {AWS_SAMPLE}", deciding)


def test_given_the_sample_pasted_into_the_script_when_scheduled_then_its_code_decides() -> None:
    text = script("cat > /home/ec2-user/autostop.py <<'PY'", "import boto3", "client = boto3.client('sagemaker')",
                  "client.stop_notebook_instance(NotebookInstanceName='nb')", "PY",
                  '(crontab -l; echo "*/5 * * * * python3 /home/ec2-user/autostop.py") | crontab -')
    assert_stops(text, "autostop.py, which calls StopNotebookInstance", "* * * *")


def test_given_the_sample_in_python_2_syntax_when_scheduled_then_its_call_still_counts() -> None:
    text = script("cat > /home/ec2-user/autostop.py <<'PY'", "import boto3", 'print "stopping"',
                  "# client.stop_notebook_instance(NotebookInstanceName='old')",
                  "boto3.client('sagemaker').stop_notebook_instance(NotebookInstanceName='nb')", "PY",
                  '(crontab -l; echo "*/5 * * * * python /home/ec2-user/autostop.py") | crontab -')
    assert_stops(text, "autostop.py, which calls StopNotebookInstance", "* * * *")


def test_given_python_2_code_that_calls_stop_only_in_a_comment_when_scheduled_then_it_does_not_count() -> None:
    text = script("cat > /home/ec2-user/check.py <<'PY'", 'print "checking"',
                  "# client.stop_notebook_instance(NotebookInstanceName='nb')", "PY",
                  '(crontab -l; echo "*/5 * * * * python /home/ec2-user/check.py") | crontab -')
    assert find_autostop(text).stops_when_idle is False


def test_given_python_too_deeply_nested_to_parse_when_scheduled_then_it_is_searched_line_by_line() -> None:
    text = script("cat > /opt/check.py <<'PY'", "x = " + "-" * 200_000 + "1",
                  "boto3.client('sagemaker').stop_notebook_instance(NotebookInstanceName='nb')", "PY",
                  'echo "*/5 * * * * python3 /opt/check.py" | crontab -')
    assert find_autostop(text).stops_when_idle is True


def test_given_sagetrims_agent_saved_under_another_name_when_scheduled_then_its_code_names_it() -> None:
    from sagetrim.agent.lifecycle import agent_source

    body = agent_source().replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    text = script("cat > /opt/agent.py <<EOF", body, "EOF",
                  '(crontab -l; echo "*/5 * * * * python3 /opt/agent.py --idle-minutes 60") | crontab -')
    assert_stops(text, f"a cron job runs {SAGETRIM_AGENT}", "* * * *")


@pytest.mark.parametrize(("code", "stops"), [
    ('subprocess.run(["aws", "sagemaker", "stop-notebook-instance", "--notebook-instance-name", "nb"])', True),
    ('os.system("aws sagemaker stop-notebook-instance --notebook-instance-name nb")', True),
    ('print("aws sagemaker stop-notebook-instance --notebook-instance-name nb")', False),
], ids=["subprocess", "os.system", "print"])
def test_given_python_that_shells_out_to_the_cli_when_scheduled_then_only_a_real_call_counts(
        code: str, stops: bool) -> None:
    text = script("cat > /opt/check.py <<'PY'", "import os, subprocess", code, "PY",
                  'echo "*/5 * * * * python3 /opt/check.py" | crontab -')
    assert find_autostop(text).stops_when_idle is stops


def test_given_a_python_file_the_script_runs_when_judged_then_it_is_not_read_as_shell() -> None:
    text = script("cat > /opt/setup.py <<'PY'", "#!/usr/bin/env python3", '"""',
                  '(crontab -l; echo "*/5 * * * * aws sagemaker stop-notebook-instance --notebook-instance-name nb") '
                  "| crontab -", '"""', "PY", "chmod +x /opt/setup.py", "/opt/setup.py")
    assert find_autostop(text).stops_when_idle is False


def test_given_a_scheduled_python_file_that_only_prints_the_call_when_judged_then_it_does_not_count() -> None:
    text = script("cat > /home/ec2-user/autostop.py <<'PY'", "# client.stop_notebook_instance(NotebookInstanceName=n)",
                  "print('stop_notebook_instance')", "PY",
                  '(crontab -l; echo "*/5 * * * * python3 /home/ec2-user/autostop.py") | crontab -')
    verdict = find_autostop(text)
    assert verdict.stops_when_idle is False
    assert verdict.line == line_of(text, "* * * *")
    assert "not known to call StopNotebookInstance" in verdict.reason


def test_given_a_scheduled_checker_whose_code_is_not_in_the_script_when_judged_then_it_is_not_known() -> None:
    text = script("echo '*/5 * * * * python3 /home/ec2-user/SageMaker/idle_check.py' | crontab -")
    verdict = find_autostop(text)
    assert verdict.stops_when_idle is False
    assert verdict.reason == ("a cron job runs `python3 /home/ec2-user/SageMaker/idle_check.py`, which is not known "
                              "to call StopNotebookInstance")
    assert verdict.line == 3


def test_given_a_long_unrecognised_cron_command_when_judged_then_the_reason_quotes_its_first_80_characters() -> None:
    command = "python3 /home/ec2-user/SageMaker/tools/" + "x" * 100 + "/idle_check.py"
    verdict = find_autostop(script(f"echo '*/5 * * * * {command}' | crontab -"))
    assert f"`{command[:79]}…`" in verdict.reason


def test_given_a_downloaded_shell_script_run_by_the_script_when_judged_then_its_unseen_content_is_not_followed(
        ) -> None:
    text = script("wget https://example.com/setup.sh", "bash setup.sh", "./setup.sh")
    assert find_autostop(text) == Verdict(False, NOTHING)


# --- a direct stop from cron or systemd --------------------------------------------------------------------------

def test_given_a_cron_entry_that_calls_the_cli_when_judged_then_it_counts() -> None:
    text = script('NAME=$(jq -r .ResourceName /opt/ml/metadata/resource-metadata.json)',
                  '(crontab -l 2>/dev/null; echo "0 20 * * 1-5 aws sagemaker stop-notebook-instance '
                  '--notebook-instance-name $NAME") | crontab -')
    assert_stops(text, "a cron job runs aws sagemaker stop-notebook-instance", "crontab -")


@pytest.mark.parametrize("command", [
    "/bin/sh -c 'aws sagemaker stop-notebook-instance --notebook-instance-name nb'",
    "$PYTHON -c \"import boto3; boto3.client('sagemaker').stop_notebook_instance(NotebookInstanceName='nb')\"",
], ids=["a shell", "an interpreter named by a variable"])
def test_given_a_cron_entry_that_runs_code_inline_when_it_stops_the_instance_then_it_counts(command: str) -> None:
    text = script("cat > /etc/cron.d/stop <<'EOF'", f"0 20 * * * root {command}", "EOF")
    assert_stops(text, "a cron job runs", "0 20 * * *")


def test_given_a_cron_entry_that_calls_boto3_when_judged_then_it_counts() -> None:
    text = script("cat > /var/spool/cron/root <<'EOF'",
                  "0 * * * * python3 -c \"import boto3; boto3.client('sagemaker').stop_notebook_instance("
                  "NotebookInstanceName='nb')\"", "EOF")
    assert_stops(text, "Python code that calls StopNotebookInstance", "python3 -c")


def test_given_a_systemd_timer_whose_service_stops_the_instance_when_started_then_it_counts() -> None:
    text = script("cat > /etc/systemd/system/stop-at-night.service <<EOF", "[Service]", "Type=oneshot",
                  "ExecStart=/usr/bin/aws sagemaker stop-notebook-instance --notebook-instance-name nb", "EOF",
                  "cat > /etc/systemd/system/stop-at-night.timer <<EOF", "[Timer]", "OnCalendar=*-*-* 20:00:00",
                  "EOF", "systemctl daemon-reload", "systemctl start stop-at-night.timer jupyter-extras.service")
    assert_stops(text, "a systemd timer runs aws sagemaker stop-notebook-instance", "ExecStart=")


def test_given_a_stop_script_written_by_the_lifecycle_script_when_cron_runs_it_then_it_counts() -> None:
    text = script("cat > /usr/local/bin/stop-if-idle.sh <<'EOF'", "#!/bin/bash",
                  'if [ -z "$(pgrep -u ec2-user -f ipykernel)" ]; then',
                  "  aws sagemaker stop-notebook-instance --notebook-instance-name nb", "fi", "EOF",
                  "chmod +x /usr/local/bin/stop-if-idle.sh",
                  'echo "*/15 * * * * root /usr/local/bin/stop-if-idle.sh --quiet" > /etc/cron.d/stop-if-idle')
    assert_stops(text, "stop-if-idle.sh, which calls StopNotebookInstance", "/etc/cron.d/stop-if-idle")


# --- the traps ---------------------------------------------------------------------------------------------------

def test_given_the_sample_commented_out_when_judged_then_it_is_only_a_comment() -> None:
    text = script("pip install pandas", f"# {FETCH}", f"#{CRON}")
    assert_does_not_stop(text, COMMENT_ONLY, f"# {FETCH}")


def test_given_a_todo_comment_when_judged_then_it_is_only_a_comment() -> None:
    text = script("# TODO: add autostop", "pip install pandas")
    assert_does_not_stop(text, COMMENT_ONLY, "# TODO")


def test_given_a_comment_after_a_command_when_judged_then_it_is_still_a_comment() -> None:
    text = script("pip install pandas  # then stop-notebook-instance when idle")
    assert_does_not_stop(text, COMMENT_ONLY, "pip install")


def test_given_a_commented_out_entry_in_a_cron_file_when_judged_then_it_is_only_a_comment() -> None:
    text = script("cat > /etc/cron.d/idle <<'EOF'",
                  "#*/5 * * * * root aws sagemaker stop-notebook-instance --notebook-instance-name nb", "EOF")
    assert_does_not_stop(text, COMMENT_ONLY, "#*/5")


def test_given_autostop_only_echoed_when_judged_then_it_is_only_printed() -> None:
    text = script('echo "autostop"')
    assert_does_not_stop(text, PRINTED_ONLY, 'echo "autostop"')


def test_given_a_cron_line_echoed_but_never_given_to_crontab_when_judged_then_it_is_only_printed() -> None:
    text = script('echo "*/5 * * * * aws sagemaker stop-notebook-instance --notebook-instance-name nb"')
    assert_does_not_stop(text, PRINTED_ONLY, "echo")


def test_given_a_hash_inside_quotes_when_judged_then_it_is_not_a_comment() -> None:
    text = script('echo "# not a comment: autostop"')
    assert_does_not_stop(text, PRINTED_ONLY, "echo")


def test_given_kernel_culling_only_when_judged_then_it_stops_kernels_not_the_instance() -> None:
    text = script("echo 'c.MappingKernelManager.cull_idle_timeout = 3600' >> "
                  "/home/ec2-user/.jupyter/jupyter_notebook_config.py",
                  "echo 'c.MappingKernelManager.cull_interval = 300' >> "
                  "/home/ec2-user/.jupyter/jupyter_notebook_config.py")
    verdict = assert_does_not_stop(text, KERNEL_CULLING, "cull_idle_timeout")
    assert "not the instance" in verdict.reason


def test_given_kernel_culling_in_a_config_heredoc_when_judged_then_it_stops_kernels_not_the_instance() -> None:
    text = script("cat >> /home/ec2-user/.jupyter/jupyter_notebook_config.py <<EOF",
                  "c.MappingKernelManager.cull_interval = 120", "EOF")
    assert_does_not_stop(text, KERNEL_CULLING, "cull_interval")


@pytest.mark.parametrize("setting", [
    "jupyter notebook --NotebookApp.shutdown_no_activity_timeout=3600",
    "echo 'c.ServerApp.shutdown_no_activity_timeout = 3600' >> /home/ec2-user/.jupyter/jupyter_server_config.py",
], ids=["notebook", "jupyter_server"])
def test_given_jupyter_shutting_itself_down_when_judged_then_the_instance_still_runs(setting: str) -> None:
    assert_does_not_stop(script(setting), SERVER_SHUTDOWN, "shutdown_no_activity_timeout")


def test_given_the_sample_downloaded_but_never_scheduled_when_judged_then_nothing_runs_it() -> None:
    text = script("IDLE_TIME=3600", FETCH, "echo done")
    verdict = assert_does_not_stop(text, f"it saves {AWS_SAMPLE} but nothing runs it on a schedule", FETCH)
    assert "autostop.py" in (verdict.text or "")


def test_given_the_sample_run_once_from_the_script_when_judged_then_nothing_runs_it_again() -> None:
    text = script(FETCH, "/usr/bin/python3 autostop.py --time 3600")
    assert_does_not_stop(text, f"it runs {AWS_SAMPLE} once, while the script runs; nothing runs it again",
                         "python3 autostop.py")


def test_given_the_sample_started_in_the_background_when_judged_then_it_is_not_followed() -> None:
    text = script(FETCH, "nohup /usr/bin/python3 autostop.py --time 3600 &")
    assert_does_not_stop(text, IN_BACKGROUND.format(what=AWS_SAMPLE), "nohup")


def test_given_a_crontab_written_to_a_file_never_installed_when_judged_then_nothing_runs_it() -> None:
    text = script('echo "*/5 * * * * aws sagemaker stop-notebook-instance --notebook-instance-name nb" > /tmp/jobs')
    assert_does_not_stop(text, "autostop is only written to /tmp/jobs, which nothing runs", "/tmp/jobs")


def test_given_an_at_reboot_entry_when_judged_then_it_never_fires() -> None:
    text = script(FETCH, '(crontab -l; echo "@reboot /usr/bin/python3 $PWD/autostop.py --time 3600") | crontab -')
    assert_does_not_stop(text, REBOOT, "@reboot")


def test_given_a_systemd_timer_enabled_but_not_started_when_judged_then_it_waits_for_a_boot_that_never_comes() -> None:
    text = script("cat > /etc/systemd/system/idle.service <<EOF", "[Service]",
                  "ExecStart=/usr/bin/aws sagemaker stop-notebook-instance --notebook-instance-name nb", "EOF",
                  "cat > /etc/systemd/system/idle.timer <<EOF", "[Timer]", "OnCalendar=*:0/5", "EOF",
                  "systemctl daemon-reload", "systemctl enable idle.timer")
    assert_does_not_stop(text, NOT_STARTED, "systemctl enable idle.timer")


def test_given_an_exit_before_the_install_when_judged_then_the_install_never_runs() -> None:
    text = script("exit 0", FETCH, CRON)
    assert_does_not_stop(text, EXITS, "exit 0")


def test_given_an_exit_inside_a_condition_when_judged_then_the_rest_still_runs() -> None:
    text = script('[ -f /etc/skip-autostop ] && exit 0', "if ! command -v python3; then exit 1; fi", FETCH, CRON)
    assert find_autostop(text).stops_when_idle is True


def test_given_windows_line_endings_when_judged_then_bash_cannot_run_it() -> None:
    text = script("IDLE_TIME=3600", FETCH, CRON).replace("\n", "\r\n")
    assert_does_not_stop(text, CRLF, "#!/bin/bash")


def test_given_a_script_with_nothing_about_autostop_when_judged_then_nothing_stops_it() -> None:
    assert find_autostop(script("pip install pandas")) == Verdict(False, NOTHING)
    assert find_autostop("") == Verdict(False, NOTHING)


def test_given_a_one_line_script_without_a_final_newline_when_judged_then_it_is_read() -> None:
    assert find_autostop("echo autostop") == Verdict(False, PRINTED_ONLY, 1, "echo autostop")


def test_given_the_script_on_one_line_continued_with_backslashes_when_judged_then_it_still_counts() -> None:
    text = script(FETCH, "(crontab -l 2>/dev/null; \\", '  echo "*/5 * * * * python3 $PWD/autostop.py --time 60") \\',
                  "  | crontab -")
    assert find_autostop(text).stops_when_idle is True


def test_given_scripts_that_run_each_other_in_a_circle_when_judged_then_a_verdict_comes_back() -> None:
    text = script("cat > /usr/local/bin/a.sh <<'EOF'", "bash -c /usr/local/bin/a.sh", "EOF",
                  "cp /opt/x /opt/y", "cp /opt/y /opt/x",
                  "echo '*/5 * * * * /usr/local/bin/a.sh; /opt/x; stop' | crontab -")
    assert find_autostop(text).stops_when_idle is False


@pytest.mark.parametrize("text", ["(" * 20_000, "$(" * 20_000, "{ " * 20_000, "<<EOF " * 5_000, "'" * 3 + "\\"],
                         ids=["groups", "substitutions", "braces", "heredocs", "quotes"])
def test_given_pathological_text_when_judged_then_a_verdict_comes_back(text: str) -> None:
    assert find_autostop(text).stops_when_idle is False


def test_given_a_here_string_fed_to_crontab_when_judged_then_its_entry_counts() -> None:
    text = script(FETCH, 'crontab - <<< "*/5 * * * * python3 $PWD/autostop.py --time 3600"')
    assert_stops(text, AWS_SAMPLE, "crontab - <<<")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([
    "echo", "cat", "crontab", "-", "-l", "|", "(", ")", "{", "}", ";", "&&", "||", "&", "<<EOF", "<<'X'", "EOF",
    "X", "\n", '"', "'", "$(", "`", "${A:-b}", "$A", "A=", "#", "\\", "\r", "sudo", "-i", "bash", "-c",
    "/etc/cron.d/x", ">", ">>", "2>&1", "<<<", "autostop.py", "python3", SAMPLE_URL, "wget", "systemctl",
    "enable", "--now", "x.timer", "ExecStart=", "*/5 * * * *", "base64", "-d", "gunzip", "if", "fi", "exit",
]), max_size=40))
def test_given_any_text_when_judged_then_a_verdict_comes_back(tokens: list[str]) -> None:
    verdict = find_autostop(" ".join(tokens))
    assert isinstance(verdict.stops_when_idle, bool) and verdict.reason
