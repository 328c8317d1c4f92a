"""The offline web map: every layer, escaped attributes, no CDN, and it works in a real browser."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import LineString, Point, box

from suichang_gis.catalog import (
    LayerSpec,
    MapLayer,
    Provenance,
    Style,
    lighten,
    load_catalog,
    load_layer,
)
from suichang_gis.crs import WORK_CRS
from suichang_gis.palette import LABEL_COLOURS
from suichang_gis.parcel import parcels_frame
from suichang_gis.parcel_layer import parcel_layer
from suichang_gis.webmap import (
    build_webmap,
    layer_geojson,
    leaflet_assets,
    write_webmap,
)

ATTACK = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def make_layer(layer_id, geometry_type, geoms, style=None, accuracy="权威", **columns):
    spec = LayerSpec(id=layer_id, title=f"图层{layer_id}", group="行政区划", geometry_type=geometry_type,
                     data=Path("none.geojson"), version="v1",
                     provenance=Provenance(source="测试来源", licence="测试许可", accuracy=accuracy,
                                           method="手工构造"),
                     style=style or Style())
    return MapLayer(spec, gpd.GeoDataFrame(columns, geometry=list(geoms), crs=WORK_CRS))


@pytest.fixture(scope="module")
def small_layers():
    x, y = 410000, 3160000
    zones = make_layer("zones", "Polygon", [box(x, y, x + 2000, y + 2000), None],
                       Style(fill="#ffcc00", stroke="#884400", fill_field="kind",
                             fill_by={"甲": "#ff0000"}, label_field="name"),
                       accuracy="示意", name=[ATTACK, "空"], kind=["甲", "乙"])
    roads = make_layer("roads", "LineString", [LineString([(x, y), (x + 3000, y + 3000)])],
                       Style(stroke="#c0392b", stroke_width=2.0, dash=(4.0, 2.0)), name=["S215"])
    seats = make_layer("seats", "Point", [Point(x + 500, y + 500)], Style(fill="#ffffff", stroke="#5b2c6f"),
                       name=["妙高街道"])
    return [zones, roads, seats]


def test_attribute_text_is_escaped(small_layers):
    html = build_webmap(small_layers).get_root().render()
    assert "window.__pwned" in html  # the text is there …
    assert "<script>window.__pwned" not in html  # … but never as markup
    assert "<img src=x" not in html
    props = layer_geojson(small_layers[0])["features"][0]["properties"]
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in props["_popup"]
    assert props["_tip"].startswith("&lt;script&gt;")


def test_features_carry_the_catalog_symbols_and_provenance(small_layers):
    zones, roads, _ = small_layers
    data = layer_geojson(zones)
    assert len(data["features"]) == 1  # the None geometry is skipped
    props = data["features"][0]["properties"]
    # A 示意 layer carries the schematic treatment of the one style model: lighter fill.
    assert props["_sym"]["fillColor"] == lighten("#ff0000") != "#ff0000" and props["_sym"]["color"] == "#884400"
    assert props["_sym"]["dashArray"]  # dashed outline
    assert "测试来源" in props["_popup"] and "示意" in props["_popup"] and "v1" in props["_popup"]
    road = layer_geojson(roads)["features"][0]["properties"]["_sym"]
    assert road["dashArray"] == "5.33 2.67" and road["color"] == "#c0392b"  # points → CSS px
    assert road["weight"] == pytest.approx(2.0 * 96 / 72)
    lon, lat = layer_geojson(roads)["features"][0]["geometry"]["coordinates"][0]
    assert 118.5 < lon < 120 and 28 < lat < 29.5  # lon/lat for Leaflet


def test_no_leaflet_from_the_network(small_layers):
    html = build_webmap(small_layers).get_root().render()
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?https?:", html)
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html
    js, css = leaflet_assets()
    assert "Leaflet 1.9.4" in js and js[:2000] in html and js[-2000:] in html
    assert "sourceMappingURL" not in html
    assert "url(images/" not in css  # control icons are inlined


def test_leaflet_files_are_the_release_files_with_their_licence():
    import hashlib

    from resources import RESOURCES_DIR
    from suichang_gis.webmap import LEAFLET_VERSION

    folder = RESOURCES_DIR / "leaflet"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, flags=re.M)
    assert len(listed) == 7
    for digest, name in listed:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert f"Leaflet {LEAFLET_VERSION}" in (folder / "leaflet.js").read_text(encoding="utf-8")[:200]
    assert f"# Leaflet {LEAFLET_VERSION}" in readme
    assert "BSD 2-Clause License" in (folder / "LICENSE").read_text(encoding="utf-8")


def test_every_default_layer_is_a_toggleable_overlay():
    specs = load_catalog()
    layers = [load_layer(s) for s in specs]
    fmap = build_webmap(layers)
    groups = [c for c in fmap._children.values() if type(c).__name__ == "FeatureGroup"]
    expected = [layer.spec.display_title for layer in layers if layer.gdf.geometry.notna().any()]
    assert sorted(g.layer_name for g in groups) == sorted(expected)
    assert {g.layer_name: g.show for g in groups} == {
        layer.spec.display_title: layer.spec.visible for layer in layers if layer.gdf.geometry.notna().any()}
    assert any(type(c).__name__ == "LayerControl" for c in fmap._children.values())


def test_parcels_are_coloured_by_status_with_findings_in_the_popup():
    parcels = parcels_frame([box(405000, 3160000, 405400, 3160300), box(407000, 3161000, 407300, 3161300)])

    class Finding:
        status, status_label, title = "fail", "不符合", "生态保护红线"
        message = "与生态保护红线重叠 1.20 亩 <b>"

    class Result:
        def __init__(self, pid, label, findings):
            self.id, self.status_label, self.findings = pid, label, findings

    class Check:
        def __init__(self):
            self.parcels = [Result("P001", "不符合", [Finding()]), Result("P002", "通过", [])]

    features = layer_geojson(parcel_layer(parcels, Check()))["features"]
    assert [f["properties"]["_sym"]["fillColor"] for f in features] == [
        LABEL_COLOURS["不符合"], LABEL_COLOURS["通过"]]
    assert "与生态保护红线重叠 1.20 亩 &lt;b&gt;" in features[0]["properties"]["_popup"]


# --- in a real browser, offline ----------------------------------------------------------------

PROBE = """
<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var map = null;
    for (var key in window) {
      if (key.indexOf('map_') === 0 && window[key] instanceof L.Map) { map = window[key]; }
    }
    var opened = false;
    map.eachLayer(function (layer) {
      if (!opened && layer.feature && layer.feature.properties._popup.indexOf('PROBE-PARCEL') >= 0) {
        layer.openPopup(); opened = true;
      }
    });
    var popup = document.querySelector('.leaflet-popup-content');
    var names = Array.prototype.map.call(
      document.querySelectorAll('.leaflet-control-layers-overlays label > span > span'),
      function (s) { return s.textContent.trim(); });
    var out = document.createElement('pre');
    out.id = 'probe';
    out.textContent = JSON.stringify({
      paths: document.querySelectorAll('path.leaflet-interactive').length,
      popup: popup ? popup.textContent : null,
      overlays: names,
      attribution: document.querySelector('.leaflet-control-attribution').textContent,
      pwned: window.__pwned || 0});
    document.body.appendChild(out);
  }, 300);
});
</script>
"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (scripts/install.sh --test)")
def test_page_draws_layers_and_opens_a_popup_in_headless_chromium_offline(tmp_path):
    layers = [load_layer(s) for s in sorted(load_catalog(), key=lambda s: s.zorder)]
    parcels = parcels_frame([box(405000, 3160000, 405400, 3160300)], name=["PROBE-PARCEL " + ATTACK])
    page = write_webmap(tmp_path / "map.html", layers=layers, extra_layers=[parcel_layer(parcels)])
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",  # no network at all
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
         "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found, result.stderr[-2000:]
    import html as html_module

    probe = json.loads(html_module.unescape(found.group(1)))
    # One SVG path per feature of every layer switched on (polygons, lines, circle markers).
    shown = [layer for layer in layers if layer.spec.visible] + [parcel_layer(parcels)]
    expected_paths = sum(len(layer_geojson(layer)["features"]) for layer in shown)
    assert probe["paths"] == expected_paths
    assert probe["popup"] and "PROBE-PARCEL" in probe["popup"] and "未核查" in probe["popup"]
    assert "<script>window.__pwned" in probe["popup"]  # shown as text …
    assert probe["pwned"] == 0  # … and never run
    titles = [layer.spec.display_title for layer in layers if layer.gdf.geometry.notna().any()]
    assert sorted(probe["overlays"]) == sorted([*titles, "候选地块"])
    # OSM-derived layers are on at start, so their licence credit is in the map corner.
    assert "© OpenStreetMap contributors" in probe["attribution"]


def test_webmap_cli_colours_checked_parcels(tmp_path):
    import sys

    parcels = parcels_frame([box(425200, 3162400, 425500, 3162700)], name=["新材料项目"], land_use=["工业用地"])
    source = tmp_path / "parcels.gpkg"
    parcels.to_file(source)
    out = tmp_path / "map.html"
    result = subprocess.run([sys.executable, "-m", "suichang_gis", "webmap", "--parcels", str(source),
                             "--out", str(out)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "候选地块" in html or "\\u5019\\u9009\\u5730\\u5757" in html
    colours = {LABEL_COLOURS[s] for s in ("通过", "警示", "不符合")}
    assert any(c in html for c in colours)  # checked, so not the 未核查 grey
