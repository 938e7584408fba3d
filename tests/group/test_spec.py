"""The scheme format: files are checked when read, and mistakes name the file and field."""

from __future__ import annotations

import shutil

import pytest

from hospeval.errors import SchemaError
from hospeval.group.spec import load_scheme, scheme_dir


@pytest.fixture
def scheme_copy(tmp_path, monkeypatch):
    src = scheme_dir("chs-drg-1.1")
    dst = tmp_path / "schemes" / "chs-drg-1.1"
    shutil.copytree(src, dst)
    monkeypatch.setenv("HOSPEVAL_DATA", str(tmp_path))
    return dst


def test_scheme_tables_have_the_published_sizes():
    scheme = load_scheme("chs-drg-1.1")
    assert scheme.table("mdc").num_rows == 26
    assert len(set(scheme.table("adrg").column("adrg").to_pylist())) == 376
    assert scheme.table("drg").num_rows == 628
    assert {"code", "name"} <= set(scheme.table("icd10").column_names)
    assert scheme.table("icd9cm3").num_rows > 10_000
    assert scheme.manifest["licence"].startswith("Apache-2.0")


def test_unknown_scheme_lists_the_available_ones():
    with pytest.raises(SchemaError, match="chs-drg-1.1"):
        load_scheme.__wrapped__("no-such-scheme")


def test_bad_split_value_is_reported_with_file_and_field(scheme_copy):
    path = scheme_copy / "drg.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",mcc_or_cc,", ",sometimes,", 1), encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        load_scheme.__wrapped__("chs-drg-1.1")
    assert "drg.csv" in str(err.value) and "split" in str(err.value) and "sometimes" in str(err.value)


def test_missing_table_file_is_reported(scheme_copy):
    (scheme_copy / "cc.csv").unlink()
    with pytest.raises(SchemaError, match="cc.csv"):
        load_scheme.__wrapped__("chs-drg-1.1")
