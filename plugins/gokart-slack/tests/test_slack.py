"""gokart-slack against a stand-in Slack API on loopback (see conftest): what is posted after a
build, where, with which token; and every way it cannot post being a warning, never a failed
build, never showing the token."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart

#: What the stand-in of conftest expects (the tests import no conftest: importlib mode).
TOKEN = "xoxb-stand-in-token-1234567890"
TOKEN_ENV = "GOKART_SLACK_TEST_TOKEN"
SlackStandIn = Any


class SlackLeaf(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def run(self) -> None:
        self.dump(self.n)


class SlackBoom(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return SlackLeaf(n=1, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        raise ValueError("the input has 3 rows, expected 4")


class SlackRoot(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        ws = self.workspace_directory
        return [SlackLeaf(n=2, workspace_directory=ws), SlackBoom(workspace_directory=ws)]

    def run(self) -> None:
        self.dump(0)


class SlackFine(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return SlackLeaf(n=7, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() + 1)


def _posted(slack: SlackStandIn) -> tuple[dict[str, str], str]:
    """The one report posted: the completion's parameters and the snippet's text."""
    assert (slack.token, slack.token_env) == (TOKEN, TOKEN_ENV)
    (complete,) = slack.calls("files.completeUploadExternal")
    return complete.params, slack.upload_of(complete).decode()


def _all_logs(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_build_posts_its_summary(
    tmp_path: Path,
    slack: SlackStandIn,
    slack_config: None,
    caplog: pytest.LogCaptureFixture,
    workers: int,
) -> None:
    ws = str(tmp_path)
    caplog.set_level(logging.DEBUG)  # slack_sdk's own debug logs too: no token in any
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(SlackRoot(workspace_directory=ws), workers=workers)

    params, snippet = _posted(slack)
    assert params["channel_id"] == "C03BUILDS"  # "builds", found on the second page
    assert [r.params.get("cursor") for r in slack.calls("conversations.list")] == [None, "1"]
    assert params["initial_comment"] == "Report of SlackRoot\nSuccess: 2; Failure: 1"
    boom = SlackBoom(workspace_directory=ws).make_unique_id()
    leaves = [SlackLeaf(n=n, workspace_directory=ws).make_unique_id() for n in (1, 2)]
    assert snippet.startswith("===== Event List ====\n---- Failure Tasks ----\n")
    assert (
        f"Task: SlackBoom:[{boom}]; Exception: ValueError: the input has 3 rows, expected 4\n"
        in snippet
    )
    success = snippet.split("---- Success Tasks ----\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(success.splitlines()) == sorted(f"SlackLeaf:[{u}]" for u in leaves)
    assert snippet.endswith(
        "==== Tree Info ====\nPlease add SlackConfig.send_tree_info to include tree-info"
    )
    (upload,) = slack.calls("files.getUploadURLExternal")
    assert upload.params["filename"] == "event.txt"
    assert upload.params["length"] == str(len(snippet.encode()))

    api_calls = [r for r in slack.requests if not r.method.startswith("upload/")]
    assert len(api_calls) == 4
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in api_calls)
    assert TOKEN not in _all_logs(caplog)


def test_a_successful_build_and_the_options(
    tmp_path: Path, slack: SlackStandIn, slack_config: None
) -> None:
    config = luigi.configuration.get_config()
    config.set("SlackConfig", "to_user", "alice")
    config.set("SlackConfig", "send_tree_info", "true")
    assert gokart.build(SlackFine(workspace_directory=str(tmp_path))) == 8
    params, snippet = _posted(slack)
    assert params["initial_comment"] == "<@alice> Report of SlackFine\nSuccess: 2; Failure: 0"
    assert "---- Failure Tasks ----" not in snippet
    tree = snippet.split("==== Tree Info ====\n", 1)[1]
    assert "SlackFine" in tree and "SlackLeaf" in tree

    slack.requests.clear()  # everything done already: gokart's words for it
    assert gokart.build(SlackFine(workspace_directory=str(tmp_path))) == 8
    params, snippet = _posted(slack)
    assert params["initial_comment"].endswith("Success: 0; Failure: 0")
    assert "===== Event List ====\nTasks were not executed.\n" in snippet


def test_no_channel_posts_nothing(tmp_path: Path, slack: SlackStandIn) -> None:
    assert gokart.build(SlackFine(workspace_directory=str(tmp_path))) == 8
    assert slack.requests == []


def test_a_missing_token_is_a_warning(
    tmp_path: Path,
    slack: SlackStandIn,
    slack_config: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with caplog.at_level(logging.WARNING, logger="gokart_slack"):
        assert gokart.build(SlackFine(workspace_directory=str(tmp_path))) == 8
    assert slack.requests == []
    (warning,) = [r for r in caplog.records if r.name == "gokart_slack"]
    assert warning.levelno == logging.WARNING
    assert TOKEN_ENV in warning.getMessage() and "'builds'" in warning.getMessage()


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        ("files.completeUploadExternal", "'not_in_channel'"),
        ("files.getUploadURLExternal", "'not_in_channel'"),
        ("conversations.list", "'not_in_channel'"),
    ],
)
def test_a_slack_error_is_a_warning_naming_channel_and_error(
    tmp_path: Path,
    slack: SlackStandIn,
    slack_config: None,
    caplog: pytest.LogCaptureFixture,
    failing: str,
    expected: str,
) -> None:
    slack.errors[failing] = "not_in_channel"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(gokart.GokartBuildError):  # the build's own failure, not Slack's
        gokart.build(SlackRoot(workspace_directory=str(tmp_path)))
    (warning,) = [r for r in caplog.records if r.name == "gokart_slack"]
    assert warning.levelno == logging.WARNING
    assert "'builds'" in warning.getMessage() and expected in warning.getMessage()
    assert TOKEN not in _all_logs(caplog)


def test_a_wrong_token_unknown_channel_and_no_server(
    tmp_path: Path,
    slack: SlackStandIn,
    slack_config: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = luigi.configuration.get_config()
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(TOKEN_ENV, "xoxb-wrong-token-0987654321")
    assert gokart.build(SlackLeaf(n=11, workspace_directory=str(tmp_path))) == 11
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config.set("SlackConfig", "channel", "no-such-channel")
    assert gokart.build(SlackLeaf(n=12, workspace_directory=str(tmp_path))) == 12
    config.set("SlackConfig", "channel", "builds")
    config.set("SlackConfig", "base_url", "http://127.0.0.1:9/api/")  # nobody listens
    config.set("SlackConfig", "timeout", "5")
    assert gokart.build(SlackLeaf(n=13, workspace_directory=str(tmp_path))) == 13
    warnings = [r.getMessage() for r in caplog.records if r.name == "gokart_slack"]
    assert len(warnings) == 3, warnings
    assert "'builds'" in warnings[0] and "'invalid_auth'" in warnings[0]
    assert "'no-such-channel' is not found" in warnings[1]
    assert "'builds'" in warnings[2] and "Connection refused" in warnings[2]
    assert slack.calls("files.completeUploadExternal") == []
    logs = _all_logs(caplog)
    assert TOKEN not in logs and "xoxb-wrong-token-0987654321" not in logs


def test_run_on_the_command_line_with_gokart_flags(tmp_path: Path, slack: SlackStandIn) -> None:
    """gokart's documented way: ``--SlackConfig-channel`` appended to ``run()``'s arguments."""
    script = tmp_path / "pipeline.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import gokart_core as gokart


            class CliSlackTask(gokart.TaskOnKart[int]):
                def run(self):
                    raise RuntimeError("no data for 2024-01-01")


            if __name__ == "__main__":
                gokart.run(sys.argv[1:])
            """
        )
    )
    args = ["CliSlackTask", "--local-scheduler", "--no-lock", "--workers", "2"]
    args += ["--workspace-directory", str(tmp_path / "ws"), "--SlackConfig-channel=builds"]
    args += [f"--SlackConfig-token-name={TOKEN_ENV}", f"--SlackConfig-base-url={slack.base_url}"]
    env = {**os.environ, TOKEN_ENV: TOKEN, "GOKART_CORE_DISABLED_PLUGINS": ""}
    done = subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 40, done.stderr  # gokart's code of a failed task
    params, snippet = _posted(slack)
    assert params["channel_id"] == "C03BUILDS"
    assert params["initial_comment"] == "Report of CliSlackTask\nSuccess: 0; Failure: 1"
    assert "Exception: RuntimeError: no data for 2024-01-01" in snippet
    assert TOKEN not in done.stdout + done.stderr
