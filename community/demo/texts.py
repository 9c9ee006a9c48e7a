"""Demo request texts: per category, a few templates whose slots are filled by
chance (seeded), so the demo reads like a week of real filings and no grid shows
the same text twice (DemoTexts remembers what each grid has been given)."""

PLACES = ["小区东门", "小区北门", "{b}号楼下", "{b}栋{u}单元门口", "菜市场旁边", "{b}号楼和{c}号楼之间",
          "幼儿园对面", "公交站后面的巷子", "地下车库入口", "小区中心花园"]
WHEN = ["这几天", "上周开始", "最近半个月", "昨天晚上", "今天早上", "连续三四天", "周末两天"]
ASK = ["麻烦尽快派人看一下。", "希望社区帮忙协调。", "请相关部门处理，谢谢。", "盼早日解决。",
       "能否给个处理时间？", "多次反映过，希望这次有结果。"]

TEMPLATES = {
    "ELD": ["家里{old}岁老人独居，{b}栋{u}单元{f}楼，腿脚不方便，想申请助餐服务。",
            "{b}号楼有位{old}岁的独居老人，{when}没见他下楼，邻居有点担心，请网格员上门看看。",
            "母亲{old}岁，白天家里没人照顾，想了解社区日间照料中心怎么报名。",
            "想给{old}岁的父亲申请适老化改造，卫生间要装扶手，请问找谁办理？"],
    "ENV": ["{place}的垃圾桶{when}都满了没人清运，气味很大，{ask}",
            "{place}有人乱倒建筑垃圾，堆了一大堆，{ask}",
            "{place}的下水道{when}一直往外冒污水，{ask}",
            "{place}绿化带里的树枝断了挂在半空，{ask}"],
    "UTL": ["{b}栋{u}单元楼道的灯坏了，{when}晚上漆黑一片，老人上下楼很危险。",
            "{place}的路灯{when}一直不亮，晚上走路看不清，{ask}",
            "{b}号楼{when}停水好几次，也没有提前通知，{ask}",
            "{place}的井盖松动，车一压就响，{ask}"],
    "PRP": ["{b}号楼电梯{when}坏了{n}次，物业修完没几天又停，{ask}",
            "物业{when}一直没有打扫{b}栋的楼道，垃圾堆在拐角，{ask}",
            "小区门禁坏了，外来车辆随便进出，找物业说了没人管，{ask}",
            "{b}栋{u}单元屋顶漏水，找物业{n}次都说要等维修基金，{ask}"],
    "MED": ["{b}栋{f}楼住户装修，{when}晚上十点以后还在电钻，{ask}",
            "楼上{when}半夜拖椅子、跳绳，沟通过两次没用，希望社区调解。",
            "邻居在{place}私自圈地种菜，其他住户有意见，希望社区出面协调。",
            "{b}号楼有住户在楼道堆放杂物，堵了半边通道，说了不听，{ask}"],
    "FAC": ["{place}的健身器材有{n}处螺丝松动，孩子玩的时候容易受伤，{ask}",
            "社区活动室的空调{when}坏了，老年合唱队没法排练，{ask}",
            "{place}的休息长椅断了一条腿，老人坐上去很危险，{ask}",
            "社区图书角的书{when}一直没有更新，建议补充一些儿童读物。"],
    "GOV": ["想咨询居住证办理需要带哪些材料，{when}去了一次没办成。",
            "孩子上小学要开居住证明，请问社区什么时间可以办？",
            "请问老年人高龄补贴在哪里申请，需要什么材料？",
            "想办理独生子女父母奖励，请问要到社区还是街道办？"],
    "AID": ["家里有人生病失去收入，想了解低保申请条件，{ask}",
            "{b}号楼有一户残疾人家庭{when}生活困难，希望社区帮忙申请临时救助。",
            "我{when}失业了，孩子还在上学，想问问有没有困难补助。",
            "想了解残疾人两项补贴怎么申请，材料交到哪里？"],
    "CHD": ["希望社区能开设托育点，双职工家庭接送孩子困难。",
            "{place}的儿童滑梯有裂缝，{when}好几个孩子划伤了手，{ask}",
            "暑假想给孩子报社区的四点半课堂，请问还有名额吗？",
            "{place}附近上下学时段车太多，建议安排护学岗。"],
    "SAF": ["{place}的消防通道被车辆堵住，{when}一直这样，存在安全隐患，{ask}",
            "{b}栋{u}单元楼道里有人给电动车充电，电线从窗户拉出来，很危险。",
            "{place}的灭火器过期了，压力表指在红区，{ask}",
            "{place}的围墙有一段开裂倾斜，下雨天怕倒，{ask}"],
    "EMP": ["想报名社区组织的技能培训，请问什么时候开班？",
            "我{when}刚失业，想了解社区有没有公益性岗位。",
            "请问家政服务培训在哪里报名，有没有年龄限制？",
            "想咨询一下灵活就业人员的社保补贴怎么申请。"],
    "LIF": ["希望{place}附近能增加一个便民理发点。",
            "{place}的快递柜{when}一直满着，取件很不方便，{ask}",
            "小区附近没有早餐点，建议引进一个便民早餐车。",
            "{place}的共享单车乱停，挡住了盲道，{ask}"],
    "PRO": ["建议在{place}增设几张休息长椅，方便老人歇脚。",
            "建议在{place}划几个非机动车停放区，现在电动车乱停。",
            "建议社区在{place}装一个充电桩，解决电动车充电难。",
            "建议把{place}的空地改成口袋公园，给孩子一个玩的地方。"],
}


class DemoTexts:
    def __init__(self, rng):
        self.rng = rng
        self.used: dict[int, set] = {}

    def text(self, code: str, grid_id: int) -> str:
        """A text for category `code` that grid `grid_id` has not been given yet."""
        used = self.used.setdefault(grid_id, set())
        templates = TEMPLATES.get(code) or TEMPLATES["LIF"]
        for _attempt in range(50):
            text = self._fill(self.rng.choice(templates))
            if text not in used:
                break
        else:  # every short template taken: a detail that differs
            text = f"{self._fill(self.rng.choice(templates))}（第{len(used) + 1}次反映）"
        used.add(text)
        return text

    def _fill(self, template: str) -> str:
        r = self.rng
        values = {"b": r.randint(1, 24), "c": r.randint(1, 24), "u": r.randint(1, 4),
                  "f": r.randint(2, 18), "old": r.randint(72, 93), "n": r.randint(2, 5),
                  "when": r.choice(WHEN), "ask": r.choice(ASK)}
        values["place"] = r.choice(PLACES).format(**values)
        return template.format(**values)
