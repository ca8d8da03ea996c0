"""Login with throttling: after LOGIN_MAX_FAILURES failures in the window, the username is refused."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services


def client_ip(request) -> str:
    """The client's address; behind TRUSTED_PROXY_COUNT proxies, taken from X-Forwarded-For."""
    if request is None:
        return ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            return None
        ip = client_ip(request)
        if services.login_is_throttled(username=username, ip=ip):
            # PermissionDenied stops the other backends; the login form shows the throttled message.
            if request is not None:
                request.login_throttled = True
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.login_failure_record(username=username, ip=ip)
        else:
            services.login_failures_clear(username=username)
        return user
