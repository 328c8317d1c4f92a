"""One table of Chinese field labels, used by identify, web-map popups and shapefile exports."""

import xml.etree.ElementTree as ET

import pyogrio
from shapely import box

from suichang_gis.catalog import load_catalog, load_layer
from suichang_gis.field_labels import FIELD_LABELS, field_label, labelled
from suichang_gis.parcel import PARCEL_FIELDS, parcels_frame
from suichang_gis.parcel_io import write_parcels
from suichang_gis.parcel_layer import parcel_layer
from suichang_gis.webmap import layer_geojson

E0, N0 = 430_000.0, 3_163_000.0


def test_every_field_of_the_default_catalog_and_the_parcels_has_a_chinese_label():
    names = {f.name for f in PARCEL_FIELDS} | {"check_status", "check_findings"}
    for spec in load_catalog():
        gdf = load_layer(spec).gdf
        names |= {c for c in gdf.columns if c != gdf.geometry.name}
    missing = sorted(n for n in names if n not in FIELD_LABELS)
    assert missing == [], "add these fields' Chinese labels to suichang_gis/field_labels.py"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in FIELD_LABELS[n]) for n in names)


def test_parcel_labels_come_from_the_parcel_fields_with_their_unit():
    assert field_label("investment_wan") == "拟投资额（万元）"
    assert field_label("parcel_id") == "地块编号"
    assert field_label("no_such_field") == "no_such_field"  # shown, never hidden
    assert list(labelled({"name": "甲", "label": "乙"})) == ["名称", "标注"]
    assert field_label("name", parcel=True) == "项目名称"


def test_web_map_popup_shows_labels_not_field_names():
    frame = parcels_frame([box(E0, N0, E0 + 100, N0 + 100)], applicant=["某公司"], land_use=["工业用地"])
    popup = layer_geojson(parcel_layer(frame))["features"][0]["properties"]["_popup"]
    assert "用地单位" in popup and "拟用地性质" in popup and "核查结论" in popup
    assert "applicant" not in popup and "land_use" not in popup


def test_shapefile_export_writes_a_qgis_style_with_chinese_aliases(tmp_path):
    frame = parcels_frame([box(E0, N0, E0 + 100, N0 + 100)], industry_code=["C33"])
    out = write_parcels(frame, tmp_path / "地块.shp")
    qml = ET.parse(out.with_suffix(".qml")).getroot()
    aliases = {a.get("field"): a.get("name") for a in qml.iter("alias")}
    fields = list(pyogrio.read_info(out)["fields"])
    assert set(aliases) == set(fields)  # every field as GDAL wrote it (10-byte DBF names)
    assert aliases["ind_code"] == "行业代码（GB/T 4754-2017）" and aliases["invest"] == "拟投资额（万元）"
    assert [int(a.get("index")) for a in qml.iter("alias")] == list(range(len(fields)))
