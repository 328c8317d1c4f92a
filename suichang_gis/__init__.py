"""遂昌 GIS planning workbench: the core (no Qt). See DESIGN.md for the architecture."""

__version__ = "0.1.0"
