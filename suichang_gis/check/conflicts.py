"""Plan conflicts: plan projects (专栏18–24) that cross 生态保护红线 or 永久基本农田.

A line project is measured by its crossing length, a polygon project by its overlap area; a
point project inside a constraint is listed with neither. Both sides are repaired with
``make_valid`` first. A plan item drawn in more than one layer or listed in more than one
专栏 (features sharing a ``plan_item`` value, e.g. a 专栏22 project and its 专栏20 entry) is
counted once per constraint layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..units import format_area, format_length
from .data import CheckLayer

CONSTRAINT_LAYERS = ("ecological_redline", "permanent_basic_farmland")


@dataclass
class Conflict:
    """One plan item crossing one constraint layer (length for lines, area for polygons)."""

    project_layer: str
    project_layer_title: str
    project: str
    constraint_layer: str
    constraint_layer_title: str
    constraints: str  # names of the crossed features
    length_m: float | None  # line projects
    area_m2: float | None  # polygon projects
    indicative: bool  # a 示意 layer on either side

    @property
    def measure(self) -> str:
        """The crossing in Chinese: 穿越长度, 重叠面积 or 项目点位位于其内."""
        if self.length_m is not None:
            return f"穿越长度 {format_length(self.length_m)}"
        if self.area_m2 is not None:
            return f"重叠面积 {format_area(self.area_m2)}"
        return "项目点位位于其内"

    def to_dict(self) -> dict:
        """A JSON-ready dict (lengths and areas rounded to cm / cm²) with a Chinese message."""
        return {"project_layer": self.project_layer, "project": self.project,
                "constraint_layer": self.constraint_layer, "constraints": self.constraints,
                "length_m": None if self.length_m is None else round(self.length_m, 2),
                "area_m2": None if self.area_m2 is None else round(self.area_m2, 2),
                "indicative": self.indicative, "message": f"{self.project}：{self.measure}"
                f"（{self.constraint_layer_title}：{self.constraints}）"}


def _name(layer: CheckLayer, i: int) -> str:
    v = layer.value("name", i)
    return str(v) if v is not None else f"{layer.spec.title} 要素 {layer.fids[i]}"


def _item(layer: CheckLayer, i: int) -> str:
    """The plan item a feature stands for: its ``plan_item`` value, else its name."""
    v = layer.value("plan_item", i)
    return str(v) if v else _name(layer, i)


def find_conflicts(projects: list[CheckLayer], constraints: list[CheckLayer]) -> list[Conflict]:
    """Every plan item crossing a constraint layer, once per item and constraint layer,
    largest crossing first per layer pair.
    """
    out: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for plan in projects:
        if not len(plan):
            continue
        plan.ensure_valid(np.arange(len(plan)))
        for con in constraints:
            pi, ci = con.tree.query(plan.geoms)
            con.ensure_valid(ci)
            hit = shapely.intersects(plan.geoms[pi], con.geoms[ci])
            pi, ci = pi[hit], ci[hit]
            found = []
            for p in np.unique(pi):
                key = (_item(plan, int(p)), con.id)
                if key in seen:
                    continue
                rows = ci[pi == p]
                geom = plan.geoms[p]
                inter = shapely.intersection(geom, shapely.union_all(con.geoms[rows]))
                dim = shapely.get_dimensions(geom)
                length = float(shapely.length(inter)) if dim == 1 else None
                area = float(shapely.area(inter)) if dim == 2 else None
                if (length is not None and length <= 0) or (area is not None and area <= 0):
                    continue  # touching is not crossing
                seen.add(key)
                names = "、".join(dict.fromkeys(_name(con, int(c)) for c in rows))
                found.append(Conflict(plan.id, plan.spec.title, _name(plan, int(p)), con.id,
                                      con.spec.title, names, length, area,
                                      plan.spec.schematic or con.spec.schematic))
            out.extend(sorted(found, key=lambda c: -(c.length_m or c.area_m2 or 0)))
    return out
