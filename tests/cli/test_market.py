"""``gridflow market``: clear, price, what-if and evaluate through the real command line (empty store)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_clear_order_books_from_csv_with_a_hand_computed_answer(tmp_path) -> None:
    (tmp_path / "offers.csv").write_text("id,price_per_mwh,quantity_mw\nA,10,50\nB,20,50\nC,40,50\n")
    (tmp_path / "bids.csv").write_text("id,price_per_mwh,quantity_mw\nX,50,60\nY,30,30\nZ,15,40\n")
    out = _json(
        [
            "market",
            "clear",
            "--offers",
            str(tmp_path / "offers.csv"),
            "--bids",
            str(tmp_path / "bids.csv"),
            "--json",
        ]
    )
    assert out["price_per_mwh"] == 20.0 and out["matched_mw"] == 90.0
    assert out["unmatched_supply_mw"] == 60.0 and out["unmatched_demand_mw"] == 40.0
    assert out["price_rule"].startswith("midpoint")


def test_clear_one_hour_of_the_default_world(tmp_path) -> None:
    out = _json(["market", "clear", "--at", "2016-07-01T18:00Z", "--store", str(tmp_path / "s"), "--json"])
    assert {"price_per_mwh", "matched_mw", "unmatched_supply_mw", "unmatched_demand_mw"} <= set(out)
    assert out["source"] == {"load": "profiles", "generation": "profiles"}
    assert out["imbalance_mw"] == 0.0
    short = _json(["market", "clear", "--at", "2016-07-01T18:00Z", "--import-limit", "0", "--json"])
    # no import: batteries (degradation cost + 80 EUR/MWh) and renewables set the price
    assert short["price_per_mwh"] > 55 and short["matched_mw"] <= out["matched_mw"]


def test_whatif_cpp_lands_in_the_published_band_and_draws_the_plot(tmp_path) -> None:
    png = tmp_path / "whatif.png"
    out = _json(
        [
            "market",
            "whatif",
            "--scheme",
            "cpp",
            "--peak-price",
            "0.60",
            "--at",
            "2016-07-04T00:00Z",
            "--out",
            str(png),
            "--json",
        ]
    )
    for key in (
        "peak_reduction_pct",
        "peak_to_average",
        "shifted_mwh",
        "rebound_peak_mw",
        "renewable_absorbed_mwh",
        "bill_change_pct",
        "revenue_change_pct",
    ):
        assert key in out
    assert 13.0 <= out["peak_reduction_pct"] <= 20.0
    assert png.read_bytes()[:4] == b"\x89PNG" and out["png"] == str(png)


def test_price_tou_and_optimized_are_written_to_the_store(tmp_path) -> None:
    store = tmp_path / "s"
    tou = _json(
        [
            "market",
            "price",
            "--at",
            "2016-07-04T00:00Z",
            "--horizon",
            "48",
            "--scheme",
            "tou",
            "--store",
            str(store),
            "--json",
        ]
    )
    assert 3.0 <= tou["peak_reduction_pct"] <= 6.0 and tou["written"].startswith(str(store))
    opt = _json(
        [
            "market",
            "price",
            "--at",
            "2016-07-04T00:00Z",
            "--horizon",
            "48",
            "--optimize",
            "--target-peak-reduction",
            "10",
            "--store",
            str(store),
            "--json",
        ]
    )
    assert opt["net_peak_reduction_pct"] >= 10.0 - 1e-6
    assert opt["beats_cpp"] and opt["bill_impact_pct"] <= opt["cpp_at_target"]["bill_impact_pct"]


def test_price_locational_on_the_congested_grid(tmp_path) -> None:
    out = _json(
        [
            "market",
            "price",
            "--grid",
            "1-MV-semiurb--2-sw",
            "--at",
            "2016-07-05T00:00Z",
            "--horizon",
            "24",
            "--scheme",
            "cpp",
            "--locational",
            "--loading-limit",
            "90",
            "--store",
            str(tmp_path),
            "--json",
        ]
    )
    loc = out["locational"]
    assert len(loc["feeders"]) == 11 and loc["congested_branches"] >= 1
    assert set(loc["balance"]) == {c["branch"] for c in loc["congestion"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["market", "whatif", "--scheme", "dynamic"], "scheme must be one of"),
        (["market", "whatif", "--at", "2016-07-01T00:00"], "--at"),
        (["market", "clear", "--offers", "missing.csv"], "missing.csv"),
        (["market", "price", "--model", "linear", "--at", "2016-07-01T00:00Z"], "model must be one of"),
        (["market", "evaluate", "--summer", "July"], "YYYY-MM"),
        (["market", "whatif", "--scheme", "cpp", "--peak-price", "0"], "--peak-price must be above 0"),
        (["market", "price", "--scheme", "foo"], "--scheme must be one of"),
        (["market", "evaluate", "--model", "linear"], "--model must be one of"),
        (["market", "price", "--frontier", "f.png"], "--frontier goes with --optimize"),
        (["market", "price", "--weights", "bill=1"], "--weights goes with --optimize"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1 or result.exit_code == 2
    assert message in result.output or message in (result.stderr or "")


def test_price_optimize_with_named_weights(tmp_path) -> None:
    out = _json(
        [
            "market",
            "price",
            "--at",
            "2016-07-04T00:00Z",
            "--horizon",
            "48",
            "--optimize",
            "--weights",
            "bill=0.5,peak=0.5",
            "--store",
            str(tmp_path),
            "--json",
        ]
    )
    assert out["net_peak_reduction_pct"] >= 10.0 and out["optimization"]["rounds"] == 1
    result = runner.invoke(
        app, ["market", "price", "--optimize", "--weights", "bill=x", "--at", "2016-07-04T00:00Z"]
    )
    assert result.exit_code == 1 and "not a number" in result.output


def test_checks_refuse_before_any_data_is_loaded(monkeypatch) -> None:
    import cli.market

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("inputs loaded before the arguments were checked")

    monkeypatch.setattr(cli.market, "_inputs", boom)
    for args in (
        ["market", "whatif", "--scheme", "dynamic"],
        ["market", "whatif", "--peak-price", "0"],
        ["market", "price", "--model", "linear"],
        ["market", "price", "--frontier", "f.png"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_price_optimize_refuses_an_unreachable_target(tmp_path) -> None:
    args = ["market", "price", "--at", "2016-07-01T00:00Z", "--horizon", "48", "--optimize"]
    result = runner.invoke(app, [*args, "--target-peak-reduction", "90", "--store", str(tmp_path), "--json"])
    assert result.exit_code == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert "--target-peak-reduction 90: no price signal cuts" in line and len(line.splitlines()) == 1
    assert not (tmp_path / "market" / "prices").exists()  # nothing written as if it were a signal


def test_price_locational_on_the_congested_grid_reports_each_feeder(tmp_path) -> None:
    out = _json(
        [
            "market",
            "price",
            "--locational",
            "--grid",
            "1-MV-semiurb--2-sw",
            "--at",
            "2016-07-25T12:00Z",
            "--horizon",
            "1",
            "--scheme",
            "flat",
            "--store",
            str(tmp_path / "s"),
            "--json",
        ]
    )
    feeders = out["locational"]["feeders"]
    hot = feeders["MV2.101 Line 1"]
    assert hot["hours"] == 1 and hot["constraints"]
    assert hot["congestion_component_min_per_kwh"] < -0.5 and hot["price_min_per_kwh"] < 0
    assert 0 < hot["clears_by_response_pct"] < 50
    assert hot["residual_after_response"]["excess"] and hot["residual_after_remedies"] == {}
    assert hot["price_min_per_kwh"] < min(
        f["price_min_per_kwh"] for k, f in feeders.items() if k != "MV2.101 Line 1"
    )
    assert out["locational"]["ac"]["order"] == ["price", "batteries", "curtailment", "shedding"]


def test_the_import_side_congestion_of_the_congested_grid_clears_before_any_load_is_shed(tmp_path) -> None:
    """SimBench's high-load case on 1-MV-semiurb--2-sw: one feeder overloaded and undervolted.

    Its own price rises above every other feeder's; the AC power flow after the response shows part of the
    excess cleared by the response alone, the batteries clear the rest, and nothing is curtailed or shed.
    """
    out = _json(
        ["market", "price", "--locational", "--grid", "1-MV-semiurb--2-sw", "--study-case", "hL"]
        + ["--scheme", "flat", "--store", str(tmp_path / "s"), "--json"]
    )
    loc = out["locational"]
    feeders = loc["feeders"]
    hot = [k for k, f in feeders.items() if f["constraints"]]
    assert hot == ["MV2.101 Line 1"]
    own = feeders["MV2.101 Line 1"]
    assert own["price_max_per_kwh"] > 2 * max(
        f["price_max_per_kwh"] for k, f in feeders.items() if k not in hot
    )
    assert 50 < own["clears_by_response_pct"] < 100 and own["residual_after_remedies"] == {}
    constraints = loc["ac"]["constraints"]
    kinds = {c["kind"] for c in constraints}
    assert kinds == {"overload", "undervoltage"} and {c["direction"] for c in constraints} == {"import"}
    by_response = [c for c in constraints if c["clears_by_response_pct"] == 100.0]
    assert {c["kind"] for c in by_response} == {"overload", "undervoltage"}  # some cleared by response alone
    assert len(by_response) < len(constraints)  # and some need the batteries after it
    for c in constraints:  # the response relieves every one, the remedies leave none
        assert c["clears_by_response_pct"] > 50 and c["residual_after_remedies"] is None, c
    remedies = loc["ac"]["remedies"]
    assert remedies["price"]["per_feeder"]["MV2.101 Line 1"] > 1.0
    assert remedies["batteries"]["mwh"] > 0 and remedies["shedding"]["mwh"] == 0
    assert remedies["curtailment"]["mwh"] == 0


def test_study_case_goes_with_locational() -> None:
    result = runner.invoke(app, ["market", "price", "--study-case", "hL", "--json"])
    assert result.exit_code == 1 and "--study-case goes with --locational" in result.output


def test_whatif_refuses_a_peak_price_above_the_limit() -> None:
    result = runner.invoke(app, ["market", "whatif", "--peak-price", "1e9", "--json"])
    assert result.exit_code == 1
    assert "--peak-price 1e+09 EUR/kWh is above the limit of 10 EUR/kWh" in result.output


def test_an_at_off_the_hour_is_floored_and_says_so(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "market",
            "whatif",
            "--horizon",
            "2",
            "--at",
            "2016-07-01T00:30Z",
            "--store",
            str(tmp_path / "s"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["at"] == "2016-07-01T00:00Z" and out["at_given"] == "2016-07-01T00:30Z"
    assert "floored to 2016-07-01T00:00Z" in out["at_note"] and "floored" in result.stderr
    assert "-0.0" not in result.stdout


def test_a_header_only_order_book_gives_a_null_price_with_its_reason(tmp_path) -> None:
    (tmp_path / "o.csv").write_text("id,price_per_mwh,quantity_mw\nA,10,5\n")
    (tmp_path / "b.csv").write_text("id,price_per_mwh,quantity_mw\n")
    out = _json(
        ["market", "clear", "--offers", str(tmp_path / "o.csv"), "--bids", str(tmp_path / "b.csv"), "--json"]
    )
    assert out["price_per_mwh"] is None and out["unmatched_supply_mw"] == 5.0
    assert out["price_null_reason"] == "no price: the bids book has no orders; nothing can clear"
