"""Finding messages as templates and arguments (``check.messages``) and the compact JSON that writes
them (``"format": "compact-2"``): the text of every message is what the engine's sentence gives,
braces in names and titles included; the compact report expands to exactly ``CheckResult.to_dict()``
whether a parcel's findings are still columns or already ``Finding`` objects; a report written in
the earlier form (``compact-1``, a file kept from that writer) still reads.
"""

import pickle
from pathlib import Path

import numpy as np
import orjson
import pytest
from check_samples import X0, Y0, mixed_check
from shapely.geometry import box

from suichang_gis.check import parcel_set, run_check
from suichang_gis.check.data import check_layer
from suichang_gis.check.messages import Messages, literal, render, template
from suichang_gis.report.json_report import FORMAT, CompactWriter, expand, read_findings
from suichang_gis.rules import load_ruleset

CASES = Path(__file__).parent / "cases" / "report"


def test_template_keeps_braces_of_fixed_text_and_of_arguments():
    t = template("与{title}重叠 {}，涉及：{}", title="红线{甲}")
    assert t == "与红线{{甲}}重叠 {}，涉及：{}"
    assert render(t, ("1.00 亩", "{0}号}")) == "与红线{甲}重叠 1.00 亩，涉及：{0}号}"
    # without fields a template is a plain sentence: as it is, braces and all
    plain = template("位于{title}内", title="区块{乙}")
    assert plain == "位于区块{乙}内" and render(plain, ()) == plain
    assert literal("a{b}c") == "a{{b}}c" and literal("a{b}c").format() == "a{b}c"


def test_messages_column_reads_as_the_sentences():
    sentences = ["与红线无重叠"] * 4
    m = Messages(4, "与红线无重叠")
    overlap = template("与{title}重叠 {}，占 {}", title="红线")
    m.put(1, overlap, "2.00 亩", "3.00%")
    sentences[1] = "与红线重叠 2.00 亩，占 3.00%"
    m.put(3, "地块{名称}未填写")  # no arguments: not formatted
    sentences[3] = "地块{名称}未填写"
    m.append(overlap, "0.10 亩", "0.50%")
    sentences.append("与红线重叠 0.10 亩，占 0.50%")
    assert len(m) == 5 and [m[k] for k in range(5)] == sentences and list(m) == sentences
    assert list(m.take([4, 0, 1])) == [sentences[4], sentences[0], sentences[1]]
    assert m.templates == ["与红线无重叠", "与红线重叠 {}，占 {}", "地块{名称}未填写"]  # each once
    back = pickle.loads(pickle.dumps(m))  # (worker processes send their findings back pickled)
    assert list(back) == sentences
    back.append(overlap, "0.20 亩", "1.00%")
    assert back[5] == "与红线重叠 0.20 亩，占 1.00%" and back.templates == m.templates


def _compact(result, path: Path) -> dict:
    writer = CompactWriter(path)
    writer.add(result.parcels)
    writer.close(result)
    return orjson.loads(path.read_bytes())


def _plain(result) -> dict:
    return orjson.loads(orjson.dumps(result.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY))


def test_mixed_check_compact_expands_to_the_contract(tmp_path):
    """Every rule of the shipped sets gives rows here (pass, warn, fail, 未评估, info, merged verdicts)."""
    result, _ = mixed_check()
    doc = _compact(result, tmp_path / "mixed.json")
    assert doc["format"] == FORMAT == "compact-2" and doc["templates"]
    merged = [e["also"] for p in doc["parcels"] for e in p.get("finding_extras", {}).values() if "also" in e]
    assert merged and all(isinstance(k, int) for k in merged) and len(doc["also"]) < len(merged)  # given once
    again, _ = mixed_check()
    plain = _plain(again)  # from Finding objects, one by one
    doc = expand(doc)
    doc.pop("generated"), plain.pop("generated")
    assert doc == plain
    findings = [f for p in plain["parcels"] for f in p["findings"]]
    judged = {f["rule"] for f in findings} | {a["rule"] for f in findings for a in f.get("also", ())}
    assert {r.id for r in load_ruleset().rules} <= judged  # (a merged rule is cited in "also")


def test_templated_rows_cover_the_rules_with_figures(tmp_path):
    """The rules whose messages carry figures write them as [template, arguments…]."""
    result, _ = mixed_check()
    doc = _compact(result, tmp_path / "mixed.json")
    templated = {doc["kinds"][row[0]][0] for p in doc["parcels"] for row in p["findings"]
                 if isinstance(row[1], list) and len(row[1]) > 1 and "{}" in doc["templates"][row[1][0]]
                 and doc["templates"][row[1][0]].strip("{}")}
    assert templated >= {"SX-01", "SX-02", "SX-04", "SX-05", "SX-06", "SX-09", "BZD-03", "BZD-04", "BZD-05",
                         "BZD-06", "BZD-07", "BZD-10", "BZD-11", "BZD-12"}


def test_every_templated_row_has_one_string_per_field():
    """Arguments are strings (an integer in the JSON is a ``texts`` index), one per ``{}`` field,
    on every rule's rows of the mixed check and of a check without most layers (未评估 rows)."""
    bare = run_check(parcel_set([box(X0, Y0, X0 + 50, Y0 + 50)] * 3), {}, load_ruleset())
    for result, at_least in ((mixed_check()[0], 21), (bare, 8)):  # (DEM, 不适用 rows: plain sentences)
        store = result.parcels[0].store
        columns = [b.message for b in store.blocks if isinstance(b.message, Messages)]
        assert len(columns) >= at_least
        for m in columns:
            for w, args in zip(m.which, m.args):
                assert all(type(a) is str for a in args)
                assert not args or m.templates[w].replace("{{", "").count("{}") == len(args)


def test_names_and_titles_with_braces_round_trip(tmp_path):
    """Names from the data and layer titles with braces stay as they are in the messages."""
    red = check_layer("ecological_redline", [box(X0 + 50, Y0, X0 + 150, Y0 + 100)], "生态{保护}红线",
                      name=["{0}号红线}"])
    units = check_layer("env_control_units", [box(X0 - 1000, Y0 - 1000, X0 + 5000, Y0 + 1000)], "管控{单元",
                        unit_code=["ZH{1}"], unit_name=["单元{x}"], manage_class=["重点管控"], subtype=[""],
                        admission_key=["industrial_cluster"])
    geoms = [box(X0 + 60 * i, Y0 + 10, X0 + 60 * i + 50, Y0 + 60) for i in range(60)]
    ps = parcel_set(geoms, ids=[f"P{i}" for i in range(60)], land_use=["工业用地"] * 60,
                    industrial_category=["二类"] * 60)
    result = run_check(ps, {"ecological_redline": red, "env_control_units": units}, load_ruleset())
    messages = [f.message for f in result.parcels[1].findings]  # (parcel 1 as Finding objects from here on)
    assert any(m.startswith("与生态{保护}红线重叠 ") and "涉及：{0}号红线}" in m for m in messages)
    assert any(m.startswith("单元{x}（ZH{1}，重点管控）内 ") for m in messages)
    doc = expand(_compact(result, tmp_path / "braces.json"))
    plain = _plain(run_check(ps, {"ecological_redline": red, "env_control_units": units}, load_ruleset()))
    doc.pop("generated"), plain.pop("generated")
    assert doc == plain


def test_chunks_written_one_after_another_share_templates_and_texts(tmp_path):
    """Several ``add`` calls (a streamed check's chunks) reuse the templates and texts the first
    ones made; every parcel still expands to its own ``to_dict()``."""
    from check_samples import PARCELS, mixed_layers

    layers, ruleset = mixed_layers(), load_ruleset()

    def chunk(rows, suffix):
        keys = sorted({k for *_, a in rows for k in a})
        ps = parcel_set([g for _, _, g, _ in rows], ids=[i + suffix for i, *_ in rows],
                        names=[n for _, n, *_ in rows], **{k: [a.get(k) for *_, a in rows] for k in keys})
        return run_check(ps, layers, ruleset)

    chunks = [chunk(PARCELS[:3], ""), chunk(PARCELS[3:], ""), chunk(PARCELS, "-2")]
    writer = CompactWriter(tmp_path / "chunks.json")
    writer.add(chunks[0].parcels)
    writer.add(chunks[1].parcels)
    made = len(writer.templates)
    writer.add(chunks[2].parcels)  # the same parcels again: no new sentence
    assert len(writer.templates) == made
    writer.close(chunks[0])
    doc = orjson.loads((tmp_path / "chunks.json").read_bytes())
    assert len(set(doc["templates"])) == len(doc["templates"]) and len(set(doc["texts"])) == len(doc["texts"])
    expected = [p for result in chunks for p in _plain(result)["parcels"]]
    assert expand(doc)["parcels"] == expected


def test_parcels_read_as_finding_objects_are_written_too(tmp_path):
    """Parcels whose findings the window or a report made into ``Finding`` objects (messages as
    text) are written through the text path; the document still expands to the contract."""
    result, _ = mixed_check()
    for p in result.parcels[::2]:
        p.findings  # now Finding objects
    assert not result.parcels[0].in_store and result.parcels[1].in_store
    doc = expand(_compact(result, tmp_path / "mixed.json"))
    plain = _plain(mixed_check()[0])
    doc.pop("generated"), plain.pop("generated")
    assert doc == plain


def test_compact_1_report_is_still_read():
    """A report written by the compact-1 writer, with the plain contract of the same run beside it."""
    old = CASES / "compact-1.json"
    doc = orjson.loads(old.read_bytes())
    plain = orjson.loads((CASES / "compact-1.plain.json").read_bytes())
    assert doc["format"] == "compact-1" and "templates" not in doc
    assert expand(doc) == plain
    assert [f for _, f in read_findings(old)] == [f for p in plain["parcels"] for f in p["findings"]]
    assert [pid for pid, _ in read_findings(old)] == [p["id"] for p in plain["parcels"] for _ in p["findings"]]


@pytest.mark.parametrize("form", ["compact-2", "plain"])
def test_read_findings_of_the_other_forms(tmp_path, form):
    result, _ = mixed_check()
    plain = _plain(result)
    path = tmp_path / "r.json"
    if form == "plain":
        path.write_bytes(orjson.dumps(plain))
    else:
        _compact(result, path)
    assert [f for _, f in read_findings(path)] == [f for p in plain["parcels"] for f in p["findings"]]


def test_overlapping_candidates_are_listed_in_id_order_whatever_the_chunk():
    """A parcel's 候选地块相互重叠 message lists the others by id, whether they are in its chunk
    or only compared (``others``), so the report does not depend on how the parcels were cut
    (the R-tree's order of the others does)."""
    from suichang_gis.check.chunks import subset

    geoms = [box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 50, Y0, X0 + 150, Y0 + 100),
             box(X0, Y0 + 60, X0 + 100, Y0 + 160), box(X0 + 30, Y0 + 30, X0 + 70, Y0 + 70)]
    ps = parcel_set(geoms, ids=["B1", "B3", "B2", "B4"])
    ruleset = load_ruleset()

    def listed(parcels, others=None):
        result = run_check(parcels, {}, ruleset, others=others)
        message = next(f.message for f in result.parcels[0].findings if f.rule == "SX-09")
        return [part.split("（")[0].split(" ")[0] for part in message.split("：", 1)[1].split("；")[:-1]]

    assert listed(ps) == ["B2", "B3", "B4"]
    for mine, others in (([0, 2], [1, 3]), ([0, 3], [2, 1]), ([0], [3, 2, 1])):
        assert listed(subset(ps, np.array(mine)), subset(ps, np.array(others))) == ["B2", "B3", "B4"]
