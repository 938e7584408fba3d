"""Code normalisation for grouping: the one place where a recorded ICD code becomes a scheme code.

Hospitals record ICD-10 / ICD-9-CM-3 codes with small variations: surrounding whitespace, lower-case
chapter letters (``i97.000x002``), a missing dot (``S06600``), upper-case extension markers
(``I10.X00X002``). The scheme dictionaries (``icd10.csv`` / ``icd9cm3.csv``) spell every code one way:
upper-case letters, a dot after the third character, lower-case ``x`` in extensions and placeholders.

Two policies, chosen explicitly by the caller:

``exact``
    Only surrounding whitespace is removed; a code must be spelt as in the dictionary. This is how the
    reference grouper (OpenDRG) behaves, so results agree with it record for record.
``normalise``
    A code not found as recorded is replaced by its canonical spelling (:func:`canonical_code`) when that
    spelling *is* a dictionary code; otherwise it is kept as recorded (and stays unknown).
``map``
    As ``normalise``, then a code still unknown is translated through the scheme's published map from the
    national clinical edition 2.0 (``icd10_map.csv`` / ``icd9cm3_map.csv``: source_code -> code), for
    hospitals that code in the clinical edition.

Both are offered as a pure function (for tests and single codes) and as an Ibis expression (for tables).

Examples
--------
>>> canonical_code(" i97.000X002 ")
'I97.000x002'
>>> canonical_code("S06600")
'S06.600'
>>> canonical_code("3601")
'36.01'
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

POLICIES = ("exact", "normalise", "map")

_DOT_MISSING_DX = re.compile(r"^([A-Z][0-9][0-9A-Z])([0-9A-Z].*)$")
_DOT_MISSING_PX = re.compile(r"^([0-9]{2})([0-9X].*)$")
# An ``X`` after a digit or a dot is an extension / placeholder (lower-case ``x`` in the dictionaries);
# at the start or after ``+`` it is the ICD-10 chapter letter X (external causes) and stays upper-case.
_EXTENSION_X = re.compile(r"([0-9.])X")


def canonical_code(code: str | None) -> str | None:
    """Return the canonical spelling of one recorded code (no dictionary lookup).

    Trims whitespace; upper-cases letters except an extension ``x`` (after a digit or dot), which is
    lower-cased; inserts the dot
    after the category (3 characters for ICD-10, 2 digits for ICD-9-CM-3) when it is missing.
    ``None`` and empty strings give ``None``.
    """
    if code is None:
        return None
    text = code.strip()
    if not text:
        return None
    text = text.upper()
    if "." not in text:
        if text[0].isalpha():
            text = _DOT_MISSING_DX.sub(r"\1.\2", text)
        else:
            text = _DOT_MISSING_PX.sub(r"\1.\2", text)
    return _EXTENSION_X.sub(r"\1x", text)


def canonical_code_expr(code: ir.StringValue) -> ir.StringValue:
    """Build the Ibis expression of :func:`canonical_code` over a string column."""
    text = code.strip().upper()
    dx = text.re_replace(r"^([A-Z][0-9][0-9A-Z])([0-9A-Z].*)$", r"\1.\2")
    px = text.re_replace(r"^([0-9]{2})([0-9X].*)$", r"\1.\2")
    dotted = ibis.ifelse(text.contains("."), text, ibis.ifelse(text.re_search(r"^[A-Z]"), dx, px))
    fixed = dotted.re_replace(r"([0-9.])X", r"\1x")
    return ibis.ifelse(text == "", ibis.null("string"), fixed)


def normalise_codes(codes: ir.Table, dictionary: ir.Table | None, policy: str,
                    mapping: ir.Table | None = None) -> ir.Table:
    """Add ``code`` (the scheme code) and ``code_recorded`` to a table with a recorded ``code`` column.

    Parameters
    ----------
    codes
        Table with a string column ``code`` (diagnoses or procedures of stays).
    dictionary
        Table with a string column ``code``: the scheme's code dictionary. ``None`` (only with the
        ``exact`` policy) skips the membership test: no ``code_known`` column.
    policy
        ``"exact"``, ``"normalise"`` or ``"map"`` (see the module docstring).
    mapping
        For ``"map"``: table (source_code, code) of the clinical-to-insurance code map.

    Returns
    -------
    The same rows with ``code`` replaced by the code used for grouping, ``code_recorded`` holding the
    code as recorded, and ``code_known`` telling whether the code is in the dictionary.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown code policy {policy!r}; expected one of {POLICIES}")
    if dictionary is None and policy != "exact":
        raise ValueError("the normalise policy needs the dictionary")
    recorded = codes.mutate(code_recorded=codes.code, code=codes.code.strip())
    recorded = recorded.mutate(code=ibis.ifelse(recorded.code == "", ibis.null("string"), recorded.code))
    if dictionary is None:  # exact policy, membership not needed by the caller
        return recorded
    known = dictionary.select(dict_code=dictionary.code).distinct()
    exact = recorded.left_join(known, recorded.code == known.dict_code)
    exact = exact.mutate(code_known=exact.dict_code.notnull()).drop("dict_code")
    if policy == "exact":
        return exact
    exact = exact.mutate(code_canonical=canonical_code_expr(exact.code))
    known2 = dictionary.select(canon_code=dictionary.code).distinct()
    joined = exact.left_join(known2, (exact.code_canonical == known2.canon_code) & ~exact.code_known)
    normal = joined.mutate(
        code=ibis.coalesce(joined.canon_code, joined.code),
        code_known=joined.code_known | joined.canon_code.notnull(),
    ).drop("code_canonical", "canon_code")
    if policy != "map":
        return normal
    if mapping is None:
        raise ValueError("the map policy needs the scheme's code map")
    m = mapping.select(map_source="source_code", map_code="code").distinct()
    mapped = normal.left_join(m, (normal.code == m.map_source) & ~normal.code_known)
    return mapped.mutate(
        code=ibis.coalesce(mapped.map_code, mapped.code),
        code_known=mapped.code_known | mapped.map_code.notnull(),
    ).drop("map_source", "map_code")
