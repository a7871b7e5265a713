"""``gridflow market``: clear an interval, price signals, what-if and the strategies compared (wiring only).

The algorithms live in :mod:`gridcore.market`. These commands run no Prefect flow: they read the store's
forecasts where it has them for the issue asked (else the default world's demand and renewables; the JSON's
``source`` says which) and answer in seconds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import GridOpt, JsonOpt, StoreOpt, check_input_file, emit, time_option

market_app = typer.Typer(
    help="Supply/demand matching and price signals: clear, price, what-if, evaluate.", no_args_is_help=True
)

AtOpt = Annotated[
    str | None,
    time_option("UTC time, ISO 8601 (e.g. 2016-07-01T00:00Z); default: the next hour.", "--at"),
]
ModelOpt = Annotated[
    str,
    typer.Option("--model", help="Response model: saturating (default), elasticity or fitted."),
]
SchemeOpt = Annotated[str, typer.Option("--scheme", help="Pricing scheme: tou, cpp, rtp (or flat).")]
PeakPriceOpt = Annotated[
    float | None,
    typer.Option("--peak-price", help="CPP event / TOU peak price [EUR/kWh] (default: CPP 0.60).", min=0.0),
]
BookOpt = Annotated[
    Path | None,
    typer.Option(help="Order book CSV: id, price_per_mwh, quantity_mw.", callback=check_input_file),
]


def parse_weights(text: str | None):  # noqa: ANN201 (Weights | None)
    """``bill=1,peak=0.2`` as :class:`gridcore.market.optimize.Weights` (None when not given)."""
    if not text:
        return None
    from gridcore.errors import InputError
    from gridcore.market.optimize import Weights

    values: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in Weights.__dataclass_fields__:
            raise InputError(
                f"--weights: unknown objective {name!r} (bill, peak, cost, renewables)", field="--weights"
            )
        try:
            values[name] = float(value)
        except ValueError:
            raise InputError(f"--weights: {name}={value!r} is not a number", field="--weights") from None
    return Weights(**{"bill": 0.0, **values}) if "bill" not in values else Weights(**values)


def _check_choices(scheme: str | None, model: str, peak_price: float | None) -> None:
    """Refuse an unknown scheme or model and a peak price of 0 before any data is loaded."""
    from gridcore.errors import InputError
    from gridcore.market.response import MODELS
    from gridcore.market.signals import SCHEMES

    if scheme is not None and scheme not in SCHEMES:
        raise InputError(f"--scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}", field="--scheme")
    if model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, not {model!r}", field="--model")
    if peak_price is not None and not peak_price > 0:
        raise InputError(f"--peak-price must be above 0 EUR/kWh, got {peak_price}", field="--peak-price")
    from gridcore.market.signals import check_peak_price

    check_peak_price(peak_price, "--peak-price")


def _issue(at: str | None):  # noqa: ANN202 (pd.Timestamp)
    import pandas as pd

    from gridcore.checks import utc_time

    return utc_time(at, "--at") if at else pd.Timestamp.now(tz="UTC").ceil("h")


def _floored(at: str | None) -> dict[str, str]:
    """Say so (stderr and a JSON note) when ``--at`` is not on the hour: the market works on whole hours."""
    if not at:
        return {}
    given = _issue(at)
    import pandas as pd

    ts = pd.Timestamp(given).tz_convert("UTC")
    if ts == ts.floor("h"):
        return {}
    note = f"--at {at}: the market works on whole hours; floored to {ts.floor('h'):%Y-%m-%dT%H:%MZ}"
    typer.echo(note, err=True)
    return {"at_given": at, "at_note": note}


def _emit(out: dict[str, object], as_json: bool, title: str) -> None:
    """:func:`cli.common.emit` with -0.0 written as 0.0."""
    from gridcore.market.metrics import no_negative_zero

    emit(no_negative_zero(out), as_json, title)


def _inputs(at: str | None, horizon: int, grid: str | None, store: Path | None):  # noqa: ANN202
    """Market inputs of the issue: the store's forecasts where present, else the default world."""
    from gridcore.checks import store_path
    from gridcore.market.inputs import market_inputs
    from gridcore.network.grid_spec import grid_model

    root = store_path(str(store) if store else None)
    return market_inputs(
        grid_model(grid), _issue(at), horizon, root=root if Path(root).exists() else None
    ), root


@market_app.command("clear")
def market_clear(
    at: AtOpt = None,
    offers: BookOpt = None,
    bids: BookOpt = None,
    import_limit: Annotated[
        float | None,
        typer.Option("--import-limit", help="Import capacity through the substation [MW].", min=0.0),
    ] = None,
    store: StoreOpt = None,
    grid: GridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Clear one interval by a uniform-price double auction (merit order); price: midpoint of the interval."""
    t0 = time.perf_counter()
    from gridcore.errors import InputError
    from gridcore.market.clearing import clear, read_book

    if (offers is None) != (bids is None):
        raise InputError(
            "give both --offers and --bids, or neither", field="--offers" if offers is None else "--bids"
        )
    out: dict[str, object] = {}
    if offers is not None and bids is not None:
        book_o, book_b = read_book(offers, "offers"), read_book(bids, "bids")
        out["source"] = {"offers": str(offers), "bids": str(bids)}
        imbalance = None
    else:
        from gridcore.market.books import default_books, inflexible_mw
        from gridcore.storage.fleet import default_fleet

        inputs, _ = _inputs(at, 1, grid, store)
        book_o, book_b = default_books(inputs, 0, import_limit, default_fleet(inputs.grid))
        out["at"] = f"{inputs.times[0]:%Y-%m-%dT%H:%MZ}"
        out.update(_floored(at))
        out["grid"] = inputs.grid.code
        out["source"] = inputs.source
        imbalance = book_b
    result = clear(book_o, book_b)
    out.update(result.to_dict())
    out["offers"] = len(book_o)
    out["bids"] = len(book_b)
    if imbalance is not None:
        out["imbalance_mw"] = round(max(inflexible_mw(imbalance, result.bids_accepted_mw), 0.0), 6)
    out["command_seconds"] = round(time.perf_counter() - t0, 3)
    _emit(out, as_json, "gridflow market clear")


@market_app.command("price")
def market_price(
    at: AtOpt = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Hours ahead [h].", min=1, max=744)] = 48,
    scheme: SchemeOpt = "tou",
    peak_price: PeakPriceOpt = None,
    optimize: Annotated[
        bool,
        typer.Option("--optimize", help="Find the signal reaching the target with the least bill impact."),
    ] = False,
    target_peak_reduction: Annotated[
        float,
        typer.Option("--target-peak-reduction", help="Net-load peak cut to reach [%].", min=0.1, max=90.0),
    ] = 10.0,
    locational: Annotated[
        bool, typer.Option("--locational", help="A price per feeder carrying congestion and losses (DLMP).")
    ] = False,
    loading_limit: Annotated[
        float, typer.Option("--loading-limit", help="Branch limit of --locational [% of rating].", min=1.0)
    ] = 100.0,
    locational_png: Annotated[
        Path | None,
        typer.Option(
            "--locational-png",
            help="With --locational: PNG of the most congested feeder's price and its constraint by stage.",
        ),
    ] = None,
    study_case: Annotated[
        str | None,
        typer.Option(
            "--study-case",
            help="With --locational: one hour at a SimBench study case (hL, n1, hW, hPV, lW, lPV) instead "
            "of the horizon's profiles.",
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="With --optimize: objective weights, e.g. bill=1,peak=0.2,cost=0.05,renewables=0.05 "
            "(default bill=1).",
        ),
    ] = None,
    frontier: Annotated[
        Path | None,
        typer.Option("--frontier", help="With --optimize: PNG of the objectives' trade-off (frontier)."),
    ] = None,
    model: ModelOpt = "saturating",
    store: StoreOpt = None,
    grid: GridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A price signal from the forecast net load (TOU, CPP, RTP; optimized; per feeder), to the store."""
    t0 = time.perf_counter()
    from gridcore.errors import InputError
    from gridcore.market.store import write_prices
    from gridcore.market.whatif import whatif

    _check_choices(None if optimize else scheme, model, peak_price)
    if not optimize and (weights is not None or frontier is not None):
        flag = "--weights" if weights is not None else "--frontier"
        raise InputError(f"{flag} goes with --optimize", field=flag)
    if locational_png is not None and not locational:
        raise InputError("--locational-png goes with --locational", field="--locational-png")
    if study_case is not None and (not locational or optimize):
        raise InputError("--study-case goes with --locational (not --optimize)", field="--study-case")
    chosen = parse_weights(weights)
    inputs, root = _inputs(at, horizon, grid, store)
    case_net = None
    if study_case is not None:
        from gridcore.market.relief import study_case_inputs
        from gridcore.network.grid import pandapower_net
        from gridcore.network.study_case import apply_study_case

        case_net = apply_study_case(pandapower_net(inputs.grid.code), study_case)
        inputs = study_case_inputs(inputs, case_net)
    out: dict[str, object]
    if optimize:
        from gridcore.market.metrics import bill_impact_pct
        from gridcore.market.objectives import cpp_at_target
        from gridcore.market.optimize import optimize_signal

        cpp, reached = cpp_at_target(inputs, target_peak_reduction)
        p = cpp.signal.params
        opt = optimize_signal(
            inputs,
            target_peak_reduction,
            weights=chosen,
            extra_levels_per_kwh=(float(p["peak_per_kwh"]), float(p["offpeak_per_kwh"])),  # type: ignore[arg-type]
        )
        if not opt.solved:
            raise InputError(
                f"--target-peak-reduction {target_peak_reduction:g}: no price signal cuts the net-load peak "
                f"that much over these {horizon} h (solver: {opt.status}; the CPP at "
                f"{float(p['peak_per_kwh']):g} EUR/kWh cuts {cpp.metrics['net_peak_reduction_pct']} %)",
                field="--target-peak-reduction",
            )
        result = opt.result
        out = opt.to_dict()
        cm = cpp.metrics
        out["cpp_at_target"] = {
            "reached": reached,
            "net_peak_reduction_pct": cm["net_peak_reduction_pct"],
            "bill_impact_pct": round(bill_impact_pct(cm["bill_change_pct"]), 4),  # type: ignore[arg-type]
            "bill_change_pct": cm["bill_change_pct"],
            "params": cpp.signal.params,
        }
        out["bill_impact_pct"] = round(bill_impact_pct(result.metrics["bill_change_pct"]), 4)  # type: ignore[arg-type]
        # a signal that misses the target beats nothing; one that reaches it beats a CPP that does not
        out["beats_cpp"] = bool(
            opt.reached and (not reached or out["bill_impact_pct"] <= out["cpp_at_target"]["bill_impact_pct"])  # type: ignore[index,operator]
        )
        if frontier is not None:
            from gridcore.market.objectives import frontier as sweep
            from gridcore.market.plot import plot_frontier

            table = sweep(inputs)
            out["frontier"] = table.to_dict(orient="records")
            out["frontier_png"] = plot_frontier(
                table,
                frontier,
                f"Objectives on {inputs.grid.code}, {horizon} h from {inputs.times[0]:%Y-%m-%d %H:%M}Z",
            )
    else:
        kwargs: dict[str, object] = {}
        if peak_price is not None:
            kwargs["peak_price_per_kwh"] = peak_price
        result = whatif(inputs, scheme, model, **kwargs)
        out = result.to_dict()
    out["at"] = f"{inputs.times[0]:%Y-%m-%dT%H:%MZ}"
    out.update(_floored(at))
    feeders = None
    price = result.signal.price_per_kwh
    if locational:
        from gridcore.market.locational import balance_congestion, locational_prices
        from gridcore.market.relief import battery_fleet, relieve

        loc = locational_prices(
            inputs, result.signal, net=case_net, loading_limit_pct=loading_limit, model=model
        )
        out["locational"] = loc.to_dict()
        if loc.congestion:
            out["locational"]["balance"] = balance_congestion(inputs, loc, battery_fleet(inputs, case_net))  # type: ignore[index]
        relief = relieve(inputs, result.signal, net=case_net, loading_limit_pct=loading_limit)
        ac = relief.to_dict()
        for name, figures in ac.pop("feeders").items():  # type: ignore[union-attr]
            out["locational"]["feeders"].setdefault(name, {}).update(figures)  # type: ignore[index,union-attr]
        out["locational"]["ac"] = ac  # type: ignore[index]
        if study_case is not None:
            out["study_case"] = study_case
        if locational_png is not None:
            from gridcore.market.plot import plot_relief

            worst = relief.most_congested()
            if worst is None:
                raise InputError(
                    "--locational-png: no constraint in these hours, nothing to draw",
                    field="--locational-png",
                )
            feeder, quantity, limit = worst
            out["locational_png"] = plot_relief(
                relief,
                feeder,
                locational_png,
                quantity,
                limit,
                f"{inputs.grid.code}: {feeder}, {len(inputs.times)} h from {inputs.times[0]:%Y-%m-%d %H:%M}Z",
            )
        feeders, price = relief.feeders, relief.feeder_price_per_kwh
    out["written"] = write_prices(
        root,
        inputs.times,
        price,
        result.signal.peak_hours,
        result.response.system_before_mw,
        result.response.system_after_mw,
        {"scheme": result.signal.scheme, "grid": inputs.grid.code, "source": inputs.source, "model": model},
        feeders=feeders,
    )
    out["command_seconds"] = round(time.perf_counter() - t0, 3)
    _emit(out, as_json, f"gridflow market price ({result.signal.scheme})")


@market_app.command("whatif")
def market_whatif(
    scheme: SchemeOpt = "cpp",
    peak_price: PeakPriceOpt = None,
    at: AtOpt = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Hours simulated [h].", min=1, max=8784)] = 168,
    model: ModelOpt = "saturating",
    out_png: Annotated[
        Path | None,
        typer.Option("--out", help="PNG of demand before/after with the price (default: in the store)."),
    ] = None,
    store: StoreOpt = None,
    grid: GridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate consumer response to a pricing scheme and print its effectiveness metrics, with a plot."""
    t0 = time.perf_counter()
    from gridcore.market.plot import plot_whatif
    from gridcore.market.whatif import whatif

    _check_choices(scheme, model, peak_price)
    inputs, root = _inputs(at, horizon, grid, store)
    kwargs: dict[str, object] = {}
    if peak_price is not None:
        kwargs["peak_price_per_kwh"] = peak_price
    result = whatif(inputs, scheme, model, **kwargs)
    out = result.to_dict()
    out["at"] = f"{inputs.times[0]:%Y-%m-%dT%H:%MZ}"
    out.update(_floored(at))
    r = result.response
    png = out_png or Path(root) / "market" / "plots" / f"whatif-{scheme}-{inputs.times[0]:%Y%m%dT%H%MZ}.png"
    m = result.metrics
    out["png"] = plot_whatif(
        inputs.times,
        r.system_before_mw,
        r.system_after_mw,
        result.signal.price_per_kwh,
        png,
        f"{scheme.upper()} what-if on {inputs.grid.code} from {inputs.times[0]:%Y-%m-%d %H:%M}Z: "
        f"peak-hour load -{m['peak_reduction_pct']} %, rebound peak {m['rebound_peak_mw']} MW",
        result.signal.peak_hours,
    )
    out["command_seconds"] = round(time.perf_counter() - t0, 3)
    _emit(out, as_json, f"gridflow market whatif ({scheme})")


@market_app.command("evaluate")
def market_evaluate(
    summer: Annotated[str, typer.Option("--summer", help="Summer month, YYYY-MM.")] = "2016-07",
    winter: Annotated[str, typer.Option("--winter", help="Winter month, YYYY-MM.")] = "2016-01",
    target_peak_reduction: Annotated[
        float,
        typer.Option(
            "--target-peak-reduction", help="Target of the optimized signal [%].", min=0.1, max=90.0
        ),
    ] = 10.0,
    model: ModelOpt = "saturating",
    store: StoreOpt = None,
    grid: GridOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare flat, TOU, CPP, RTP and the optimized signal side by side over a summer and a winter month."""
    t0 = time.perf_counter()
    from gridcore.market.evaluate import evaluate_months
    from gridcore.network.grid_spec import grid_model

    _check_choices(None, model, None)

    grid_of = grid_model(grid)
    table = evaluate_months(grid_of, {"summer": summer, "winter": winter}, target_peak_reduction, model)
    out: dict[str, object] = {
        "grid": grid_of.code if grid else table.attrs.get("grid"),
        "target_peak_reduction_pct": target_peak_reduction,
        "model": model,
        "months": table.attrs.get("months"),
        "source": table.attrs.get("source"),
        "strategies": table.astype(object).where(table.notna(), None).to_dict(orient="records"),
        "command_seconds": round(time.perf_counter() - t0, 3),
    }
    if not as_json:
        from rich.console import Console
        from rich.table import Table

        cols = [
            "season",
            "scheme",
            "peak_reduction_pct",
            "net_peak_reduction_pct",
            "peak_to_average",
            "bill_impact_pct",
            "renewable_absorbed_mwh",
        ]
        t = Table(title="gridflow market evaluate")
        for c in cols:
            t.add_column(c)
        for row in out["strategies"]:  # type: ignore[union-attr]
            t.add_row(*(str(row[c]) for c in cols))
        Console().print(t)
        return
    _emit(out, True, "")
