"""Reports in every format on a mixed set of parcels: the same verdicts, reasons and data versions,
a header the land bureau can file (报告编号, 核查单位, Beijing time, signature lines, seal), and
the page and cell properties of each format checked by opening the files."""

import json
import re
import subprocess
from datetime import datetime, timedelta

import pytest
from check_samples import OVERLAP_E_F_M2, X0, Y0, mixed_check
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from openpyxl import load_workbook
from shapely.geometry import box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.report import write_report
from suichang_gis.report.linebreak import break_lines
from suichang_gis.report.settings import ReportSettings, load_report_settings, report_number
from suichang_gis.rules import load_ruleset

SETTINGS = ReportSettings(number_pattern="遂自然资核〔{time:%Y}〕{seq:03d}号", unit="遂昌县自然资源和规划局",
                          checker="张三")
CLOSING_START = tuple("。，、；：）》」")


@pytest.fixture(scope="module")
def mixed():
    return mixed_check()


@pytest.fixture(scope="module")
def reports(mixed, tmp_path_factory):
    result, layers = mixed
    d = tmp_path_factory.mktemp("reports")
    history = ["遂自然资核〔2026〕001号"]  # one earlier run in the project
    return {ext: write_report(result, d / f"r.{ext}", layers, SETTINGS, history)
            for ext in ("json", "xlsx", "docx", "html", "pdf")}


def test_mixed_set_verdicts(mixed):
    result, _ = mixed
    by_id = {p.id: p for p in result.parcels}
    assert by_id["A"].status == "pass" and by_id["A"].reasons() == []
    assert by_id["B"].status == "warn" and all(r.endswith("未评估") for r in by_id["B"].reasons())
    assert by_id["C"].status == "fail" and by_id["C"].reasons()[0].startswith("SX-01")
    assert by_id["D"].status == "fail" and by_id["D"].reasons()[0].startswith("SX-02")
    assert {f.unit_code for f in by_id["E"].findings if f.rule == "SX-04"} == {"ZH33112720001", "ZH33112730002"}
    for pid in ("E", "F"):
        overlap = next(f for f in by_id[pid].findings if f.rule == "SX-09")
        assert overlap.status == "warn" and overlap.overlap_m2 == pytest.approx(OVERLAP_E_F_M2, abs=0.01)


def test_report_number_is_unique_and_kept_on_the_result(mixed, reports):
    result, _ = mixed
    year = datetime.fromisoformat(result.generated).year
    assert result.report_number == f"遂自然资核〔{year}〕002号"  # {seq}: one run before it
    # the same number already in the history gets a suffix
    taken = report_number(SETTINGS, result.generated, ["x", f"遂自然资核〔{year}〕002号"])
    assert taken == f"遂自然资核〔{year}〕003号"
    again = report_number(ReportSettings(number_pattern="HC-{time:%Y%m%d}"), result.generated,
                          [f"HC-{datetime.fromisoformat(result.generated):%Y%m%d}"])
    assert again.endswith("-2")


def test_time_is_beijing_time(mixed, reports):
    result, _ = mixed
    generated = datetime.fromisoformat(result.generated)
    assert generated.utcoffset() == timedelta(hours=8)
    d = json.loads(reports["json"].read_text(encoding="utf-8"))
    assert d["generated"].endswith("+08:00") and d["report_number"] == result.report_number
    html = re.sub(r"<[^>]+>", "", reports["html"].read_text(encoding="utf-8"))
    assert f"{generated:%Y-%m-%d %H:%M:%S}（北京时间 UTC+08:00）" in html


def test_shipped_settings_leave_the_unit_and_names_blank(tmp_path):
    s = load_report_settings()
    assert s.unit == "" and all(name == "" for _, name in s.signatures()) and s.seal
    bad = tmp_path / "bad.toml"
    bad.write_text('[report]\nunit = "遂昌 GIS 规划工作台"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="不能是软件名称"):
        load_report_settings(bad)
    bad.write_text('[report]\nnumber_pattern = "{year}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="报告编号格式"):
        load_report_settings(bad)


def _dataset_texts(result):
    from suichang_gis.report import content

    return {content.dataset_text(f, result) for p in result.parcels for f in p.findings}


def test_docx_is_a4_with_header_footer_fields_fonts_and_repeated_headers(mixed, reports):
    result, _ = mixed
    doc = Document(str(reports["docx"]))
    section = doc.sections[0]
    def mm(length):  # Word stores twentieths of a point
        return round(length / Mm(1), 1)

    assert (mm(section.page_width), mm(section.page_height)) == (210.0, 297.0)
    assert (mm(section.top_margin), mm(section.left_margin)) == (37.0, 28.0)  # GB/T 9704: 天头 37, 订口 28
    assert mm(section.page_width - section.left_margin - section.right_margin) == 156.0  # 版心 156 mm
    assert result.report_number in section.header.paragraphs[0].text
    footer = section.footer.paragraphs[0]._p.xml
    instructions = [i.strip() for i in re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", footer)]
    assert instructions == ["PAGE", "NUMPAGES"] and "第 " in section.footer.paragraphs[0].text
    for style in doc.styles:
        rpr = style.element.rPr
        if rpr is None:
            continue
        fonts = rpr.find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")) in ("宋体", "黑体"), style.name
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None, style.name
    assert doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    for table in doc.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "遂昌县自然资源和规划局" in cells and "核查人：张三" in text and "审核人：＿" in text
    assert "（核查单位盖章）" in text
    assert all(name in cells for name in _dataset_texts(result))
    assert "SX-09 候选地块相互重叠：警示" in cells
    assert len(doc.inline_shapes) == len(result.parcels)


def test_xlsx_numbers_formats_frozen_header_and_a_sheet_per_table(mixed, reports):
    result, _ = mixed
    wb = load_workbook(reports["xlsx"])
    assert wb.sheetnames == ["报告信息", "汇总", "核查结果", "数据来源"]
    summary = wb["汇总"]
    assert summary.freeze_panes == "A2" and summary["A1"].value == "地块编号"
    mu, m2 = summary["C2"], summary["D2"]
    assert mu.data_type == "n" and mu.number_format == "#,##0.00"
    assert m2.data_type == "n" and m2.number_format == "#,##0.0"
    assert mu.value == pytest.approx(result.parcels[0].area_mu)
    findings = wb["核查结果"]
    assert findings.freeze_panes == "A2"
    header = [c.value for c in findings[1]]
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert len(rows) == sum(len(p.findings) for p in result.parcels)
    overlap = next(r for r in rows if r[0] == "E" and r[2] == "SX-09")
    assert overlap[header.index("重叠面积（m²）")] == pytest.approx(OVERLAP_E_F_M2)
    assert {r[header.index("数据（版本）")] for r in rows} == _dataset_texts(result)
    sources = wb["数据来源"]
    assert [c.value for c in sources[1]][2] == "版本" and sources.max_row == len(result.layers) + 1
    assert isinstance(sources.cell(2, 8).value, int)
    for ws in wb.worksheets:
        assert all(ws.column_dimensions[c].width >= 6 for c in "AB")
    info = {r[0]: r[1] for r in wb["报告信息"].iter_rows(values_only=True)}
    assert info["报告编号"] == result.report_number and info["核查单位"] == "遂昌县自然资源和规划局"


def test_pdf_text_breaks_by_the_chinese_rules(mixed, reports):
    result, _ = mixed
    fonts = subprocess.run(["pdffonts", str(reports["pdf"])], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, unicode map
    text = subprocess.run(["pdftotext", str(reports["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert not [line for line in lines if line.startswith(CLOSING_START)]
    pages = text.count("\f")
    assert f"第 1 页 共 {pages} 页" in text and f"第 {pages} 页 共 {pages} 页" in text
    assert text.count(result.report_number) >= pages  # running head on every page
    for needle in ("遂昌县自然资源和规划局", "核查人：张三", "（核查单位盖章）", "ZH33112720001", "SX-09",
                   "规划/示意设施，待核实" if any("待核实" in f.message for p in result.parcels
                                          for f in p.findings) else "SX-01"):
        assert needle in text, needle
    # a table cell's lines interleave with its neighbours' in pdftotext: look for title and version
    flat = re.sub(r"\s+", "", text)
    used = {f.layer for p in result.parcels for f in p.findings if f.layer}
    for u in result.layers:
        if u.id in used:
            assert u.title in flat and f"{u.version}" in flat, u.title


def test_html_has_the_header_print_css_and_every_dataset(mixed, reports):
    result, _ = mixed
    html = reports["html"].read_text(encoding="utf-8")
    assert "@page { size: A4;" in html and "table-layout: fixed" in html and "max-width: 1180px" in html
    plain = re.sub(r"<[^>]+>", "", html)
    assert result.report_number in plain and "遂昌县自然资源和规划局" in plain and "（核查单位盖章）" in plain
    assert all(name in plain for name in _dataset_texts(result))
    assert "SX-09 候选地块相互重叠：警示" in plain


@pytest.mark.parametrize("text", [
    "与生态保护红线重叠 7.50 亩（5,000.0 m²），占地块面积 50.00%；涉及：某红线；重叠部分中心位于 X=430,125.0，Y=3,163,050.0（EPSG:4549）",
    "单元 ZH33112720001（重点管控·产业集聚）内 15.00 亩，准入清单（重点管控单元（产业集聚类））：准入清单未禁止或限制。",
])
@pytest.mark.parametrize("width", [7, 11, 16, 23, 30])
def test_line_breaking_keeps_numbers_whole_and_punctuation_off_line_starts(text, width):
    lines = break_lines(text, width)
    assert "".join(lines) == text.replace(" ", "") or " ".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not [line for line in lines[1:] if line.startswith(CLOSING_START)]
    assert not [line for line in lines[:-1] if line.endswith(("（", "《", "“"))]
    for token in re.findall(r"[0-9][0-9,.]*[0-9]|ZH\d+|EPSG:\d+", text):
        if len(token) + 4 <= width:  # with the punctuation glued to it, it fits a line
            assert any(token in line for line in lines), (token, lines)


def test_unknown_format_is_refused(mixed, tmp_path):
    with pytest.raises(ValueError, match="不支持的报告格式"):
        write_report(mixed[0], tmp_path / "r.odt")


def test_map_extract_failing_overlap_on_top_legend_outside_distance_colour_unused(mixed):
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    from suichang_gis.catalog import load_catalog
    from suichang_gis.report.map_extract import DISTANCE_COLOUR, FINDING_COLOURS, draw_parcel_map

    result, layers = mixed
    red = next(p for p in result.parcels if p.id == "C")
    fig = Figure(figsize=(7, 4.2))
    draw_parcel_map(fig, red, layers)
    ax, legend_ax = fig.axes
    assert legend_ax.get_position().x0 >= ax.get_position().x1 - 1e-9  # legend outside the map frame
    assert legend_ax.get_legend() is not None and ax.get_legend() is None
    patches = [p for p in ax.patches if isinstance(p, PathPatch)]
    fail_rgb = to_rgb(FINDING_COLOURS["fail"])
    failing = [p for p in patches if p.get_facecolor()[3] > 0 and
               all(abs(a - b) < 1e-3 for a, b in zip(p.get_facecolor()[:3], fail_rgb))]
    assert failing and all(p.get_zorder() >= q.get_zorder() for p in failing for q in patches
                           if p is not q and q not in failing and q.get_facecolor()[3] > 0)
    # overlays other than the findings are outlines
    assert all(q.get_facecolor()[3] == 0 for q in patches if q.get_zorder() <= 2)
    labels = [t.get_text() for t in ax.texts]
    overlap = next(f for f in red.findings if f.rule == "SX-01")
    assert any(f"{overlap.overlap_m2:,.1f} m²" in t for t in labels)
    assert any(t == "北" for t in labels) and any(t.endswith(" m") for t in labels)  # north arrow, scale bar
    # the nearest-facility lines are drawn in a colour no catalog layer uses
    used = {c.lower() for spec in load_catalog() for c in (spec.style.stroke, spec.style.fill,
                                                           *spec.style.fill_by.values(), *spec.style.stroke_by.values())
            if c}
    assert DISTANCE_COLOUR.lower() not in used
    lines = [line for line in ax.lines if line.get_color() == DISTANCE_COLOUR]
    assert lines  # 通路/通电/通水 lines of the red-line parcel


def test_large_json_is_compact_and_expands_to_the_whole_contract(tmp_path):
    """Above 50 parcels the JSON is compact; expanded it equals CheckResult.to_dict() exactly."""
    import orjson

    from suichang_gis.check.data import check_layer as ld
    from suichang_gis.report.json_report import FORMAT, expand, read_findings

    units = ld("env_control_units", [box(X0 - 5000, Y0 - 5000, X0 + 400, Y0 + 5000),
                                     box(X0 + 400, Y0 - 5000, X0 + 9000, Y0 + 5000)], "环境管控单元",
               unit_code=["ZH1", "ZH2"], unit_name=["单元甲", "单元乙"], manage_class=["优先保护", "重点管控"],
               subtype=["", ""], admission_key=["priority_protection", "industrial_cluster"])
    layers = {"ecological_redline": ld("ecological_redline", [box(X0 + 50, Y0 - 50, X0 + 200, Y0 + 150)],
                                       "生态保护红线", accuracy="示意", name=["示意红线甲"]),
              "env_control_units": units}
    geoms = [box(X0 + 37 * i, Y0, X0 + 37 * i + 60, Y0 + 80) for i in range(80)]
    ps = parcel_set(geoms, ids=[f"A{i}" for i in range(80)], land_use=["工业用地", None] * 40,
                    industrial_category=["二类"] * 80, investment_wan=[5000.0] * 80)
    result = run_check(ps, layers, load_ruleset())
    out = write_report(result, tmp_path / "big.json")
    doc = orjson.loads(out.read_bytes())
    assert doc["format"] == FORMAT and doc["texts"]  # shared sentences kept once
    plain = orjson.loads(orjson.dumps(result.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))
    assert expand(doc) == plain
    assert len(out.read_bytes()) < len(orjson.dumps(plain)) / 2
    assert [f for _, f in read_findings(out)] == [f for p in plain["parcels"] for f in p["findings"]]
