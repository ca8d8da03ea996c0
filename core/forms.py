from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password. Note that both fields may be case-sensitive."),
        "throttled": _("Too many failed logins for this account. Try again in 15 minutes or ask your administrator."),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "login_throttled", False):
                raise forms.ValidationError(self.error_messages["throttled"], code="throttled") from None
            raise


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_until(self):
        from . import rules
        from .services import SNOOZE_MESSAGES

        until = self.cleaned_data["until"]
        problem = rules.snooze_problem(until, timezone.localdate())
        if problem is not None:
            raise forms.ValidationError(SNOOZE_MESSAGES[problem])
        return until


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=80, help_text=_("e.g. the phone or the system that uses it")
    )
