"""Labels of the dashboard and reports in Chinese (default) and English."""

from __future__ import annotations

from hospeval.model import code_sets

LANGS = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    "app": ("公立医院高质量发展评价", "Public hospital evaluation"),
    "overview": ("辖区总览", "Overview"),
    "hospital": ("医院", "Hospital"),
    "hospitals": ("医院列表", "Hospitals"),
    "consortium": ("医联体", "Consortia"),
    "payment": ("医保支付", "Payment"),
    "admin": ("管理", "Admin"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong user name or password"),
    "by_grade": ("按等级与类别的医院数", "Hospitals by level and category"),
    "ranking": ("同组排名", "Peer-group ranking"),
    "pilots": ("试点候选（各同组前三）", "Pilot candidates (top 3 per peer group)"),
    "performance": ("DRG 绩效", "DRG performance"),
    "score": ("综合得分", "Score"),
    "rank": ("排名", "Rank"),
    "grade": ("等级", "Grade"),
    "percentile": ("百分位", "Percentile"),
    "peer_group": ("同组", "Peer group"),
    "points_lost": ("各指标失分", "Points lost per indicator"),
    "points_lost_col": ("失分", "Points lost"),
    "indicator_values": ("指标值", "Indicator values"),
    "drg_mix": ("DRG 病组结构", "DRG mix"),
    "quality": ("病案质量", "Record quality"),
    "trend": ("月度趋势", "Monthly trend"),
    "departments": ("科室", "Departments"),
    "doctors": ("医生", "Doctors"),
    "stays": ("出院人次", "Stays"),
    "cmi": ("CMI", "CMI"),
    "cost_index": ("费用消耗指数", "Cost index"),
    "time_index": ("时间消耗指数", "Time index"),
    "low_risk_mortality": ("低风险组死亡率", "Low-risk mortality"),
    "mortality": ("死亡率", "Mortality"),
    "mean_cost": ("次均费用", "Mean cost"),
    "mean_los": ("平均住院日", "Mean LOS"),
    "drg_count": ("DRG 组数", "DRG groups"),
    "weight": ("权重", "Weight"),
    "ref_cost": ("标准费用", "Standard cost"),
    "referral_flows": ("转诊流向（医嘱转院/转社区）", "Referral flows (transfers on medical advice)"),
    "referral_facts": ("上报的上下转诊人次", "Reported referrals up / down"),
    "members": ("成员单位", "Members"),
    "surplus_by_drg": ("按病组结余/亏损", "Surplus / loss by DRG"),
    "surplus_by_hospital": ("按医院结余/亏损", "Surplus / loss by hospital"),
    "what_if": ("模拟：支付标准调整系数", "What-if: payment rate factor"),
    "apply": ("计算", "Apply"),
    "cases": ("病例数", "Cases"),
    "cost": ("费用", "Cost"),
    "payment_amount": ("支付", "Payment"),
    "surplus": ("结余", "Surplus"),
    "what_if_surplus": ("模拟结余", "What-if surplus"),
    "reports": ("报告下载", "Reports"),
    "excel": ("Excel 工作簿", "Excel workbook"),
    "html_report": ("打印版报告", "Printable report"),
    "pdf": ("PDF", "PDF"),
    "jurisdiction_report": ("辖区排名报告", "Jurisdiction ranking report"),
    "upload": ("上传数据文件", "Upload data files"),
    "run_stage": ("运行计算阶段", "Run a stage"),
    "jobs": ("后台任务", "Background jobs"),
    "users": ("用户", "Users"),
    "audit": ("审计日志", "Audit log"),
    "not_computed": ("尚未计算", "Not computed yet"),
    "run": ("请运行", "run"),
    "forbidden": ("无权访问", "Forbidden"),
    "no_rows": ("暂无数据", "No rows"),
    "level": ("等级", "Level"),
    "category": ("类别", "Category"),
    "beds": ("床位", "Beds"),
    "name": ("名称", "Name"),
    "district": ("区县", "District"),
    "role": ("角色", "Role"),
    "scope": ("权限范围", "Scope"),
    "period": ("月份", "Month"),
    "dept": ("科室", "Department"),
    "doctor": ("医生", "Doctor"),
    "drg": ("DRG", "DRG"),
    "dip_group": ("DIP 病种", "DIP group"),
    "scheme": ("分组方案", "Scheme"),
    "progress": ("进度", "Progress"),
    "start": ("开始", "Start"),
    "indicator_set": ("指标体系", "Indicator set"),
    "indicator_id": ("指标", "Indicator"),
    "indicator": ("指标", "Indicator"),
    "method": ("评价方法", "Method"),
    "hospital_id": ("医院代码", "Hospital"),
    "hospital_name": ("医院名称", "Hospital name"),
    "value": ("值", "Value"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "deaths": ("死亡人数", "Deaths"),
    "grouped": ("入组人次", "Grouped stays"),
    "drgs": ("病组", "DRGs"),
    "ref_los": ("标准住院日", "Standard LOS"),
    "risk_grade": ("风险等级", "Risk grade"),
    "consortium_id": ("医联体", "Consortium"),
    "consortium_role": ("角色", "Role"),
    "sender_name": ("转出医院", "Sending hospital"),
    "receiving_institution": ("接收机构", "Receiving institution"),
    "receiver_id": ("接收医院代码", "Receiver id"),
    "discharge_disposition": ("离院方式", "Discharge disposition"),
    "metric": ("指标项", "Metric"),
    "hospital_count": ("医院数", "Hospitals"),
}


def t(key: str, lang: str) -> str:
    """Return the label of ``key`` in ``lang`` (the key itself when unknown)."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def metric_label(metric: object, lang: str) -> str:
    """Label of a ``hospital_facts`` metric from schema/metrics.yaml (Chinese; the id itself in English)."""
    from hospeval.model import metrics

    entry = metrics().get(str(metric), {})
    return entry.get("label_zh", str(metric)) if lang != "en" else str(metric).replace("_", " ")


def code_label(code_set: str, code: object, lang: str) -> str:
    """Label of a code (e.g. hospital_level '3' -> 三级 / tertiary); the code itself when unknown."""
    if code is None:
        return ""
    entry = code_sets().get(code_set, {}).get(str(code))
    if not entry:
        return str(code)
    return entry[1] if lang == "en" else entry[0]
