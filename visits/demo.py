"""Demo data of visits: customer locations, 60 days of visits following the cadence, check-ins,
notes, follow-ups, objections, deals won and lost, daily reports with comments, today's plan —
and ``seed_visit_volume`` for the bench (a salesperson with 2,000 customers, 1,000,000 visits).

Deterministic for a given ``rng`` and day; bulk inserts only (demo data is not audited).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Mod
from django.utils import timezone

from core.demo import keep_timestamps
from core.models import Company, Role, User
from customers.models import Customer, StatusChange

from . import rules
from .method import install_defaults
from .models import DailyReport, FollowUp, Objection, ReportComment, Visit, VisitNote

# Capitals of the provinces (a fact, approximate to ~1 km), and the cities of the reference dealer's
# home province (山东省): a demo customer is placed within ~30 km of its city, else of its province.
PROVINCE_CENTRES: dict[str, tuple[float, float]] = {
    "北京市": (39.904, 116.407),
    "天津市": (39.084, 117.201),
    "河北省": (38.042, 114.515),
    "山西省": (37.870, 112.549),
    "内蒙古自治区": (40.842, 111.749),
    "辽宁省": (41.806, 123.432),
    "吉林省": (43.817, 125.324),
    "黑龙江省": (45.803, 126.535),
    "上海市": (31.230, 121.474),
    "江苏省": (32.060, 118.797),
    "浙江省": (30.274, 120.155),
    "安徽省": (31.821, 117.227),
    "福建省": (26.075, 119.296),
    "江西省": (28.682, 115.858),
    "山东省": (36.651, 117.120),
    "河南省": (34.747, 113.625),
    "湖北省": (30.593, 114.305),
    "湖南省": (28.228, 112.939),
    "广东省": (23.129, 113.264),
    "广西壮族自治区": (22.817, 108.366),
    "海南省": (20.044, 110.199),
    "重庆市": (29.563, 106.551),
    "四川省": (30.573, 104.066),
    "贵州省": (26.647, 106.630),
    "云南省": (25.038, 102.718),
    "西藏自治区": (29.652, 91.172),
    "陕西省": (34.341, 108.940),
    "甘肃省": (36.061, 103.834),
    "青海省": (36.617, 101.778),
    "宁夏回族自治区": (38.487, 106.231),
    "新疆维吾尔自治区": (43.825, 87.617),
}
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "济南市": (36.651, 117.120),
    "青岛市": (36.067, 120.383),
    "淄博市": (36.813, 118.055),
    "枣庄市": (34.810, 117.323),
    "东营市": (37.434, 118.675),
    "烟台市": (37.464, 121.448),
    "潍坊市": (36.707, 119.162),
    "济宁市": (35.415, 116.587),
    "泰安市": (36.200, 117.088),
    "威海市": (37.513, 122.121),
    "日照市": (35.417, 119.527),
    "临沂市": (35.104, 118.356),
    "德州市": (37.436, 116.359),
    "聊城市": (36.457, 115.985),
    "滨州市": (37.382, 117.971),
    "菏泽市": (35.234, 115.481),
}
DEFAULT_CENTRE = PROVINCE_CENTRES["山东省"]
JITTER_KM = 25.0

SUMMARIES = (
    "聊了新工地的土方量，客户很关心HY65-9的油耗",
    "客户在比较三一和我们的价格，要求再给一个报价",
    "老板不在，和合伙人谈了付款方式",
    "看了客户现有的两台旧机，车况一般，有换机意向",
    "客户下个月有市政管网项目，需要一台小挖",
    "送了产品画册，约了下周去看样机",
    "客户担心售后响应速度，介绍了我们的服务承诺",
    "谈了以旧换新方案，客户要回去和家人商量",
    "客户的朋友刚买了我们的机器，口碑不错",
    "客户资金紧张，关心首付比例和分期政策",
    "工地在赶工期，客户只给了十分钟，确认了需求",
    "客户对斗容和挖掘力很满意，价格还要再谈",
)
CHANGES = (
    ("needs", "价格：已核实，预期 80，可满足 60"),
    ("needs", "服务及时性：已修正，预期 90，可满足 75"),
    ("needs", "性价比：已核实，预期 70，可满足 70"),
    ("basics", "爱好：钓鱼"),
    ("basics", "预计购机日期：下月中旬"),
    ("machines", "新增设备：三一 SY60C，已用 5 年，油耗偏高"),
    ("relations", "新增家庭成员：妻子，影响力 4"),
    ("relations", "新增朋友：同村老乡，开挖机修理厂"),
    ("market", "新项目：城东污水管网改造，工期 6 个月"),
    ("competitors", "竞品：卡特彼勒 305.5E2 报价下调 3 万"),
)
COMMITMENTS = ("下周送配件价格清单", "帮客户问分期最低首付", "安排一次试机", "送一份保养手册", "带客户去看老客户的机器")
QUESTIONS = ("破碎锤管路是否标配", "二手机回收价怎么评估", "发动机质保几年", "能否开增值税专用发票")
UNCLEAR = ("保修条款里的易损件范围", "以旧换新的折价方式", "融资租赁和分期的区别")
OBJECTIONS = (
    ("价格比三一贵", "算了油耗和残值，两年能省回差价"),
    ("担心配件供应慢", "本地网点常备易损件，24 小时到"),
    ("二手残值不如日系", "给出近一年同型号二手成交价"),
    ("首付太高", "介绍了低首付金融方案"),
    ("服务站离工地太远", "服务车可上门，承诺 4 小时响应"),
)
MANUAL_REASONS = ("工地没有信号，手动签到", "手机定位权限被关闭", "定位一直失败，现场拍照为证")
REMARKS = (
    "今天重点跟进了 {a}，客户意向明确，准备报价。",
    "上午在 {a} 的工地，下午回访 {b}；{b} 还在比较价格。",
    "计划内的客户基本都见到了，{a} 对服务承诺比较关心。",
    "{a} 资金紧张，需要经理支持一个低首付方案。",
    "今天跑得比较远，{a} 的工地在山里，定位不太准。",
)
TOMORROW = ("上午去 {a}，下午回访 {b}。", "跟进 {a} 的报价，顺路拜访 {b}。", "整理客户资料，下午去 {a} 的新工地。")
COMMENTS = (
    "9类客户要天天跟，报价明天一定发出去。",
    "计划执行得不错，签到注意在现场完成。",
    "低首付方案可以申请，把客户资料发我。",
    "价格异议多，明天早会我们一起过一下话术。",
    "注意拜访频率，6类客户一周至少一次。",
)


# --- customer locations -------------------------------------------------------------------------------


def centre_of(province: str, city: str) -> tuple[float, float]:
    return CITY_CENTRES.get(city) or PROVINCE_CENTRES.get(province) or DEFAULT_CENTRE


def place_customers(company: Company) -> int:
    """Give every customer of the company without a location one within ~25 km of its city (or
    province) centre. Set-based: one UPDATE per city, the offset derived from the id."""
    todo = (
        Customer.objects.filter(company=company, latitude__isnull=True)
        .order_by()
        .values_list("province", "city")
        .distinct()
    )
    placed = 0
    for province, city in list(todo):
        lat, lng = centre_of(province, city)
        dlat = JITTER_KM / 111.0 / 504
        dlng = JITTER_KM / (111.0 * math.cos(math.radians(lat))) / 498
        placed += Customer.objects.filter(company=company, latitude__isnull=True, province=province, city=city).update(
            latitude=Value(Decimal(f"{lat:.6f}")) + (Mod(F("id") * 7919, 1009) - 504) * Value(Decimal(f"{dlat:.8f}")),
            longitude=Value(Decimal(f"{lng:.6f}")) + (Mod(F("id") * 104729, 997) - 498) * Value(Decimal(f"{dlng:.8f}")),
        )
    return placed


def _offset(lat: float, lng: float, metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.random() * 2 * math.pi
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * max(0.2, math.cos(math.radians(lat))))
    return round(lat + dlat, 6), round(lng + dlng, 6)


# --- 60 days of visits -------------------------------------------------------------------------------------

_PRIORITY = {9: 0, 6: 1, 3: 2, 1: 3, 0: 4, None: 5}
# share of deals won by visits before the deal: the deck's point that more visits close more deals
_WIN_BY_BUCKET = {"1–2": 0.2, "3–5": 0.5, "6+": 0.65}


def _aware(day: dt.date, minutes: int) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz) + dt.timedelta(minutes=minutes)


def seed_visits(
    company: Company,
    *,
    days: int = 60,
    rng: random.Random,
    today: dt.date | None = None,
    portfolio: int = 120,
    per_day: tuple[int, int] = (4, 7),
    report_days: int = 20,
) -> dict[str, int]:
    """Visits of the company's salespeople over the last ``days`` days, roughly by cadence, each with
    its check-in, note, some follow-ups and objections; a few deals won and lost; daily reports of
    the last ``report_days`` days (most submitted, some commented); today's plan. Each salesperson
    works on at most ``portfolio`` customers (the highest grades first), so the time taken does not
    grow with the number of customers."""
    today = today or timezone.localdate()
    now = timezone.now()
    settings_row = install_defaults(company.pk)
    cadence = settings_row.cadence()
    radius = settings_row.checkin_radius_m
    place_customers(company)

    salespeople = list(
        User.objects.filter(company=company, is_active=True, user_roles__role=Role.SALESPERSON)
        .distinct()
        .order_by("pk")
    )
    if not salespeople:
        return {"visits": 0}
    held: dict[int, list[dict]] = defaultdict(list)
    for c in (
        Customer.objects.filter(company=company, owner__in=salespeople, in_pool=False, merged_into__isnull=True)
        .order_by("pk")
        .values("id", "owner_id", "name", "grade", "latitude", "longitude")
    ):
        held[c["owner_id"]].append(c)

    visits: list[Visit] = []
    meta: list[dict] = []  # per visit: what its note should carry
    start = today - dt.timedelta(days=days - 1)
    now_minutes = (timezone.localtime(now) - _aware(today, 0)).total_seconds() // 60
    for person in salespeople:
        mine = held.get(person.pk, [])
        rng.shuffle(mine)
        mine.sort(key=lambda c: _PRIORITY.get(c["grade"], 5))
        mine = mine[:portfolio]
        # the visit before the window (not stored) staggers the first due days
        last = {
            c["id"]: start - dt.timedelta(days=rng.randrange(0, rules.cadence_days(c["grade"], cadence) + 3))
            for c in mine
        }
        nxt = {c["id"]: last[c["id"]] + dt.timedelta(days=rules.cadence_days(c["grade"], cadence)) for c in mine}
        seen: set[int] = set()
        count = defaultdict(int)
        # some prospects close (win or lose) at their k-th visit of the window, k within reach of the cadence
        close_at = {
            c["id"]: rng.randint(1, max(2, min(9, days // rules.cadence_days(c["grade"], cadence))))
            for c in mine
            if c["grade"] in (9, 6, 3) and rng.random() < 0.4
        }
        closed: set[int] = set()
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            if day.weekday() == 6 and rng.random() < 0.8:
                continue  # most Sundays off
            due = [c for c in mine if c["id"] not in closed and nxt[c["id"]] <= day]
            due.sort(key=lambda c: (_PRIORITY.get(c["grade"], 5), nxt[c["id"]]))
            chosen = due[: rng.randint(*per_day)]
            minute = 8 * 60 + 30 + rng.randrange(0, 30)
            for c in chosen:
                minute += rng.randrange(25, 70)  # on the road
                stay = rng.randrange(20, 90)
                is_today = day == today
                done = not is_today or minute + stay < now_minutes
                visit = _demo_visit(company, person, c, day, minute, stay, done=done, rng=rng, radius=radius)
                visit.kind = Visit.Kind.FIRST if c["id"] not in seen and rng.random() < 0.3 else Visit.Kind.REPEAT
                seen.add(c["id"])
                info = {"customer": c, "done": done}
                if done:
                    count[c["id"]] += 1
                    if close_at.get(c["id"]) == count[c["id"]]:
                        win = _WIN_BY_BUCKET[rules.visit_bucket(count[c["id"]])]
                        visit.result = Visit.Result.WON if rng.random() < win else Visit.Result.LOST
                        closed.add(c["id"])
                    gap = max(1, rules.cadence_days(c["grade"], cadence) + rng.choice((-1, 0, 0, 0, 1, 2, 4)))
                    nxt[c["id"]] = day + dt.timedelta(days=gap)
                minute += stay
                visits.append(visit)
                meta.append(info)
            # a planned visit that did not happen (cancelled, or still open)
            if due[len(chosen) :] and rng.random() < 0.25 and day < today:
                c = due[len(chosen)]
                visits.append(
                    Visit(
                        company=company,
                        customer_id=c["id"],
                        salesperson=person,
                        kind=Visit.Kind.REPEAT,
                        status=rng.choice((Visit.Status.CANCELLED, Visit.Status.PLANNED)),
                        planned_on=day,
                        created_at=_aware(day - dt.timedelta(days=1), 20 * 60),
                        updated_at=_aware(day, 18 * 60),
                    )
                )
                meta.append({"customer": c, "done": False})
        # today's plan: the customers due today not planned yet
        planned_today = {v.customer_id for v in visits if v.salesperson_id == person.pk and v.planned_on == today}
        # (the customers due today first, then those due soonest: every salesperson has a plan)
        extra = [c for c in mine if c["id"] not in closed and c["id"] not in planned_today]
        extra.sort(key=lambda c: (max(nxt[c["id"]], today), _PRIORITY.get(c["grade"], 5)))
        for c in extra[: max(0, 6 - len(planned_today))]:
            visits.append(
                Visit(
                    company=company,
                    customer_id=c["id"],
                    salesperson=person,
                    kind=Visit.Kind.REPEAT,
                    status=Visit.Status.PLANNED,
                    planned_on=today,
                    created_at=_aware(today - dt.timedelta(days=1), 20 * 60),
                    updated_at=_aware(today - dt.timedelta(days=1), 20 * 60),
                )
            )
            meta.append({"customer": c, "done": False})

    with keep_timestamps(Visit, FollowUp, DailyReport, ReportComment):
        Visit.objects.bulk_create(visits, batch_size=1000)
        notes, followups, objections, grade_changes = _notes_for(company, visits, meta, rng, today)
        VisitNote.objects.bulk_create(notes, batch_size=1000)
        for f in followups:
            f.note_id = f.note.pk
        for o in objections:
            o.note_id = o.note.pk
        FollowUp.objects.bulk_create(followups, batch_size=1000)
        Objection.objects.bulk_create(objections, batch_size=1000)
        StatusChange.objects.bulk_create(grade_changes, batch_size=1000)
        _move_last_followup(visits)
        n_reports, n_comments = _reports(company, salespeople, visits, rng, today, report_days)
    return {
        "visits": len(visits),
        "notes": len(notes),
        "followups": len(followups),
        "objections": len(objections),
        "reports": n_reports,
        "comments": n_comments,
    }


def _demo_visit(company, person, c: dict, day, minute: int, stay: int, *, done: bool, rng, radius: int) -> Visit:
    checkin_at = _aware(day, minute)
    visit = Visit(
        company=company,
        customer_id=c["id"],
        salesperson=person,
        status=Visit.Status.DONE if done else Visit.Status.PLANNED,
        planned_on=day,
        created_at=_aware(day - dt.timedelta(days=1), 20 * 60 + rng.randrange(0, 120)),
        updated_at=checkin_at + dt.timedelta(minutes=stay),
        appointment_channel=rng.choice((Visit.Channel.PHONE, Visit.Channel.WECHAT, "")),
        appointment_outcome=Visit.Outcome.AGREED,
    )
    if not done:
        return visit
    lat = float(c["latitude"]) if c["latitude"] is not None else None
    lng = float(c["longitude"]) if c["longitude"] is not None else None
    roll = rng.random()
    visit.checkin_at = checkin_at
    if roll < 0.04 or lat is None:
        visit.checkin_manual = True
        visit.checkin_reason = rng.choice(MANUAL_REASONS)
        visit.flagged = True
        visit.flag_reason = "手动签到（没有定位）：" + visit.checkin_reason
    else:
        metres = rng.uniform(1_200, 6_000) if roll < 0.10 else rng.uniform(5, radius * 0.7)
        visit.checkin_lat, visit.checkin_lng = _offset(lat, lng, metres, rng)
        visit.checkin_accuracy_m = rng.choice((5, 8, 12, 20, 35, 60))
        visit.checkin_distance_m = round(rules.distance_m(visit.checkin_lat, visit.checkin_lng, lat, lng))
        if visit.checkin_distance_m > radius:
            visit.flagged = True
            visit.flag_reason = f"签到位置距客户 {visit.checkin_distance_m / 1000:.1f} 公里，超出允许的 {radius} 米"
        visit.checkin_lat = Decimal(f"{visit.checkin_lat:.6f}")
        visit.checkin_lng = Decimal(f"{visit.checkin_lng:.6f}")
    visit.checkout_at = checkin_at + dt.timedelta(minutes=stay)
    visit.done_at = visit.checkout_at
    return visit


def _notes_for(company, visits: list[Visit], meta: list[dict], rng, today):
    notes, followups, objections, changes = [], [], [], []
    for visit, info in zip(visits, meta, strict=True):
        if visit.status != Visit.Status.DONE:
            continue
        c = info["customer"]
        at = visit.done_at
        entries = [{"section": s, "text": t} for s, t in rng.sample(CHANGES, rng.randint(1, 3))]
        summary = rng.choice(SUMMARIES)
        if visit.result:
            summary += "。" + (
                "客户签了合同，成交！" if visit.result == Visit.Result.WON else "客户买了别家的机器，丢单。"
            )
            entries.append({"section": "result", "text": "成交" if visit.result == Visit.Result.WON else "丢单"})
        note = VisitNote(
            company=company,
            visit=visit,
            customer_id=c["id"],
            author_id=visit.salesperson_id,
            summary=summary,
            changes=entries,
            recorded_at=at,
        )
        notes.append(note)
        if rng.random() < 0.35:
            kind = rng.choice(
                (FollowUp.Kind.COMMITMENT, FollowUp.Kind.COMMITMENT, FollowUp.Kind.QUESTION, FollowUp.Kind.UNCLEAR)
            )
            text = rng.choice({"commitment": COMMITMENTS, "question": QUESTIONS, "unclear": UNCLEAR}[kind])
            due = at.date() + dt.timedelta(days=rng.randrange(1, 10)) if kind != FollowUp.Kind.UNCLEAR else None
            finished = due is not None and due < today and rng.random() < 0.7
            followups.append(
                FollowUp(
                    company=company,
                    customer_id=c["id"],
                    visit=visit,
                    note=note,
                    kind=kind,
                    text=text,
                    due_on=due,
                    status=FollowUp.Status.DONE if finished else FollowUp.Status.OPEN,
                    done_at=_aware(due, 15 * 60) if finished else None,
                    owner_id=visit.salesperson_id,
                    created_at=at,
                )
            )
            note.changes.append({"section": kind + "s" if kind != "unclear" else "unclear", "text": text})
        if rng.random() < 0.2:
            text, answer = rng.choice(OBJECTIONS)
            objections.append(
                Objection(
                    company=company,
                    customer_id=c["id"],
                    visit=visit,
                    note=note,
                    text=text,
                    answer=answer,
                    by_id=visit.salesperson_id,
                    resolved=rng.random() < 0.4,
                    at=at,
                )
            )
            note.changes.append({"section": "objections", "text": text})
        if c["grade"] is not None and rng.random() < 0.06:
            higher = {6: 9, 3: 6, 1: 3, 0: 1, 9: 6}[c["grade"]]
            old = higher if c["grade"] == 9 else {9: 6, 6: 3, 3: 1, 1: 0, 0: 1}[c["grade"]]
            changes.append(
                StatusChange(
                    company=company,
                    customer_id=c["id"],
                    kind=StatusChange.Kind.GRADE,
                    old=str(old),
                    new=str(c["grade"]),
                    reason=rng.choice(
                        ("工地开工，购机时间提前", "资金到位", "项目推迟，意向降低", "对比了竞品，更倾向我们")
                    ),
                    at=at,
                    by_id=visit.salesperson_id,
                )
            )
            note.changes.append({"section": "grade", "text": f"意向等级 {old} → {c['grade']}"})
    return notes, followups, objections, changes


def _move_last_followup(visits: list[Visit]) -> None:
    """The customers' last follow-up = their latest demo visit (the public pool's clock reads it)."""
    latest: dict[int, dt.datetime] = {}
    for v in visits:
        if v.done_at is not None and (v.customer_id not in latest or latest[v.customer_id] < v.done_at):
            latest[v.customer_id] = v.done_at
    rows = [Customer(pk=pk, last_followup_at=at) for pk, at in latest.items()]
    Customer.objects.bulk_update(rows, ["last_followup_at"], batch_size=500)


def _reports(company, salespeople, visits, rng, today, report_days: int) -> tuple[int, int]:
    from .reports import day_figures, managers_of

    names: dict[tuple[int, dt.date], list[str]] = defaultdict(list)
    customer_names = dict(Customer.objects.filter(pk__in={v.customer_id for v in visits}).values_list("pk", "name"))
    for v in visits:
        if v.status == Visit.Status.DONE:
            names[v.salesperson_id, v.done_at.astimezone(timezone.get_current_timezone()).date()].append(
                customer_names.get(v.customer_id, "")
            )
    rows, comments = [], []
    for person in salespeople:
        managers = list(managers_of(person))
        for back in range(1, report_days + 1):
            day = today - dt.timedelta(days=back)
            seen = names.get((person.pk, day), [])
            if not seen or rng.random() < 0.08:
                continue  # a day off, or a report never written
            a = seen[0]
            b = seen[1] if len(seen) > 1 else seen[0]
            draft = back == 1 and rng.random() < 0.4
            submitted_at = _aware(day, 20 * 60 + rng.randrange(0, 150))
            report = DailyReport(
                company=company,
                salesperson=person,
                day=day,
                status=DailyReport.Status.DRAFT if draft else DailyReport.Status.SUBMITTED,
                remarks=rng.choice(REMARKS).format(a=a, b=b),
                tomorrow_plan=rng.choice(TOMORROW).format(a=a, b=b),
                figures={} if draft else day_figures(person, day),
                submitted_at=None if draft else submitted_at,
                updated_at=submitted_at,
            )
            rows.append(report)
            if not draft and managers and rng.random() < 0.45:
                comments.append(
                    ReportComment(
                        company=company,
                        report=report,
                        author=rng.choice(managers),
                        text=rng.choice(COMMENTS),
                        created_at=submitted_at + dt.timedelta(minutes=rng.randrange(30, 14 * 60)),
                    )
                )
    DailyReport.objects.bulk_create(rows, batch_size=500)
    for c in comments:
        c.report_id = c.report.pk
    ReportComment.objects.bulk_create(comments, batch_size=500)
    return len(rows), len(comments)


# --- the bench's volume: one salesperson with 2,000 customers among 1,000,000 visits ----------------------

_VOLUME_COLUMNS = (
    "company_id",
    "customer_id",
    "salesperson_id",
    "kind",
    "status",
    "planned_on",
    "checkin_at",
    "checkout_at",
    "done_at",
    "result",
    "created_at",
    "updated_at",
)
# the other NOT NULL columns, as SQL literals (the same on SQLite and PostgreSQL)
_VOLUME_CONSTANTS = {
    "appointment_channel": "''",
    "appointment_outcome": "''",
    "approach": "''",
    "appointment_note": "''",
    "objectives": "'[]'",
    "actions": "''",
    "checklist": "'{}'",
    "checkin_manual": "FALSE",
    "checkin_reason": "''",
    "flagged": "FALSE",
    "flag_reason": "''",
    "checkout_missing": "FALSE",
}


# the same constants as Python values, for PostgreSQL's COPY
_VOLUME_PY_CONSTANTS = {
    "appointment_channel": "",
    "appointment_outcome": "",
    "approach": "",
    "appointment_note": "",
    "objectives": "[]",
    "actions": "",
    "checklist": "{}",
    "checkin_manual": False,
    "checkin_reason": "",
    "flagged": False,
    "flag_reason": "",
    "checkout_missing": False,
}


def _hold_exactly(company: Company, salesperson: User, n: int, rng: random.Random) -> list[int]:
    """Make ``salesperson`` hold exactly ``n`` customers: surplus ones go to the other salespeople of
    the company (round robin), missing ones are taken from the pool and from the others. Returns
    the ids of the customers they hold."""
    mine = list(
        Customer.objects.filter(company=company, owner=salesperson, in_pool=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    others = list(
        User.objects.filter(company=company, is_active=True, user_roles__role=Role.SALESPERSON)
        .exclude(pk=salesperson.pk)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(mine) > n:
        surplus = mine[n:]
        mine = mine[:n]
        if others:
            for k, other in enumerate(others):
                part = surplus[k :: len(others)]
                for i in range(0, len(part), 5000):
                    Customer.objects.filter(pk__in=part[i : i + 5000]).update(owner_id=other)
        else:
            for i in range(0, len(surplus), 5000):
                Customer.objects.filter(pk__in=surplus[i : i + 5000]).update(owner=None, in_pool=True)
    elif len(mine) < n:
        regions = list(salesperson.region_ids)
        base = Customer.objects.filter(company=company, merged_into__isnull=True).exclude(owner=salesperson)
        take: list[int] = []
        # the pool of their regions first, then the others' customers of their regions, then any
        for qs in (
            base.filter(in_pool=True, region_id__in=regions),
            base.filter(in_pool=False, region_id__in=regions),
            base,
        ):
            if len(mine) + len(take) >= n:
                break
            take += list(
                qs.exclude(pk__in=take).order_by("pk").values_list("pk", flat=True)[: n - len(mine) - len(take)]
            )
        for i in range(0, len(take), 5000):
            Customer.objects.filter(pk__in=take[i : i + 5000]).update(
                owner=salesperson, in_pool=False, pool_entered_at=None
            )
        mine += take
        if len(mine) < n:  # a nearly empty company: make the rest
            region_id = regions[0] if regions else company.regions.order_by("pk").values_list("pk", flat=True).first()
            new = [
                Customer(
                    company=company,
                    region_id=region_id,
                    owner=salesperson,
                    name=f"压测客户{i:05d}",
                    grade=rng.choice((9, 6, 3, 1, 0, None)),
                )
                for i in range(n - len(mine))
            ]
            Customer.objects.bulk_create(new, batch_size=2000)
            mine += [c.pk for c in new]
    return mine


def seed_visit_volume(
    company: Company,
    salesperson: User,
    *,
    customers: int = 2000,
    visits: int = 1_000_000,
    years: int = 2,
    rng: random.Random | None = None,
    today: dt.date | None = None,
    chunk: int = 2000,
) -> int:
    """For the bench: ``salesperson`` holds exactly ``customers`` customers and the database holds
    ``visits`` more visits spread over the company's salespeople (each visiting the customers they
    hold) and the last ``years`` years — 95 % done, 5 % cancelled, today's half still planned, a few
    deals won and lost. Multi-row INSERTs of ``chunk`` rows; the customers' last follow-up is moved
    to their latest visit with one UPDATE. Returns the number of visits written."""
    rng = rng or random.Random(2026)
    today = today or timezone.localdate()
    if visits <= 0:
        return 0
    mine = _hold_exactly(company, salesperson, customers, rng)
    held: dict[int, list[int]] = defaultdict(list)
    for owner_id, pk in (
        Customer.objects.filter(company=company, owner__isnull=False, in_pool=False)
        .exclude(owner=salesperson)
        .values_list("owner_id", "pk")
    ):
        held[owner_id].append(pk)
    held[salesperson.pk] = mine
    people = [pk for pk, ids in held.items() if ids]
    span = 365 * years
    tz = timezone.get_current_timezone()
    sqlite = connection.vendor == "sqlite"
    now_minutes = int((timezone.localtime() - dt.datetime.combine(today, dt.time.min, tzinfo=tz)).total_seconds() // 60)
    quote = connection.ops.quote_name
    columns = list(_VOLUME_COLUMNS) + list(_VOLUME_CONSTANTS)
    mark = "?" if sqlite else "%s"  # the driver's own placeholder: Django's cursor wrapper is bypassed
    one = "(" + ", ".join([mark] * len(_VOLUME_COLUMNS) + list(_VOLUME_CONSTANTS.values())) + ")"
    head = f"INSERT INTO {quote(Visit._meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608 - our table and columns, values are parameters
    # day by day from the oldest, so that the (…, day) indexes grow at their end
    per_day, extra = divmod(visits, span)
    stamps: dict[int, object] = {}

    def stamp(minutes_since_epoch: int):
        """Minutes since the first day's local midnight, as the driver wants it (SQLite: UTC text)."""
        value = stamps.get(minutes_since_epoch)
        if value is None:
            aware = first_midnight + dt.timedelta(minutes=minutes_since_epoch)
            value = aware.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ") if sqlite else aware
            if len(stamps) < 500_000:
                stamps[minutes_since_epoch] = value
        return value

    first_day = today - dt.timedelta(days=span - 1)
    first_midnight = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    written = 0
    rows: list = []
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    width = len(_VOLUME_COLUMNS)

    def flush(values: list) -> None:
        """SQLite: one multi-row INSERT; PostgreSQL: COPY (several times faster)."""
        if not values:
            return
        if sqlite:
            cursor.execute(head + ", ".join([one] * (len(values) // width)), values)
            return
        names = ", ".join(quote(c) for c in columns)
        constants = tuple(_VOLUME_PY_CONSTANTS[c] for c in _VOLUME_CONSTANTS)
        with cursor.copy(f"COPY {quote(Visit._meta.db_table)} ({names}) FROM STDIN") as copy:
            for i in range(0, len(values), width):
                copy.write_row((*values[i : i + width], *constants))

    try:
        for offset in range(span):
            day = first_day + dt.timedelta(days=offset)
            day_value = day.isoformat() if sqlite else day
            base = offset * 1440
            for _ in range(per_day + (1 if offset < extra else 0)):
                person = people[written % len(people)]
                ids = held[person]
                customer = ids[rng.randrange(len(ids))]
                minute = rng.randrange(8 * 60, 18 * 60)
                roll = rng.random()
                created = stamp(base - 240)  # the evening before
                if day == today and minute > now_minutes:
                    status, checkin, done, result = "planned", None, None, ""
                elif roll < 0.05:
                    status, checkin, done, result = "cancelled", None, None, ""
                else:
                    status = "done"
                    checkin, done = stamp(base + minute), stamp(base + minute + 40)
                    result = "won" if roll > 0.997 else "lost" if roll > 0.994 else ""
                rows += [
                    company.pk,
                    customer,
                    person,
                    "first" if roll < 0.1 else "repeat",
                    status,
                    day_value,
                    checkin,
                    done,
                    done,
                    result,
                    created,
                    done or created,
                ]
                written += 1
                if written % chunk == 0:
                    flush(rows)
                    rows = []
        flush(rows)
    finally:
        cursor.close()
    latest = (
        Visit.objects.filter(customer=OuterRef("pk"), status=Visit.Status.DONE)
        .order_by("-done_at")
        .values("done_at")[:1]
    )
    owners = [*people]
    Customer.objects.filter(company=company, owner_id__in=owners, in_pool=False).update(
        last_followup_at=Coalesce(Subquery(latest), F("last_followup_at"))
    )
    return written
