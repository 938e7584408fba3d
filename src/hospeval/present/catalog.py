"""Declarations: the result tables the API serves, who may read them, and how each row maps to a hospital.

Built from docs/contracts.md. Every table route is generated from one :class:`ResultTable`; scope and
column masking are applied by :mod:`hospeval.present.tables` from these declarations, never per route.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "commission", "hospital", "insurance")
ALL = frozenset(ROLES)
NOT_INSURANCE = frozenset({"admin", "commission", "hospital"})
PAYMENT_ROLES = frozenset({"admin", "commission", "hospital", "insurance"})
ADMIN = frozenset({"admin"})

# Columns that identify or nearly identify a patient: never served by any route or report.
PATIENT_COLUMNS = frozenset({"patient_id", "birth_date", "id_card_no", "medical_record_no", "patient_name",
                             "name_of_patient", "phone", "address"})


@dataclass(frozen=True)
class ResultTable:
    """A warehouse table the API serves.

    Attributes
    ----------
    name : table name in the warehouse (docs/contracts.md).
    stage : the CLI command that produces it (shown when the table is missing).
    label_zh, label_en : what the table is.
    scope : how a row belongs to a hospital: ``hospital`` (its ``hospital_id`` column), ``stay`` (its
        ``stay_id`` joined to ``stays``), ``reference`` (no hospital: standards shared by everyone).
    roles : roles allowed to read it.
    filters : columns a caller may filter on (equality).
    order_by : default order (real keys, so paging is stable).
    hidden : columns never served.
    masked_when_field : for finding tables, columns blanked when the row's ``field`` names a patient column.
    """

    name: str
    stage: str
    label_zh: str
    label_en: str
    scope: str
    roles: frozenset[str]
    filters: tuple[str, ...]
    order_by: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    masked_when_field: tuple[str, ...] = ()


RESULT_TABLES: tuple[ResultTable, ...] = (
    ResultTable("hospitals", "hospeval ingest", "医疗机构", "hospitals", "hospital", ALL,
                ("hospital_id", "level", "category", "province", "city", "district", "consortium_id"),
                ("hospital_id",)),
    ResultTable("quality_findings", "hospeval quality", "病案首页质控问题", "quality findings", "hospital",
                NOT_INSURANCE, ("hospital_id", "rule_id", "severity", "category", "field", "stay_id"),
                ("hospital_id", "stay_id", "rule_id"), masked_when_field=("value",)),
    ResultTable("quality_rule_results", "hospeval quality", "质控规则结果", "quality rule results", "hospital",
                NOT_INSURANCE, ("run_id", "rule_id", "hospital_id", "status"), ("hospital_id", "rule_id")),
    ResultTable("quality_scores", "hospeval quality", "病案质量得分", "quality scores", "hospital",
                NOT_INSURANCE, ("hospital_id", "dept", "indicator"), ("hospital_id", "dept", "indicator")),
    ResultTable("stay_groups", "hospeval group", "DRG 分组结果", "DRG groups", "stay", ALL,
                ("stay_id", "scheme", "status", "mdc", "adrg", "drg", "cc_level"), ("stay_id", "scheme")),
    ResultTable("stay_dip_groups", "hospeval group", "DIP 分组结果", "DIP groups", "stay", ALL,
                ("stay_id", "scheme", "status", "dip_group", "dip_kind"), ("stay_id", "scheme")),
    ResultTable("drg_reference", "hospeval reference", "DRG 权重与标准", "DRG weights and standards",
                "reference", ALL, ("scheme", "version", "drg", "risk_grade"), ("scheme", "version", "drg")),
    ResultTable("dip_reference", "hospeval reference", "DIP 分值与标准", "DIP points and standards",
                "reference", ALL, ("scheme", "version", "dip_group"), ("scheme", "version", "dip_group")),
    ResultTable("indicator_values", "hospeval indicators", "绩效指标值", "indicator values", "hospital",
                NOT_INSURANCE, ("run_id", "indicator_set", "indicator_id", "level", "unit_id", "hospital_id",
                                "period"),
                ("indicator_set", "indicator_id", "level", "unit_id", "period")),
    ResultTable("evaluation_scores", "hospeval evaluate", "评价得分与排名", "evaluation scores and ranks",
                "hospital", NOT_INSURANCE, ("run_id", "indicator_set", "method", "hospital_id", "peer_group",
                                            "grade"),
                ("indicator_set", "method", "peer_group", "rank", "hospital_id")),
    ResultTable("evaluation_indicator_scores", "hospeval evaluate", "分指标得分（失分）",
                "points per indicator", "hospital", NOT_INSURANCE,
                ("run_id", "indicator_set", "hospital_id", "indicator_id"),
                ("hospital_id", "indicator_id")),
    ResultTable("payment_settlements", "hospeval payment", "医保支付结算", "payment settlements", "hospital",
                PAYMENT_ROLES, ("run_id", "scheme", "hospital_id", "drg", "dip_group", "case_type", "stay_id"),
                ("hospital_id", "stay_id", "scheme")),
    ResultTable("ingest_loads", "hospeval ingest", "数据加载记录", "ingest loads", "reference", ADMIN,
                ("load_id", "table_name", "status"), ("started_at", "load_id")),
    ResultTable("ingest_quarantine", "hospeval ingest", "隔离的问题行", "quarantined rows", "reference",
                ADMIN, ("load_id", "field", "reason"), ("load_id", "source_row", "field"),
                hidden=("record",)),
)

BY_NAME = {t.name: t for t in RESULT_TABLES}


def result_table(name: str) -> ResultTable:
    """Return the declaration of ``name`` (KeyError when the API does not serve it)."""
    return BY_NAME[name]
