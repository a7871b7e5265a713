from __future__ import annotations

import tomllib

import pytest

from gridcore.errors import InputError
from gridcore.shedding.priorities import DEFAULT_PRIORITIES, load_priorities, parse_priorities


def _default() -> dict:
    return tomllib.loads(DEFAULT_PRIORITIES.read_text())


def test_default_file_loads_with_critical_last_and_hospital_never_shed():
    p = load_priorities()
    assert p.source == "default"
    orders = {c: r.shed_order for c, r in p.classes.items()}
    assert orders["residential"] < orders["commercial"] < orders["industrial"] < orders["critical"]
    assert p.kind_order[-1] == "hospital"
    assert "kind:hospital" in p.never_shed
    assert p.dim_floor_kw == pytest.approx(4.2)
    assert p.rotation_period_h == 2.0


def test_file_read_and_changed_values(tmp_path):
    text = DEFAULT_PRIORITIES.read_text().replace("period_h = 2.0", "period_h = 1.0")
    f = tmp_path / "p.toml"
    f.write_text(text + "\n[overrides.M000001]\nshed_order = 4\nnever_shed = true\nmax_outage_h = 0.5\n")
    p = load_priorities(f)
    assert p.rotation_period_h == 1.0
    assert p.overrides["M000001"] == {"shed_order": 4, "never_shed": True, "max_outage_h": 0.5}
    assert p.source == str(f)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.pop("classes"), "classes"),
        (lambda d: d["classes"].pop("commercial"), "classes.commercial"),
        (lambda d: d["classes"]["residential"].update(shed_order="first"), "classes.residential.shed_order"),
        (lambda d: d["classes"]["residential"].update(shed_order=0), "classes.residential.shed_order"),
        (lambda d: d["classes"]["industrial"].pop("voll_eur_per_mwh"), "classes.industrial.voll_eur_per_mwh"),
        (lambda d: d["classes"]["critical"].update(max_outage_h=-1), "classes.critical.max_outage_h"),
        (lambda d: d["classes"]["critical"].update(max_outage_h=True), "classes.critical.max_outage_h"),
        (lambda d: d["classes"]["residential"].update(colour=1), "classes.residential.colour"),
        (lambda d: d["classes"]["residential"].update(kind_order=[]), "classes.residential.kind_order"),
        (lambda d: d["classes"].update(farm={}), "classes.farm"),
        (lambda d: d["classes"]["critical"].update(kind_order=["hospital"]), "classes.critical.kind_order"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.update(rotation=3), "rotation"),
        (lambda d: d["rotation"].update(period_h=0.0), "rotation.period_h"),
        (lambda d: d["rotation"].update(speed=1), "rotation.speed"),
        (lambda d: d["controllable"].update(profile_prefixes="Air_"), "controllable.profile_prefixes"),
        (lambda d: d["batteries"].update(discharge_first="yes"), "batteries.discharge_first"),
        (lambda d: d["never_shed"].update(items="M1"), "never_shed.items"),
        (lambda d: d["never_shed"].update(items=["kind:school"]), "never_shed.items"),
        (lambda d: d["overrides"].update(M1=3), "overrides.M1"),
        (lambda d: d["overrides"].update(M1={"tier": 1}), "overrides.M1.tier"),
        (lambda d: d["overrides"].update(M1={"shed_order": 1.5}), "overrides.M1.shed_order"),
        (lambda d: d["overrides"].update(M1={"max_outage_h": "x"}), "overrides.M1.max_outage_h"),
        (lambda d: d["overrides"].update(M1={"never_shed": 1}), "overrides.M1.never_shed"),
    ],
)
def test_errors_name_the_key(change, key):
    data = _default()
    change(data)
    with pytest.raises(InputError) as err:
        parse_priorities(data)
    assert err.value.field == key
    assert key.split(".")[-1] in str(err.value)


def test_missing_and_bad_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_priorities(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("classes = [")
    with pytest.raises(InputError, match="not TOML"):
        load_priorities(bad)
