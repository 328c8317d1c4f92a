"""界址点坐标 TXT: layout, rings, zone prefix, declared CRS, every bad input, round trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from parcel_samples import (
    CASES,
    E0,
    N0,
    assert_account,
    hausdorff,
    parcel_frames,
    ring_points,
    square,
    square_with_hole,
    survey_txt,
    write_text,
)
from suichang_gis.parcel_io import ParcelImportError, read_parcels, write_parcels


def two_parcels_txt(**kwargs) -> str:
    hole_parcel = square_with_hole()
    hole = Polygon(hole_parcel.interiors[0])
    return survey_txt([
        ("5,1.0000,P001,甲地块,面,,工业用地,,@", ring_points(square())),
        ("10,3.7500,P002,乙地块,面,,仓储用地,,@",
         ring_points(Polygon(hole_parcel.exterior)) + ring_points(hole, ring=2)),
    ], **kwargs)


def test_two_parcels_with_a_hole_zone_prefix_and_gbk(tmp_path):
    path = write_text(tmp_path / "界址点.txt", two_parcels_txt(), "gbk")
    result = read_parcels(path)
    parcels = result.parcels
    assert list(parcels["parcel_id"]) == ["P001", "P002"]
    assert list(parcels["name"]) == ["甲地块", "乙地块"]
    assert list(parcels["land_use"]) == ["工业用地", "仓储用地"]
    assert parcels.geometry.area.round(6).tolist() == [10_000.0, 37_500.0]
    assert hausdorff(parcels.geometry[0], square()) < 1e-6
    assert any("GBK" in n for n in result.notes)
    assert any("带号" in n for n in result.notes)


def test_unprefixed_easting_with_declared_zone(tmp_path):
    path = write_text(tmp_path / "a.txt", two_parcels_txt(prefix=0.0))
    parcels = read_parcels(path).parcels
    assert hausdorff(parcels.geometry[0], square()) < 1e-6


def test_easting_first_columns_are_swapped_with_a_note(tmp_path):
    lines = [",".join([*f[:2], f[3], f[2]]) if line.startswith("J") else line
             for line in two_parcels_txt().splitlines() for f in [line.split(",")]]
    result = read_parcels(write_text(tmp_path / "swapped.txt", "\n".join(lines)))
    assert any("已交换" in n for n in result.notes)
    assert result.parcels.geometry.area.round(6).tolist() == [10_000.0, 37_500.0]


def test_ring_that_does_not_close_is_closed_and_the_line_named(tmp_path):
    text = survey_txt([("4,1.0,P1,开口地块,面,,,,@", ring_points(square(), close=False))])
    result = read_parcels(write_text(tmp_path / "open.txt", text))
    assert result.parcels.geometry[0].area == pytest.approx(10_000.0)
    note = next(n for n in result.notes if "未闭合" in n)
    assert "open.txt 第 15 行" in note and "开口地块" in note


def test_duplicate_points_are_removed_and_named(tmp_path):
    points = ring_points(square())
    points.insert(2, points[1])
    text = survey_txt([("6,1.0,P1,重复点地块,面,,,,@", points)])
    result = read_parcels(write_text(tmp_path / "dup.txt", text))
    assert result.parcels.geometry[0].area == pytest.approx(10_000.0)
    assert any("重复点" in n and "第 14 行" in n and "J3" in n for n in result.notes)


def test_self_intersecting_ring_keeps_both_lobes(tmp_path):
    bowtie = [(1, E0, N0), (1, E0 + 100, N0 + 100), (1, E0 + 100, N0), (1, E0, N0 + 100), (1, E0, N0)]
    result = read_parcels(write_text(tmp_path / "bowtie.txt", survey_txt([("5,0.5,P1,蝴蝶地块,面,,,,@", bowtie)])))
    geometry = result.parcels.geometry[0]
    # Two triangles of 2,500 m² each; buffer(0) would keep one, GEOS on the raw ring says 0.
    assert geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2
    assert geometry.area == pytest.approx(5_000.0)
    assert any("make_valid" in n and "蝴蝶地块" in n for n in result.notes)


def test_missing_coordinate_names_file_line_and_point(tmp_path):
    lines = two_parcels_txt().splitlines()
    lines[12] = lines[12].rsplit(",", 1)[0]  # J2 of 甲地块 (line 13) loses its Y
    path = write_text(tmp_path / "missing.txt", "\n".join(lines))
    with pytest.raises(ParcelImportError, match=r"missing\.txt 第 13 行：地块“甲地块”的点 J2 缺少Y 坐标"):
        read_parcels(path)


def test_coordinate_that_is_not_a_number(tmp_path):
    text = two_parcels_txt().replace("3165100.000,40411100.000", "3165100.000,4041l100.000", 1)
    with pytest.raises(ParcelImportError, match=r"第 13 行：点 J2 的 Y 坐标“4041l100.000”不是数字"):
        read_parcels(write_text(tmp_path / "typo.txt", text))


def test_truncated_file_names_the_problem(tmp_path):
    text = two_parcels_txt()
    with pytest.raises(ParcelImportError, match=r"cut\.txt：没有找到 \[地块坐标\]"):
        read_parcels(write_text(tmp_path / "cut.txt", text[: text.index("[地块坐标]")]))
    cut_in_line = text[: text.index("J3,1,") + 12]
    with pytest.raises(ParcelImportError, match=r"cut2\.txt 第 14 行：.*J3 缺少Y 坐标"):
        read_parcels(write_text(tmp_path / "cut2.txt", cut_in_line))


def test_coordinates_outside_zhejiang(tmp_path):
    far = [(1, e - 300_000, n + 1_200_000) for _, e, n in ring_points(square())]  # north China
    path = write_text(tmp_path / "far.txt", survey_txt([("5,1.0,P1,远方地块,面,,,,@", far)]))
    with pytest.raises(ParcelImportError, match=r"far\.txt：第 11 行地块“远方地块”坐标不在浙江省范围内"):
        read_parcels(path)


def test_xian80_declaration_is_refused_not_shifted(tmp_path):
    text = two_parcels_txt().replace("2000国家大地坐标系", "1980西安坐标系")
    with pytest.raises(ParcelImportError, match="1980西安坐标系"):
        read_parcels(write_text(tmp_path / "xian.txt", text))


def test_declared_area_that_disagrees_is_reported(tmp_path):
    text = two_parcels_txt().replace("5,1.0000,P001", "5,2.0000,P001")
    result = read_parcels(write_text(tmp_path / "area.txt", text))
    assert any("声明面积 2.0000 公顷" in n and "1.0000 公顷" in n for n in result.notes)


def test_failed_import_changes_no_project(tmp_path):
    from suichang_gis.project import Project

    project = Project.create(tmp_path / "p.gpkg", read_parcels(write_text(tmp_path / "ok.txt", two_parcels_txt())).parcels)
    before = (tmp_path / "p.gpkg").read_bytes()
    bad = write_text(tmp_path / "bad.txt", two_parcels_txt().replace("40411100.000", ""))
    with pytest.raises(ParcelImportError):
        project.add_parcels(read_parcels(bad).parcels)
    assert len(project.parcels) == 2 and not project.dirty
    assert (tmp_path / "p.gpkg").read_bytes() == before


@settings(max_examples=50, deadline=None)
@given(parcel_frames(), st.booleans())
def test_writer_reader_round_trip(tmp_path_factory, parcels, zone_prefix):
    path = tmp_path_factory.mktemp("txt") / "round.txt"
    write_parcels(parcels, path, zone_prefix=zone_prefix)
    back = read_parcels(path).parcels
    assert len(back) == len(parcels)
    for a, b in zip(parcels.geometry, back.geometry):
        assert hausdorff(a, b) < 0.001
        assert b.area == pytest.approx(a.area, abs=a.length * 0.001)  # 1 mm along the boundary
    for field in ("parcel_id", "name", "land_use"):  # the fields the format carries
        assert back[field].tolist() == parcels[field].tolist()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=3, max_size=12, unique=True),
       st.sampled_from([" ", ""]), st.booleans())
def test_parser_reads_any_ring_layout(tmp_path_factory, offsets, pad, crlf):
    """Points of any ring come back in order, whatever the spacing and line endings."""
    ring = Polygon([(E0 + dx / 10, N0 + dy / 10) for dx, dy in offsets])
    if not ring.is_valid or ring.area < 1:
        ring = Polygon(square())
    coords = np.asarray(ring.exterior.coords)
    lines = ["[属性描述]", "坐标系=2000国家大地坐标系", "带号=40", "[地块坐标]", f"{len(coords)},,P1,地块,面,,,,@"]
    lines += [f"J{i}{pad},{pad}1,{n:.3f}{pad},{pad}{e + 40_000_000:.3f}" for i, (e, n) in enumerate(coords)]
    path = tmp_path_factory.mktemp("parse") / "any.txt"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8"))
    back = read_parcels(path).parcels.geometry[0]
    assert hausdorff(back, ring) < 0.001


def test_six_degree_zone_and_an_extension_section(tmp_path):
    """几度分带=6 with zone 20 prefixed (EPSG:4498), followed by an optional [扩展信息] section."""
    from pyproj import Transformer

    to_zone20 = Transformer.from_crs("EPSG:4549", "EPSG:4498", always_xy=True)
    points = [(1, *to_zone20.transform(e, n)) for _, e, n in ring_points(square())]
    text = survey_txt([("5,1.0,P1,六度带地块,面,,,,@", points)], declared="带号=20", prefix=0.0)
    text = text.replace("几度分带=3", "几度分带=6") + "[扩展信息]\n备注=第三方软件导出\n"
    assert f"{points[0][1]:.3f}".startswith("20")  # the zone number leads the easting
    result = read_parcels(write_text(tmp_path / "six.txt", text))
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any("带号“20”" in n for n in result.notes)


def test_utf16_case_is_the_same_parcel_as_its_utf8_twin(tmp_path):
    utf16 = read_parcels(CASES / "jzd-utf16.txt")
    text = (CASES / "jzd-utf16.txt").read_bytes().decode("utf-16")
    twin = read_parcels(write_text(tmp_path / "twin.txt", text))
    assert utf16.parcels.loc[0, "parcel_id"] == twin.parcels.loc[0, "parcel_id"] == "DK09"
    assert utf16.parcels.loc[0, "name"] == "全角逗号地块"
    assert hausdorff(utf16.parcels.geometry[0], twin.parcels.geometry[0]) == 0
    assert utf16.parcels.geometry[0].area == pytest.approx(100 * 80, abs=1e-6)
    assert any("UTF-16" in n for n in utf16.notes)
    bom8 = read_parcels(write_text(tmp_path / "bom.txt", text, "utf-8-sig"))
    assert hausdorff(bom8.parcels.geometry[0], twin.parcels.geometry[0]) == 0


def test_nan_case_is_refused_naming_the_line():
    with pytest.raises(ParcelImportError, match=r"jzd-nan\.txt 第 13 行：点 J2 的 X 坐标“nan”不是有限数值"):
        read_parcels(CASES / "jzd-nan.txt")


def test_full_width_punctuation_and_digits_anywhere(tmp_path):
    text = two_parcels_txt()
    wide = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
    lines = text.splitlines()
    lines = [line.replace("=", "＝").replace("[地块坐标]", "［地块坐标］") if not line[:1].isdigit() and "," not in line
             else line.translate(wide) for line in lines]
    lines = [line.replace("，", "，　") if line.startswith("J") else line for line in lines]  # ideographic space too
    result = read_parcels(write_text(tmp_path / "wide.txt", "\n".join(lines)))
    plain = read_parcels(write_text(tmp_path / "plain.txt", text))
    assert result.parcels[["parcel_id", "name", "land_use"]].values.tolist() == \
        plain.parcels[["parcel_id", "name", "land_use"]].values.tolist() == \
        [["P001", "甲地块", "工业用地"], ["P002", "乙地块", "仓储用地"]]
    for a, b in zip(result.parcels.geometry, plain.parcels.geometry):
        assert hausdorff(a, b) == 0


@pytest.mark.parametrize("epsg, zone, width", [(4498, 20, 6), (4528, 40, 3)])
def test_zone_prefix_without_any_header_decides_the_zone_width(tmp_path, epsg, zone, width):
    from pyproj import Transformer

    to_zone = Transformer.from_crs("EPSG:4549", f"EPSG:{epsg}", always_xy=True)
    e, n = to_zone.transform(*np.asarray(square().exterior.coords).T)
    assert int(e[0] // 1_000_000) == zone
    lines = ["5,1.0000,Z1,带号地块,面,,,,@"] + [f"J{i},1,{y:.3f},{x:.3f}" for i, (x, y) in enumerate(zip(e, n), 1)]
    result = read_parcels(write_text(tmp_path / "bare.txt", "\n".join(lines) + "\n"))
    assert hausdorff(result.parcels.geometry[0], square()) < 0.001
    assert any(f"判断为 {width}度带" in n for n in result.notes)
    assert any("没有 [属性描述]" in n for n in result.notes)


def test_duplicate_parcel_ids_are_renamed_and_reported(tmp_path):
    text = two_parcels_txt().replace("P002,乙地块", "P001,乙地块")
    result = read_parcels(write_text(tmp_path / "dup.txt", text))
    assert result.parcels["parcel_id"].tolist() == ["P001", "P001-2"]
    assert any("P001→P001-2" in n for n in result.notes)


def test_line_and_degenerate_parcels_are_skipped_and_accounted(tmp_path):
    flat = [(1, E0, N0), (1, E0 + 10, N0), (1, E0, N0)]
    text = survey_txt([("5,1.0000,P001,甲地块,面,,工业用地,,@", ring_points(square())),
                       ("3,0,P002,线地块,线,,,,@", ring_points(square(300))),
                       ("3,0,P003,扁地块,面,,,,@", flat)])
    result = read_parcels(write_text(tmp_path / "skip.txt", text))
    assert result.parcels["parcel_id"].tolist() == ["P001"]
    assert [s.place for s in result.skipped] == ["第 17 行地块“线地块”", "第 23 行地块“扁地块”"]
    assert "不足 3 个不同的点" in result.skipped[1].reason
    assert_account(result)


def test_xian80_with_parameters_is_converted_and_said(tmp_path):
    from pyproj import CRS, Transformer

    parameters = (15.8, -154.4, -82.3, 0.0, 0.0, 0.0, 0.0)
    text = two_parcels_txt().replace("2000国家大地坐标系", "1980西安坐标系")
    path = write_text(tmp_path / "xian.txt", text)
    result = read_parcels(path, towgs84=",".join(map(str, parameters)))
    xian = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +a=6378140 +rf=298.257 "
                          "+towgs84=15.8,-154.4,-82.3,0,0,0,0 +units=m")
    x, y = Transformer.from_crs(xian, "EPSG:4549", always_xy=True).transform(E0 + 40_000_000, N0)
    assert min(abs(np.asarray(result.parcels.geometry[0].exterior.coords) - (x, y)).sum(axis=1)) < 1e-6
    assert any("西安 1980" in n and "转换参数" in n for n in result.notes)
    with_line = text.replace("转换参数=,,,,,,", "转换参数=" + ",".join(map(str, parameters)))
    from_file = read_parcels(write_text(tmp_path / "xian2.txt", with_line))
    assert hausdorff(from_file.parcels.geometry[0], result.parcels.geometry[0]) == 0


def test_island_inside_a_hole_is_kept_without_a_false_repair(tmp_path):
    shell, hole, island = square(0, 0, 300), square(50, 50, 200), square(100, 100, 100)
    text = survey_txt([("15,6.0000,P1,岛,面,,,,@",
                        ring_points(shell) + ring_points(hole, ring=2) + ring_points(island, ring=3))])
    result = read_parcels(write_text(tmp_path / "island.txt", text))
    expected = shell.difference(hole).union(island)  # shapely, independently: 60,000 m²
    assert result.parcels.geometry[0].area == pytest.approx(expected.area) == pytest.approx(60_000.0)
    assert result.parcels.geometry[0].symmetric_difference(expected).area < 1e-3
    assert not any("无效" in n for n in result.notes)


def test_comma_in_a_name_comes_back_as_a_full_width_comma_and_is_said(tmp_path):
    from suichang_gis.parcel import parcels_frame

    parcels = parcels_frame([square(), square(300)], parcel_id=["P1", "P2"], name=["甲,乙合并", "丙，丁"])
    notes = []
    write_parcels(parcels, tmp_path / "c.txt", notes=notes)
    back = read_parcels(tmp_path / "c.txt").parcels
    assert back["name"].tolist() == ["甲，乙合并", "丙，丁"] and back["parcel_id"].tolist() == ["P1", "P2"]
    assert any("“甲,乙合并”中的逗号已写为全角" in n for n in notes)


@pytest.mark.parametrize("section", ["[转换参数]\n15.8,-154.4,-82.3,0,0,0,0\n",
                                     "[转换参数]\nDX=15.8\nDY=-154.4\nDZ=-82.3\nRX=0\nRY=0\nRZ=0\nM=0\n"])
def test_xian80_with_a_parameter_section(tmp_path, section):
    text = two_parcels_txt().replace("2000国家大地坐标系", "1980西安坐标系")
    with_section = text.replace("[地块坐标]", section + "[地块坐标]")
    from_section = read_parcels(write_text(tmp_path / "s.txt", with_section))
    given = read_parcels(write_text(tmp_path / "g.txt", text), towgs84="15.8,-154.4,-82.3,0,0,0,0")
    assert hausdorff(from_section.parcels.geometry[0], given.parcels.geometry[0]) == 0
    assert any("文件中的转换参数" in n for n in from_section.notes)
