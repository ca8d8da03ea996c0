"""Shared fixtures: the organisation, a second company, API clients, a fast password hasher."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import settings as hypothesis_settings

from core import services as core_services

from .factories import build_org, build_other_company

# Properties, not timings: no deadline (the first example may load phone metadata or pinyin tables).
hypothesis_settings.register_profile("digdeal", deadline=None, max_examples=100)
hypothesis_settings.load_profile("digdeal")


def pytest_configure(config):
    from django.conf import settings

    # Hashing with PBKDF2 would dominate the run time; the hasher is not what the tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def other(db):
    return build_other_company()


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """Organisation + second company built once per module, rolled back when the module ends.

    Only for modules whose tests use the ``db`` fixture (each test then runs in a savepoint inside
    this transaction); never together with transactional tests.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_org(), build_other_company()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class ApiClient:
    """Calls the JSON API with a personal token (as the phone app and integrations do)."""

    def __init__(self, user=None, **extra_headers):
        self.client = Client()
        self.headers = dict(extra_headers)
        if user is not None:
            self.headers["Authorization"] = "Bearer " + core_services.api_token_issue(user=user, name="tests")

    def _call(self, method, path, data=None, raw: str | None = None, headers=None):
        kwargs = {"headers": {**self.headers, **(headers or {})}}
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, headers=None):
        return self.client.get(path, headers={**self.headers, **(headers or {})})

    def post(self, path, data=None, raw=None, headers=None):
        return self._call("post", path, data, raw, headers)

    def patch(self, path, data=None, raw=None, headers=None):
        return self._call("patch", path, data, raw, headers)

    def put(self, path, data=None, raw=None, headers=None):
        return self._call("put", path, data, raw, headers)

    def delete(self, path, headers=None):
        return self.client.delete(path, headers={**self.headers, **(headers or {})})


@pytest.fixture
def api_as(db):
    return ApiClient


@pytest.fixture
def client_as(db):
    """A browser session logged in as the given user."""

    def make(user, **defaults):
        c = Client(**defaults)
        c.force_login(user)
        return c

    return make
