"""The run's report task: report.md with its PNGs in the store, a Markdown artifact and image artifacts."""

from __future__ import annotations

import base64
import json

import pandas as pd
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tasks.report import publish_run_report

ISSUE = pd.Timestamp("2016-07-02T14:00Z")


@flow
def _report(store: str, out: dict) -> dict:
    return publish_run_report(store, "chain-test-report", "Hourly chain test", ISSUE, out)


def _artifacts(key: str) -> list:
    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))


def test_the_report_lands_in_the_store_and_as_artifacts(tmp_path) -> None:
    plans = [
        {
            "at": "2016-07-02T15:00Z",
            "elements": ["line:83", "line:0"],
            "shed_mw": 0.2,
            "battery_mw": 0.1,
            "dimmed_mw": 0.0,
            "critical_affected": 0,
        }
    ]
    (tmp_path / "shedding_plan").mkdir()
    (tmp_path / "shedding_plan" / "20160702T1400Z.json").write_text(json.dumps({"plans": plans}))
    out = {
        "steps": {
            "ingest": {"state": "Completed", "seconds": 1.0},
            "batteries": {"state": "Skipped", "reason": "needs renewables (failed): x"},
        },
        "readings_in": 8000,
        "constraints_found": {"counts": {"overload": 2, "undervoltage": 0}, "events": 2},
        "prices": {
            "price_mean_per_mwh": 40.0,
            "price_per_mwh_by_hour": {"2016-07-02T14:00Z": 40.0, "2016-07-02T15:00Z": 55.0},
        },
        "forecast_check": {"reason": "actual 6.9 MW ... re-planned", "error_pct": 15.0},
    }
    result = _report(str(tmp_path), out)
    folder = tmp_path / "reports" / "chain-test-report"
    assert set(result["figures"]) == {"shed", "prices"}  # no forecast, schedule or look-ahead in this store
    text = (folder / "report.md").read_text()
    assert "| batteries | Skipped |  | needs renewables (failed): x |" in text
    assert (
        "| constraints found (before remedies) | 2 overload |" in text
        and "![Prices [EUR/MWh]](prices.png)" in text
    )
    assert (
        "- forecast check: actual 6.9 MW ... re-planned" in text and "- 2 gridflow.constraint.found" in text
    )
    (markdown,) = _artifacts("chain-test-report")[-1:]
    assert markdown.data == text
    image = _artifacts("chain-test-report-shed")[-1]
    assert image.type == "image"
    png = (folder / "shed.png").read_bytes()
    assert image.data == "data:image/png;base64," + base64.b64encode(png).decode()
    # Prefect 3.9's server sets no size limit on an artifact's data (its schema caps only the metadata):
    # the report keeps each inline figure small, so the UI and the database stay light
    assert len(image.data) < 200_000 and len(markdown.data) < 20_000
    prices = _artifacts("chain-test-report-prices")[-1]
    assert prices.data.startswith("data:image/png;base64,") and len(prices.data) < 200_000
