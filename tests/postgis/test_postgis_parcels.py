"""Parcels shared in PostGIS by two planners: both edits survive, the same parcel conflicts, a
dropped connection is retried, and a failed save loses nothing drawn (real server, conftest.py)."""

from __future__ import annotations

import psycopg
import pytest
import shapely

from suichang_gis.parcel import parcels_frame
from suichang_gis.parcel_store_postgis import ParcelConflict, PostgisParcelStore
from suichang_gis.postgis import PostgisError
from suichang_gis.project import Project


def _sites():
    boxes = [shapely.box(500_000 + 300 * i, 3_160_000, 500_200 + 300 * i, 3_160_150) for i in range(3)]
    return parcels_frame(boxes, parcel_id=["P001", "P002", "P003"], name=["甲", "乙", "丙"],
                         investment_wan=[3000.0, None, 1200.5])


def _store(dsn, user):
    store = PostgisParcelStore(f"PG:{dsn}", "planning.parcels", user=user)
    store.create()
    return store


def _edit(frame, pid, **values):
    frame = frame.copy()
    row = frame.index[frame["parcel_id"] == pid][0]
    for key, value in values.items():
        if key == "geometry":
            frame.loc[[row], "geometry"] = frame.geometry.__class__([value], index=[row], crs=frame.crs)
        else:
            frame.loc[row, key] = value
    return frame


def test_postgis_parcels_round_trip_with_versions(pg_dsn):
    store = _store(pg_dsn, "张三")
    empty = store.load()
    assert len(empty.frame) == 0
    saved = store.save(_sites(), empty)
    assert saved.versions == {"P001": 1, "P002": 1, "P003": 1}
    back = store.load()
    assert list(back.frame["parcel_id"]) == ["P001", "P002", "P003"]
    assert list(back.frame["name"]) == ["甲", "乙", "丙"]
    assert back.frame["investment_wan"].iloc[0] == 3000.0 and back.frame["investment_wan"].isna().iloc[1]
    assert shapely.equals(back.frame.geometry.iloc[2], _sites().geometry.iloc[2])
    assert back.frame.crs.to_epsg() == 4549
    # Saving what was loaded writes nothing: versions stay.
    again = store.save(back.frame, back)
    assert store.load().versions == again.versions == back.versions
    # Only the view's parcels are read with a bbox (server-side &&).
    assert list(store.load(bbox=(500_250, 3_160_000, 500_450, 3_160_100)).frame["parcel_id"]) == ["P002"]


def test_postgis_two_planners_edit_different_parcels_both_survive(pg_dsn):
    a, b = _store(pg_dsn, "张三"), _store(pg_dsn, "李四")
    a.save(_sites(), a.load())
    base_a, base_b = a.load(), b.load()
    moved = shapely.box(500_000, 3_160_000, 500_250, 3_160_180)
    a.save(_edit(base_a.frame, "P001", geometry=moved, name="甲（扩）"), base_a)
    b.save(_edit(base_b.frame, "P002", investment_wan=4500.0), base_b)
    final = a.load()
    rows = {r.parcel_id: r for r in final.frame.itertuples()}
    assert rows["P001"].name == "甲（扩）" and shapely.equals(rows["P001"].geometry, shapely.multipolygons([moved]))
    assert rows["P002"].investment_wan == 4500.0
    assert final.versions == {"P001": 2, "P002": 2, "P003": 1}
    with psycopg.connect(pg_dsn) as conn:
        who = dict(conn.execute("SELECT parcel_id, edited_by FROM planning.parcels").fetchall())
    assert who == {"P001": "张三", "P002": "李四", "P003": "张三"}


def test_postgis_same_parcel_edited_twice_is_a_conflict_not_an_overwrite(pg_dsn):
    a, b = _store(pg_dsn, "张三"), _store(pg_dsn, "李四")
    a.save(_sites(), a.load())
    base_a, base_b = a.load(), b.load()
    a.save(_edit(base_a.frame, "P003", name="丙（张三改）"), base_a)
    # 李四 changed P003 too, and also P001 which nobody else touched: all or nothing.
    mine = _edit(_edit(base_b.frame, "P003", name="丙（李四改）"), "P001", name="甲（李四改）")
    with pytest.raises(ParcelConflict) as err:
        b.save(mine, base_b)
    message = str(err.value)
    assert err.value.parcel_ids == ["P003"]
    assert "地块 P003 已被 张三" in message and "第 2 版" in message and "第 1 版" in message
    assert "没有写入任何地块" in message
    rows = {r.parcel_id: r.name for r in a.load().frame.itertuples()}
    assert rows == {"P001": "甲", "P002": "乙", "P003": "丙（张三改）"}
    # Deleting a parcel someone else changed is a conflict too.
    with pytest.raises(ParcelConflict, match="P003"):
        b.save(base_b.frame[base_b.frame["parcel_id"] != "P003"], base_b)
    # After reloading, 李四's edit goes in.
    fresh = b.load()
    b.save(_edit(fresh.frame, "P003", name="丙（李四改）"), fresh)
    assert {r.parcel_id: r.name for r in a.load().frame.itertuples()}["P003"] == "丙（李四改）"


def test_postgis_dropped_connection_is_retried(pg_dsn):
    told = []
    store = PostgisParcelStore(f"PG:{pg_dsn}", "planning.parcels", user="张三", on_retry=told.append)
    store.create()
    base = store.load()
    pid = store.connection.raw().info.backend_pid
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    saved = store.save(_sites(), base)
    assert saved.versions == {"P001": 1, "P002": 1, "P003": 1}
    assert len(told) == 1 and "连接中断" in told[0] and "正在重试" in told[0]
    assert len(store.load().frame) == 3


def test_postgis_unreachable_database_loses_nothing_drawn(pg_server, tmp_path):
    project = Project.create(tmp_path / "项目.gpkg", _sites())
    project.add_parcel(shapely.box(501_000, 3_160_000, 501_100, 3_160_100), name="新画的")
    dead = f"postgresql://planner:topsecret@127.0.0.1:{int(pg_server['port']) + 1}/gis?connect_timeout=2"
    store = PostgisParcelStore(dead, user="张三")
    store.connection.wait = 0.01
    with pytest.raises(PostgisError) as err:
        store.save(project.parcels, _empty_base())
    message = str(err.value)
    assert "topsecret" not in message and "连接中断" in message and "没有丢失" in message
    assert "新画的" in set(project.parcels["name"])  # still in the project (and its autosave journal)
    project.save()
    project.close()
    assert "新画的" in set(Project.open(tmp_path / "项目.gpkg", read_only=True).parcels["name"])


def _empty_base():
    from suichang_gis.parcel_store_postgis import StoredParcels

    return StoredParcels(parcels_frame())


def test_postgis_parcels_pull_and_push_from_the_command_line(pg_dsn, tmp_path, capsys):
    from suichang_gis.cli import main

    dsn = f"PG:{pg_dsn}"
    seed = tmp_path / "seed.gpkg"
    Project.create(seed, _sites()).close()
    assert main(["parcels-push", str(seed), "--dsn", dsn, "--table", "planning.parcels", "--user", "王五"]) == 0
    assert "共 3 个地块" in capsys.readouterr().out
    a, b = tmp_path / "张三.gpkg", tmp_path / "李四.gpkg"
    for path in (a, b):
        assert main(["parcels-pull", "--dsn", dsn, "--table", "planning.parcels", "--out", str(path)]) == 0
    assert "取出 3 个地块" in capsys.readouterr().out

    def edit(path, pid, **values):
        project = Project.open(path)
        fid = project.parcels.index[project.parcels["parcel_id"] == pid][0]
        project.update_parcel(fid, **values)
        project.save()
        project.close()

    edit(a, "P001", name="甲（张三）")
    edit(b, "P002", name="乙（李四）")
    assert main(["parcels-push", str(a), "--dsn", dsn, "--table", "planning.parcels", "--user", "张三"]) == 0
    assert main(["parcels-push", str(b), "--dsn", dsn, "--table", "planning.parcels", "--user", "李四"]) == 0
    capsys.readouterr()
    names = {r.parcel_id: r.name for r in PostgisParcelStore(dsn, "planning.parcels").load().frame.itertuples()}
    assert names == {"P001": "甲（张三）", "P002": "乙（李四）", "P003": "丙"}
    # 李四 now edits P001 without pulling 张三's change: refused, named, nothing written.
    edit(b, "P001", name="甲（李四）")
    assert main(["parcels-push", str(b), "--dsn", dsn, "--table", "planning.parcels", "--user", "李四"]) == 2
    err = capsys.readouterr().err
    assert "地块 P001 已被 张三" in err and "没有写入任何地块" in err
    assert PostgisParcelStore(dsn, "planning.parcels").load().frame.set_index("parcel_id").loc["P001", "name"] \
        == "甲（张三）"
