"""Visits (客户拜访), SPEC §2: plans and appointments, preparation, check-in, visit notes, the
commitments and open questions they leave behind, daily reports and the manager's comments.

A visit goes planned → (appointment) → (prepared) → checked in → noted → checked out; only the
customer and the salesperson are required, so an unplanned visit noted afterwards is one row too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import Company


def _company_fk():
    return models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("company"))


class VisitSettings(models.Model):
    """A dealer's visit method settings (拜访规范): cadence per intent grade, check-in radius."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="visit_settings")
    cadence_9 = models.PositiveSmallIntegerField(_("days between visits, grade 9"), default=2)
    cadence_6 = models.PositiveSmallIntegerField(_("days between visits, grade 6"), default=7)
    cadence_3 = models.PositiveSmallIntegerField(_("days between visits, grade 3"), default=14)
    cadence_1 = models.PositiveSmallIntegerField(_("days between visits, grade 1"), default=30)
    cadence_0 = models.PositiveSmallIntegerField(_("days between visits, grade 0"), default=90)
    cadence_none = models.PositiveSmallIntegerField(_("days between visits, not graded"), default=30)
    purchase_window_days = models.PositiveSmallIntegerField(
        _("daily visits in the last days before a grade-9 purchase"), default=2
    )
    checkin_radius_m = models.PositiveIntegerField(_("allowed check-in radius (m)"), default=500)
    nearby_km = models.PositiveIntegerField(_("'near me' distance (km)"), default=20)
    photo_max_mb = models.PositiveSmallIntegerField(_("largest photo (MB)"), default=10)

    class Meta:
        verbose_name = _("visit settings (拜访规范)")
        verbose_name_plural = _("visit settings (拜访规范)")

    def __str__(self) -> str:
        return str(self.company)

    def cadence(self) -> dict[int | None, int]:
        return {
            9: self.cadence_9,
            6: self.cadence_6,
            3: self.cadence_3,
            1: self.cadence_1,
            0: self.cadence_0,
            None: self.cadence_none,
        }


class ChecklistItem(models.Model):
    """An item of the material checklist (物品准备): briefcase, cards, brochure…"""

    company = _company_fk()
    name = models.CharField(_("item"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("checklist item (物品准备)")
        verbose_name_plural = _("checklist items (物品准备)")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """One visit to one customer (客户拜访): the plan, the appointment, preparation and check-in."""

    class Kind(models.TextChoices):
        FIRST = "first", _("First visit (初次拜访)")
        REPEAT = "repeat", _("Repeat visit (重复拜访)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        WECHAT = "wechat", _("WeChat")
        SMS = "sms", _("Text message")
        IN_PERSON = "in_person", _("In person")

    class Outcome(models.TextChoices):
        PENDING = "", _("not asked yet")
        AGREED = "agreed", _("Agreed (同意见面)")
        RESCHEDULED = "rescheduled", _("Another time (改约)")
        NO_ANSWER = "no_answer", _("No answer (未接通)")
        REFUSED = "refused", _("Refused (拒绝)")

    class Approach(models.TextChoices):
        NONE = "", _("—")
        SITE = "site", _("Go to the work site (到地拜访法)")
        INTRODUCTION = "introduction", _("Introduction by a friend (朋友介绍法)")

    class Result(models.TextChoices):
        OPEN = "", _("open")
        WON = "won", _("Deal closed (成交)")
        LOST = "lost", _("Lost (丢单)")

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="visits", verbose_name=_("customer")
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits", verbose_name=_("salesperson")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REPEAT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    # appointment (预约)
    appointment_at = models.DateTimeField(_("proposed time"), null=True, blank=True)
    appointment_channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    appointment_outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    approach = models.CharField(_("way in"), max_length=12, choices=Approach.choices, blank=True)
    introducer = models.ForeignKey(
        "customers.Relation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("introduced by"),
    )
    appointment_note = models.CharField(_("appointment note"), max_length=300, blank=True)
    # preparation (拜访准备)
    objectives = models.JSONField(_("objectives (拜访目标)"), default=list, blank=True)
    actions = models.TextField(_("main actions (主要行动措施)"), blank=True)
    checklist = models.JSONField(_("material checklist (物品准备)"), default=dict, blank=True)
    # check-in and check-out (签到·签退)
    checkin_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checkin_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    checkin_distance_m = models.PositiveIntegerField(_("distance from the customer (m)"), null=True, blank=True)
    checkin_manual = models.BooleanField(_("manual check-in"), default=False)
    checkin_reason = models.CharField(_("reason for a manual check-in"), max_length=200, blank=True)
    flagged = models.BooleanField(_("flagged for the manager"), default=False)
    flag_reason = models.CharField(_("why flagged"), max_length=200, blank=True)
    checkout_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checkout_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_missing = models.BooleanField(_("never checked out"), default=False)
    done_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=5, choices=Result.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("visit (客户拜访)")
        verbose_name_plural = _("visits (客户拜访)")
        ordering = ["-planned_on", "-id"]
        indexes = [
            models.Index(fields=["salesperson", "planned_on"], name="visit_plan_idx"),
            models.Index(fields=["salesperson", "done_at"], name="visit_done_idx"),
            models.Index(fields=["customer", "-done_at"], name="visit_customer_idx"),
            models.Index(fields=["company", "done_at"], name="visit_company_done_idx"),
            # the close rate reads only closed opportunities
            models.Index(fields=["company", "done_at"], condition=~models.Q(result=""), name="visit_closed_idx"),
        ]

    def __str__(self) -> str:
        when = self.done_at.date() if self.done_at else self.planned_on
        return f"{self.customer} · {when}" if when else str(self.customer)

    @property
    def minutes_on_site(self) -> int | None:
        if self.checkin_at and self.checkout_at and self.checkout_at >= self.checkin_at:
            return int((self.checkout_at - self.checkin_at).total_seconds() // 60)
        return None


def _photo_path(instance, filename: str) -> str:
    return f"visits/{instance.company_id}/{instance.visit_id}/{filename}"


class VisitPhoto(models.Model):
    """A photo taken on site at check-in (现场照片), with its thumbnail."""

    company = _company_fk()
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("visit"))
    image = models.ImageField(_("photo"), upload_to=_photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    taken_at = models.DateTimeField(_("taken at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("visit photo (现场照片)")
        verbose_name_plural = _("visit photos (现场照片)")
        ordering = ["taken_at", "id"]

    def __str__(self) -> str:
        return f"{self.visit_id} · {self.taken_at:%Y-%m-%d %H:%M}"


class VisitNote(models.Model):
    """A visit note (拜访笔记): what was learned on site. Its entries update the living profile;
    ``changes`` records what each entry changed, in the order applied."""

    company = _company_fk()
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="notes", verbose_name=_("visit"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="visit_notes", verbose_name=_("customer")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    client_key = models.CharField(
        _("draft key"),
        max_length=64,
        blank=True,
        help_text=_("Sent by the phone with an offline draft: recorded once."),
    )
    summary = models.TextField(_("summary"), blank=True)
    changes = models.JSONField(_("what it changed"), default=list, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("visit note (拜访笔记)")
        verbose_name_plural = _("visit notes (拜访笔记)")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "client_key"], condition=~models.Q(client_key=""), name="visitnote_unique_draft"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "-recorded_at"], name="visitnote_customer_idx"),
            models.Index(fields=["author", "recorded_at"], name="visitnote_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.recorded_at:%Y-%m-%d}"


class FollowUp(models.Model):
    """What a visit leaves for the next one (切入点): a commitment we made, a question we could not
    answer, something the customer did not fully understand. Commitments and questions post to-dos."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("Commitment we made (承诺事项)")
        QUESTION = "question", _("Question we could not answer (未答复事项)")
        UNCLEAR = "unclear", _("Not fully understood (未完全了解事项)")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="followups", verbose_name=_("customer")
    )
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups")
    note = models.ForeignKey(VisitNote, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.CharField(_("what"), max_length=300)
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who follows up")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up item (切入点)")
        verbose_name_plural = _("follow-up items (切入点)")
        ordering = ["status", "due_on", "id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="followup_customer_idx"),
            models.Index(fields=["owner", "created_at"], name="followup_owner_created_idx"),
            models.Index(fields=["owner", "done_at"], name="followup_owner_done_idx"),
        ]

    def __str__(self) -> str:
        return self.text


class Objection(models.Model):
    """An objection heard on a visit (客户异议), optionally tied to a need point."""

    company = _company_fk()
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="objections", verbose_name=_("customer")
    )
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="objections")
    note = models.ForeignKey(VisitNote, on_delete=models.SET_NULL, null=True, blank=True, related_name="objections")
    need_point = models.ForeignKey(
        "customers.NeedPoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("need point"),
    )
    text = models.CharField(_("objection"), max_length=300)
    answer = models.CharField(_("our answer"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("heard by")
    )
    resolved = models.BooleanField(_("resolved"), default=False)
    at = models.DateTimeField(_("heard at"))

    class Meta:
        verbose_name = _("objection (客户异议)")
        verbose_name_plural = _("objections (客户异议)")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["by", "at"], name="objection_by_idx")]

    def __str__(self) -> str:
        return self.text


class DailyReport(models.Model):
    """A salesperson's daily report (日报): the day's figures assembled from the records, the
    salesperson's remarks and tomorrow's plan; submitted to the manager."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    company = _company_fk()
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="daily_reports", verbose_name=_("salesperson")
    )
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    remarks = models.TextField(_("remarks (工作小结)"), blank=True)
    tomorrow_plan = models.TextField(_("tomorrow's plan (明日计划)"), blank=True)
    figures = models.JSONField(_("figures at submission"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("daily report (日报)")
        verbose_name_plural = _("daily reports (日报)")
        ordering = ["-day", "salesperson_id"]
        constraints = [models.UniqueConstraint(fields=["salesperson", "day"], name="dailyreport_unique_day")]
        indexes = [models.Index(fields=["company", "day"], name="dailyreport_day_idx")]

    def __str__(self) -> str:
        return f"{self.salesperson} · {self.day}"


class ReportComment(models.Model):
    """A manager's comment on a daily report (日报点评)."""

    company = _company_fk()
    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report comment (日报点评)")
        verbose_name_plural = _("report comments (日报点评)")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


for _model in (
    VisitSettings,
    ChecklistItem,
    Visit,
    VisitPhoto,
    VisitNote,
    FollowUp,
    Objection,
    DailyReport,
    ReportComment,
):
    audited(_model)
