"""Demo catalogue: the dealer's models (恒岳 HY20-9, HY35-9, HY65-9, HY150-9) with specifications,
list prices and selling points per product dimension, and the structured specifications of the
competitors' 6-tonne machines (approximate public figures), so every page has something to compare.
``seed_pitch`` (after the visits) adds the FABE cards of the selling points and of the demo policies,
the objection playbook from the deck, a five-step script per 6-tonne competitor machine and
objections handled on past visits, so the success rate per answer has figures.

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


# --- FABE cards, objection playbook, competitor scripts (产品推介 · 异议处理 · 竞品对比) ----------

# selling point title -> (need point codes, feature, advantage, benefit, evidence text, evidence rows)
# evidence rows: (kind, title, customer name, quote)
FABE = {
    "省油多赚钱": (
        ("cost_performance", "price", "performance"),
        "电控共轨发动机与负流量液压系统精确匹配，HY65-9 实测油耗约 5.5 L/h。",
        "同级 6 吨机型一般 6.2–6.5 L/h，我们每小时少烧 0.7–1 升油。",
        "按每天干 10 小时、柴油 7.5 元/升算，每天省 50–75 元，一年干 250 天省 1.3–1.9 万元，够还两三个月的月供。",
        "第三方油耗对比测试报告（同工况、同机手、连续 8 小时）；老客户油卡流水。",
        (
            (
                "testimonial",
                "临沂老客户证言",
                "临沂兰山区王师傅",
                "以前开别的牌子一天烧 70 升，换了恒岳一天 55 升左右，一个月光油钱省一千多。",
            ),
            ("text", "油耗测试报告摘要", "", "2026 年 6 月济南试验场：HY65-9 平均 5.5 L/h，同级竞品平均 6.3 L/h。"),
        ),
    ),
    "干活快、出活多": (
        ("digging", "performance"),
        "斗容 0.23 m³，铲斗挖掘力 46.5 kN，复合动作流量优先分配。",
        "挖得动、装得满，边回转边提臂不掉速。",
        "一个台班比同级机多装两三车土，按 30 元/车算每天多挣 60–90 元，活儿结得快、下一单接得早。",
        "工地装车计时视频（同一土方、同一车型）。",
        (("testimonial", "市政管网客户证言", "章丘顺通市政李经理", "同样一段管沟，恒岳比我们原来那台早半天干完。"),),
    ),
    "出勤率高不误工": (
        ("durability", "service_commitment", "reputation"),
        "主泵、主阀、回转马达选用一线品牌，电气线束整体防水。",
        "故障少，关键件寿命长。",
        "活来了随时能开工，不因为趴窝丢活、赔工期。",
        "区域保有量 300 台的平均出勤率 97%（服务系统统计）。",
        (),
    ),
    "驾驶室宽敞舒适": (
        ("comfort",),
        "悬浮减震座椅、冷暖空调、前窗大视野玻璃，驾驶室内噪音 72 dB。",
        "机手坐一天不累，夏天不闷冬天不冻。",
        "好机手愿意开、留得住，换机手的麻烦和培训成本都省了。",
        "驾驶室噪音检测报告；机手试驾体验。",
        (("testimonial", "机手证言", "机手小刘", "空调给劲，座椅不颠，一天下来腰不疼。"),),
    ),
    "结构件结实耐用": (
        ("durability", "adaptability"),
        "加强型动臂、斗杆，关键焊缝机器人焊接并做探伤。",
        "破碎、装车等重载工况不开裂。",
        "少修少停，卖二手时结构件完好，残值更高。",
        "结构件疲劳试验报告。",
        (),
    ),
    "好保养": (
        ("service_cost", "cost_performance"),
        "发动机、滤芯、黄油点集中布置，侧门全开。",
        "日常保养站在地上就能做，十分钟搞定。",
        "保养省时间、少花钱，机手愿意按时保养，机器寿命更长。",
        "",
        (),
    ),
    "长质保": (
        ("service_commitment", "residual"),
        "整机 2 年或 3,000 小时质保，主要结构件 3 年。",
        "比行业常见的 1 年 / 2,000 小时更长。",
        "前两年大修基本不用自己掏钱，心里有底，转手时质保还能带给下家。",
        "质保承诺书（盖公司章）。",
        (),
    ),
    "服务到家": (
        ("service_timeliness", "service_commitment", "company"),
        "24 小时响应，网点 100 公里内服务工程师 4 小时到场，首保免费上门。",
        "不用等、不用拖，坏了有人管。",
        "少停一天机就少损失一天的台班费（6 吨机约 1,500 元/天）。",
        "服务响应记录（服务系统平均到场 3.2 小时）。",
        (("testimonial", "服务证言", "费县张老板", "晚上 9 点打的电话，第二天早上 7 点工程师就到了工地。"),),
    ),
    "付款灵活": (
        ("policy", "price"),
        "首付低至 20%，厂家分期最长 36 期，另有小时补贴政策。",
        "首付压力小，月供和干活挣的钱对得上。",
        "用挣来的钱还月供，手里留着周转资金接更多活。",
        "分期方案测算表（按客户首付和期数现场算）。",
        (),
    ),
    "配件与培训": (
        ("service_cost", "service_timeliness"),
        "常用配件网点现货，当天可换；新机交付免费培训机手。",
        "不用等配件，新手也能很快上手。",
        "停机时间短，新机手少走弯路、少出事故。",
        "",
        (),
    ),
    "6 吨级的主力机": (
        ("adaptability", "product"),
        "6.5 吨级，可换装破碎锤、松土器、快换。",
        "市政、园林、小型土方一机多用。",
        "一台机能接更多种活，不怕淡季没活干。",
        "",
        (),
    ),
    "无尾回转，院里巷里都能进": (
        ("adaptability",),
        "零尾回转设计，整机宽 1.5 米。",
        "贴墙作业不剐蹭，窄巷、院落、室内都能干。",
        "别人进不去的活你能接，价钱还更好谈。",
        "",
        (),
    ),
    "土方装车效率高": (
        ("digging", "performance"),
        "0.65 m³ 大斗，挖掘力 106 kN，正流量液压系统。",
        "装车快、满斗率高。",
        "土方按方算钱，同样时间多装就是多挣。",
        "",
        (),
    ),
}

# policy code -> (need points, feature, advantage, benefit, evidence)
POLICY_FABE = {
    "hourly_subsidy": (
        ("policy", "price"),
        "按 GPS 记录的工作小时给补贴，直接抵月供；首付低至两成。",
        "干得越多补得越多，开工率高的客户最划算。",
        "每月少还几千元月供，等于经销商帮你付了一部分油钱。",
        "补贴测算表：按客户每月工作小时数现场算。",
    ),
    "manufacturer_instalment": (
        ("policy", "price"),
        "厂家分期：无手续费、无利息。",
        "手续最简单，不用找银行、不用抵押。",
        "一分利息不花，用干活挣的钱按月还，手里留着周转资金。",
        "厂家分期政策文件；分期测算表。",
    ),
    "mfr_finance": (
        ("policy",),
        "厂家融资租赁：月费率报价，保证金最后一期退还。",
        "审批快、手续简单、费用低。",
        "早提机早干活早挣钱，不用压一大笔资金。",
        "融资方案测算表（含年化利率）。",
    ),
    "bank_loan": (
        ("policy", "price"),
        "农商行设备贷，期数长、额度高。",
        "月供更低，适合资金实力强、征信良好的客户。",
        "每月还款压力小，现金流更稳。",
        "银行按揭方案测算表。",
    ),
    "promo_year_end": (
        ("price", "cost_performance"),
        "年末冲量限时政策：首付 20% 起，12 期零利率，仅收 1% 手续费。",
        "只到年底，比平时首付更低、利息全免。",
        "现在买省下的利息，够开春头两个月的油钱。",
        "限时政策文件（盖章）。",
    ),
}
POLICY_FABE["mfr_instalment"] = POLICY_FABE["manufacturer_instalment"]  # the demo policies' code


# objection title -> (need point code, causes, open questions, closed questions, evidence, answers)
OBJECTIONS = {
    "价格太贵": (
        "price",
        ("拿别的品牌报价在比", "首付/资金有压力", "没算过使用成本，只看了购机价", "想压价，试探底线"),
        ("您觉得贵，主要是跟哪台机器比的？", "您平时一台机一年大概干多少小时？", "您买机器最看重的是什么？"),
        ("您是觉得首付高，还是总价高？", "如果月供能和您每月的收入对上，您能接受吗？"),
        "同级机型油耗对比表；5 年使用成本（TCO）测算表；老客户回访记录。",
        (
            ("算总账：每小时省 0.8 升油，一年省 1.5 万，三年把差价省回来还有多。", "油耗测试报告；TCO 测算表"),
            ("换成月供看：首付 20%、36 期，每月还款和一个月的台班收入对比。", "分期测算表"),
            ("讲残值：三年后二手车行回收价比同级高 2–3 万。", "二手车行收购报价"),
        ),
    ),
    "品牌不知名": (
        "brand",
        ("身边没人开过", "担心厂家倒闭没人管", "转手时不好卖"),
        ("您身边朋友都开的什么牌子？", "您担心的是质量，还是以后的服务？"),
        ("如果带您去看附近正在干活的老客户，您愿意去吗？",),
        "区域保有量地图；老客户名单与联系方式；厂家资质与产能介绍。",
        (
            ("带客户去附近工地看老客户的机器，听机手怎么说。", "老客户名单"),
            ("讲厂家实力：年产 2 万台、出口 30 个国家，配套件都是一线品牌。", "厂家宣传册"),
        ),
    ),
    "油耗高": (
        "cost_performance",
        ("听同行说过", "以前开的老机器费油", "拿大功率机器在比"),
        ("您现在那台一天烧多少油？", "您主要干什么活，一天干几个小时？"),
        ("如果现场试机测油耗，您有时间看吗？",),
        "油耗测试报告；试机油耗记录表。",
        (
            ("现场试机：同一个工地加满油干 2 小时，算实际油耗。", "试机记录表"),
            ("看测试报告和老客户油卡流水。", "第三方油耗测试报告"),
        ),
    ),
    "售后服务不放心": (
        "service_timeliness",
        ("以前吃过服务的亏", "网点离得远", "担心配件贵、等得久"),
        ("您以前碰到过什么样的服务问题？", "您的工地一般在哪一片？"),
        ("如果我们承诺 4 小时到场，做不到赔台班费，您放心吗？",),
        "服务网点分布图；服务响应统计；配件价格表。",
        (
            ("给客户看最近 3 个月服务到场时间的统计，平均 3.2 小时。", "服务系统统计"),
            ("书面服务承诺：4 小时到场，超时按天赔台班费。", "服务承诺书"),
            ("介绍负责该片区的服务工程师，留电话加微信。", ""),
        ),
    ),
    "残值低": (
        "residual",
        ("听说二手不好卖", "打算干两三年就换"),
        ("您打算这台机器用几年？", "您以前卖过二手机吗，卖了多少？"),
        ("如果三年后我们保价回收，您会考虑吗？",),
        "二手车行收购报价；公司二手机置换政策。",
        (
            ("出示二手车行近期收购价，同年份同工时比较。", "收购报价单"),
            ("介绍以旧换新/保值回购政策。", "置换政策文件"),
        ),
    ),
    "首付太高/资金紧张": (
        "policy",
        ("刚起步，手上现金少", "有别的款没收回来", "想把钱留着周转"),
        ("您现在手上能拿出多少首付？", "您接的活一般多久回款？"),
        ("首付 20%、分 36 期，您觉得压力能接受吗？", "有小时补贴抵月供，您愿意了解一下吗？"),
        "分期方案测算表；小时补贴政策。",
        (
            ("做低首付方案：首付 20%，月供按回款周期排。", "分期测算表"),
            ("小时补贴抵月供，干得多还得少。", "补贴政策文件"),
            ("前 3 个月只还利息（宽限期），等活儿回款再还本。", "金融政策文件"),
        ),
    ),
    "竞品更便宜": (
        "price",
        ("竞品正在搞促销", "竞品业务员许诺多", "只比了裸机价"),
        ("对方报的价格包括哪些东西？", "对方的质保和服务是怎么承诺的？"),
        ("如果把质保、服务、油耗都算进去，我们比对方贵吗？",),
        "竞品对比表；五年使用成本测算。",
        (
            ("逐项对比：报价里包不包含运费、保险、首保、随机工具。", "报价对比表"),
            ("用竞品对比五步法：先认可对方的优点，再引到油耗和服务上算账。", "竞品对比话术"),
        ),
    ),
}

# competitor brand -> (strengths, why favoured, new decision point, explanation, questions and answers)
SCRIPTS = {
    "三一": (
        "三一品牌大、网点多，SY60C 保有量高，二手好卖。",
        "身边开三一的人多，觉得大品牌放心、转手方便。",
        "买机器是为了挣钱：每天油钱和停机时间才是真正的成本。",
        "HY65-9 斗容相同、挖掘力 46.5 kN 更大、功率 40 kW 更高，油耗约低 0.7 L/h；质保 2 年 3,000 小时。",
        "问：三一二手好卖？答：我们三年保值回购，残值有保底。问：网点呢？答：100 公里内 4 小时到场，写进合同。",
    ),
    "卡特彼勒": (
        "卡特品牌响、做工精细、可靠性口碑好。",
        "觉得进口品牌质量好、有面子。",
        "同样的活，多花 10 万买品牌值不值？看回本周期。",
        "HY65-9 比 305.5E2 重 500 公斤、斗容大 0.03 m³、挖掘力大 6.7 kN，价格低 10 万以上，回本快半年。",
        "问：卡特更耐用？答：带客户看我们干了 8,000 小时的老机器。问：配件呢？答：常用配件网点现货，价格表透明。",
    ),
    "小松": (
        "小松省油、可靠、保值率高。",
        "老机手认小松，觉得日系机器皮实。",
        "比干活效率：同样一个台班谁出活多。",
        "HY65-9 功率 40 kW 比 PC56-7 的 28.8 kW 大得多，斗容 0.23 比 0.18 m³，一天多装两三车。",
        "问：小松油耗低？答：按每方土的油耗算我们更低，可以现场试机。问：保值？答：有保值回购政策。",
    ),
    "徐工": (
        "徐工国产大品牌，价格适中，政策灵活。",
        "熟人推荐，觉得国产大厂靠得住。",
        "谁的服务能在您的工地 4 小时到场。",
        "HY65-9 与 XE60DA 参数接近，挖掘力更大 2.5 kN；我们在本地有网点和现货配件，服务响应写进合同。",
        "问：徐工政策更好？答：把首付、期数、补贴都列出来逐项比。问：品牌？答：带您看本地老客户。",
    ),
    "柳工": (
        "柳工老牌国企，装载机口碑好。",
        "做土方的客户认柳工，觉得结实。",
        "挖机看的是液压和效率，不是装载机的名气。",
        "HY65-9 斗容 0.23 比 CLG906F 的 0.21 m³ 大、挖掘力 46.5 比 43 kN 大，功率更高。",
        "问：柳工结实？答：我们结构件加强、机器人焊接，看探伤报告。问：价格？答：算五年总成本。",
    ),
    "山东临工": (
        "临工价格实惠、本地认知度高，E660F 功率大。",
        "价格便宜，离家近，熟人多。",
        "省下的购机款，会不会在油钱和维修上花回去？",
        "E660F 功率 42 kW 略大，但 HY65-9 油耗低、质保长 1 年、4 小时到场服务承诺。",
        "问：临工更便宜？答：一起算三年油钱和维修费。问：功率大？答：试机比每小时出方量。",
    ),
}


def _need_points(company) -> dict:
    from customers.models import NeedPoint

    return {p.code: p for p in NeedPoint.objects.filter(company=company)}


def seed_fabe(company) -> int:
    """FABE cards (and their evidence) for every demo selling point that has none. Returns the count."""
    from .models import FabeCard, FabeEvidence, SellingPoint

    points = _need_points(company)
    created = 0
    for sp in SellingPoint.objects.filter(company=company, fabe_cards__isnull=True).select_related("product"):
        spec = FABE.get(sp.title)
        if spec is None:
            continue
        codes, feature, advantage, benefit, evidence_text, evidence = spec
        if sp.title == "省油多赚钱" and sp.product.code != "HY65-9":  # the figures above are the 6.5-tonne's
            fuel = (sp.product.other_specs or {}).get("油耗")
            feature = f"电控发动机与液压系统精确匹配{f'，实测油耗{fuel}' if fuel else ''}。"
            advantage = "同级机型中油耗低 8%–10%。"
            benefit = "每天干 10 小时，一年下来省下的油钱就是多挣的利润。"
        card = FabeCard.objects.create(
            company=company,
            selling_point=sp,
            feature=feature,
            advantage=advantage,
            benefit=benefit,
            evidence_text=evidence_text,
            order=sp.order,
        )
        card.need_points.set([points[c] for c in codes if c in points])
        FabeEvidence.objects.bulk_create(
            FabeEvidence(company=company, card=card, kind=kind, title=title, customer_name=who, quote=quote, order=i)
            for i, (kind, title, who, quote) in enumerate(evidence)
        )
        created += 1
    return created


def seed_policy_fabe(company) -> int:
    """FABE cards for the demo policies ("hourly_subsidy", "manufacturer_instalment" / "mfr_instalment",
    "promo_year_end", "mfr_finance", "bank_loan") when they exist and have no card yet; nothing for
    the missing ones. Returns the count."""
    from django.apps import apps

    from .models import FabeCard

    if not apps.is_installed("policies"):
        return 0
    Policy = apps.get_model("policies", "Policy")
    points = _need_points(company)
    created = 0
    for policy in Policy.objects.filter(company=company, code__in=POLICY_FABE, fabe_cards__isnull=True):
        codes, feature, advantage, benefit, evidence = POLICY_FABE[policy.code]
        card = FabeCard.objects.create(
            company=company,
            policy=policy,
            feature=feature,
            advantage=advantage,
            benefit=benefit,
            evidence_text=evidence,
        )
        card.need_points.set([points[c] for c in codes if c in points])
        created += 1
    return created


def seed_playbook(company) -> None:
    """The objection types from the deck with causes, questions and answers (once)."""
    from .models import ObjectionAnswer, ObjectionType

    if ObjectionType.objects.filter(company=company).exists():
        return
    points = _need_points(company)
    for order, (title, (code, causes, open_q, closed_q, evidence, answers)) in enumerate(OBJECTIONS.items(), 1):
        kind = ObjectionType.objects.create(
            company=company,
            title=title,
            need_point=points.get(code),
            causes=list(causes),
            open_questions=list(open_q),
            closed_questions=list(closed_q),
            evidence=evidence,
            order=order * 10,
        )
        ObjectionAnswer.objects.bulk_create(
            ObjectionAnswer(company=company, objection_type=kind, text=text, evidence=ev, order=i * 10)
            for i, (text, ev) in enumerate(answers, 1)
        )


def seed_scripts(company) -> int:
    """A five-step comparison script for every competitor machine of the 6-tonne class without one."""
    from django.db.models import Q

    from customers.models import CompetitorMachine

    from .models import CompetitorScript, Product

    ours = Product.objects.filter(company=company, code="HY65-9").first()
    six_tonne = Q(operating_weight_kg__gte=5000, operating_weight_kg__lte=7500) | Q(specs__contains="6 吨")
    created = 0
    for machine in CompetitorMachine.objects.filter(six_tonne, company=company, scripts__isnull=True):
        steps = SCRIPTS.get(machine.brand)
        if steps is None:
            continue
        CompetitorScript.objects.create(
            company=company,
            competitor_machine=machine,
            product=ours,
            strengths=steps[0],
            why_favoured=steps[1],
            new_decision_point=steps[2],
            explanation=steps[3],
            questions_answers=steps[4],
        )
        created += 1
    return created


# how likely each answer (by its position) resolves the objection: the first works best
_RESOLVE = (0.7, 0.45, 0.3)


def seed_handlings(company, *, rng, limit: int = 240) -> int:
    """Objections handled with the six steps on past visits (done), so the success rate per answer
    has figures: each answer resolves with its own likelihood."""
    from visits.models import Visit

    from .models import ObjectionHandling, ObjectionType

    if ObjectionHandling.objects.filter(company=company).exists():
        return 0
    types = list(ObjectionType.objects.filter(company=company).prefetch_related("answers"))
    if not types:
        return 0
    visits = list(
        Visit.objects.filter(company=company, status=Visit.Status.DONE, checkin_at__isnull=False)
        .order_by("pk")
        .values("pk", "customer_id", "salesperson_id", "checkin_at")[: limit * 3]
    )
    rng.shuffle(visits)
    rows = []
    for v in visits[:limit]:
        kind = rng.choice(types)
        answers = list(kind.answers.all())
        i = rng.randrange(len(answers)) if answers else None
        answer = answers[i] if answers else None
        chance = _RESOLVE[min(i, len(_RESOLVE) - 1)] if i is not None else 0.2
        roll = rng.random()
        outcome = "resolved" if roll < chance else ("partly" if roll < chance + 0.25 else "unresolved")
        asked = rng.sample(kind.open_questions, min(2, len(kind.open_questions))) + kind.closed_questions[:1]
        rows.append(
            ObjectionHandling(
                company=company,
                visit_id=v["pk"],
                customer_id=v["customer_id"],
                objection_type=kind,
                by_id=v["salesperson_id"],
                at=v["checkin_at"] + dt.timedelta(minutes=rng.randint(10, 40)),
                acknowledged=rng.random() < 0.9,
                cause_questions=asked,
                cause_found=rng.choice(kind.causes) if kind.causes else "",
                key_cause_confirmed=rng.choice(kind.causes) if kind.causes else "",
                answer=answer,
                answer_note="",
                satisfied={"resolved": "yes", "partly": "partly", "unresolved": "no"}[outcome],
                next_doubt="",
                outcome=outcome,
            )
        )
    ObjectionHandling.objects.bulk_create(rows)
    return len(rows)


def seed_pitch(company, *, rng) -> None:
    """Everything of the pitch chapter after the catalogue and the visits: FABE cards (selling points
    and the demo policies if present), the objection playbook, competitor scripts, handlings."""
    seed_fabe(company)
    seed_policy_fabe(company)
    seed_playbook(company)
    seed_scripts(company)
    seed_handlings(company, rng=rng)
