"""Notification channels (通知渠道). In-app is always on; email and group-robot webhooks plug in.

A channel is a class with ``name`` and ``send(notification)``. ``settings.NOTIFY_CHANNELS`` lists
the active ones by name. A WeCom (企业微信) or DingTalk (钉钉) group robot is a ``WebhookChannel``
with the robot URL in ``NOTIFY_WEBHOOKS``; both accept the same text message body.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

from .models import Notification

logger = logging.getLogger(__name__)


def absolute_url(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


class NotificationChannel:
    name = ""

    def send(self, notification: Notification) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class InAppChannel(NotificationChannel):
    """The Notification row itself is the in-app message; nothing more to do."""

    name = "inapp"

    def send(self, notification: Notification) -> None:
        return None


class EmailChannel(NotificationChannel):
    name = "email"

    def send(self, notification: Notification) -> None:
        address = notification.user.email
        if not address:
            return
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{absolute_url(notification.url)}"
        send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)


class WebhookChannel(NotificationChannel):
    """Group robot of WeCom / DingTalk: POST {"msgtype": "text", "text": {"content": ...}}."""

    name = "webhook"

    def __init__(self, urls: list[str] | None = None, timeout: float = 5.0):
        self.urls = urls if urls is not None else list(settings.NOTIFY_WEBHOOKS)
        self.timeout = timeout

    def payload(self, notification: Notification) -> bytes:
        content = f"{notification.title}\n{notification.body}".strip()
        if notification.url:
            content = f"{content}\n{absolute_url(notification.url)}"
        who = str(notification.user)
        return json.dumps({"msgtype": "text", "text": {"content": f"@{who} {content}"}}, ensure_ascii=False).encode()

    def send(self, notification: Notification) -> None:
        data = self.payload(notification)
        for url in self.urls:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"Webhook URL must be http(s): {url!r}")
            req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                resp.read()


CHANNELS: dict[str, type[NotificationChannel]] = {c.name: c for c in (InAppChannel, EmailChannel, WebhookChannel)}


def active_channels() -> list[NotificationChannel]:
    return [CHANNELS[name]() for name in settings.NOTIFY_CHANNELS if name in CHANNELS]


def dispatch(notification: Notification) -> list[str]:
    """Send through every active channel; a failing channel is logged and does not stop the others."""
    failed = []
    for channel in active_channels():
        try:
            channel.send(notification)
        except Exception:
            logger.exception("Notification %s failed on channel %s", notification.pk, channel.name)
            failed.append(channel.name)
    return failed
