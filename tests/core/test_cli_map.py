import json

from suichang_gis.cli import main


def test_measure_prints_area_in_mu_first(capsys):
    assert main(["measure", "410000,3160000", "410200,3160000", "410200,3160200", "410000,3160200",
                 "--area"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("面积：60.00 亩") and "40,000.0 m²" in out and "4.00 公顷" in out


def test_measure_distance_and_bad_coordinates(capsys):
    assert main(["measure", "0,0", "3000,4000"]) == 0
    assert "5.00 km" in capsys.readouterr().out
    assert main(["measure", "0,0", "abc"]) == 2
    assert "X,Y" in capsys.readouterr().err


def test_identify_lists_every_layer_at_the_county_seat(capsys):
    # 妙高街道, the county seat, in lon/lat: inside the county and its township.
    assert main(["identify", "119.27,28.59", "--lonlat", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    layers = {r["layer"] for r in rows}
    assert {"county_boundary", "townships"} <= layers
    town = next(r for r in rows if r["layer"] == "townships")
    assert town["accuracy"] == "示意" and town["attributes"]["name"] == "妙高街道"
