"""The site check: parcels against the 三线一单 and 标准地 rule sets (see engine.py)."""

from .batch import CheckRun, check_parcels
from .data import CheckLayer, ParcelSet, parcel_set, parcel_set_from_frame
from .engine import run_check
from .model import CheckResult, Finding, ParcelResult

__all__ = ["CheckResult", "CheckRun", "Finding", "CheckLayer", "ParcelResult", "ParcelSet", "check_parcels",
           "parcel_set", "parcel_set_from_frame", "run_check"]
