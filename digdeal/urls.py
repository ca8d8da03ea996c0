from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from core.views import LoginView

from .api import api

admin.site.site_header = "DigDeal"
admin.site.site_title = "DigDeal"

urlpatterns = [
    path("login/", login_not_required(LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("customers/", include("customers.urls")),
    path("pitch/", include("pitch.urls")),
    path("policies/", include("policies.urls")),
    path("orders/", include("orders.urls")),
    path("receivables/", include("receivables.urls")),
    path("visits/", include("visits.urls")),
    path("", include("core.urls")),
]
