"""The DIP key of every stay, set-based: principal diagnosis category × procedure combination × treatment.

Code normalisation (explicit, tested):

- diagnosis: upper-case, every character other than A-Z and 0-9 removed (dots, spaces, daggers), then
  the first 3 characters (category, e.g. ``K35``) and, when ``diagnosis_chars`` is 4 and the 4th character
  is a digit, ``.`` + the 4th (``K35.8``). A 4th character ``X`` (the clinical edition's "no
  subcategory" placeholder, ``I10.x00``) keeps the category only. Valid = matches ``[A-Z][0-9][0-9A-Z]``.
- procedure: upper-case, non-alphanumerics removed, optionally cut to ``procedure_code_chars`` digits,
  then ``.`` re-inserted after the 2nd character (``4701`` -> ``47.01``, ``00.6600x004`` -> ``00.6600X004``).
- procedure combination: the distinct normalised codes of the stay, sorted, joined with ``+`` (order and
  repetition ignored, as the DIP technical specification says); ``""`` = no procedure (保守治疗).
- treatment: the highest-ranked kind among the stay's procedures (surgical > therapeutic > diagnostic),
  from ``procedure_kind`` through the policy's map, else from the policy's code-range rules;
  ``conservative`` when the stay has no procedure.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hospeval.group.dip_spec import TREATMENTS, DipPolicy

DIAGNOSIS_PATTERN = "^[A-Z][0-9][0-9A-Z]"


def _clean(code: ir.StringValue) -> ir.StringValue:
    return code.upper().re_replace("[^A-Z0-9]", "")


def diagnosis_key(code: ir.StringValue, chars: int, *, cleaned: bool = False) -> ir.StringValue:
    """Category-level diagnosis key (``K35.8`` for 4 characters, ``K35`` for 3)."""
    clean = code if cleaned else _clean(code)
    category = clean.substr(0, 3)
    if chars == 3:
        return category
    fourth = clean.substr(3, 1)
    has_sub = (clean.length() > 3) & fourth.re_search("^[0-9]$")
    return ibis.ifelse(has_sub, category + "." + fourth, category)


def procedure_key(code: ir.StringValue, chars: int | None, *, cleaned: bool = False) -> ir.StringValue:
    """Normalised procedure code (``NN.rest``); empty when nothing alphanumeric is left."""
    clean = code if cleaned else _clean(code)
    if chars is not None:
        clean = clean.substr(0, chars)
    return ibis.ifelse(clean.length() > 2, clean.substr(0, 2) + "." + clean.substr(2), clean)


def _kind_rank(name: str) -> int:
    return TREATMENTS.index(name)


def procedure_rank(kind_code: ir.StringValue, code: ir.StringValue, policy: DipPolicy, *,
                   cleaned: bool = False) -> ir.IntegerValue:
    """Rank of one procedure's treatment kind (1 diagnostic, 2 therapeutic, 3 surgical)."""
    digits = code if cleaned else _clean(code)
    branches = [(kind_code.strip() == value, _kind_rank(kind)) for value, kind in policy.procedure_kind_map]
    for rule in policy.procedure_kind_rules:
        lead = digits.substr(0, len(rule.low))
        branches.append(((lead >= rule.low) & (lead <= rule.high), _kind_rank(rule.kind)))
    # An unrecognised code counts as a therapeutic procedure (an intervention of unknown kind).
    return ibis.cases(*branches, else_=_kind_rank("therapeutic")).cast("int8")


def treatment_name(rank: ir.IntegerValue) -> ir.StringValue:
    """Treatment kind name from its rank (NULL rank = conservative)."""
    branches = [(rank == i, name) for i, name in enumerate(TREATMENTS) if i > 0]
    return ibis.cases(*branches, else_="conservative")


def stay_keys(stays: ir.Table, diagnoses: ir.Table, procedures: ir.Table, policy: DipPolicy) -> ir.Table:
    """One row per stay: stay_id, diagnosis, category, diagnosis_valid, procedures, treatment, treatment_rank.

    Stays without a principal diagnosis get NULL ``diagnosis`` and ``diagnosis_valid`` false.
    """
    principal = diagnoses.filter(diagnoses.seq == 0)
    principal = principal.select("stay_id", clean=_clean(principal.code))  # cleaned once, keyed twice
    principal = principal.select(
        "stay_id",
        diagnosis=diagnosis_key(principal.clean, policy.diagnosis_chars, cleaned=True),
        category=diagnosis_key(principal.clean, 3, cleaned=True),
    )
    procs = procedures.select("stay_id", "procedure_kind", clean=_clean(procedures.code))
    procs = procs.select(
        "stay_id",
        proc=procedure_key(procs.clean, policy.procedure_code_chars, cleaned=True),
        rank=procedure_rank(procs.procedure_kind, procs.clean, policy, cleaned=True),
    )
    procs = procs.filter(procs.proc.notnull() & (procs.proc != ""))
    combos = procs.group_by("stay_id").aggregate(
        procedures=ibis.literal("+").join(procs.proc.collect().unique().sort()),
        rank=procs["rank"].max(),
    )
    keyed = (
        stays.select("stay_id")
        .left_join(principal, "stay_id").drop("stay_id_right")
        .left_join(combos, "stay_id").drop("stay_id_right")
    )
    valid = keyed.category.notnull() & keyed.category.re_search(DIAGNOSIS_PATTERN)
    return keyed.select(
        "stay_id",
        diagnosis=keyed.diagnosis,
        category=keyed.category,
        diagnosis_valid=valid.fill_null(False),
        procedures=keyed.procedures.fill_null(""),
        treatment=treatment_name(keyed["rank"]),
        treatment_rank=keyed["rank"].fill_null(0).cast("int8"),
    )
