"""The About page: what the simulator is, how each mechanism works, and things to try, in two languages.

Each mechanism names the model stage that implements it (``HunanModel.<stage>``) and the levers to try, by
their declared names, so a reader can go from the page to the code. Lever names are checked against
:data:`sim.parameters.LEVERS` by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from ui.i18n import Lang

ABOUT: dict[str, str] = {
    "en": (
        "This simulator asks what Hunan's 14th five-year plan for new-type urbanization (2021-2025, outlook "
        "to 2035) can achieve: if Hunan pulls the plan's levers, how likely is it to meet its targets, where, "
        "and for whom? Households, firms and governments of Hunan's 14 prefecture-level divisions, plus a node "
        "for everywhere outside Hunan, are simulated year by year from the 2010 census. The model is a "
        "research tool under development. Its uncertain behavioural parameters are calibrated to Hunan's "
        "2010-2020 record (the medians of an approximate Bayesian posterior; the others come from published "
        "studies or are fixed), and each division's share of Hunan's urban and rural population in 2020 is "
        "matched by construction. A fit to the past is not a forecast: read the numbers after 2020 as the "
        "consequences of stated assumptions."
    ),
    "zh": (
        "本模拟器探讨《湖南省“十四五”新型城镇化规划》（2021-2025年，展望至2035年）能够实现什么：如果湖南运用规划中的"
        "政策杠杆，实现目标的可能性有多大？在哪里实现？惠及哪些人？模型以2010年人口普查为起点，逐年模拟湖南14个市州"
        "以及省外的家庭、企业和政府。模型仍在开发中。不确定的行为参数已用湖南2010-2020年的数据校准（取近似贝叶斯"
        "后验分布的中位数；其余参数来自已发表的研究或取固定值），各市州2020年占全省城镇和乡村人口的比重按构造与普查一致。"
        "拟合过去不等于预测未来：2020年以后的结果应理解为给定假设下的推演。"
    ),
}


#: "How to use this page", shown first in the About tab (Markdown; rendered on the server).
HOW_TO: dict[str, str] = {
    "en": """## How to use this page

1. **Run.** *Step* simulates one year, *Play* runs to 2035 (choose the speed), *Reset* starts again from 2010
   with the scenario, seed and levers now set. The year and the running scenario are shown at the top left;
   the headline indicators of the year shown are always listed below them.
2. **Pull levers.** The left panel holds the plan's levers in groups; *City levers apply to* chooses all cities
   or one. A change made during a run applies from the next simulated year (and never before the year in
   *Scenario preset · Seed* → *Lever changes apply from year*); *Reset* reruns from 2010 with it. *Restore preset
   levers* undoes the page's changes. A refused entry is explained next to its field.
3. **Look.** *Map and charts*: colour the map by any indicator, hover over a flow arrow for its size, click a
   division for its panel. The slider above the map goes back to any simulated year (map, charts, panel and
   the sidebar's numbers follow); *Back to the latest year* returns.
4. **Compare.** *Compare with baseline* runs the current levers and the baseline preset with the same seeds:
   pick any indicator and division, read the difference (current minus baseline) with its range as a chart and
   a table at 2025 and 2035, and the share of replications meeting each plan target.
5. **Follow a household.** Choose what should happen to it in the next years (moves, settles, gets a
   residence permit), then *Step* or *Play* and read its story year by year.
6. **Keep the numbers.** *Indicators (CSV)* and *Migration flows (CSV)* under the map download the run's
   tables; *SVG* and *PNG* above each chart and the map save the picture. *Stored results* draws runs saved
   with `hunan-sim run` or an experiment, one band per scenario.

The page is built with [Solara](https://solara.dev) (MIT licence); everything it loads is served locally.
""",
    "zh": """## 使用说明

1. **运行。** *单步* 模拟一年，*播放* 运行至2035年（可选速度），*重置* 以当前情景、随机种子和政策从2010年重新开始。
   左上方显示当前年份和运行中的情景，其下始终列出所显示年份的主要指标。
2. **调整政策。** 左侧面板按规划分组列出政策杠杆；*城市政策作用于* 可选全部城市或某一城市。运行中的调整自下一模拟年
   起生效（且不早于 *情景预设 · 随机种子* 中的 *政策调整起始年份*）；*重置* 则从2010年起按调整后的政策重新运行。
   *恢复预设政策* 撤销页面上的调整。无效输入会在该字段旁说明原因。
3. **查看。** *地图与图表*：地图可按任一指标着色，鼠标悬停在迁移箭头上可见人数，点击市州打开详情。地图上方的滑块可
   回看任一已模拟年份（地图、图表、详情和左侧数字同步）；*回到最新年份* 返回。
4. **比较。** *与基准比较* 以相同随机种子运行当前政策与基准情景：可选任一指标和市州，查看差值（当前减基准）及其范围
   的图和2025、2035年的表，以及各项规划目标的达标比例。
5. **追踪一户家庭。** 选择未来几年内它会发生的事（迁移、落户、办理居住证），再 *单步* 或 *播放*，逐年阅读它的经历。
6. **保存数据。** 地图下方的 *指标（CSV）* 和 *迁移流（CSV）* 下载本次运行的表格；每张图和地图上方的 *SVG*、*PNG*
   保存图片。*已存结果* 显示用 `hunan-sim run` 或实验保存的运行，每个情景一条带。

本页面基于 [Solara](https://solara.dev)（MIT许可）构建；所有资源均由本地服务器提供。
""",
}


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the model as the About page explains it."""

    key: str
    stage: str
    title: dict[str, str]
    how: dict[str, str]
    try_: dict[str, tuple[str, ...]]
    levers: tuple[str, ...]


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        key="demography", stage="HunanModel.demography",
        title={"en": "Demography", "zh": "人口变动"},
        how={"en": "Each year households age, have children (birth rate 12.2 ‰ in 2010, falling with a calibrated "
                   "trend) and lose members (5.8 ‰). Young adults leave large households and form new ones in the "
                   "same place.",
             "zh": "每年家庭成员年龄增长、生育（2010年出生率12.2‰，按校准趋势下降）和死亡（5.8‰）。"
                   "年轻人从大家庭分出，在原地组建新家庭。"},
        try_={"en": ("Follow a household for 25 years and watch it age, have children and split.",),
              "zh": ("追踪一户家庭25年，观察其老龄化、生育和分户。",)},
        levers=()),
    Mechanism(
        key="labour", stage="HunanModel.labour_market",
        title={"en": "Jobs and wages (Harris-Todaro)", "zh": "就业与工资（哈里斯-托达罗模型）"},
        how={"en": "Firms in each division's manufacturing and services sectors grow labour demand; productivity "
                   "rises with city size (agglomeration). Wages respond to labour-market tightness, and job seekers "
                   "are matched to vacancies. Migrants weigh the expected urban income, the wage times the chance "
                   "of a job, against farm income: the Harris-Todaro logic that lets urban unemployment coexist "
                   "with migration.",
             "zh": "各市州制造业和服务业企业的劳动需求不断增长，生产率随城市规模上升（集聚效应）。"
                   "工资随劳动力市场松紧变化，"
                   "求职者与空缺岗位匹配。迁移者比较城镇预期收入（工资乘以就业概率）与务农收入，"
                   "这就是城镇失业与人口迁移"
                   "并存的哈里斯-托达罗逻辑。"},
        try_={"en": ("Raise the industry transfer incentive in Hengyang, Chenzhou, Yongzhou and Huaihua and compare "
                     "the population outside Hunan with the baseline.",
                     "Turn on permit job training and watch urban unemployment."),
              "zh": ("提高衡阳、郴州、永州、怀化的承接产业转移激励，与基准比较省外常住的湖南人口。",
                     "开启居住证职业技能培训，观察城镇失业率。")},
        levers=("industry_transfer_incentive", "permit_training_share")),
    Mechanism(
        key="migration", stage="HunanModel.migration",
        title={"en": "Where to live (discrete choice)", "zh": "迁移决策（离散选择）"},
        how={"en": "Every year some households reconsider where to live (more often the young and the unemployed). "
                   "They compare all 29 places (each division's city and countryside, and outside Hunan) by "
                   "expected income, rent not covered by public housing, access to public services given their "
                   "hukou and permit status, amenities, migrant networks from their home area and the cost of "
                   "moving, which grows with travel time. Return moves are part of the same choice.",
             "zh": "每年部分家庭（年轻人和失业者更频繁）重新考虑居住地。"
                   "他们比较全部29个地点（各市州的城镇与农村以及省外）："
                   "预期收入、公共住房未覆盖的租金、按户籍和居住证身份可获得的公共服务、宜居度、来自家乡的迁移网络，"
                   "以及随出行"
                   "时间增加的迁移成本。回流迁移也在同一选择之中。"},
        try_={"en": ("Switch on 'show this year's migration flows' and step through 2011-2015.",
                     "Make Changsha's settlement rules stricter and watch flows to Changsha."),
              "zh": ("勾选“显示当年迁移流”，逐年运行2011-2015年。", "收紧长沙落户条件，观察流向长沙的人口。")},
        levers=("settlement_min_years", "settlement_housing_condition")),
    Mechanism(
        key="settlement", stage="HunanModel.permits_and_settlement",
        title={"en": "Residence permits and settling (落户)", "zh": "居住证与落户"},
        how={"en": "Staying and settling are separate decisions. Migrants who have lived long enough in a city may "
                   "take a residence permit, more readily the more it gives (schooling, health care, housing, "
                   "training). Those who meet the city's settlement conditions decide whether to transfer their "
                   "hukou: the service gain pulls; their share of the citizenisation cost pushes back. Since the "
                   "2016 rules settlers keep their contract land, homestead and collective income; where a scenario "
                   "makes them give these up, the lost income and the homestead (about 12 % lower propensity, Gu "
                   "et al. 2020) push back too, and a paid exit can compensate.",
             "zh": "留下和落户是两个独立决策。在城市居住满一定年限的迁移者可以申领居住证，居住证提供的服务（教育、"
                   "医疗、"
                   "住房、培训）越多，申领意愿越强。符合落户条件者再决定是否迁移户口：公共服务的提升是拉力，"
                   "个人承担的市民化成本是阻力。2016年起落户者依法保留承包地、宅基地和集体收益分配权；"
                   "若情景要求放弃，失去的收入和宅基地（落户意愿约降低12%，Gu等2020）也是阻力，有偿退出可以补偿。"},
        try_={"en": ("Make settlers give up their rural land rights again (the rule before 2016) and compare the "
                     "hukou urbanization rate.",
                     "Give permit holders full schooling access and watch left-behind children."),
              "zh": ("关闭“保留农村三权”（2016年前的规则），比较户籍人口城镇化率。",
                     "让居住证持有人子女享有完全的公办教育，观察留守儿童数量。")},
        levers=("keep_land_rights", "land_exit_compensation", "permit_schooling_share", "czt_mutual_recognition")),
    Mechanism(
        key="housing", stage="HunanModel.housing_market",
        title={"en": "Housing", "zh": "住房"},
        how={"en": "Rents rise with urban population inflow (about 0.31 % per 1 % inflow, weaker in central China) "
                   "and fall with land supplied for settlers. Public and affordable rental units are allocated to "
                   "eligible households; renters who have saved a down payment may buy, helped by shared-ownership "
                   "homes.",
             "zh": "租金随城镇人口流入上升（人口流入1%约使房价上涨0.31%，中部地区较弱），随落户挂钩的新增用地下降。"
                   "公共租赁住房和保障性租赁住房分配给符合条件的家庭；攒够首付的租房家庭可以购房，"
                   "共有产权住房降低门槛。"},
        try_={"en": ("Build 8,000 public rental units a year across Hunan from 2021 (the plan's 40,000 in five years) "
                     "and open a division panel to compare its rent.",),
              "zh": ("自2021年起全省每年新开工8000套公共租赁住房（规划五年4万套），打开市州面板比较租金。",)},
        levers=("public_rental_units_per_year", "affordable_rental_units_per_year", "shared_ownership_units_per_year",
                "renovation_units_per_year")),
    Mechanism(
        key="governments", stage="HunanModel.government_budgets",
        title={"en": "Governments: land and money follow people (人地钱挂钩)", "zh": "政府：人地钱挂钩"},
        how={"en": "Each city government builds the year's housing and public-school places for migrant "
                   "children, and receives, for every settled migrant, a construction-land quota (which becomes "
                   "housing two years later, within the province's cap) and a transfer, which first builds the "
                   "school places it lacks, then public rental housing; the more a settler brings, the faster the "
                   "city processes settlement. The provincial government sets the year's policy and opens rail "
                   "lines.",
             "zh": "各市政府建设当年住房和随迁子女公办学位，并按落户人数获得建设用地指标（两年后形成住房供给，"
                   "不超过全省上限）和财政转移支付，先补齐公办学位，再建公共租赁住房；每个落户者带来的越多，"
                   "城市办理落户越积极。省政府制定当年政策并开通铁路。"},
        try_={"en": ("Raise the transfer per settled migrant and watch the public-school share of migrant children "
                     "and the hukou urbanization rate.",),
              "zh": ("提高每落户一人的转移支付，观察随迁子女公办学校就读比例和户籍人口城镇化率。",)},
        levers=("land_quota_per_settler", "transfer_per_settler", "government_cost_share")),
    Mechanism(
        key="transport", stage="ProvincialGovernment.apply_policies",
        title={"en": "Transport network", "zh": "交通网络"},
        how={"en": "Divisions are linked by road and, once a line serving both has opened, by rail; travel time is "
                   "the shortest path on that network and enters the moving cost. The map draws each line from the "
                   "year it opens (red in its opening year).",
             "zh": "市州之间以公路相连，铁路开通后增加铁路连接；出行时间取网络最短路径，计入迁移成本。"
                   "地图按开通年份绘制各条线路（开通当年以红色显示）。"},
        try_={"en": ("Open the Shaoyang-Yongzhou HSR in 2022 instead of 2027, or never, and compare flows.",
                     "Run the Changsha-Zhuzhou-Xiangtan intercity like a metro and watch the CZT share."),
              "zh": ("将邵永高铁改为2022年开通或不建，比较迁移流。", "长株潭城际铁路公交化运营，"
                                                 "观察长株潭城镇人口占比。")},
        levers=("open_year_shaoyong", "czt_metro_operation")),
)


def mechanism_text(mechanism: Mechanism, lang: Lang) -> tuple[str, str, tuple[str, ...]]:
    """(title, how it works, things to try) in ``lang``."""
    return mechanism.title[lang], mechanism.how[lang], mechanism.try_[lang]
