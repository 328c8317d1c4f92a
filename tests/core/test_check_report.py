"""Reports in every format open and carry the Chinese findings, bases and the 示意 notice."""

import json
import shutil
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook
from shapely.geometry import box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.report import write_report
from suichang_gis.rules import load_ruleset

X0, Y0 = 430_000.0, 3_163_000.0


@pytest.fixture(scope="module")
def checked():
    layers = {
        "ecological_redline": check_layer("ecological_redline", [box(X0 + 50, Y0 - 50, X0 + 200, Y0 + 150)],
                                         "生态保护红线", accuracy="示意", name=["示意红线甲"]),
        "urban_development_boundary": check_layer("urban_development_boundary",
                                                 [box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500)], "城镇开发边界"),
    }
    ps = parcel_set([box(X0, Y0, X0 + 100, Y0 + 100)], ids=["A1"], names=["云峰测试地块"], land_use=["工业用地"])
    return run_check(ps, layers, load_ruleset()), layers


def test_docx_opens_with_chinese_findings_and_notice(checked, tmp_path):
    result, layers = checked
    out = write_report(result, tmp_path / "r.docx", layers)
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "地块“三线一单”与“标准地”核查报告" in text
    assert "地块 A1 云峰测试地块：不符合" in text
    assert "示意" in text and "示例" in text  # indicative layer and example thresholds both declared
    assert "生态保护红线" in cells and "7.50 亩" in cells and "《关于加强生态保护红线管理的通知（试行）》" in cells
    assert len(doc.inline_shapes) == 1  # the map extract


def test_xlsx_opens_with_one_row_per_finding(checked, tmp_path):
    result, layers = checked
    wb = load_workbook(write_report(result, tmp_path / "r.xlsx", layers))
    assert wb.sheetnames == ["汇总", "核查结果", "数据来源", "说明"]
    assert "示意" in wb["汇总"]["A1"].value
    rows = list(wb["核查结果"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(result.parcels[0].findings)
    red = next(r for r in rows if r[2] == "SX-01")
    assert red[3] == "生态保护红线" and red[4] == "不符合"
    assert red[5] == pytest.approx(5000.0) and red[6] == pytest.approx(7.5) and red[12] == "是"


def test_json_and_html(checked, tmp_path):
    result, layers = checked
    d = json.loads(write_report(result, tmp_path / "r.json").read_text(encoding="utf-8"))
    assert d["parcels"][0]["findings"][0]["rule"] == "SX-01" and d["indicative"] is True
    html = write_report(result, tmp_path / "r.html", layers).read_text(encoding="utf-8")
    assert "云峰测试地块" in html and "data:image/png;base64," in html and 'class="notice"' in html


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils not installed")
def test_pdf_embeds_the_cjk_font_and_carries_the_text(checked, tmp_path):
    result, layers = checked
    out = write_report(result, tmp_path / "r.pdf", layers)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, unicode map
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "生态保护红线" in text and "示意" in text and "云峰测试地块" in text


def test_unknown_format_is_refused(checked, tmp_path):
    with pytest.raises(ValueError, match="不支持的报告格式"):
        write_report(checked[0], tmp_path / "r.odt")


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
