"""Convert the Harbin DRG weights and base rates published in github.com/DamageControlStudio/CHS-DRG
(MIT, ``static/<year>.weights.js``) into hospeval payment-rule data.

Only the facts are taken (DRG code, relative weight, DRG name, the two base rates): the JavaScript
files are parsed as data, nothing of their code is reused. Output: ``payment_rules/harbin/weights-<year>.csv``
(drg, relative_weight, drg_name) and the rates printed for the YAML rule files.

Usage::

    python tools/convert_chs_drg_weights.py /path/to/CHS-DRG/static payment_rules/harbin
    # or straight from a bare git mirror:
    python tools/convert_chs_drg_weights.py --git /work/.mirror/DamageControlStudio+CHS-DRG/repo payment_rules/harbin
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
from pathlib import Path

_BLOCK = re.compile(r"let\s+(\w+)\s*=\s*\{(.*?)\};", re.S)
_PAIR = re.compile(r'"([^"]+)"\s*:\s*"([^"]*)"')


def parse(text: str) -> dict[str, dict[str, str]]:
    """Return the ``let name = {"k": "v", ...};`` blocks of one weights file as dicts."""
    return {name: dict(_PAIR.findall(body)) for name, body in _BLOCK.findall(text)}


def read_year(source: Path, year: int, from_git: bool) -> str:
    """Text of ``static/<year>.weights.js`` from a folder or a bare git repository."""
    if from_git:
        return subprocess.run(
            ["git", "--git-dir", str(source), "show", f"HEAD:static/{year}.weights.js"],
            check=True, capture_output=True, text=True,
        ).stdout
    return (source / f"{year}.weights.js").read_text(encoding="utf-8")


def convert(source: Path, target: Path, years: list[int], from_git: bool) -> None:
    """Write one weights CSV per year and print the rates found."""
    target.mkdir(parents=True, exist_ok=True)
    for year in years:
        blocks = parse(read_year(source, year, from_git))
        weights, names = blocks.get("weights", {}), blocks.get("names", {})
        out = target / f"weights-{year}.csv"
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["drg", "relative_weight", "drg_name"])
            for drg in sorted(weights):
                writer.writerow([drg, f"{float(weights[drg]):.4f}", names.get(drg, "")])
        print(f"{year}: {len(weights)} weights -> {out}; rates {blocks.get('rates', {})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="static/ folder, or the git dir with --git")
    parser.add_argument("target", type=Path)
    parser.add_argument("--git", action="store_true", help="source is a (bare) git repository")
    parser.add_argument("--years", type=int, nargs="+", default=[2022, 2023, 2024])
    args = parser.parse_args()
    convert(args.source, args.target, args.years, args.git)


if __name__ == "__main__":
    main()
