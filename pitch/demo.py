"""Demo catalogue: the dealer's models (恒岳 HY20-9, HY35-9, HY65-9, HY150-9) with specifications,
list prices and selling points per product dimension, and the structured specifications of the
competitors' 6-tonne machines (approximate public figures), so every page has something to compare.

The products HY35-9, HY65-9 and HY150-9 are created by ``customers.demo.seed_cognition`` (segment
fits point at them): this seeder completes them instead of creating them again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.utils import timezone

BRAND = "恒岳"

# code: (name, tonnage, specs); specs: weight kg, bucket m³, kW, engine, force kN, depth mm, reach mm, tail
PRODUCTS = {
    "HY20-9": ("2 吨微型挖掘机", D("2.0"), (1980, D("0.06"), D("14.7"), "洋马 3TNV76", D("17.5"), 2400, 4150, "zero")),
    "HY35-9": (
        "3.5 吨微型挖掘机",
        D("3.5"),
        (3600, D("0.11"), D("21.6"), "洋马 3TNV88", D("29.0"), 3150, 5250, "short"),
    ),
    "HY65-9": (
        "6.5 吨小型挖掘机",
        D("6.5"),
        (6050, D("0.23"), D("40.0"), "洋马 4TNV94L", D("46.5"), 3920, 6230, "conventional"),
    ),
    "HY150-9": (
        "15 吨中型挖掘机",
        D("15.0"),
        (14800, D("0.65"), D("86.0"), "五十铃 4HK1", D("106.0"), 5900, 8450, "conventional"),
    ),
}
OTHER = {
    "HY20-9": {"履带宽度": "230 mm", "液压系统": "负载敏感"},
    "HY35-9": {"履带宽度": "300 mm", "液压系统": "负载敏感"},
    "HY65-9": {"履带宽度": "400 mm", "液压系统": "负流量控制", "油耗": "约 5.5 L/h", "回转速度": "10 rpm"},
    "HY150-9": {"履带宽度": "600 mm", "液压系统": "正流量控制", "油耗": "约 12 L/h"},
}
# list prices in yuan: (previous, current)
PRICES = {
    "HY20-9": (168_000, 158_000),
    "HY35-9": (238_000, 228_000),
    "HY65-9": (378_000, 368_000),
    "HY150-9": (798_000, 768_000),
}

# selling points per dimension (产品内涵及外延): core = what the customer really buys (earning),
# form = quality, design, brand, features; extended = service, warranty, finance, parts, training
POINTS = {
    "core": (
        ("省油多赚钱", "电控发动机与液压系统精确匹配，同级机型中油耗低 8%–10%，一年下来省下的油钱就是利润。"),
        ("干活快、出活多", "挖掘力大、斗容足、复合动作流畅，一个台班比同级机多装两三车。"),
        ("出勤率高不误工", "关键液压件和电气件选用一线品牌，故障少，活来了随时能干。"),
    ),
    "form": (
        ("驾驶室宽敞舒适", "悬浮减震座椅、冷暖空调、大视野玻璃，机手连续干一天也不累。"),
        ("结构件结实耐用", "加强型动臂、斗杆和高强度底盘，适合破碎、装车等重载工况。"),
        ("好保养", "发动机、滤芯和黄油点集中布置，开盖即可日常保养，节省时间。"),
    ),
    "extended": (
        ("长质保", "整机 2 年或 3,000 小时质保（以先到为准），主要结构件 3 年。"),
        ("服务到家", "24 小时响应，网点 100 公里内服务工程师 4 小时到场，首保免费上门。"),
        ("付款灵活", "首付低至 20%，厂家分期最长 36 期，另有小时补贴政策。"),
        ("配件与培训", "常用配件网点现货，当天可换；新机交付时免费培训机手。"),
    ),
}
EXTRA_POINTS = {
    "HY20-9": ("form", "无尾回转，院里巷里都能进", "零尾回转设计，贴墙作业不剐蹭，适合园林、农村院落和室内拆除。"),
    "HY65-9": ("core", "6 吨级的主力机", "市政管网、园林绿化、小型土方一机多用，换装破碎锤、松土器即可接更多活。"),
    "HY150-9": ("core", "土方装车效率高", "0.65 m³ 大斗配强挖掘力，土方装车和矿山辅助作业效率高。"),
}

# competitors' machines: (brand, model) -> specs (approximate public figures of the class)
COMPETITOR_SPECS = {
    ("三一", "SY60C"): (5780, D("0.23"), D("36.2"), "洋马 4TNV94L", D("45.0"), 3880, 6130, "conventional"),
    ("卡特彼勒", "305.5E2"): (5480, D("0.20"), D("34.1"), "卡特 C2.4", D("39.8"), 3780, 5930, "short"),
    ("小松", "PC56-7"): (5330, D("0.18"), D("28.8"), "小松 4D88E", D("40.6"), 3820, 6080, "short"),
    ("徐工", "XE60DA"): (5900, D("0.23"), D("36.2"), "洋马 4TNV94L", D("44.0"), 3880, 6180, "conventional"),
    ("柳工", "CLG906F"): (5900, D("0.21"), D("36.2"), "洋马 4TNV94L", D("43.0"), 3850, 6120, "conventional"),
    ("山东临工", "E660F"): (6050, D("0.25"), D("42.0"), "洋马 4TNV98", D("45.0"), 3950, 6250, "conventional"),
}
SPEC_NAMES = (
    "operating_weight_kg",
    "bucket_m3",
    "engine_power_kw",
    "engine_model",
    "digging_force_kn",
    "digging_depth_mm",
    "digging_reach_mm",
    "tail_swing",
)


def seed_catalogue(company, *, today: dt.date | None = None) -> None:
    """Complete the demo products, add the 2-tonne model, prices, selling points and competitors' specs."""
    from customers.models import CompetitorMachine

    from .models import Price, Product, SellingPoint

    today = today or timezone.localdate()
    for code, (name, tonnage, specs) in PRODUCTS.items():
        product, _created = Product.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "tonnage": tonnage}
        )
        product.brand = BRAND
        product.other_specs = OTHER[code]
        for field, value in zip(SPEC_NAMES, specs, strict=True):
            setattr(product, field, value)
        product.save()

        previous, current = PRICES[code]
        if not Price.objects.filter(product=product).exists():
            Price.objects.create(
                company=company,
                product=product,
                list_price_fen=previous * 100,
                valid_from=today - dt.timedelta(days=365),
                valid_to=today - dt.timedelta(days=91),
                note="上年指导价",
            )
            Price.objects.create(
                company=company,
                product=product,
                list_price_fen=current * 100,
                valid_from=today - dt.timedelta(days=90),
                note="年中调价",
            )

        if not SellingPoint.objects.filter(product=product).exists():
            points = []
            for dimension, items in POINTS.items():
                for i, (title, text) in enumerate(items):
                    points.append((dimension, title, text, (i + 1) * 10))
            if code in EXTRA_POINTS:
                dimension, title, text = EXTRA_POINTS[code]
                points.append((dimension, title, text, 5))
            SellingPoint.objects.bulk_create(
                SellingPoint(company=company, product=product, dimension=d, title=t, text=x, order=o)
                for d, t, x, o in points
            )

    for (brand, model), specs in COMPETITOR_SPECS.items():
        machines = list(CompetitorMachine.objects.filter(company=company, brand=brand, model=model))
        if not machines:
            machines = [CompetitorMachine(company=company, brand=brand, model=model, specs="整机重量约 6 吨")]
        for machine in machines:
            for field, value in zip(SPEC_NAMES, specs, strict=True):
                setattr(machine, field, value)
            machine.other_specs = {"来源": "公开资料，约数"}
            machine.save()
