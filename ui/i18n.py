"""English and Chinese labels for the UI.

Names that the model declares (levers, indicators, divisions, rail lines) are read from the model's own
declarations so that they cannot drift; this module only holds the UI's own words and the Chinese help text
for levers, which :class:`sim.parameters.Lever` does not carry yet (``help_zh`` is a requested core field; until
it exists the English help is shown with a marker).
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from sim.data import load_divisions
from sim.errors import InputError
from sim.indicators import INDICATORS
from sim.parameters import LEVERS, Lever
from sim.scenario import available_scenarios
from ui.inputs import shown

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

#: The UI's own words. Keys are stable identifiers used in code and tests.
STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "Hunan urbanization simulator", "zh": "湖南新型城镇化模拟器"},
    "language": {"en": "中文", "zh": "English"},
    "reset": {"en": "Reset", "zh": "重置"},
    "step": {"en": "Step", "zh": "单步"},
    "play": {"en": "Play", "zh": "播放"},
    "pause": {"en": "Pause", "zh": "暂停"},
    "run_to_end": {"en": "Run to {year}", "zh": "运行至{year}年"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "speed": {"en": "Speed", "zh": "速度"},
    "speed_slow": {"en": "1 year/s", "zh": "每秒1年"},
    "speed_medium": {"en": "3 years/s", "zh": "每秒3年"},
    "speed_max": {"en": "as fast as possible", "zh": "最快"},
    "seed": {"en": "Seed (whole number)", "zh": "随机种子（整数）"},
    "scale": {"en": "Households per agent", "zh": "每个智能体代表的户数"},
    "scenario": {"en": "Scenario preset", "zh": "情景预设"},
    "levers_from": {"en": "Lever changes apply from year", "zh": "政策调整起始年份"},
    "apply_to": {"en": "City levers apply to", "zh": "城市政策作用于"},
    "all_cities": {"en": "All cities", "zh": "全部城市"},
    "levers": {"en": "Policy levers", "zh": "政策杠杆"},
    "reset_levers": {"en": "Restore preset levers", "zh": "恢复预设政策"},
    "changed_levers": {"en": "{n} lever value(s) changed from the preset", "zh": "已调整{n}项政策"},
    "lever_pending": {"en": "Changes apply from {year}; Reset to rerun from 2010.",
                      "zh": "调整自{year}年起生效；重置可从2010年重新运行。"},
    "year": {"en": "Year", "zh": "年份"},
    "year_now": {"en": "Year {year}", "zh": "{year}年"},
    "refused": {"en": "Input refused", "zh": "输入无效"},
    "refused_detail": {"en": "{source}: field '{field}' has value {value}; allowed: {allowed}",
                       "zh": "{source}：字段“{field}”的值 {value} 不被接受；允许：{allowed}"},
    "allowed_scenario": {"en": "one of the shipped scenarios: {names}", "zh": "以下预设情景之一：{names}"},
    "tab_main": {"en": "Map and charts", "zh": "地图与图表"},
    "tab_compare": {"en": "Compare with baseline", "zh": "与基准比较"},
    "tab_results": {"en": "Stored results", "zh": "已存结果"},
    "tab_household": {"en": "Follow a household", "zh": "追踪一户家庭"},
    "tab_about": {"en": "About", "zh": "关于"},
    "map_colour": {"en": "Colour divisions by", "zh": "地图着色指标"},
    "map_flows": {"en": "Flows", "zh": "迁移流"},
    "map_view": {"en": "Map of", "zh": "地图层级"},
    "map_view_division": {"en": "divisions", "zh": "市州"},
    "map_view_county": {"en": "counties", "zh": "县市区"},
    "map_rail": {"en": "Rail lines open", "zh": "已开通铁路"},
    "map_new_rail": {"en": "opened this year", "zh": "当年开通"},
    "map_outside": {"en": "Outside Hunan", "zh": "省外"},
    "map_hint": {"en": "Click a division to open its panel.", "zh": "点击地图上的市州查看详情。"},
    "flows_caption": {"en": "Arrows: the {n} largest moves between divisions in {year} (persons).",
                      "zh": "箭头：{year}年市州间最大的{n}股人口迁移（人）。"},
    "panel_close": {"en": "Close", "zh": "关闭"},
    "panel_population": {"en": "Resident population", "zh": "常住人口"},
    "panel_urbanization": {"en": "Urbanization rate", "zh": "常住人口城镇化率"},
    "panel_target": {"en": "2025 plan target", "zh": "2025年规划目标"},
    "panel_central_target": {"en": "Central urban population, 2025 plan", "zh": "2025年规划中心城区人口"},
    "panel_wage": {"en": "Urban wage", "zh": "城镇工资水平"},
    "panel_rent": {"en": "Market rent", "zh": "市场租金"},
    "panel_settled": {"en": "Settled migrants this year / since 2010", "zh": "当年/累计落户人数"},
    "panel_permits": {"en": "Residence-permit holders", "zh": "居住证持有人口"},
    "panel_left_behind": {"en": "Left-behind children (by hukou place)", "zh": "留守儿童（按户籍地）"},
    "panel_unemployment": {"en": "Urban unemployment", "zh": "城镇失业率"},
    "panel_trend": {"en": "Urbanization rate over time", "zh": "城镇化率变化"},
    "persons": {"en": "persons", "zh": "人"},
    "yuan_year": {"en": "yuan per person per year", "zh": "元/人·年"},
    "chart_urbanization": {"en": "Resident urbanization rate, Hunan (%)", "zh": "全省常住人口城镇化率（%）"},
    "chart_hukou": {"en": "Resident vs hukou urbanization (%)", "zh": "常住人口与户籍人口城镇化率（%）"},
    "chart_czt": {"en": "Changsha-Zhuzhou-Xiangtan share of urban population (%)",
                  "zh": "长株潭城镇人口占全省比重（%）"},
    "chart_income": {"en": "Urban/rural income ratio", "zh": "城乡居民收入比"},
    "chart_unemployment": {"en": "Urban unemployment rate (%)", "zh": "城镇失业率（%）"},
    "chart_outside": {"en": "Hunan people living outside Hunan (million)", "zh": "省外常住的湖南人口（百万）"},
    "series_simulated": {"en": "simulated", "zh": "模拟"},
    "series_observed": {"en": "observed 2010-2020", "zh": "2010-2020年实际"},
    "series_target": {"en": "plan target", "zh": "规划目标"},
    "series_resident": {"en": "resident", "zh": "常住人口"},
    "series_hukou": {"en": "hukou", "zh": "户籍人口"},
    "series_outside": {"en": "living outside Hunan", "zh": "在省外常住"},
    "series_reg_minus_res": {"en": "registered minus resident", "zh": "户籍减常住"},
    "series_current": {"en": "current levers", "zh": "当前政策"},
    "series_baseline": {"en": "baseline", "zh": "基准"},
    "compare_intro": {"en": "Runs the baseline preset and the current levers in pairs: each pair shares its seed "
                              "(common random numbers) and its draw of the calibrated parameters (posterior), and "
                              "the page shows the median and the range across pairs.",
                      "zh": "成对运行基准情景与当前政策：每对使用相同的随机种子和相同的校准参数后验抽样，显示各对模拟的中位数与范围。"},
    "compare_reps": {"en": "Replications", "zh": "重复次数"},
    "compare_end": {"en": "Until year", "zh": "模拟至"},
    "compare_run": {"en": "Run comparison", "zh": "运行比较"},
    "compare_running": {"en": "Running {done} of {total} runs", "zh": "正在运行第{done}/{total}次"},
    "compare_cancelled": {"en": "Comparison cancelled.", "zh": "比较已取消。"},
    "compare_none": {"en": "No comparison yet.", "zh": "尚未运行比较。"},
    "compare_same": {"en": "The current levers equal the baseline preset: change a lever to see a difference.",
                     "zh": "当前政策与基准相同：调整政策后可看到差异。"},
    "results_root": {"en": "Results root", "zh": "结果根目录"},
    "results_folder": {"en": "Folder inside the results root", "zh": "结果根目录下的文件夹"},
    "results_open": {"en": "Open folder", "zh": "打开文件夹"},
    "results_files": {"en": "{n} indicator file(s) found", "zh": "找到{n}个指标文件"},
    "results_skipped": {"en": "Skipped (not a tidy indicator table): {names}", "zh": "已跳过（非指标表）：{names}"},
    "results_indicator": {"en": "Indicator", "zh": "指标"},
    "results_region": {"en": "Region", "zh": "地区"},
    "results_none": {"en": "No Parquet files with the columns year, region, indicator, value here.",
                     "zh": "此处没有包含 year, region, indicator, value 列的 Parquet 文件。"},
    "results_runs": {"en": "Each grey line is one run. Runs are grouped by the scenario (and experiment) recorded in "
                             "each file: per group, the coloured line is the median and the band the 10-90 % range.",
                     "zh": "灰线为单次运行。按文件中记录的情景（及实验）分组：每组彩色线为中位数，阴影为10%-90%范围。"},
    "hh_intro": {"en": "One sampled household, tracked by its id each simulated year. Choose what should happen to "
                       "it in the coming years (the page looks ahead in a second run with the same seed and "
                       "levers), then Step or Play.",
                 "zh": "随机抽取一户家庭，按其编号逐年追踪。先选择未来几年内它会发生的事（页面用相同随机种子和政策"
                       "另行预演），再单步或播放。"},
    "hh_event": {"en": "What happens to it in the next {years} years", "zh": "未来{years}年内发生的事"},
    "hh_event_move": {"en": "it moves", "zh": "迁移"},
    "hh_event_settle": {"en": "it transfers its hukou (settles)", "zh": "迁移户口（落户）"},
    "hh_event_permit": {"en": "it obtains a residence permit", "zh": "办理居住证"},
    "hh_event_any": {"en": "anything (any household)", "zh": "任意（随机一户）"},
    "hh_follow": {"en": "Follow a household", "zh": "追踪一户家庭"},
    "hh_none": {"en": "No household of the model does that in the next {years} years (or the run ends first).",
                "zh": "未来{years}年内模型中没有家庭发生此事（或模拟已到结束年份）。"},
    "hh_id": {"en": "Household id", "zh": "家庭编号"},
    "hh_gone": {"en": "{year}: the household no longer exists (all adults died).",
                "zh": "{year}年：该户已不存在（成年成员均已去世）。"},
    "hh_since": {"en": "Followed since {year}.", "zh": "自{year}年起追踪。"},
    "hh_col_year": {"en": "Year", "zh": "年份"},
    "hh_col_where": {"en": "Lives in", "zh": "居住地"},
    "hh_col_hukou": {"en": "Hukou", "zh": "户籍"},
    "hh_col_work": {"en": "Work", "zh": "就业"},
    "hh_col_housing": {"en": "Housing", "zh": "住房"},
    "hh_col_children": {"en": "Children", "zh": "子女"},
    "hh_col_income": {"en": "Income (yuan/person)", "zh": "人均收入（元）"},
    "hh_col_events": {"en": "What happened", "zh": "发生了什么"},
    "urban": {"en": "urban", "zh": "城镇"},
    "rural": {"en": "rural", "zh": "农村"},
    "other_province": {"en": "another province", "zh": "外省"},
    "agri_hukou": {"en": "agricultural", "zh": "农业户口"},
    "nonagri_hukou": {"en": "non-agricultural", "zh": "非农户口"},
    "permit_yes": {"en": "holds a residence permit", "zh": "持居住证"},
    "no_children": {"en": "none", "zh": "无"},
    "children_with": {"en": "{n}, living with parents", "zh": "{n}个，随父母居住"},
    "children_left": {"en": "{n}, left behind", "zh": "{n}个，留守"},
    "ev_moved": {"en": "moved from {a} to {b}", "zh": "从{a}迁往{b}"},
    "ev_settled": {"en": "transferred hukou to {a}", "zh": "将户口迁入{a}"},
    "ev_permit": {"en": "obtained a residence permit", "zh": "办理了居住证"},
    "ev_job": {"en": "now {a}", "zh": "就业状态变为{a}"},
    "ev_housing": {"en": "housing: {a}", "zh": "住房变为{a}"},
    "ev_left_behind": {"en": "children stay behind at the hukou place", "zh": "子女留守户籍地"},
    "ev_joined": {"en": "children now live with the parents", "zh": "子女随迁"},
    "ev_born": {"en": "a child was born", "zh": "新生儿出生"},
    "ev_start": {"en": "start of tracking", "zh": "开始追踪"},
    "about_mechanisms": {"en": "Mechanisms", "zh": "模型机制"},
    "how_it_works": {"en": "How it works", "zh": "运行原理"},
    "things_to_try": {"en": "Things to try", "zh": "试一试"},
    "measured": {"en": "Last update took {ms} ms", "zh": "上次更新耗时{ms}毫秒"},
    "english_only": {"en": "", "zh": "（暂无中文说明）"},
    "cities_differ": {"en": "cities differ; the most common value is shown", "zh": "各市取值不同，显示多数值"},
    "compare_pair": {"en": "Current levers: {name}; baseline: baseline", "zh": "当前政策：{name}；基准：baseline"},
    "compare_fans": {"en": "The plan's indicators: median and 10-90 % range of the replications",
                     "zh": "规划指标：各次重复模拟的中位数与10%-90%范围"},
    "compare_difference": {"en": "Difference: current levers minus baseline", "zh": "差值：当前政策减基准"},
    "series_difference_median": {"en": "difference, median of the pairs", "zh": "差值（配对中位数）"},
    "band_range": {"en": "10-90 % range", "zh": "10%-90%范围"},
    "compare_table_note": {"en": "Median [10-90 % range] over {n} replication(s). The difference is taken per "
                                 "replication, both arms with the same seed and the same posterior draw, then "
                                 "summarised.",
                           "zh": "{n}次重复模拟的中位数[10%-90%范围]。差值按每次重复（两方案同一随机种子、同一后验参数抽样）计算后汇总。"},
    "compare_targets": {"en": "Probability of meeting each plan target (share of replications)",
                        "zh": "达到各项规划目标的概率（重复模拟中达标的比例）"},
    "compare_targets_note": {"en": "Replications differ by their seed and their draw of the calibrated parameters "
                                   "(posterior), so the shares carry both the model's randomness and the "
                                   "calibration's uncertainty; with few replications they are coarse (3 "
                                   "replications give 0, 1/3, 2/3 or 1).",
                             "zh": "各次重复的随机种子与校准参数后验抽样均不同，因此达标比例同时反映模型随机性与校准不确定性；重复次数少时比例较粗（3次重复只能为0、1/3、2/3或1）。"},
    "unit_percent": {"en": "%", "zh": "%"},
    "unit_percentage_points": {"en": "percentage points", "zh": "百分点"},
    "unit_persons": {"en": "persons", "zh": "人"},
    "unit_ratio": {"en": "ratio", "zh": "比值"},
    "shown_year": {"en": "Showing {year}", "zh": "显示{year}年"},
    "latest_year": {"en": "simulated to {year}", "zh": "已模拟至{year}年"},
    "to_latest": {"en": "Back to the latest year", "zh": "回到最新年份"},
    "readouts_title": {"en": "Hunan in {year}", "zh": "{year}年湖南"},
    "readout_urbanization_rate": {"en": "Urbanization rate", "zh": "常住人口城镇化率"},
    "readout_hukou_urbanization_rate": {"en": "Hukou urbanization rate", "zh": "户籍人口城镇化率"},
    "readout_czt_urban_share": {"en": "CZT share of urban population", "zh": "长株潭城镇人口占比"},
    "readout_urban_rural_income_ratio": {"en": "Urban/rural income ratio", "zh": "城乡收入比"},
    "readout_urban_unemployment_rate": {"en": "Urban unemployment", "zh": "城镇失业率"},
    "readout_outside_hunan_population": {"en": "Living outside Hunan", "zh": "省外常住"},
    "unit_million": {"en": "million", "zh": "百万"},
    "download_indicators": {"en": "Indicators (CSV)", "zh": "指标（CSV）"},
    "download_flows": {"en": "Migration flows (CSV)", "zh": "迁移流（CSV）"},
    "flow_legend": {"en": "Moves in {year} (persons):", "zh": "{year}年迁移（人）："},
    "results_flow_files": {"en": "{n} flow file(s) (moves between divisions, drawn below)",
                           "zh": "{n}个迁移流文件（市州间迁移，见下图）"},
    "results_flows_title": {"en": "Persons moving between divisions per year", "zh": "每年市州间迁移人数"},
    "results_no_group": {"en": "scenario not recorded", "zh": "未记录情景"},
    "median": {"en": "median", "zh": "中位数"},
    "running_scenario": {"en": "Scenario: {name}", "zh": "情景：{name}"},
    "page_levers": {"en": "page levers", "zh": "页面调整的政策"},
    "exact_value": {"en": "Exact value (Enter to apply)", "zh": "精确数值（回车应用）"},
}

#: Labels of the plan's lever groups (:data:`sim.parameters.LEVER_GROUPS`).
GROUP_LABELS: dict[str, dict[str, str]] = {
    "hukou": {"en": "Hukou settlement", "zh": "户籍制度（落户）"},
    "permit": {"en": "Residence permit services", "zh": "居住证与基本公共服务"},
    "housing": {"en": "Housing", "zh": "住房保障"},
    "land_fiscal": {"en": "Land and fiscal links (人地钱挂钩)", "zh": "人地钱挂钩"},
    "transport": {"en": "Transport", "zh": "交通"},
    "industry": {"en": "Industry transfer", "zh": "产业转移"},
}

#: Chinese help for the levers declared by hand in :mod:`sim.parameters` (rail levers are generated below).
LEVER_HELP_ZH: dict[str, str] = {
    "settlement_min_years": "外来人口在该市连续居住满此年限后方可落户。",
    "settlement_min_insurance_years": "落户所需城镇社会保险缴纳年限。",
    "settlement_housing_condition": "0：无要求；1：有合法稳定住所（含租赁）；2：须有自有住房。",
    "settlement_requires_job": "只有就业者可以落户。",
    "czt_mutual_recognition": "在长株潭任一城市的居住年限可累计用于在另两市落户。",
    "keep_land_rights": "若否，在省内城市落户须放弃承包地、宅基地和集体收益分配权；2016年起依法保留（基准情景亦然）。",
    "land_exit_compensation": "放弃农村“三权”的落户者获得的补偿；保留权益时，补偿高于权益收入者自愿有偿退出。",
    "permit_min_years": "申领居住证须在该市居住的年限。",
    "permit_schooling_share": "持证人随迁子女进入公办学校的机会，相当于户籍人口的比例。",
    "permit_health_share": "持证人享有的基本医疗卫生服务，相当于户籍人口的比例。",
    "permit_housing_share": "持证人申请公共租赁住房的资格，相当于户籍人口的比例；只在有房源的城市起作用。",
    "permit_training_share": "持证人享有的职业技能培训；提高其就业机会。",
    "migrant_school_access": "无居住证的随迁子女进入公办学校的机会，相当于户籍人口的比例。",
    "public_rental_units_per_year": "每年新开工公共租赁住房套数；分配给符合条件的低收入家庭。",
    "affordable_rental_units_per_year": "面向新市民的保障性租赁住房，居住证持有人可申请。",
    "shared_ownership_units_per_year": "以一半首付出售给原本买不起房的租房家庭的住房。",
    "renovation_units_per_year": "改造的住房提升城市对所有居民的宜居度。",
    "land_quota_per_settler": "每落户一人新增的建设用地；在全省新增建设用地上限内，若干年后形成住房供给。",
    "transfer_per_settler": "每落户一人的财政转移支付；城市先补齐公办学位，再建公共租赁住房，并更积极地办理落户。",
    "government_cost_share": "落户人口公共成本中由政府承担的比例（其余由企业和个人承担）；比例越高，"
                             "城市越愿意接纳落户。",
    "czt_metro_operation": "长株潭三市间铁路出行时间缩短30%（假设）。",
    "industry_transfer_incentive": "吸引省外（主要是珠三角）制造业岗位转移到该市。",
}


#: Chinese names of the lever units declared in :mod:`sim.parameters` (unknown units are shown as declared).
UNITS_ZH: dict[str, str] = {
    "10k yuan per household": "万元/户", "10k yuan per settled person": "万元/落户人", "code": "代码",
    "index 0-1": "指数0-1", "m² of construction land per settled person": "平方米建设用地/落户人", "share": "比例",
    "share of hukou holders' access": "相当于户籍人口的比例",
    "share of hukou holders' eligibility": "相当于户籍人口的比例",
    "units per year": "套/年", "year (9999 = never)": "年（9999表示不建）", "years": "年",
}
#: Chinese meanings of coded lever values (``Lever.choices`` is declared in English).
CHOICES_ZH: dict[str, tuple[str, ...]] = {
    "settlement_housing_condition": ("无要求", "有合法稳定住所（含租赁）", "须有自有住房"),
}


def lever_unit(lever: Lever, lang: Lang) -> str:
    """The lever's unit in ``lang``."""
    return UNITS_ZH.get(lever.unit, lever.unit) if lang == "zh" else lever.unit


def lever_choices(lever: Lever, lang: Lang) -> tuple[str, ...]:
    """Meanings of a coded lever's values in ``lang`` (English where no translation exists)."""
    if lang == "zh" and len(CHOICES_ZH.get(lever.name, ())) == len(lever.choices):
        return CHOICES_ZH[lever.name]
    return lever.choices


def tr(key: str, lang: Lang, **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Raises:
        KeyError: if ``key`` is not a UI string (a typo in code, caught by the tests).
    """
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


#: The "allowed" phrases of ui.inputs and sim.parameters, in Chinese (anything else is shown as written).
_ALLOWED_ZH: tuple[tuple[str, str], ...] = (
    (r"^a whole number from (\S+) to (\S+)(.*)$", r"\1 至 \2 之间的整数\3"),
    (r"^a number from (\S+) to (\S+)(.*)$", r"\1 至 \2 之间的数\3"),
    (r"^a year from (\S+) to (\S+)$", r"\1 至 \2 年之间的年份"),
    (r"^(-?[\d.]+) to (-?[\d.]+)(.*)$", r"\1 至 \2\3"),
    (r"^true or false$", "是或否"),
)


def _allowed_zh(allowed: str) -> str:
    for pattern, replacement in _ALLOWED_ZH:
        if re.match(pattern, allowed):
            text = re.sub(pattern, replacement, allowed)
            for unit_en, unit_zh in sorted(UNITS_ZH.items(), key=lambda kv: -len(kv[0])):
                text = text.replace(" " + unit_en, " " + unit_zh)
            return text
    return allowed


def refusal_text(exc: InputError, lang: Lang) -> str:
    """The message of a refused page input in ``lang``: the field (with its page label when it has one), the
    value as the client sent it (cut, see :func:`ui.inputs.shown`; never the content of a file) and what is
    allowed."""
    field = exc.field
    if field in STRINGS:  # a page control: name it as the page does
        field = f"{tr(field, lang)} ({field})"
    elif field in LEVERS:
        field = f"{lever_label(LEVERS[field], lang)} ({field})"
    allowed = exc.allowed if lang == "en" else _allowed_zh(exc.allowed)
    if exc.field == "scenario":
        allowed = tr("allowed_scenario", lang, names=", ".join(available_scenarios()))
    source = {"page": "页面"}.get(exc.source, exc.source) if lang == "zh" else exc.source
    value = repr(exc.value) if isinstance(exc.value, str) else repr(shown(exc.value))
    return tr("refused_detail", lang, source=source, field=field, value=value, allowed=allowed)


@functools.cache
def _division_zh() -> dict[str, str]:
    divs = load_divisions()
    return dict(zip(divs.division_en, divs.division_zh, strict=True))


def division_label(name_en: str, lang: Lang) -> str:
    """A division's display name; ``outside`` is the node for everywhere outside Hunan."""
    if name_en == "outside":
        return tr("map_outside", lang)
    if name_en == "Hunan":
        return "湖南省" if lang == "zh" else "Hunan"
    if lang == "zh":
        return _division_zh().get(name_en, name_en)
    return name_en


def short_division_label(name_en: str, lang: Lang) -> str:
    """A compact name for map labels (湘西州 instead of the full autonomous-prefecture name)."""
    if lang == "zh":
        full = division_label(name_en, lang)
        if full.startswith("湘西"):
            return "湘西州"
        return full.removesuffix("市")
    return division_label(name_en, lang)


def lever_label(lever: Lever, lang: Lang) -> str:
    """The lever's label from its declaration."""
    return lever.label_zh if lang == "zh" else lever.label_en


def lever_help(lever: Lever, lang: Lang) -> str:
    """What the lever does; Chinese falls back to the English declaration with a marker."""
    if lang == "en":
        return lever.help_en
    if lever.name in LEVER_HELP_ZH:
        return LEVER_HELP_ZH[lever.name]
    if lever.name.startswith("open_year_"):
        return "该线路的开通年份；9999 表示不建设。"
    return lever.help_en + tr("english_only", lang)


def group_label(group: str, lang: Lang) -> str:
    """Label of a lever group."""
    return GROUP_LABELS.get(group, {}).get(lang, group)


def indicator_label(name: str, lang: Lang) -> str:
    """An indicator's label from :data:`sim.indicators.INDICATORS`."""
    spec = INDICATORS.get(name)
    if spec is None:
        return name
    return spec.label_zh if lang == "zh" else spec.description


def lever_names_by_group() -> dict[str, list[str]]:
    """Lever names grouped as the plan groups them, in declaration order."""
    out: dict[str, list[str]] = {}
    for name, lever in LEVERS.items():
        out.setdefault(lever.group, []).append(name)
    return out
