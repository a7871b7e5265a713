"""Scenario files: the shipped ones, and every key checked with an error that names it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.scenarios.spec import (
    REMEDIES,
    builtin_files,
    list_scenarios,
    load_scenario,
    parse_scenario,
    read_scenario,
)

FIVE = ("heat-wave", "cloudy-solar", "plant-outage", "maintenance", "evening-ramp")


def _base(**extra: object) -> dict[str, object]:
    return {"name": "x", "start": "2016-07-01T00:00Z", "hours": 24, **extra}


def test_the_five_are_shipped_and_read() -> None:
    listed = {s["name"]: s for s in list_scenarios()}
    assert set(FIVE) <= set(listed)
    for name in FIVE:
        spec = load_scenario(name)
        assert spec.name == name and spec.source == f"builtin:{name}"
        assert Path(listed[name]["file"]).is_file() and listed[name]["description"]
        assert spec.start.tzinfo is not None and 2 <= spec.hours <= 168
    assert load_scenario("plant-outage").import_limit_mw == 24.0
    assert load_scenario("evening-ramp-storage-first").order == ("batteries", "prices", "shedding")


def test_a_copy_runs_from_its_path(tmp_path: Path) -> None:
    text = builtin_files()["heat-wave"].read_text(encoding="utf-8").replace("= 4.0", "= 6.0", 1)
    copy = tmp_path / "my-heat.toml"
    copy.write_text(text, encoding="utf-8")
    spec = load_scenario(str(copy))
    assert spec.temperature_shift_c == 6.0 and spec.source == str(copy)


def test_defaults_and_event_window() -> None:
    spec = parse_scenario(_base(event={"from_h": 3, "hours": 2}))
    assert spec.order == REMEDIES and spec.growth == 1.0 and spec.import_limit_mw is None
    mask = spec.event_mask
    assert list(mask[mask].index.hour) == [3, 4] and mask.index[0] == pd.Timestamp("2016-07-01T00:00Z")
    assert spec.objectives.to_dict() == {"cost": 1.0, "renewables": 1.0, "customers": 1.0}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_base(colour="red"), "colour"),
        ({"name": "x", "hours": 24}, "start"),
        (_base(name=""), "name"),
        (_base(start="2016-07-01T00:00"), "start"),
        (_base(start="yesterday"), "start"),
        (_base(start="2016-07-01T00:30Z"), "start"),
        (_base(hours=500), "hours"),
        (_base(hours=True), "hours"),
        (_base(grid=""), "grid"),
        (_base(supply=3), "supply"),
        (_base(supply={"import_limit": 3}), "supply.import_limit"),
        (_base(supply={"import_limit_mw": "lots"}), "supply.import_limit_mw"),
        (_base(supply={"import_limit_mw": -1}), "supply.import_limit_mw"),
        (_base(maintenance={"switching": 1}), "maintenance.switching"),
        (_base(maintenance={"lines": [-1]}), "maintenance.lines"),
        (_base(event={"from_h": 30}), "event.from_h"),
        (_base(event={"from_h": 20, "hours": 10}), "event.hours"),
        (_base(remedies={"order": ["prices", "magic"]}), "remedies.order[1]"),
        (_base(remedies={"order": ["prices", "prices"]}), "remedies.order"),
        (_base(generation={"outage_types": [""]}), "generation.outage_types"),
        (_base(demand={"growth": 2.0, "design_load_pct": 90.0}), "demand.design_load_pct"),
        (_base(objectives={"cost": -1}), "objectives.cost"),
        (_base(weather={"temperature_shift_c": 99}), "weather.temperature_shift_c"),
    ],
)
def test_bad_keys_are_named(data: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(data, "test")
    assert err.value.field == field
    assert field.split("[")[0].split(".")[0] in str(err.value) and "scenario test" in str(err.value)


def test_files_and_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_scenario(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [", encoding="utf-8")
    with pytest.raises(InputError, match="not TOML"):
        read_scenario(bad)
    with pytest.raises(InputError, match="known: .*heat-wave") as err:
        load_scenario("heatwave")
    assert err.value.field == "NAME"


def test_shipped_files_use_only_known_keys() -> None:
    for path in builtin_files().values():
        parse_scenario(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
