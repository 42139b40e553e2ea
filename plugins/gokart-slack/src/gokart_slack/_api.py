"""Posting the report to Slack: the channel's id by its name, then the snippet with its comment.

Every failure is a warning naming the channel and Slack's error, never the token: a build's
result never depends on Slack.
"""

from __future__ import annotations

import logging
from typing import Any

import slack_sdk
from slack_sdk.errors import SlackApiError

logger = logging.getLogger("gokart_slack")

#: Channels asked for per page of ``conversations.list`` (gokart's).
PAGE_SIZE = 100


class NotSent(Exception):
    """Why the report was not posted (a message without the token)."""


def _error(exc: Exception, token: str) -> str:
    if isinstance(exc, SlackApiError):
        reason = exc.response.get("error") if exc.response is not None else None
        text = f"Slack answered {reason!r}" if reason else str(exc).splitlines()[0]
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text.replace(token, "***") if token else text


def channel_id(client: slack_sdk.WebClient, channel: str) -> str:
    """The id of the public channel named ``channel`` (a leading ``#`` is ignored)."""
    name = channel.lstrip("#")
    pages: Any = client.conversations_list(exclude_archived=True, limit=PAGE_SIZE)
    for page in pages:  # slack_sdk follows the cursor from page to page
        for found in page.get("channels", []) or []:
            if found.get("name") == name:
                return str(found["id"])
    raise NotSent(f"channel {channel!r} is not found in the public channels")


def post(
    token: str,
    channel: str,
    comment: str,
    title: str,
    content: str,
    base_url: str,
    timeout: int,
) -> None:
    """Upload ``content`` as a snippet titled ``title`` to ``channel`` with ``comment``; on any
    failure, log a warning naming the channel and the error."""
    client = slack_sdk.WebClient(token=token, base_url=base_url, timeout=timeout)
    try:
        client.files_upload_v2(
            channel=channel_id(client, channel),
            content=content,
            filename=title,
            title=title,
            initial_comment=comment,
        )
    except NotSent as exc:
        logger.warning("Slack notification not sent: %s", exc)
    except Exception as exc:
        logger.warning("Slack notification to channel %r failed: %s", channel, _error(exc, token))
    else:
        logger.info("Slack notification sent to channel %r", channel)
