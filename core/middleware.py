from . import audit
from .models import Channel


class AuditContextMiddleware:
    """Attributes changes made while serving a page to the logged-in user, channel "page".

    The API sets its own channel ("api") in its authentication (core/api.py); the admin site's
    changes are tagged "admin".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        channel = Channel.ADMIN if request.path.startswith("/admin/") else Channel.PAGE
        token = audit.set_context(user if user is not None and user.is_authenticated else None, channel)
        try:
            return self.get_response(request)
        finally:
            audit.reset_context(token)


class LoginRequiredMiddleware:
    """Django's LoginRequiredMiddleware for the pages; the API answers 401 itself (JSON)."""

    def __new__(cls, get_response):
        from django.contrib.auth.middleware import LoginRequiredMiddleware as Base

        class _Impl(Base):
            def process_view(self, request, view_func, view_args, view_kwargs):
                if request.path_info.startswith("/api/"):
                    return None
                return super().process_view(request, view_func, view_args, view_kwargs)

        return _Impl(get_response)
