"""Addresses of risk, included under /receivables/ in the "receivables" namespace."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("watch/", v.watch_list, name="watch_list"),
    path("escalations/", v.escalations, name="escalations"),
    path("escalations/<int:pk>/decide/", v.step_decide, name="risk_step_decide"),
    path("settlements/<int:pk>/decide/", v.settlement_decide, name="risk_settlement_decide"),
    path("risk/settings/", v.risk_settings, name="risk_settings"),
    path("<int:pk>/risk/signals/", v.signal_new, name="risk_signal_new"),
    path("risk/signals/<int:pk>/withdraw/", v.signal_withdraw, name="risk_signal_withdraw"),
    path("risk/signals/<int:pk>/photo/", v.signal_photo, name="risk_signal_photo"),
    path("<int:pk>/risk/arrears/", v.arrears_set, name="risk_arrears_set"),
    path("<int:pk>/risk/escalations/", v.step_new, name="risk_step_new"),
    path("risk/steps/<int:pk>/notice/", v.step_notice, name="risk_step_notice"),
    path("risk/steps/<int:pk>/done/", v.step_done, name="risk_step_done"),
    path("risk/steps/<int:pk>/lift/", v.lock_lift, name="risk_lock_lift"),
    path("<int:pk>/risk/settlements/", v.settlement_new, name="risk_settlement_new"),
]
