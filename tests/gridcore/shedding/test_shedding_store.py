"""The store's shedding plans: written atomically, read back (latest issue by default)."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.shedding.store import plan_issues, plan_path, read_plans, write_plans


def test_plans_written_and_read_back(tmp_path):
    assert plan_issues(tmp_path) == []
    with pytest.raises(InputError, match="no shedding plans"):
        read_plans(tmp_path)
    first = pd.Timestamp("2016-07-01T18:00Z")
    second = pd.Timestamp("2016-07-02T06:00Z")
    plans = [{"at": "2016-07-01T18:00Z", "shed_mw": 0.5, "elements": ["trafo:0"]}]
    path = write_plans(tmp_path, first, plans, {"events": 1})
    assert path == plan_path(tmp_path, first) and path.name == "20160701T1800Z.json"
    write_plans(tmp_path, second, [])
    assert not list(path.parent.glob("*.tmp"))
    assert plan_issues(tmp_path) == [first, second]
    got = read_plans(tmp_path, first)
    assert got == {"issue_time": "2016-07-01T18:00Z", "events": 1, "plans": plans}
    assert read_plans(tmp_path)["issue_time"] == "2016-07-02T06:00Z"
    with pytest.raises(InputError, match="2016-07-03T00:00Z"):
        read_plans(tmp_path, pd.Timestamp("2016-07-03T00:00Z"))
