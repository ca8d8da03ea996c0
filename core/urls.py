from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.today, name="today"),
    path("todos/<int:pk>/done/", views.todo_done, name="todo_done"),
    path("todos/<int:pk>/snooze/", views.todo_snooze, name="todo_snooze"),
    path("notifications/", views.notifications, name="notifications"),
    path("account/", views.account, name="account"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_list, name="audit"),
]
