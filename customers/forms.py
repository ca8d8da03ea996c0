from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Region

from .models import LEVEL_CHOICES, Customer, CustomerNeed, Relation, Tier


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
    occupation = forms.CharField(label=_("Occupation (职业)"), required=False, max_length=60)
    age = forms.IntegerField(label=_("Age (年龄)"), required=False, min_value=16, max_value=100)
    birthday = forms.DateField(
        label=_("Birthday (生日)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hobbies = forms.CharField(label=_("Hobbies (爱好)"), required=False, max_length=200)
    expected_purchase_on = forms.DateField(
        label=_("Expected purchase date (预计购机日期)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A grade-9 customer is visited every day in the last days before it."),
    )
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


def _choices(field_name: str, blank: str = "—") -> list:
    field = Customer._meta.get_field(field_name)
    return [("", blank), *field.choices]


class ClassificationForm(forms.Form):
    """客户分类: the dimensions of SPEC §1. The service validates the values again."""

    work_type = forms.ChoiceField(label=_("Work type (工程类别)"), required=False)
    engineering_kind = forms.ChoiceField(label=_("Engineering kind (工程细分)"), required=False)
    use = forms.ChoiceField(label=_("Use (用途)"), required=False)
    scale = forms.ChoiceField(label=_("Scale (规模实力)"), required=False)
    capital = forms.ChoiceField(label=_("Capital strength (资金实力)"), required=False)
    experience = forms.ChoiceField(label=_("Industry experience (行业经验)"), required=False)
    winning = forms.ChoiceField(label=_("Project-winning ability (揽活能力)"), required=False)
    decision = forms.ChoiceField(label=_("Decision ability (决策能力)"), required=False)
    influence = forms.ChoiceField(label=_("Influence on others (影响力)"), required=False)
    susceptibility = forms.ChoiceField(label=_("Susceptibility to influence (被影响力)"), required=False)
    machine_count = forms.IntegerField(label=_("Machines owned"), required=False, min_value=0, max_value=10000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                field.choices = _choices(name)


class NeedForm(forms.Form):
    expected = forms.IntegerField(label=_("Expected target (预期目标)"), min_value=0, max_value=100)
    deliverable = forms.IntegerField(label=_("Deliverable (实际能满足)"), min_value=0, max_value=100)
    stage = forms.ChoiceField(label=_("Stage"), choices=CustomerNeed.Stage.choices)
    confirmed_with_customer = forms.BooleanField(label=_("Confirmed with the customer"), required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (CustomerNeed.Source.CONVERSATION, CustomerNeed.Source.CONVERSATION.label),
            (CustomerNeed.Source.COMPETITOR, CustomerNeed.Source.COMPETITOR.label),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class GradeForm(forms.Form):
    grade = forms.TypedChoiceField(
        label=_("Intent grade (意向等级)"),
        choices=[("", "—"), *Customer.Grade.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)


class TierForm(forms.Form):
    tier = forms.ChoiceField(label=_("Maintenance tier (客户维护)"), choices=[("", "—"), *Tier.choices], required=False)
    reason = forms.CharField(label=_("Why"), max_length=300, required=False)


class RelationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Relation.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=60)
    relation = forms.CharField(label=_("Relation (关系)"), max_length=40)
    phone = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    occupation = forms.CharField(label=_("Occupation"), max_length=60, required=False)
    influence = forms.TypedChoiceField(
        label=_("Influence on the customer (影响力)"), choices=LEVEL_CHOICES, coerce=int, initial=3
    )


class MachineForm(forms.Form):
    competitor_machine = forms.ModelChoiceField(
        label=_("Competitor model (竞品机型)"),
        required=False,
        queryset=None,
        help_text=_("Pick it when known: brand and model are taken from it."),
    )
    brand = forms.CharField(label=_("Brand"), max_length=60, required=False)
    model = forms.CharField(label=_("Model"), max_length=60, required=False)
    count = forms.IntegerField(label=_("Count"), min_value=1, max_value=500, initial=1)
    years_used = forms.IntegerField(label=_("Years used"), min_value=0, max_value=60, required=False)
    opinion = forms.CharField(label=_("Opinion"), max_length=300, required=False)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    phone = forms.CharField(label=_("Mobile"), max_length=30, required=False)
    title = forms.CharField(label=_("Role"), max_length=60, required=False)


def machine_form(user, *args, **kwargs) -> MachineForm:
    """The machine form with the competitor models the user may see."""
    from core.visibility import visible

    from .models import CompetitorMachine

    form = MachineForm(*args, **kwargs)
    form.fields["competitor_machine"].queryset = visible(user, CompetitorMachine).order_by("brand", "model")
    return form
