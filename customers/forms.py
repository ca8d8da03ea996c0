from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import Customer


class CustomerForm(forms.Form):
    """Input shape only; the service validates and normalises (phone, ID number, grade)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices, initial=Customer.Kind.PERSON)
    phone = forms.CharField(
        label=_("Mobile"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    grade = forms.TypedChoiceField(
        label=_("Intent grade (意向等级)"),
        choices=[("", "—"), *list(Customer.Grade.choices)],
        required=False,
        coerce=int,
        empty_value=None,
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    province = forms.CharField(label=_("Province"), required=False, max_length=40)
    city = forms.CharField(label=_("City"), required=False, max_length=40)
    district = forms.CharField(label=_("District"), required=False, max_length=40)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    id_number = forms.CharField(
        label=_("ID-card number (身份证号)"),
        required=False,
        max_length=30,
        help_text=_("Stored encrypted; shown masked."),
    )

    def __init__(self, *args, user=None, editing: bool = False, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.instance = instance
        self.editing = editing
        if editing:
            # The stored number is never put into the page; a blank field keeps it.
            self.fields["id_number"].help_text = _("Leave blank to keep the stored number.")
        from core.visibility import visible

        regions = visible(user, Region)
        if not user.has_role("admin"):
            regions = regions.filter(pk__in=user.region_ids)
        self.fields["region"].queryset = regions

    def clean(self):
        """Run the service's rules on every field that passed its own checks, so all errors show at once."""
        from django.core.exceptions import ValidationError

        from .services import customer_validate

        cleaned = super().clean()
        fields = {k: v for k, v in cleaned.items() if k != "region"}
        if cleaned.get("region") is not None:
            fields["region_id"] = cleaned["region"].pk
        if self.editing and not fields.get("id_number"):
            fields.pop("id_number", None)
        try:
            customer_validate(actor=self.user, fields=fields, instance=self.instance)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["region_id"] = data.pop("region").pk
        if self.editing and not data.get("id_number"):
            data.pop("id_number", None)
        return data
