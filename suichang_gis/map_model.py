"""The map model: what a map shows, without Qt — the one state every view of the map shares.

A ``MapModel`` holds the ordered layers (bottom first), each as a ``LayerState`` (the loaded
``MapLayer`` plus whether it is shown, its opacity and its style), and the view extent. The Qt
canvas and layer tree, the print layout, the web map and the project file all read and write this
one object (as QGIS's ``QgsMapSettings`` and napari's ``ViewerModel`` serve every target)::

    MapModel ── layers: [LayerState(MapLayer, visible, opacity, style), …]  bottom first
            └── extent: (xmin, ymin, xmax, ymax) in EPSG:4549, or None (the whole map)
       │
       ├─► ui.map_canvas / ui.layer_tree   draw it and edit it (subscribe to changes)
       ├─► layout.print_map(model=…)        prints its visible layers, in order, over its extent
       ├─► webmap.write_webmap(model=…)     one overlay per layer, switched on where visible
       └─► Project.layer_settings           ``layer_settings()`` / ``apply_layer_settings()``

Listeners are plain callables (``subscribe``); each edit calls them once with ``"layers"`` or
``"extent"``, so a view redraws after the model changed, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from .catalog import MapLayer, Style

Extent = tuple[float, float, float, float]


@dataclass(eq=False)
class LayerState:
    """One layer of a map as drawn: the data, whether it is shown, its opacity and style.

    ``opacity`` (0–1) multiplies the style's own opacity; ``style`` None means the catalog style
    (``layer.spec.style``).
    """

    layer: MapLayer
    visible: bool = True
    opacity: float = 1.0
    style: Style | None = None

    @property
    def id(self) -> str:
        """The catalog layer id (stable ASCII, saved in projects)."""
        return self.layer.id

    @property
    def spec(self):
        """The layer's catalog entry (``LayerSpec``)."""
        return self.layer.spec

    @property
    def drawn_style(self) -> Style:
        """The style to draw with: the chosen style, its opacity multiplied by ``opacity``."""
        style = self.style or self.layer.spec.style
        return style if self.opacity == 1.0 else replace(style, opacity=style.opacity * self.opacity)

    def drawn(self) -> MapLayer:
        """The layer with this state applied to its spec (style, visibility), for the print
        layout and the web map, which draw from a ``MapLayer``'s spec.
        """
        spec = self.layer.spec
        if self.visible == spec.visible and self.drawn_style is spec.style:
            return self.layer
        return MapLayer(replace(spec, style=self.drawn_style, visible=self.visible), self.layer.gdf,
                        self.layer.repairs)


class MapModel:
    """The ordered layers of a map (bottom first) with their state, and the view extent.

    Parameters
    ----------
    layers : iterable of MapLayer, optional
        Initial layers, bottom first; each starts shown as its catalog entry says (``visible``).
    extent : (xmin, ymin, xmax, ymax), optional
        The view in EPSG:4549 metres; None shows the whole map.
    """

    def __init__(self, layers: Iterable[MapLayer] = (), extent: Extent | None = None):
        self._layers: list[LayerState] = [LayerState(layer, layer.spec.visible) for layer in layers]
        self.extent: Extent | None = tuple(extent) if extent is not None else None
        self._listeners: list[Callable[[str], None]] = []

    # --- reading ----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[LayerState]:
        return iter(list(self._layers))

    def __len__(self) -> int:
        return len(self._layers)

    def __contains__(self, layer_id: str) -> bool:
        return self.get(layer_id) is not None

    def get(self, layer_id: str) -> LayerState | None:
        """The state of layer ``layer_id``, or None."""
        for state in self._layers:
            if state.id == layer_id:
                return state
        return None

    def ids(self) -> list[str]:
        """Layer ids, bottom first."""
        return [state.id for state in self._layers]

    def layers(self) -> dict[str, MapLayer]:
        """The loaded layers by id (as loaded, no state applied), bottom first."""
        return {state.id: state.layer for state in self._layers}

    def visible(self) -> list[LayerState]:
        """The shown layers, bottom first."""
        return [state for state in self._layers if state.visible]

    def drawn_layers(self, visible_only: bool = True) -> list[MapLayer]:
        """The layers as drawn (opacity and style applied), bottom first; hidden ones too when
        ``visible_only`` is False (the web map lets a reader switch them on).
        """
        return [state.drawn() for state in self._layers if state.visible or not visible_only]

    # --- editing ----------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(what)`` after every edit; ``what`` is "layers" or "extent"."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        """Stop calling ``listener``; unknown listeners are ignored."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    def set_layers(self, layers: Iterable[MapLayer]) -> None:
        """Replace every layer (bottom first), each shown as its catalog entry says."""
        self._layers = [LayerState(layer, layer.spec.visible) for layer in layers]
        self._changed("layers")

    def add(self, layer: MapLayer, visible: bool | None = None, on_top: bool = True) -> LayerState:
        """Add ``layer``, or replace the data of the layer with its id (keeping its place,
        opacity and style); a new layer goes on top unless ``on_top`` is False. ``visible``
        None keeps a replaced layer's visibility and takes the catalog's for a new one.
        """
        state = self.get(layer.id)
        if state is not None:
            state.layer = layer
            if visible is not None:
                state.visible = visible
        else:
            state = LayerState(layer, layer.spec.visible if visible is None else visible)
            self._layers.insert(len(self._layers) if on_top else 0, state)
        self._changed("layers")
        return state

    def insert(self, layers: Iterable[MapLayer], index: int) -> None:
        """Put new ``layers`` (bottom first) at position ``index`` of the bottom-first order
        (clamped), each shown as its catalog entry says, in one change; a layer whose id is
        already there only has its data replaced, keeping its place and state.
        """
        index = max(0, min(index, len(self._layers)))
        for layer in layers:
            state = self.get(layer.id)
            if state is not None:
                state.layer = layer
            else:
                self._layers.insert(index, LayerState(layer, layer.spec.visible))
                index += 1
        self._changed("layers")

    def remove(self, layer_id: str) -> None:
        """Remove a layer; an unknown id changes nothing."""
        kept = [state for state in self._layers if state.id != layer_id]
        if len(kept) != len(self._layers):
            self._layers = kept
            self._changed("layers")

    def set_visible(self, layer_id: str, visible: bool) -> None:
        """Show or hide a layer."""
        state = self.get(layer_id)
        if state is not None and state.visible != bool(visible):
            state.visible = bool(visible)
            self._changed("layers")

    def set_opacity(self, layer_id: str, opacity: float) -> None:
        """Set a layer's opacity, clamped to 0–1."""
        state = self.get(layer_id)
        value = max(0.0, min(1.0, float(opacity)))
        if state is not None and state.opacity != value:
            state.opacity = value
            self._changed("layers")

    def set_style(self, layer_id: str, style: Style | None) -> None:
        """Draw a layer with ``style`` (None: back to the catalog style)."""
        state = self.get(layer_id)
        if state is not None and state.style != style:
            state.style = style
            self._changed("layers")

    def move(self, layer_id: str, index: int) -> None:
        """Move a layer to position ``index`` of the bottom-first order (clamped)."""
        state = self.get(layer_id)
        if state is None:
            return
        self._layers.remove(state)
        self._layers.insert(max(0, min(index, len(self._layers))), state)
        self._changed("layers")

    def set_order(self, layer_ids: Iterable[str]) -> None:
        """Reorder to ``layer_ids`` (bottom first); layers not named follow, in their order."""
        by_id = {state.id: state for state in self._layers}
        ordered = [by_id.pop(i) for i in layer_ids if i in by_id]
        self._layers = ordered + [state for state in self._layers if state.id in by_id]
        self._changed("layers")

    def set_extent(self, extent: Extent | None) -> None:
        """Set the view extent (EPSG:4549 metres), or None for the whole map."""
        extent = tuple(float(v) for v in extent) if extent is not None else None
        if extent != self.extent:
            self.extent = extent
            self._changed("extent")

    # --- the project file ---------------------------------------------------------------------
    def layer_settings(self, skip: Iterable[str] = ()) -> dict[str, dict]:
        """Per layer id the user's choices as JSON-ready values: ``visible``, ``opacity``
        (rounded to 0.001), ``order`` (0 = bottom) and, where one was chosen, ``style`` — what
        ``Project.layer_settings`` keeps.
        """
        from .user_layers import style_to_dict

        skip = set(skip)
        out = {}
        for i, state in enumerate(self._layers):
            if state.id in skip:
                continue
            out[state.id] = {"visible": state.visible, "opacity": round(state.opacity, 3), "order": i}
            if state.style is not None:
                out[state.id]["style"] = style_to_dict(state.style)
        return out

    def apply_layer_settings(self, settings: dict[str, dict]) -> None:
        """Restore choices saved by ``layer_settings`` (any subset of the keys; unknown layer ids
        are ignored, layers without an ``order`` keep their place after the ordered ones).
        """
        from .user_layers import style_from_dict

        for layer_id, values in settings.items():
            state = self.get(layer_id)
            if state is None:
                continue
            if "visible" in values:
                state.visible = bool(values["visible"])
            if "opacity" in values:
                state.opacity = max(0.0, min(1.0, float(values["opacity"])))
            if "style" in values:
                state.style = style_from_dict(values["style"])
        ordered = sorted((values["order"], layer_id) for layer_id, values in settings.items()
                         if "order" in values and layer_id in self)
        if ordered:
            slots = sorted(self.ids().index(layer_id) for _, layer_id in ordered)
            ids = self.ids()
            for slot, (_, layer_id) in zip(slots, ordered):
                ids[slot] = layer_id
            by_id = {state.id: state for state in self._layers}
            self._layers = [by_id[i] for i in ids]
        self._changed("layers")
