"""ECharts option builders (plain dicts, rendered as JSON into the page and drawn by the vendored library)."""

from __future__ import annotations

from typing import Any

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"


def _base(title: str) -> dict[str, Any]:
    return {"title": {"text": title, "textStyle": {"fontSize": 14, "fontFamily": FONT}},
            "textStyle": {"fontFamily": FONT}, "tooltip": {"trigger": "axis"}, "animation": False,
            "grid": {"left": 60, "right": 30, "top": 50, "bottom": 60}}


def bar(title: str, categories: list[Any], series: dict[str, list[Any]], horizontal: bool = False
        ) -> dict[str, Any]:
    """Bar chart: one bar series per entry of ``series``."""
    option = _base(title)
    cat_axis = {"type": "category", "data": [_label(c) for c in categories], "axisLabel": {"rotate": 0 if horizontal
                                                                                        else 30}}
    val_axis = {"type": "value"}
    option.update(xAxis=val_axis if horizontal else cat_axis, yAxis=cat_axis if horizontal else val_axis,
                  legend={"top": 4, "right": 10}, series=[{"type": "bar", "name": k, "data": _nums(v)} for k, v in series.items()])
    return option


def line(title: str, categories: list[Any], series: dict[str, list[Any]], secondary: set[str] | None = None
         ) -> dict[str, Any]:
    """Line chart; names in ``secondary`` use a right-hand axis."""
    option = _base(title)
    secondary = secondary or set()
    option.update(xAxis={"type": "category", "data": [_label(c) for c in categories]},
                  yAxis=[{"type": "value"}, {"type": "value"}] if secondary else {"type": "value"},
                  legend={"top": 4, "right": 10},
                  series=[{"type": "line", "name": k, "data": _nums(v),
                           **({"yAxisIndex": 1} if k in secondary else {})} for k, v in series.items()])
    return option


def sankey(title: str, links: list[tuple[str, str, float]]) -> dict[str, Any]:
    """Sankey of flows ``(source, target, value)``.

    Receivers are drawn as their own nodes (``→ name``) so that two-way referrals do not make a cycle, which
    ECharts' sankey refuses.
    """
    option = _base(title)
    option["tooltip"] = {"trigger": "item"}
    links = [(s, f"→ {d}", v) for s, d, v in links]
    names = sorted({n for s, d, _ in links for n in (s, d)})
    option["series"] = [{"type": "sankey", "emphasis": {"focus": "adjacency"}, "left": 20, "right": 160, "top": 40,
                         "data": [{"name": n} for n in names],
                         "links": [{"source": s, "target": d, "value": v} for s, d, v in links]}]
    return option


def _label(value: Any) -> str:
    return "—" if value is None else str(value)


def _nums(values: list[Any]) -> list[Any]:
    return [round(v, 4) if isinstance(v, float) else v for v in values]
