"""Slack notifications for gokart-core, as gokart's: a summary of each build posted to a channel.

Configured by gokart's ``[SlackConfig]`` section (or ``--SlackConfig-channel=...`` on the
command line): ``token_name`` names the environment variable that holds the bot token (default
``SLACK_TOKEN``), ``channel`` the channel (its name, without ``#``), ``to_user`` whom to
mention, ``send_tree_info`` whether to add the dependency tree. With a channel and a token set,
every ``build()`` and ``run()`` posts, when it ends, ``Report of {Root}`` with the counts and an
``event.txt`` snippet listing the failed tasks with their exceptions and the tasks that ran.
A missing token, an unknown channel, a Slack error: a warning, never a failed build.
"""

from __future__ import annotations

import logging
import os

import luigi

from gokart_core.plugin_api import BuildSummary, hookimpl
from gokart_slack import _message

__all__ = ["SlackConfig", "gokart_build_finished"]

logger = logging.getLogger("gokart_slack")


class SlackConfig(luigi.Config):  # luigi names a config section after its class: gokart's
    """The ``[SlackConfig]`` section of the luigi config (gokart's names and defaults)."""

    token_name: str = luigi.Parameter(
        default="SLACK_TOKEN",
        description="The name of the environment variable that holds the Slack token (a bot "
        "token, xoxb-...), never the token itself.",
    )
    channel: str = luigi.Parameter(
        default="",
        significant=False,
        description="The channel to post to, by name (not #name); empty: no notification.",
    )
    to_user: str = luigi.Parameter(
        default="",
        significant=False,
        description="Optional; the user to mention (with or without the leading @).",
    )
    send_tree_info: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Add the dependency tree of the root tasks to the snippet (slow for "
        "large graphs).",
    )
    base_url: str = luigi.Parameter(
        default="https://slack.com/api/",
        significant=False,
        description="The Slack Web API's URL (beyond gokart: a proxy, or a stand-in in tests).",
    )
    timeout: int = luigi.IntParameter(
        default=30, significant=False, description="Seconds per request to Slack."
    )


def _mention(to_user: str) -> str:
    return to_user if to_user == "" or to_user.startswith("@") else "@" + to_user


@hookimpl
def gokart_build_finished(summary: BuildSummary) -> None:
    """Post the build's report, when ``[SlackConfig] channel`` is set and the token is there."""
    config = SlackConfig()
    if not config.channel:
        logger.debug("Slack notification is not activated ([SlackConfig] channel is empty)")
        return
    token = os.environ.get(config.token_name, "")
    if not token:
        logger.warning(
            "Slack notification to channel %r not sent: the environment variable %s "
            "([SlackConfig] token_name) holding the token is not set",
            config.channel,
            config.token_name,
        )
        return
    from gokart_slack import _api  # slack_sdk: imported when there is something to send

    _api.post(
        token,
        config.channel,
        comment=_message.comment(summary, _mention(config.to_user)),
        title=_message.TITLE,
        content=_message.content(summary, config.send_tree_info),
        base_url=config.base_url,
        timeout=config.timeout,
    )
