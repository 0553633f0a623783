"""Alerts reach someone: an alarm pushed to a real Alertmanager arrives at the stack's receiver, then resolves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from deploy.alert_receiver import last_received, read_received
from deploy.programs import write_alertmanager_config
from deploy.topology import Ports, Stack, alertmanager_binary
from shared.alerts import Alarm, AlertError, AlertName, Severity, push
from shared.processes import free_port, running_server
from tests.conftest import missing_program

pytestmark = pytest.mark.slow
# Slack's webhook shape with made-up ids, not a secret:
SLACK = "https://hooks.slack.com/services/T0/B0/x"  # pragma: allowlist secret


def received(file: Path, status: str, timeout: float = 30) -> dict[str, object]:
    """The first alert of ``status`` the receiver wrote (bounded wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in read_received(file) if line["status"] == status]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {status} alert at the receiver within {timeout} s: {file}")


@pytest.fixture
def alerting(tmp_path: Path) -> Iterator[Stack]:
    binary = alertmanager_binary()
    if binary is None:
        pytest.skip(missing_program("prometheus-alertmanager", "prometheus-alertmanager"))
    stack = Stack(tmp_path, Ports.free())
    config = write_alertmanager_config(stack, None, group_wait="1s", group_interval="2s")  # the stack's, quicker
    receiver = [sys.executable, "-m", "deploy.alert_receiver", "--port", str(stack.ports.alert_receiver)]
    receiver += ["--file", str(stack.alerts_file)]
    manager = [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}"]
    manager += [f"--web.listen-address=127.0.0.1:{stack.ports.alertmanager}", "--cluster.listen-address="]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    with ExitStack() as servers:
        servers.enter_context(running_server(receiver, env, f"http://127.0.0.1:{stack.ports.alert_receiver}/health"))
        servers.enter_context(running_server(manager, env, f"{stack.alertmanager_url}/-/ready", quiet=True))
        yield stack


def test_a_pushed_alarm_reaches_the_receiver_with_its_runbook_and_resolves(alerting: Stack) -> None:
    # given Alertmanager routing to the stack's receiver; when the monitor pushes a drifting day's alarm
    drift = Alarm(AlertName.MONITOR_DRIFT, Severity.TICKET, "2026-01-05 (day 36): drifted columns carry 60%")
    push(alerting.alertmanager_url, [drift], "churn", timeout=5, retries=1)
    # then the receiver has it, firing, with its summary and its runbook
    fired = received(alerting.alerts_file, "firing")
    assert (fired["alertname"], fired["severity"]) == ("MonitorDrift", "ticket")
    assert "day 36" in str(fired["summary"])
    assert Path(str(fired["runbook_url"])).name == "MonitorDrift.md"
    # when a later day is judged ok, then it resolves, and `make stack-status` prints both
    push(
        alerting.alertmanager_url, [Alarm(AlertName.MONITOR_DRIFT, Severity.TICKET, "ok", firing=False)], "churn", 5, 1
    )
    received(alerting.alerts_file, "resolved")
    said = last_received(alerting.alerts_file)
    assert "FIRING   MonitorDrift" in said[0]
    assert "RESOLVED MonitorDrift" in said[-1]


def test_an_alertmanager_that_is_away_is_a_clear_error_after_the_projects_retries() -> None:
    # given nothing listening where the alarms go; when they are pushed, then one error names the address and alarm
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(AlertError, match=rf"{url} did not take MonitorDecay: ConnectError"):
        push(url, [Alarm(AlertName.MONITOR_DECAY, Severity.PAGE, "live ROC AUC 0.61")], "churn", timeout=1, retries=2)


@pytest.mark.skipif(shutil.which("amtool") is None, reason=missing_program("amtool", "prometheus-alertmanager"))
def test_the_compose_files_alertmanager_configuration_is_valid() -> None:
    config = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"
    done = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("amtool") is None, reason=missing_program("amtool", "prometheus-alertmanager"))
@pytest.mark.parametrize("webhook", [None, SLACK, "https://ops.example/hook"])
def test_the_stacks_alertmanager_configuration_is_valid_for_each_kind_of_receiver(
    tmp_path: Path, webhook: str | None
) -> None:
    # given the configuration the stack writes for no webhook, Slack's and another's
    config = write_alertmanager_config(Stack(tmp_path, Ports.free()), webhook)
    # then Alertmanager's own checker accepts it, Slack's webhook gets Slack's format, and only the owner reads it
    done = subprocess.run(["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = {"slack_configs" if webhook and "slack" in webhook else "webhook_configs"}
    assert (
        set(json.loads(json.dumps(__import__("yaml").safe_load(config.read_text())))["receivers"][0]) - {"name"}
        == kinds
    )
    assert config.stat().st_mode & 0o077 == 0
