"""The customer list's filters, validated once for the page, the export and the API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region, User
from core.visibility import visible
from pitch.models import Product

from .models import LEVEL_CHOICES, Customer, EngineeringKind, Scale, Tier, Use, WorkType

DIMENSIONS = ("capital", "experience", "winning", "decision", "influence", "susceptibility")


ANY = _("any")


def _opt(choices, blank=ANY):
    return [("", blank), *[(str(v), label) for v, label in choices]]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("Intent grade"), required=False, choices=_opt(Customer.Grade.choices))
    pool = forms.ChoiceField(
        label=_("Pool"),
        required=False,
        choices=[("", _("Owned and pool")), ("0", _("Owned")), ("1", _("Public pool (公海)"))],
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    tier = forms.ChoiceField(label=_("Maintenance tier"), required=False, choices=_opt(Tier.choices))
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none())
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=Region.objects.none())
    city = forms.CharField(label=_("City"), required=False, max_length=40)
    district = forms.CharField(label=_("District"), required=False, max_length=40)
    work_type = forms.ChoiceField(label=_("Work type (工程类别)"), required=False, choices=_opt(WorkType.choices))
    engineering_kind = forms.ChoiceField(
        label=_("Engineering kind (工程细分)"), required=False, choices=_opt(EngineeringKind.choices)
    )
    use = forms.ChoiceField(label=_("Use (用途)"), required=False, choices=_opt(Use.choices))
    scale = forms.ChoiceField(label=_("Scale (规模实力)"), required=False, choices=_opt(Scale.choices))
    capital = forms.ChoiceField(label=_("Capital strength (资金实力)"), required=False, choices=_opt(LEVEL_CHOICES))
    experience = forms.ChoiceField(
        label=_("Industry experience (行业经验)"), required=False, choices=_opt(LEVEL_CHOICES)
    )
    winning = forms.ChoiceField(
        label=_("Project-winning ability (揽活能力)"), required=False, choices=_opt(LEVEL_CHOICES)
    )
    decision = forms.ChoiceField(label=_("Decision ability (决策能力)"), required=False, choices=_opt(LEVEL_CHOICES))
    influence = forms.ChoiceField(label=_("Influence on others (影响力)"), required=False, choices=_opt(LEVEL_CHOICES))
    susceptibility = forms.ChoiceField(
        label=_("Susceptibility to influence (被影响力)"), required=False, choices=_opt(LEVEL_CHOICES)
    )
    fits = forms.ModelChoiceField(label=_("Fits product (客户定位)"), required=False, queryset=Product.objects.none())
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        widget=forms.Select(attrs={"aria-label": _("Sort by")}),
        choices=[
            ("", _("Recently updated")),
            ("grade", _("Intent grade, highest first")),
            ("name", _("Name")),
            ("followup", _("Longest without follow-up")),
        ],
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].queryset = visible(user, Region)
        self.fields["owner"].queryset = visible(user, User).filter(user_roles__role="salesperson").distinct()
        self.fields["fits"].queryset = visible(user, Product).filter(active=True)

    def filters(self) -> dict:
        """The valid, non-empty filters (call after is_valid(); invalid fields are left out)."""
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "", False)}

    def querystring_items(self) -> list[tuple[str, str]]:
        out = []
        for k, v in self.filters().items():
            out.append((k, str(v.pk) if hasattr(v, "pk") else ("1" if v is True else str(v))))
        return out
