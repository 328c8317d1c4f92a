"""Print layouts: renderer symbols, legend = drawn layers, scale bar = map scale, pages, fonts."""

import logging
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from shapely import LineString, Point, box

from suichang_gis.catalog import (
    LayerSpec,
    MapLayer,
    Provenance,
    Style,
    load_catalog,
    load_layer,
)
from suichang_gis.crs import WORK_CRS, to_lonlat
from suichang_gis.layout import (
    PAPER_MM,
    Template,
    compose_layout,
    export_layout,
    fit_extent,
    load_templates,
    nice_scale,
    print_map,
)
from suichang_gis.palette import LABEL_COLOURS
from suichang_gis.parcel import parcels_frame
from suichang_gis.parcel_layer import parcel_layer
from suichang_gis.render import draw_layers, fit_label, legend_entries

PT_PER_MM = 72 / 25.4
TEMPLATES = load_templates()


@pytest.fixture(scope="module")
def catalog_layers():
    return {s.id: load_layer(s) for s in load_catalog()}


def make_layer(layer_id, geometry_type, geoms, style, accuracy="权威", source="测试数据", **columns):
    spec = LayerSpec(id=layer_id, title=f"图层{layer_id}", group="行政区划", geometry_type=geometry_type,
                     data=Path("none.geojson"), version="t",
                     provenance=Provenance(source=source, licence="测试", accuracy=accuracy, method="手工构造"),
                     style=style)
    return MapLayer(spec, gpd.GeoDataFrame(columns, geometry=list(geoms), crs=WORK_CRS))


def axes():
    fig = Figure(figsize=(4, 4), dpi=50)
    FigureCanvasAgg(fig)
    return fig.add_axes([0, 0, 1, 1])


# --- the renderer ----------------------------------------------------------------------------

def test_draw_layers_uses_the_catalog_style_and_reports_only_what_is_in_view():
    status_style = Style(stroke="#112233", stroke_width=2.0, dash_field="status",
                         dash_by={"续建": (), "谋划": (1.5, 3.0)})
    zones_style = Style(fill="#aabbcc", stroke="#445566", fill_field="kind",
                        fill_by={"甲": "#ff0000", "乙": "#00ff00"}, opacity=0.5)
    lines = make_layer("lines", "LineString",
                       [LineString([(0, 0), (100, 100)]), LineString([(0, 50), (100, 50)]), None],
                       status_style, status=["续建", "谋划", "续建"])
    zones = make_layer("zones", "Polygon", [box(10, 10, 40, 40), box(5000, 5000, 5010, 5010)],
                       zones_style, kind=["甲", "乙"])
    far = make_layer("far", "Point", [Point(9000, 9000)], Style(fill="#000000"))
    ax = axes()
    drawn = draw_layers(ax, [zones, lines, far], (0, 0, 100, 100), labels=False)

    assert [d.spec.id for d in drawn] == ["zones", "lines"]  # "far" has nothing in view
    by_id = {d.spec.id: d for d in drawn}
    assert by_id["zones"].count == 1 and by_id["zones"].variants == ["甲"]  # 乙 is out of view
    assert by_id["lines"].count == 2 and by_id["lines"].variants == ["续建", "谋划"]  # None skipped
    assert ax.get_xlim() == (0, 100) and ax.get_ylim() == (0, 100)

    polygons = [c for c in ax.collections if c.get_zorder() == 10]
    assert len(polygons) == 1
    assert tuple(polygons[0].get_facecolor()[0]) == to_rgba("#ff0000", 0.5)
    assert tuple(polygons[0].get_edgecolor()[0]) == to_rgba("#445566", 0.5)
    line_sets = [c for c in ax.collections if c.get_zorder() == 11]
    dashes = sorted(tuple(c.get_linestyle()[0][1] or ()) for c in line_sets)
    assert dashes == sorted([(), (1.5, 3.0)])  # points on paper, whatever the line width


def test_legend_entries_use_the_drawn_symbols_with_status_headings():
    style = Style(stroke="#c0392b", stroke_width=2.6, dash_field="s", dash_by={"新建": (10.0, 4.0)})
    layer = make_layer("p", "LineString", [LineString([(0, 0), (1, 1)])], style, accuracy="示意", s=["新建"])
    drawn = draw_layers(axes(), [layer], (0, 0, 1, 1), labels=False)
    heading, line = legend_entries(drawn)
    assert heading.handle is None and heading.label == "图层p（示意）"
    assert line.value == "新建" and line.label == "新建"
    # A 示意 layer is drawn (and its legend shows it) with the schematic treatment: lighter.
    assert line.handle.get_color() == layer.spec.drawn_style.stroke != "#c0392b"
    assert line.handle.get_linewidth() == 2.6


def test_labels_do_not_overlap():
    points = make_layer("towns", "Point", [Point(50 + i * 0.5, 50) for i in range(8)],
                        Style(label_field="name", label_size=10), name=[f"镇{i}" for i in range(8)])
    ax = axes()
    draw_layers(ax, [points], (0, 0, 100, 100))
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert 0 < len(boxes) < 8  # crowded labels are dropped, not stacked
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_long_names_wrap_and_are_never_cut():
    assert fit_label("妙高街道") == "妙高街道"
    assert fit_label("遂昌县城南综合片区工业园") == "遂昌县城南综合片区\n工业园"
    # On the map a parenthetical part goes first; the rest of the name stays whole.
    assert fit_label("浙江遂昌经济开发区上江区块（主导产业：金属制品）") == "浙江遂昌经济开发区\n上江区块"
    assert fit_label("X614（新汀线）新路湾至白马山森林公园至汀溪村改建工程").replace("\n", "") == \
        "X614新路湾至白马山森林公园至汀溪村改建工程"
    long = fit_label("一二三四五六七八九十一二三四五六七八九十")
    assert "…" not in long and long.replace("\n", "") == "一二三四五六七八九十一二三四五六七八九十"
    # A closing bracket never starts a line.
    assert not any(line.startswith("）") for line in fit_label("综合交通项目（专栏20、22）（示意）", 14,
                                                                drop_brackets=False).split("\n"))


# --- scale -----------------------------------------------------------------------------------

def test_nice_scale_rounds_up_to_a_round_denominator():
    assert nice_scale(250.0) == 250000
    assert nice_scale(251.0) == 300000
    assert nice_scale(1.01) == 1200
    extent, n = fit_extent((0, 0, 82000, 66000), (275.0, 240.0))
    assert n == 300000  # 82 km over 275 mm needs 1:298 182
    assert extent[2] - extent[0] == pytest.approx(275.0 * 300)  # metres = mm × N / 1000


def bar_length_mm(layout):
    (x0, y0), (x1, y1) = layout.scale_bar
    p0, p1 = layout.map_ax.transData.transform([(x0, y0), (x1, y1)])
    return (p1[0] - p0[0]) / layout.figure.dpi * 25.4


@pytest.mark.parametrize("paper,orientation", [("A4", "portrait"), ("A3", "landscape")])
def test_scale_bar_length_equals_the_map_scale(catalog_layers, paper, orientation):
    layout = compose_layout(TEMPLATES["zones"], catalog_layers, paper, orientation, dpi=40)
    ax = layout.map_ax
    page_w = layout.paper_mm[0]
    frame_width_mm = ax.get_position().width * page_w
    x_min, x_max = ax.get_xlim()
    metres_per_mm = (x_max - x_min) / frame_width_mm  # the map's real scale, measured
    assert metres_per_mm * 1000 == pytest.approx(layout.scale_denominator, rel=1e-9)
    km = layout.scale_bar_km
    assert km in {m * 10 ** e for m in (1, 2, 5) for e in range(-1, 3)}
    assert bar_length_mm(layout) == pytest.approx(km * 1000 / metres_per_mm, rel=1e-6)
    assert 0.1 <= bar_length_mm(layout) / frame_width_mm <= 0.3


def test_graticule_labels_name_the_lon_lat_where_they_stand(catalog_layers):
    layout = compose_layout(TEMPLATES["zones"], catalog_layers, "A4", "landscape", dpi=40)
    ax = layout.map_ax
    y_bottom = ax.get_ylim()[0]
    labels = ax.get_xticklabels()
    assert len(labels) >= 3
    for x, label in zip(ax.get_xticks(), labels):
        lon, _ = to_lonlat(x, y_bottom)
        deg, rest = label.get_text().rstrip("E").split("°")
        assert lon == pytest.approx(int(deg) + int(rest.rstrip("′")) / 60, abs=1e-6)


# --- templates -------------------------------------------------------------------------------

def layers_in_view(template, catalog_layers, extent, extra=()):
    """Layer ids with a feature inside the map extent, computed from the data directly."""
    window = box(*extent)
    ids = []
    for layer in [catalog_layers[i] for i in template.layers if i in catalog_layers] + list(extra):
        geoms = layer.gdf.geometry.dropna()
        if geoms.intersects(window).any():
            ids.append(layer.id)
    return ids


PAGES = [(p, o) for p in ("A4", "A3") for o in ("landscape", "portrait")]


@pytest.mark.parametrize("template_id", [t for t in TEMPLATES if t != "parcel_check"])
def test_each_template_renders_on_a4_and_a3_in_both_orientations(catalog_layers, template_id):
    template = TEMPLATES[template_id]
    for paper, orientation in PAGES:
        layout = compose_layout(template, catalog_layers, paper, orientation, dpi=30)
        short, long_ = PAPER_MM[paper]
        expected = (long_, short) if orientation == "landscape" else (short, long_)
        assert tuple(layout.figure.get_size_inches() * 25.4) == pytest.approx(expected)
        # The legend lists exactly the layers with features in the extent, with their titles.
        extent = (*layout.map_ax.get_xlim(), *layout.map_ax.get_ylim())
        extent = (extent[0], extent[2], extent[1], extent[3])
        expected_ids = layers_in_view(template, catalog_layers, extent)
        legend_ids = list(dict.fromkeys(e.layer_id for e in layout.legend))
        assert sorted(legend_ids) == sorted(expected_ids)
        assert legend_ids == expected_ids[::-1]  # top layer first
        for entry in layout.legend:
            spec = catalog_layers[entry.layer_id].spec
            if entry.value is None:
                assert entry.label == spec.display_title
        for d in layout.drawn:  # every status drawn, and only those
            field = d.spec.style.class_field
            if field:
                window = box(*extent)
                gdf = catalog_layers[d.spec.id].gdf
                gdf = gdf[gdf.geometry.notna()]
                present = set(gdf[gdf.intersects(window)][field].astype(str))
                assert set(d.variants) == present
                assert [e.value for e in layout.legend if e.layer_id == d.spec.id and e.value] == d.variants
        # Map labels overlap neither each other nor the north arrow and scale bar.
        from matplotlib.text import Annotation

        renderer = layout.figure.canvas.get_renderer()
        labels = [t.get_window_extent(renderer) for t in layout.map_ax.texts if isinstance(t, Annotation)]
        furniture = [t.get_window_extent(renderer) for t in layout.map_ax.texts
                     if not isinstance(t, Annotation)]
        assert len(labels) >= 10
        for i, box_a in enumerate(labels):
            assert not any(box_a.overlaps(b) for b in labels[i + 1:] + furniture)
        # The notes name the source of every drawn layer (the plan's long title written once,
        # then 《纲要》); the legend marks each 示意 layer and the notes say what that means.
        notes = "\n".join(layout.notes)
        plain = notes.replace("（下称《纲要》）", "").replace(PLAN_TITLE, "《纲要》")
        for d in layout.drawn:
            assert d.spec.provenance.source.replace(PLAN_TITLE, "《纲要》") in plain
            if d.spec.schematic:
                assert any(e.label == f"{d.spec.title}（示意）" for e in layout.legend if e.layer_id == d.spec.id)
                assert "示意数据" in notes.split("注：")[-1]
        if any("OpenStreetMap" in (d.spec.provenance.attribution or "") for d in layout.drawn):
            assert "© OpenStreetMap contributors" in notes


def pdf_page_size_pt(path: Path) -> tuple[float, float]:
    import re

    text = path.read_bytes().decode("latin-1")
    box_ = re.search(r"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", text)
    return float(box_.group(3)) - float(box_.group(1)), float(box_.group(4)) - float(box_.group(2))


# Every template once as a real PDF, the pages rotating through A4/A3 and both orientations.
PDF_CASES = [("zones", "A3", "landscape"), ("transport", "A4", "portrait"),
             ("water_energy", "A4", "landscape"), ("ecology", "A3", "portrait")]


@pytest.mark.parametrize("template_id,paper,orientation", PDF_CASES)
def test_pdf_page_size_and_embedded_cjk_font(catalog_layers, tmp_path, template_id, paper, orientation, caplog):
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning in matplotlib
        layout = compose_layout(TEMPLATES[template_id], catalog_layers, paper, orientation, dpi=30)
        out = export_layout(layout, tmp_path / "map.pdf")
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")], caplog.text
    assert out.read_bytes().startswith(b"%PDF")
    short, long_ = PAPER_MM[paper]
    expected = (long_, short) if orientation == "landscape" else (short, long_)
    assert pdf_page_size_pt(out) == pytest.approx(tuple(v * PT_PER_MM for v in expected), abs=0.01)
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=False)
    rows = fonts.stdout.splitlines()[2:]
    assert any("SimHei" in row for row in rows), fonts.stdout  # the CJK font is in the file
    for row in rows:
        assert "CID TrueType" in row, row  # fonttype 42: real outlines, selectable text, no Type 3
        assert row.split()[-5:-2] == ["yes", "yes", "yes"], row  # embedded, subset, with unicode map
    assert "Mismatch" not in fonts.stderr  # the font file is what the PDF says it is
    names = [row.split()[0].split("+")[-1] for row in rows]
    assert len(names) == len(set(names)), fonts.stdout  # each font subset once (not per 256 characters)


def test_parcel_check_template_colours_parcels_by_status(catalog_layers):
    parcels = parcels_frame([box(405000, 3160000, 405400, 3160300), box(407000, 3161000, 407300, 3161300)],
                            name=["甲", "乙"])

    class Result:  # the two fields of suichang_gis.check.ParcelResult the map reads
        def __init__(self, pid, label):
            self.id, self.status_label, self.findings = pid, label, []

    class Check:
        def __init__(self):
            self.parcels = [Result("P001", "不符合"), Result("P002", "通过")]

    layer = parcel_layer(parcels, Check())
    layout = compose_layout(TEMPLATES["parcel_check"], catalog_layers, "A4", "portrait",
                            extra_layers=[layer], dpi=30)
    drawn = {d.spec.id: d for d in layout.drawn}
    assert drawn["parcels"].variants == ["通过", "不符合"]
    # The view holds both parcels with a margin, at a detail scale.
    x0, x1 = layout.map_ax.get_xlim()
    y0, y1 = layout.map_ax.get_ylim()
    assert x0 < 405000 and x1 > 407300 and y0 < 3160000 and y1 > 3161300
    assert layout.scale_denominator <= 50000
    top = max(c.get_zorder() for c in layout.map_ax.collections)  # parcels are drawn last
    parcel_fills = {tuple(np.round(c.get_facecolor()[0], 3)) for c in layout.map_ax.collections
                    if c.get_zorder() == top}
    assert parcel_fills == {tuple(np.round(to_rgba(LABEL_COLOURS[s], 0.75), 3)) for s in ("通过", "不符合")}


def test_parcel_template_without_parcels_is_a_clear_error(catalog_layers):
    from suichang_gis.layout import LayoutError

    with pytest.raises(LayoutError, match="候选地块"):
        compose_layout(TEMPLATES["parcel_check"], catalog_layers, "A4", "portrait")


def test_print_current_view_uses_the_given_layers_and_extent(tmp_path):
    view = (400000.0, 3150000.0, 420000.0, 3165000.0)
    layout = print_map(Template("view", "当前视图", ()), tmp_path / "v.png", paper="A4",
                       layer_ids=["townships", "county_boundary"], extent=view, dpi=30)
    assert {d.spec.id for d in layout.drawn} == {"townships", "county_boundary"}
    x0, x1 = layout.map_ax.get_xlim()
    assert x0 <= view[0] and x1 >= view[2]
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"


# --- CLI -------------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "suichang_gis", *args], capture_output=True, text=True, check=False)


def test_print_list_gives_each_template_id_and_its_chinese_title():
    result = run_cli("print", "--list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t") for line in lines] == [[t.id, t.title] for t in TEMPLATES.values()]
    assert {"zones", "transport", "water_energy", "ecology", "parcel_check"} <= {line.split("\t")[0] for line in lines}


def test_print_cli_writes_the_requested_page(tmp_path):
    out = tmp_path / "zones.pdf"
    result = run_cli("print", "zones", "--paper", "A4", "--orientation", "portrait",
                     "--title", "测试图名", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert pdf_page_size_pt(out) == pytest.approx((210 * PT_PER_MM, 297 * PT_PER_MM), abs=0.01)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=False).stdout
        assert "测试图名" in text and "制图日期" in text


def test_print_cli_unknown_template_says_which_exist(tmp_path):
    result = run_cli("print", "nope", "--out", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    assert "nope" in result.stderr and "zones" in result.stderr


def test_check_summary_table_under_the_map_fits_the_page(catalog_layers):
    from matplotlib.table import Table

    parcels = parcels_frame([box(405000, 3160000, 405400, 3160300)], name=["甲"])
    issues = "；".join(f"很长的核查问题说明第{i}条（不符合）" for i in range(12))
    table = (["地块编号", "项目名称", "面积（亩）", "核查结论", "问题"], [["P001", "甲", "180.00", "不符合", issues]])
    layout = compose_layout(TEMPLATES["parcel_check"], catalog_layers, "A4", "portrait",
                            extra_layers=[parcel_layer(parcels)], dpi=40, table=table)
    fig = layout.figure
    renderer = fig.canvas.get_renderer()
    tables = [a for ax in fig.axes for a in ax.get_children() if isinstance(a, Table)]
    assert len(tables) == 1
    cells = tables[0].get_celld()
    assert cells[(1, 0)].get_text().get_text() == "P001"
    last = cells[(1, 4)].get_text()
    assert "…" not in last.get_text()  # wrapped, not cut
    assert last.get_text().replace("\n", "") == issues
    table_box = tables[0].get_window_extent(renderer)
    assert last.get_window_extent(renderer).x1 <= table_box.x1
    # The map frame moved up to make room: it does not overlap the table.
    assert layout.map_ax.get_window_extent(renderer).y0 > table_box.y1


def test_print_parcel_check_cli_runs_the_check_and_prints_its_table(tmp_path):
    parcels = parcels_frame([box(425200, 3162400, 425500, 3162700), box(421000, 3160500, 421300, 3160900)],
                            name=["新材料项目", "食品加工项目"], land_use=["工业用地"] * 2)
    source = tmp_path / "parcels.gpkg"
    parcels.to_file(source)
    out = tmp_path / "check.pdf"
    result = run_cli("print", "parcel_check", "--parcels", str(source), "--paper", "A4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=False).stdout
    assert "核查结论" in text and "P001" in text and "新材料项目" in text and "食品加工项目" in text
    assert "候选地块" in text  # in the legend


def test_print_parcel_check_without_parcels_exits_with_a_message(tmp_path):
    result = run_cli("print", "parcel_check", "--out", str(tmp_path / "x.pdf"))
    assert result.returncode == 2 and "--parcels" in result.stderr


def test_two_column_legend_keeps_a_status_heading_with_its_lines():
    from suichang_gis.layout import legend_columns
    from suichang_gis.render import LegendEntry

    single = [LegendEntry(f"l{i}", f"图层{i}", object()) for i in range(3)]
    heading = LegendEntry("s", "状态图层", None)
    lines = [LegendEntry("s", v, object(), v) for v in ("续建", "新建", "前期")]
    slots = legend_columns([*single, heading, *lines], 2)
    second = slots[len(slots) // 2:]
    assert heading in second and all(line in second for line in lines)  # not split over columns
    assert [e for e in slots if e is not None] == [*single, heading, *lines]  # order kept


def test_png_and_svg_exports(catalog_layers, tmp_path):
    from PIL import Image

    layout = compose_layout(TEMPLATES["water_energy"], catalog_layers, "A4", "landscape")
    png = export_layout(layout, tmp_path / "map.png", dpi=100)
    with Image.open(png) as image:
        assert image.size == pytest.approx((297 / 25.4 * 100, 210 / 25.4 * 100), abs=1)
    svg = export_layout(layout, tmp_path / "map.svg")
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and 'width="841.889764pt"' in text  # 297 mm
    with pytest.raises(Exception, match="不支持的输出格式"):
        export_layout(layout, tmp_path / "map.docx")


# --- meeting maps fit to hand out --------------------------------------------------------------

STAMP = "示意图 · 非正式成果 · 不作为审批依据"
PLAN_TITLE = "《遂昌县国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》"
HANDOUT_PAGES = [("A4", "portrait"), ("A3", "landscape"), ("A0", "landscape")]


def pdf_words(path: Path) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every word poppler finds in the PDF, in points."""
    import html
    import re

    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out)
    return [(html.unescape(t), float(a), float(b), float(c), float(d)) for a, b, c, d, t in words]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def printed_pages(catalog_layers, tmp_path_factory):
    """Every template at A4 portrait, A3 landscape and A0 landscape as PDF (parcels for parcel_check)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    folder = tmp_path_factory.mktemp("pages")
    parcels = parcel_layer(parcels_frame([box(425200, 3162400, 425500, 3162700)], name=["新材料项目"]))
    pages = {}
    for template_id, template in TEMPLATES.items():
        for paper, orientation in HANDOUT_PAGES:
            extra = [parcels] if template.extent == "parcels" else None
            layout = compose_layout(template, catalog_layers, paper, orientation, extra_layers=extra)
            path = export_layout(layout, folder / f"{template_id}-{paper}-{orientation}.pdf")
            pages[(template_id, paper, orientation)] = (layout, pdf_words(path))
    return pages


def _size_ratio(layout, words) -> float:
    """Word-box height per point of font size, measured on the 图名 (20 × k pt, 黑体)."""
    k = min(layout.paper_mm) / 210.0
    title = layout.figure.texts[0].get_text()
    heights = [y1 - y0 for t, x0, y0, x1, y1 in words if t and t in title and _has_cjk(t)]
    assert heights, "title not found in the PDF text"
    return max(heights) / (20 * k)


def test_no_chinese_text_under_6_pt_and_nothing_cut(printed_pages):
    """6 pt on A4 and A3, growing with the symbols on wall maps (A0: 6 × 1.68 pt)."""
    from suichang_gis.layout import symbol_scale

    for (template_id, paper, orientation), (layout, words) in printed_pages.items():
        k = symbol_scale(min(layout.paper_mm) / 210.0)
        ratio = _size_ratio(layout, words)
        for text, x0, y0, x1, y1 in words:
            assert "…" not in text, f"{template_id} {paper}: “{text}” is cut"
            if _has_cjk(text):
                size = (y1 - y0) / ratio
                assert size >= 6.0 * k - 0.25, f"{template_id} {paper} {orientation}: “{text}” at {size:.1f} pt"


def test_schematic_stamp_and_title_whenever_a_schematic_layer_is_drawn(printed_pages):
    for (template_id, paper, orientation), (layout, words) in printed_pages.items():
        k = min(layout.paper_mm) / 210.0
        schematic = any(d.spec.schematic for d in layout.drawn)
        assert layout.schematic == schematic
        if not schematic:
            continue
        assert layout.figure.texts[0].get_text().endswith("（示意）")
        ratio = _size_ratio(layout, words)
        stamp = [w for w in words if w[0] and w[0] in STAMP and "示意" in w[0]]
        assert stamp, f"{template_id} {paper}: no 示意 stamp"
        assert min((y1 - y0) / ratio for _, _, y0, _, y1 in stamp) >= 9.0 * k - 0.25
        assert "示意数据" in "".join(w[0] for w in words)


def test_no_two_text_boxes_overlap(printed_pages):
    """Labels, legend, notes and furniture: no word box overlaps another (lines of one text
    block touch by their leading, so a vertical overlap under a quarter of a line is allowed)."""
    from shapely import STRtree
    from shapely import box as shp_box

    for (template_id, paper, orientation), (layout, words) in printed_pages.items():
        boxes = [shp_box(x0, y0, x1, y1) for _, x0, y0, x1, y1 in words]
        tree = STRtree(boxes)
        for i, j in zip(*tree.query(boxes, predicate="intersects")):
            if i >= j:
                continue
            a, b = words[i], words[j]
            dx = min(a[3], b[3]) - max(a[1], b[1])
            dy = min(a[4], b[4]) - max(a[2], b[2])
            line = min(a[4] - a[2], b[4] - b[2])
            assert dx <= 0.5 or dy <= 0.3 * line, \
                f"{template_id} {paper} {orientation}: “{a[0]}” over “{b[0]}”"


def test_unplaced_items_box_on_every_template_naming_a_zhuanlan(printed_pages):
    from suichang_gis.layout import zhuanlan_numbers

    for (template_id, paper, orientation), (layout, words) in printed_pages.items():
        template = TEMPLATES[template_id]
        if not zhuanlan_numbers(template.subtitle):
            continue
        text = "".join(w[0] for w in words)
        for item in layout.unplaced:
            assert item.split("（")[0].replace(" ", "") in text, f"{template_id}: {item} not on the page"
        if layout.unplaced:
            assert "未上图项目（位置未定）" in text
    transport = printed_pages[("transport", "A3", "landscape")][0]
    names = " ".join(transport.unplaced)
    assert "山地轨道交通项目" in names and "遂昌通用机场" in names
    assert "衢丽铁路衢松段" not in names  # drawn by its 专栏22 twin


def test_official_layer_from_a_user_catalog_prints_without_the_schematic_treatment(tmp_path, catalog_layers):
    from dataclasses import replace

    from suichang_gis.catalog import apply_user_catalog, schematic_style

    specs = load_catalog()
    townships = next(s for s in specs if s.id == "townships")
    assert townships.schematic and townships.drawn_style.dash  # dashed, lighter outline
    zones = next(s for s in specs if s.id == "zones")
    assert zones.drawn_style.hatch == "diagonal" and zones.style.hatch is None
    assert schematic_style(zones.style, "Polygon").fill_by != zones.style.fill_by
    user = tmp_path / "user.toml"
    user.write_text(f'[layers.townships]\ndata = "{townships.data}"\n', encoding="utf-8")
    official = next(s for s in apply_user_catalog(specs, user) if s.id == "townships")
    assert not official.schematic and official.drawn_style == official.style
    layers = {"townships": load_layer(official), "county_boundary": catalog_layers["county_boundary"]}
    template = replace(TEMPLATES["zones"], layers=("townships", "county_boundary"), detail=())
    layout = compose_layout(template, layers, "A4", "portrait")
    assert not layout.schematic
    assert "示意" not in layout.figure.texts[0].get_text()
    texts = [t.get_text() for ax in layout.figure.axes for t in ax.texts]
    assert STAMP not in texts


def test_zones_map_has_an_enlargement_inset_of_the_county_seat(printed_pages):
    layout, words = printed_pages[("zones", "A3", "landscape")]
    titles = [ax.get_title() for ax in layout.figure.axes]
    detail = [t for t in titles if t.startswith("县城周边放大图")]
    assert detail
    denominator = int(detail[0].split("1:")[1].rstrip("）").replace(" ", ""))
    assert denominator <= layout.scale_denominator / 2  # at least twice as large
    inset = next(ax for ax in layout.figure.axes if ax.get_title().startswith("县城周边放大图"))
    text = " ".join(t.get_text().replace("\n", "") for t in inset.texts)
    renewal = ("城中区块", "城北区块", "城东区块", "城南区块", "城西区块")
    clusters = ("古院组团", "梅溪组团", "东峰组团", "关雎组团")
    assert sum(n in text for n in renewal) >= 3 and sum(n in text for n in clusters) >= 3  # labelled


# --- the parcel atlas --------------------------------------------------------------------------

def pdf_pages(path: Path) -> int:
    import re

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def atlas_run(tmp_path_factory):
    from suichang_gis.check import check_parcels

    folder = tmp_path_factory.mktemp("atlas")
    parcels = parcels_frame([box(425200, 3162400, 425500, 3162700), box(421000, 3160500, 421300, 3160900)],
                            name=["新材料项目", "食品加工项目"], land_use=["工业用地"] * 2)
    source = folder / "parcels.gpkg"
    parcels.to_file(source)
    return source, check_parcels(source)


def test_parcel_atlas_has_an_overview_and_a_page_per_parcel(atlas_run, tmp_path):
    from suichang_gis.atlas import print_atlas

    source, run = atlas_run
    out = tmp_path / "atlas.pdf"
    atlas = print_atlas(run, out)
    assert [p.parcel_id for p in atlas.pages] == [str(p.id) for p in run.result.parcels]
    if shutil.which("pdfinfo"):
        assert pdf_pages(out) == 1 + len(run.result.parcels)
    for page, parcel in zip(atlas.pages, run.result.parcels):
        # 1:2,000–1:10,000 for a parcel of a few hundred metres.
        assert 2_000 <= page.scale_denominator <= 10_000
        # Every finding that is not 通过 is listed with its reason, 未评估 included, worst first.
        expected = [f for f in parcel.findings if f.status in ("fail", "warn", "not_assessed")]
        assert len(page.rows) == len(expected)
        assert {r[0] for r in page.rows} == {f.rule for f in expected}
        assert all(r[3].strip() for r in page.rows)
        if parcel.status in ("warn", "fail"):
            assert page.rows
        order = {"不符合": 0, "警示": 1, "未评估": 2}
        assert [order[r[2]] for r in page.rows] == sorted(order[r[2]] for r in page.rows)


def test_summary_table_lists_why_a_parcel_is_not_passed(atlas_run):
    from suichang_gis.parcel_layer import summary_table

    _, run = atlas_run
    _, rows = summary_table(run.result)
    for row, parcel in zip(rows, run.result.parcels):
        if parcel.status != "pass":
            assert row[-1] != "无"
        for f in parcel.findings:
            if f.status == "not_assessed":
                assert f.title in row[-1]


def test_print_parcel_check_cli_makes_the_atlas_or_one_page(atlas_run, tmp_path):
    source, run = atlas_run
    atlas = tmp_path / "atlas.pdf"
    result = run_cli("print", "parcel_check", "--parcels", str(source), "--paper", "A4", "--out", str(atlas))
    assert result.returncode == 0, result.stderr
    sheet = tmp_path / "sheet.pdf"
    result = run_cli("print", "parcel_check", "--parcels", str(source), "--paper", "A4", "--one-page",
                     "--out", str(sheet))
    assert result.returncode == 0, result.stderr
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    assert pdf_pages(atlas) == 1 + len(run.result.parcels) and pdf_pages(sheet) == 1


def test_a_name_without_room_is_numbered_and_named_in_the_notes():
    """Crowded points keep a name: a number beside the symbol, the name in the notes."""
    style = Style(fill="#000000", marker_size=6.0, label_field="name", label_size=9.0)
    names = [f"第{i}号规划水库扩容工程" for i in range(14)]
    points = make_layer("p", "Point", [Point(500 + i, 500) for i in range(14)], style, accuracy="权威",
                        name=names)
    ax = axes()
    numbered = []
    draw_layers(ax, [points], (0, 0, 1000, 1000), numbered=numbered)
    texts = [t.get_text() for t in ax.texts]
    assert numbered, "every name fitted: the test needs a crowded map"
    for entry in numbered:
        number, name = entry.split(" ", 1)
        assert number in texts and name in names and name not in texts
    shown = [t for t in texts if t in names] + [e.split(" ", 1)[1] for e in numbered]
    assert len(shown) == len(set(shown))


def test_a_page_composed_again_with_the_same_legend_measures_it_once(catalog_layers, monkeypatch):
    import suichang_gis.layout as layout_module

    measured = []
    real = layout_module._measure_legend
    monkeypatch.setattr(layout_module, "_measure_legend", lambda *args: measured.append(args[1]) or real(*args))
    monkeypatch.setattr(layout_module, "_legend_sizes", layout_module.OrderedDict())  # a cold start
    template = TEMPLATES["zones"]
    first = compose_layout(template, catalog_layers, "A3", "landscape", title="第一稿", dpi=30)
    tried = len(measured)
    measured.clear()
    again = compose_layout(template, catalog_layers, "A3", "landscape", title="第二稿", dpi=30)
    assert len(measured) == 1  # the legend kept, not every trial again
    assert tried >= 1 and measured[0] in layout_module._legend_sizes
    # The same legend, as tall and in as many columns as when it was measured trial by trial.
    box = [legend.get_window_extent() for legend in (first.figure.legends[0], again.figure.legends[0])]
    assert len(first.figure.legends) == len(again.figure.legends) == 1
    assert (box[1].width, box[1].height) == pytest.approx((box[0].width, box[0].height))
    assert first.figure.legends[0]._ncols == again.figure.legends[0]._ncols


def test_the_maker_printed_is_the_unit_of_the_report_settings(catalog_layers, tmp_path, monkeypatch):
    import suichang_gis.report.settings as report_settings
    from suichang_gis.layout import MAKER_BLANK

    template = TEMPLATES["zones"]
    shipped = report_settings.load_report_settings().unit  # the shipped file leaves it empty
    page = compose_layout(template, catalog_layers, "A4", "landscape", dpi=30)
    assert f"制图单位：{shipped or MAKER_BLANK}" in page.notes
    assert not any("规划工作台" in note for note in page.notes)  # the software never signs
    settings = tmp_path / "report_settings.toml"
    settings.write_text('[report]\nunit = "遂昌县自然资源和规划局"\n', encoding="utf-8")
    monkeypatch.setattr(report_settings, "default_settings_path", lambda: settings)
    page = compose_layout(template, catalog_layers, "A4", "landscape", dpi=30)
    assert "制图单位：遂昌县自然资源和规划局" in page.notes
    page = compose_layout(template, catalog_layers, "A4", "landscape", dpi=30, maker="县发改局")
    assert "制图单位：县发改局" in page.notes
