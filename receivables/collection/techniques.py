"""The collection deck's 22 techniques (有效回款的22个技巧) and 8 tips (8招有效催款): the default
list a new company gets (CollectionTechnique rows: data an administrator edits, in the deck's words)."""

from __future__ import annotations

TECHNIQUES: tuple[tuple[str, str, str], ...] = (
    ("prevent_early", "防患于未然", "签约前后就把回款条件、验收和付款人落实，别等欠了再补救。"),
    ("adapt_to_person", "因人而异", "看客户的性格和处境用不同的说法：爽快的直说，拖拉的盯紧，困难的给方案。"),
    ("right_on_our_side", "理直气壮", "机器已交付、服务已做到，要款是正当要求，语气坚定不心虚。"),
    ("clear_terms", "条件明确", "金额、日期、付款方式、付款人一次说清，并让客户确认。"),
    ("collect_before_due", "事前催收", "到期前一周提醒，告诉客户哪天来收、收多少。"),
    ("go_early", "提早上门", "约定收款日要比约定时间早到，别给客户“等了你半天”的借口。"),
    ("to_the_point", "直切主题", "寒暄少说，开门见山谈回款。"),
    ("wait_patiently", "耐心守候", "客户有别的客人也不走，说明来意在旁边等候。"),
    ("tit_for_tat", "以牙还牙", "对方用推、拖的办法，我们用对应的办法回应，不被牵着走。"),
    ("unmoved", "不为所动", "客户诉苦、发火、许愿都不动摇，回到付款上来。"),
    ("persist", "死缠硬泡", "发挥“缠”功，天天联系、次次上门，直到付款。"),
    ("demand_completeness", "求全责备", "要求按合同足额支付，不接受随意扣减。"),
    ("clear_old_before_new", "辞旧迎新", "旧款不清不谈新单，新生意以结清旧账为前提。"),
    ("leave_once_paid", "功成速退", "款一到手就礼貌告辞，不给对方反悔的机会。"),
    ("win_sympathy", "博得同情", "讲清自己的难处，比如今天是公司结账考核日。"),
    ("benefit_lure", "利益诱导", "按时付款给予服务、配件或下次采购上的好处。"),
    ("indirect_criticism", "指桑骂槐", "借别的客户拖款的后果，委婉点出对方的问题。"),
    ("praise", "赞美客户", "肯定客户的信誉和实力，让按时付款成为他的面子。"),
    ("threaten_legally", "威胁客户（仅限合法手段）", "讲明逾期的后果：锁机、征信、诉讼，只说合法的、做得到的。"),
    ("emotion", "以情动人", "用多年的合作和私人感情打动客户。"),
    ("service", "服务制胜", "把服务做在前面，让客户没有拒付的理由。"),
    ("law", "诉诸法律", "协商无效时，发律师函、起诉（先谈判，后法律）。"),
)

TIPS: tuple[tuple[str, str, str], ...] = (
    ("tip_open_door", "开门见山，合作原则言在先", "合作之初就讲清付款原则。"),
    ("tip_keep_word", "言信行果，该咋办的就咋办", "说到做到，按合同和制度办事。"),
    ("tip_firm_polite", "不卑不亢，柔中带刚述衷肠", "态度有礼有节，道理讲明，立场不退。"),
    ("tip_know_business", "明察暗访，深谙客户经营状", "了解客户的工程、资金和经营情况。"),
    ("tip_keep_accounts", "归纳整理，心中有数细盘算", "每笔欠款的金额、期次、承诺都心里有数。"),
    ("tip_adapt", "灵活应变，明催暗讨细周旋", "明着催、暗着讨，随机应变。"),
    ("tip_watch", "时刻关注，呆账死账防未然", "盯住风险信号，别让欠款变成呆账死账。"),
    ("tip_press_smartly", "巧妙施压，想合作付款再谈", "以后续合作为筹码：先付款，再谈合作。"),
)


def default_rows() -> list[dict]:
    """The rows of a new company's list: the 22 techniques, then the 8 tips, in the deck's order."""
    rows = [
        {"code": code, "name": name, "description": text, "kind": "technique", "order": i}
        for i, (code, name, text) in enumerate(TECHNIQUES, start=1)
    ]
    rows += [
        {"code": code, "name": name, "description": text, "kind": "tip", "order": i}
        for i, (code, name, text) in enumerate(TIPS, start=1)
    ]
    return rows
