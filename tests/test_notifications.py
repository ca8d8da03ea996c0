"""Notifications: the in-app row, delivery through the worker, email and group-robot webhooks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tasks_db.models import DBTaskResult

from core import notifications, services
from core.models import Notification
from core.tasks import deliver_notification


class Robot:
    """A stand-in for a WeCom / DingTalk group robot on 127.0.0.1 (records what it is sent)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        robot = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                robot.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": self.rfile.read(length),
                    }
                )
                reply = b'{"errcode":0,"errmsg":"ok"}' if robot.status == 200 else b"down"
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


@pytest.fixture
def channels(settings):
    settings.SITE_URL = "https://digdeal.example.cn"

    def use(*names, webhooks=()):
        settings.NOTIFY_CHANNELS = list(names)
        settings.NOTIFY_WEBHOOKS = list(webhooks)

    return use


def test_notify_creates_the_in_app_row_and_enqueues_delivery_after_commit(
    org, channels, django_capture_on_commit_callbacks
):
    channels("inapp", "email")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.notify(
            user=org.sales_a1, title="客户跟进提醒", body="济南鑫达今天需要回访", url="/customers/1/"
        )
        assert not DBTaskResult.objects.exists()  # nothing goes out before the transaction commits
    assert Notification.objects.get(pk=note.pk).user == org.sales_a1
    assert len(callbacks) == 1
    callbacks[0]()
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "core.tasks.deliver_notification"
    assert task.args_kwargs["args"] == [note.pk]
    assert task.status == "READY"


def test_with_only_in_app_nothing_is_enqueued(org, channels, django_capture_on_commit_callbacks):
    channels("inapp")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify(user=org.sales_a1, title="只在应用内")
    assert callbacks == []
    assert not DBTaskResult.objects.exists()
    assert Notification.objects.filter(user=org.sales_a1, title="只在应用内").exists()


def test_delivery_sends_an_email_with_an_absolute_link(org, channels, mailoutbox):
    channels("inapp", "email")
    note = services.notify(user=org.sales_a1, title="还款预警", body="临沂丰达一周后到期", url="/customers/42/")
    assert deliver_notification.call(note.pk) == []  # no channel failed
    [mail] = mailoutbox
    assert mail.subject == "还款预警"
    assert mail.to == [org.sales_a1.email]
    assert "临沂丰达一周后到期" in mail.body
    assert "https://digdeal.example.cn/customers/42/" in mail.body


def test_no_email_for_a_user_without_an_address(org, channels, mailoutbox):
    channels("email")
    org.sales_a2.email = ""
    org.sales_a2.save()
    note = services.notify(user=org.sales_a2, title="无邮箱")
    assert notifications.dispatch(note) == []
    assert mailoutbox == []


def test_webhook_posts_the_group_robot_text_message(org, channels, robot):
    wecom = robot.url("/cgi-bin/webhook/send?key=test-key")
    dingtalk = robot.url("/robot/send?access_token=test-token")
    channels("inapp", "webhook", webhooks=[wecom, dingtalk])
    note = services.notify(user=org.sales_a1, title="今日待办：3 项", body="其中 1 项已逾期", url="/")
    assert notifications.dispatch(note) == []
    assert [r["path"] for r in robot.requests] == [
        "/cgi-bin/webhook/send?key=test-key",
        "/robot/send?access_token=test-token",
    ]
    for request in robot.requests:
        assert request["content_type"] == "application/json"
        message = json.loads(request["body"].decode("utf-8"))
        # the text message both robots accept: {"msgtype": "text", "text": {"content": "..."}}
        assert message["msgtype"] == "text"
        content = message["text"]["content"]
        assert content.startswith("@张建国")
        for part in ("今日待办：3 项", "其中 1 项已逾期", "https://digdeal.example.cn/"):
            assert part in content


def test_a_failing_channel_does_not_stop_the_others(org, channels, robot, mailoutbox):
    robot.status = 500
    channels("inapp", "webhook", "email", webhooks=[robot.url("/robot/send")])
    note = services.notify(user=org.sales_a1, title="机器人故障时仍发邮件")
    assert notifications.dispatch(note) == ["webhook"]
    assert len(robot.requests) == 1
    assert [m.subject for m in mailoutbox] == ["机器人故障时仍发邮件"]


def test_a_webhook_that_is_not_http_is_refused_and_reported(org, channels, mailoutbox):
    channels("webhook", "email", webhooks=["file:///etc/passwd"])
    note = services.notify(user=org.sales_a1, title="配置错误")
    assert notifications.dispatch(note) == ["webhook"]
    assert len(mailoutbox) == 1


def test_delivery_of_a_vanished_notification_does_nothing(org, channels, mailoutbox):
    channels("email")
    note = services.notify(user=org.sales_a1, title="已删除")
    pk = note.pk
    note.delete()
    assert deliver_notification.call(pk) == []
    assert mailoutbox == []
