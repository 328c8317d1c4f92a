"""`suichang-gis check` and `conflicts` as a user runs them, with official data swapped in."""

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

X0, Y0 = 430_000.0, 3_163_000.0
REPO = Path(__file__).resolve().parents[2]


def run(*args, cwd):
    """The CLI run from the user's data folder, with this checkout's package."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "suichang_gis", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("check_cli")
    redline = gpd.GeoDataFrame({"name": ["官方红线甲"]}, geometry=[box(X0 + 50, Y0 - 50, X0 + 200, Y0 + 150)],
                               crs="EPSG:4549")
    redline.to_file(d / "official.gpkg", layer="stbhhx", driver="GPKG")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A1"], "name": ["测试地块"], "land_use": ["工业用地"], "industrial_category": ["二类"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs="EPSG:4549")
    parcels.to_file(d / "parcels.geojson", driver="GeoJSON")
    rail = gpd.GeoDataFrame({"name": ["测试铁路"]},
                            geometry=[LineString([(X0 - 100, Y0 + 50), (X0 + 400, Y0 + 50)])], crs="EPSG:4549")
    rail.to_file(d / "rail.geojson", driver="GeoJSON")
    (d / "user_catalog.toml").write_text(
        '[layers.ecological_redline]\ndata = "official.gpkg"\nsource_layer = "stbhhx"\n'
        'source = "生态环境局 2026 年成果"\n', encoding="utf-8")
    return d


def test_check_with_use_layer_writes_the_json_contract(files):
    out = files / "result.json"
    r = run("check", "parcels.geojson", "--use-layer", "ecological_redline=official.gpkg:stbhhx",
            "--out", str(out), cwd=files)
    assert r.returncode == 0, r.stderr
    assert "已核查 1 个地块" in r.stdout
    d = json.loads(out.read_text(encoding="utf-8"))
    layer = next(x for x in d["layers"] if x["id"] == "ecological_redline")
    assert layer["accuracy"] == "权威" and layer["file"] == "official.gpkg"
    parcel = d["parcels"][0]
    assert parcel["id"] == "A1" and parcel["status"] == "fail"
    red = next(f for f in parcel["findings"] if f["rule"] == "SX-01")
    assert red["overlap_m2"] == pytest.approx(5000.0, abs=0.01) and red["overlap_mu"] == pytest.approx(7.5)
    assert red["indicative"] is False and "官方红线甲" in red["message"]


def test_check_with_user_catalog(files):
    out = files / "catalog.json"
    r = run("check", "parcels.geojson", "--catalog", "user_catalog.toml", "--out", str(out), cwd=files)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text(encoding="utf-8"))
    layer = next(x for x in d["layers"] if x["id"] == "ecological_redline")
    assert layer["source"] == "生态环境局 2026 年成果"


def test_check_errors_are_chinese_and_name_the_problem(files):
    r = run("check", "parcels.geojson", "--use-layer", "no_such_layer=official.gpkg", "--out", "x.json", cwd=files)
    assert r.returncode == 2 and "no_such_layer" in r.stderr
    r = run("check", "parcels.geojson", "--out", "x.txt", cwd=files)
    assert r.returncode == 2 and "不支持的报告格式" in r.stderr


def test_conflicts_lists_crossing_length(files):
    r = run("conflicts", "--json", "--use-layer", "ecological_redline=official.gpkg:stbhhx",
            "--use-layer", "railways=rail.geojson", cwd=files)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    mine = [x for x in rows if x["project"] == "测试铁路"]
    assert len(mine) == 1
    assert mine[0]["constraint_layer"] == "ecological_redline"
    assert mine[0]["length_m"] == pytest.approx(150.0, abs=0.01)  # x from 50 to 200


def test_a_project_file_is_checked(tmp_path):
    from suichang_gis.check import check_parcels
    from suichang_gis.project import Project

    project = Project.create(tmp_path / "项目.gpkg")
    project.add_parcel(box(X0, Y0, X0 + 100, Y0 + 100), parcel_id="Q1", name="项目文件地块", land_use="工业用地")
    project.save()
    project.close()
    result = check_parcels(tmp_path / "项目.gpkg").result
    assert [(p.id, p.name) for p in result.parcels] == [("Q1", "项目文件地块")]
    assert result.parcels[0].area_m2 == pytest.approx(10000.0, abs=0.01)


def test_check_reports_progress_for_every_rule(files):
    from suichang_gis.check import check_parcels
    from suichang_gis.rules import load_ruleset

    steps = []
    check_parcels(files / "parcels.geojson", progress=lambda step, done, total: steps.append((step, done, total)))
    rule_ids = [r.id for r in load_ruleset().rules]
    assert [s for s, _, _ in steps] == ["读取地块", "读取图层", *rule_ids]
    assert [d for _, d, _ in steps] == list(range(1, len(steps) + 1))
    assert {t for _, _, t in steps} == {len(rule_ids) + 2}
