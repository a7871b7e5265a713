"""The labelled injection test on a small fleet: precision and recall per type, no alarm on clean feeds."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcore.monitor.injection import clean_week, detect_in_days, inject, score
from gridcore.monitor.report import TYPES

START = pd.Timestamp("2016-07-04T00:00Z")


@pytest.fixture(scope="module")
def clean(system):
    return clean_week(system, START, hours=48, seed=3)


def test_clean_feeds_raise_no_alarm(clean):
    found = detect_in_days(clean)
    assert found.empty, found[["type", "place"]].to_string()


@pytest.mark.parametrize("seed", [7, 11])
def test_precision_and_recall_above_0_9_per_type(clean, seed):
    injected = inject(clean, seed=seed)
    figures = score(detect_in_days(injected.window), injected.labels)
    assert set(figures.index) <= set(TYPES)
    assert {"zero_reading", "stuck_reading", "reverse_flow", "sudden_jump", "tampering"} <= set(figures.index)
    assert {"sensor_flatline", "sensor_out_of_range", "sensor_disagreement"} <= set(figures.index)
    assert (figures["precision"] >= 0.9).all(), figures
    assert (figures["recall"] >= 0.9).all(), figures
    assert figures.loc["tampering", "injected"] == 10 + 2  # meters and feeders


def test_labels_name_each_fault_once(clean):
    labels = inject(clean, seed=7).labels
    assert not labels.duplicated(["type", "place"]).any()
    assert (labels["end"] >= labels["start"]).all()
    assert labels["start"].min() >= START


def test_score_counts_misses_and_false_alarms():
    t = pd.Timestamp("2016-07-04T10:00Z")
    labels = pd.DataFrame(
        [
            {"type": "zero_reading", "place": "M1", "start": t, "end": t, "detail": ""},
            {"type": "zero_reading", "place": "M2", "start": t, "end": t, "detail": ""},
        ]
    )
    found = pd.DataFrame(
        [
            {"type": "zero_reading", "place": "M1", "start": t, "end": t},
            {"type": "zero_reading", "place": "M3", "start": t, "end": t},
            {"type": "sudden_jump", "place": "M1", "start": t, "end": t},
            # the right meter, a day later: no match
            {
                "type": "zero_reading",
                "place": "M2",
                "start": t + pd.Timedelta(days=1),
                "end": t + pd.Timedelta(days=1),
            },
        ]
    )
    s = score(found, labels)
    assert s.loc["zero_reading", "precision"] == pytest.approx(1 / 3)
    assert s.loc["zero_reading", "recall"] == pytest.approx(0.5)
    assert s.loc["sudden_jump", "precision"] == 0.0
    assert pd.isna(s.loc["sudden_jump", "recall"])
