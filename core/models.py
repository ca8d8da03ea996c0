"""Organisation, users and roles, audit trail, to-dos and notifications (组织·用户·审计·待办)."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALESPERSON = "salesperson", _("Salesperson (业务员)")
    MANAGER = "manager", _("Regional manager (区域经理)")
    FINANCE = "finance", _("Finance / collections (财务·债权专员)")
    SERVICE = "service", _("Service engineer (服务工程师)")
    ADMIN = "admin", _("Administrator (管理员)")


class Channel(models.TextChoices):
    """Through which door a change came in."""

    PAGE = "page", _("Web page")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    JOB = "job", _("Background job")
    ADMIN = "admin", _("Admin site")
    SYSTEM = "system", _("System")


class Company(models.Model):
    """The dealer (经销商). A deployment may hold several; no user sees another company's data."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company (经销商)")
        verbose_name_plural = _("companies (经销商)")

    def __str__(self) -> str:
        return self.short_name or self.name


class Region(models.Model):
    """Sales region (区域) of a company, led by regional managers."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="regions", verbose_name=_("company"))
    name = models.CharField(_("name"), max_length=80)
    province = models.CharField(_("province"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("region (区域)")
        verbose_name_plural = _("regions (区域)")
        constraints = [models.UniqueConstraint(fields=["company", "name"], name="region_unique_name")]
        ordering = ["company_id", "name"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    """Branch / outlet (网点) inside a region."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="branches", verbose_name=_("company"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="branches", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=80)
    city = models.CharField(_("city"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("branch (网点)")
        verbose_name_plural = _("branches (网点)")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="branch_unique_name")]
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of a dealer's staff. Roles are held in UserRole; regions covered in `regions`."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("company")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.SET_NULL, null=True, blank=True, related_name="users", verbose_name=_("branch")
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="staff", verbose_name=_("regions covered"))
    display_name = models.CharField(_("display name"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user (用户)")
        verbose_name_plural = _("users (用户)")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @cached_property
    def role_set(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.user_roles.values_list("role", flat=True))

    @cached_property
    def region_ids(self) -> frozenset[int]:
        if not self.pk:
            return frozenset()
        return frozenset(self.regions.values_list("id", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [label for value, label in Role.choices if value in self.role_set]


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="user_roles", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("role assignment (角色)")
        verbose_name_plural = _("role assignments (角色)")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="userrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AppendOnlyQuerySet(models.QuerySet):
    """History is never rewritten: bulk update and delete are refused like the instance ones."""

    def update(self, **kwargs):
        raise PermissionError("This log is append-only.")

    def delete(self):
        raise PermissionError("This log is append-only.")


class AuditEntry(models.Model):
    """One create / update / delete of a business record (审计记录). Append-only."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict)  # {field: [old, new]}

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry (审计记录)")
        verbose_name_plural = _("audit entries (审计记录)")
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="audit_object_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")


class SensitiveAccess(models.Model):
    """Every reveal of masked personal data and every export containing it (敏感数据访问记录)."""

    class Kind(models.TextChoices):
        REVEAL = "reveal", _("revealed")
        EXPORT = "export", _("exported")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    field = models.CharField(_("field"), max_length=60)
    row_count = models.PositiveIntegerField(_("rows"), default=1)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("sensitive data access (敏感数据访问)")
        verbose_name_plural = _("sensitive data accesses (敏感数据访问)")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.field}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Access log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Access log entries cannot be deleted.")


class Todo(models.Model):
    """A dated to-do (待办) posted to one user by any module."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="todos", verbose_name=_("assignee")
    )
    kind = models.CharField(_("kind"), max_length=40)  # e.g. "visit_due", "payment_prewarning"
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    due = models.DateField(_("due"))
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Idempotency: a module posting the same reminder twice (e.g. a nightly job) updates it instead.
    key = models.CharField(max_length=120, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("to-do (待办)")
        verbose_name_plural = _("to-dos (待办)")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="todo_unique_key_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "status", "due"], name="todo_user_status_due")]
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_due(self):
        from .rules import effective_due

        return effective_due(self.due, self.snoozed_until)


class Notification(models.Model):
    """An in-app notification (通知); the same message may also go out by email or group robot."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification (通知)")
        verbose_name_plural = _("notifications (通知)")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PeriodicRun(models.Model):
    """One claimed slot of a periodic job; the unique key makes exactly one worker enqueue it."""

    name = models.CharField(max_length=80)
    slot = models.CharField(max_length=40)
    claimed_at = models.DateTimeField(default=timezone.now)
    worker = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="periodicrun_unique_slot")]

    def __str__(self) -> str:
        return f"{self.name}@{self.slot}"


class LoginFailure(models.Model):
    """Failed login attempts, for throttling (kept in the database so every app server sees them)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.ip}"


class ApiToken(models.Model):
    """A personal API token for integrations and the phone app (only its hash is stored)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
