"""Rule files: the shipped ones load, and a malformed one is rejected naming the line."""

import pytest

from suichang_gis.check.inputs import parse_use_layer
from suichang_gis.rules import RuleError, default_rule_files, load_ruleset


def test_shipped_rule_sets_load_with_ids_versions_and_bases():
    rs = load_ruleset()
    assert {i.id for i in rs.infos} == {"sanxian_yidan", "biaozhundi"}
    for rule in rs.rules:
        assert rule.basis.title and rule.severity in ("fail", "warn", "info")
        assert rule.ruleset.version
    # Example thresholds are declared as such in the files.
    assert not rs.official and all(i.notice for i in rs.infos)
    assert "示例" in rs.infos[0].notice and "示例" in rs.infos[1].notice


def _broken(tmp_path, old, new):
    text = default_rule_files()[0].read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, text.replace(old, new, 1).splitlines()


def test_toml_syntax_error_names_the_line(tmp_path):
    path, lines = _broken(tmp_path, 'severity = "fail"', 'severity = "fail')
    line = next(n for n, text in enumerate(lines, 1) if text == 'severity = "fail')
    with pytest.raises(RuleError, match=f"broken.toml 第 {line} 行"):
        load_ruleset([path])


def test_missing_key_names_the_rule_and_its_line(tmp_path):
    path, lines = _broken(tmp_path, 'layer = "permanent_basic_farmland"\n', "")
    rule_line = next(n for n, text in enumerate(lines, 1) if text == 'id = "SX-02"') - 1
    with pytest.raises(RuleError, match=f"第 {rule_line} 行起的规则“SX-02”.*缺少 layer"):
        load_ruleset([path])


def test_bad_severity_and_non_numeric_threshold_are_rejected(tmp_path):
    path, _ = _broken(tmp_path, 'severity = "fail"', 'severity = "bad"')
    with pytest.raises(RuleError, match="severity"):
        load_ruleset([path])
    path, _ = _broken(tmp_path, "buffer_m = 1000.0", 'buffer_m = "far"')
    with pytest.raises(RuleError, match="buffer_m 应为数字"):
        load_ruleset([path])


def test_unknown_basis_document_is_rejected(tmp_path):
    path, _ = _broken(tmp_path, 'basis = "farmland_law"', 'basis = "nowhere"')
    with pytest.raises(RuleError, match="nowhere"):
        load_ruleset([path])


def test_use_layer_argument():
    assert parse_use_layer("ecological_redline=official.gpkg:stbhhx")[0] == "ecological_redline"
    assert parse_use_layer("ecological_redline=official.gpkg:stbhhx")[2] == "stbhhx"
    assert parse_use_layer("roads=C:/data/roads.shp")[1:] == (__import__("pathlib").Path("C:/data/roads.shp"), None)
    with pytest.raises(ValueError, match="图层编号=文件"):
        parse_use_layer("official.gpkg")
