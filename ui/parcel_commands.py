"""Undoable parcel edits (QUndoCommand): every drawing, vertex, split, merge and attribute edit.

A command holds the parcel rows before and after (GeoDataFrames indexed by fid), so redo and
undo are the same operation in opposite directions: one ``ParcelEditor.apply`` call, which is one
transaction in the project's autosave journal.
"""

from __future__ import annotations

import geopandas as gpd
from PySide6.QtGui import QUndoCommand


class ParcelEditCommand(QUndoCommand):
    """Replace the rows ``before`` by the rows ``after`` (either may be empty)."""

    def __init__(self, editor, text: str, before: gpd.GeoDataFrame, after: gpd.GeoDataFrame):
        super().__init__(text)
        self.editor = editor
        self.before = before
        self.after = after

    def redo(self) -> None:
        self.editor.apply(upsert=self.after, delete=_not_in(self.before.index, self.after.index))

    def undo(self) -> None:
        self.editor.apply(upsert=self.before, delete=_not_in(self.after.index, self.before.index))

    @property
    def new_fids(self) -> list[int]:
        return _not_in(self.after.index, self.before.index)


def _not_in(fids, others) -> list[int]:
    """The fids (an index) not among ``others``, in order (vectorised: an import has 50,000)."""
    return fids[~fids.isin(others)].tolist()


class AddParcelsCommand(ParcelEditCommand):
    """New parcels (drawn, imported); fids are fixed once, so redo restores the same parcels."""

    def __init__(self, editor, parcels: gpd.GeoDataFrame, text: str = "绘制地块", prepared: bool = False):
        rows = parcels if prepared else editor.project.prepare_new(parcels)
        super().__init__(editor, text, rows.iloc[:0], rows)


class EditParcelCommand(ParcelEditCommand):
    """A new geometry and/or attribute values for one parcel."""

    def __init__(self, editor, fid: int, geometry=None, values: dict | None = None, text: str = "编辑地块"):
        before = editor.project.parcels.loc[[fid]]
        after = before.copy()
        if geometry is not None:
            after = after.set_geometry([geometry], crs=before.crs)
        for key, value in (values or {}).items():
            after[key] = [value]
        super().__init__(editor, text, before, after)


class DeleteParcelsCommand(ParcelEditCommand):
    def __init__(self, editor, fids, text: str = "删除地块"):
        before = editor.project.parcels.loc[list(fids)]
        super().__init__(editor, text, before, before.iloc[:0])


class ReplaceParcelsCommand(ParcelEditCommand):
    """Some parcels become others in one step: split (one → several) and merge (several → one)."""

    def __init__(self, editor, fids, parcels: gpd.GeoDataFrame, text: str):
        before = editor.project.parcels.loc[list(fids)]
        super().__init__(editor, text, before, editor.project.prepare_new(parcels, replacing=list(fids)))
