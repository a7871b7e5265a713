"""Day-ahead LightGBM load forecasting prototype on GEFCom2014-E (scratch).

Honest rolling-origin protocol:
  * origins once a day at 00:00 UTC, forecast the 24 hours [o, o+23h] (lead h = 1..24).
  * one direct model with lead-time as a feature; every load-derived feature of target t
    (origin o = floor_day_utc(t)) only uses load strictly before o (lags >= 24 h or values
    at/before o-1h).  Temperature: observed (ex-post) values at hours <= t only.
  * weekly refit: the model used for origins o_k..o_k+6d is fitted on targets < o_k
    (and therefore on features that only use data < o_k).
  * conformal 80 % bands from relative errors of out-of-sample forecasts of origins
    strictly before the test origin (whose targets are all < the test origin).

Run:  cd /work/main && uv run python bench/proto_forecast/experiment.py [--quick] [--no365]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

DATA = Path(__file__).resolve().parents[2] / "data" / "gefcom2014e.csv.gz"
TZ = "America/New_York"
H = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------- data
def load_data() -> pd.DataFrame:
    d = pd.read_csv(DATA)
    d["timestamp"] = pd.to_datetime(d["timestamp"], utc=True)
    d = d.set_index("timestamp").sort_index()
    full = pd.date_range(d.index[0], d.index[-1], freq="h", tz="UTC")
    d = d.reindex(full)
    d["temperature_c"] = d["temperature_c"].interpolate(limit_direction="both")
    return d


def build_features(d: pd.DataFrame) -> pd.DataFrame:
    """Every row is a target hour t with its (unique) daily origin o = t.floor('D') UTC."""
    idx = d.index
    y = d["load_mw"]
    yf = y.ffill()  # ffill only (never uses future values) for lag features
    T = d["temperature_c"]
    f = pd.DataFrame(index=idx)
    f["y"] = y

    # ---- lead / origin
    f["lead"] = idx.hour + 1  # lead 1 == origin hour 00:00 UTC
    origin = idx.floor("D")
    o_m1 = origin - H  # last hour available at origin

    # ---- calendar in local time
    loc = idx.tz_convert(TZ)
    f["hour"] = loc.hour
    f["dow"] = loc.dayofweek
    f["doy"] = loc.dayofyear
    f["month"] = loc.month
    f["weekend"] = (loc.dayofweek >= 5).astype(int)
    ldate = loc.tz_localize(None).normalize()
    hol = USFederalHolidayCalendar().holidays(start="2003-01-01", end="2016-12-31")
    f["holiday"] = ldate.isin(hol).astype(int)
    # "bridge"/special days: Fri after Thanksgiving, Dec 24, Dec 26, Dec 31
    thanks = hol[(hol.month == 11) & (hol.day >= 22)]
    special = set(thanks + pd.Timedelta(days=1))
    for yr in range(2003, 2017):
        for md in ((12, 24), (12, 26), (12, 31)):
            special.add(pd.Timestamp(yr, *md))
    f["special"] = ldate.isin(list(special)).astype(int)
    f["offday"] = ((f["holiday"] + f["special"] + f["weekend"]) > 0).astype(int)
    f["offday_l24"] = f["offday"].shift(24)
    f["offday_l168"] = f["offday"].shift(168)

    # ---- temperature (observed, <= t)
    f["temp"] = T
    for L in (1, 2, 3, 24):
        f[f"temp_l{L}"] = T.shift(L)
    f["temp_r6"] = T.rolling(6).mean()
    f["temp_r24"] = T.rolling(24).mean()
    f["temp_ewm12"] = T.ewm(halflife=12).mean()
    f["temp_ewm48"] = T.ewm(halflife=48).mean()
    f["temp_max24"] = T.rolling(24).max()
    f["temp_min24"] = T.rolling(24).min()
    f["hdh"] = (18 - T).clip(lower=0)
    f["cdh"] = (T - 18).clip(lower=0)
    f["hdh_r24"] = f["hdh"].rolling(24).mean()
    f["cdh_r24"] = f["cdh"].rolling(24).mean()

    # ---- load lags (all >= 24 h, or <= origin-1h)
    for L in (24, 48, 72, 168, 336):
        f[f"lag{L}"] = yf.shift(L)
    f["same_hour_mean7"] = sum(yf.shift(24 * k) for k in range(1, 8)) / 7
    roll24 = yf.rolling(24).mean()
    roll168 = yf.rolling(168).mean()
    f["last24_mean"] = roll24.reindex(o_m1).to_numpy()
    f["last168_mean"] = roll168.reindex(o_m1).to_numpy()
    f["last_obs"] = yf.reindex(o_m1).to_numpy()
    f["prev_day_max"] = yf.rolling(24).max().reindex(o_m1).to_numpy()
    f["prev_day_min"] = yf.rolling(24).min().reindex(o_m1).to_numpy()
    # temperature at the same time yesterday / last week, to "explain" the lag
    f["temp_l168"] = T.shift(168)
    f["dtemp24"] = T - f["temp_l24"]
    f["dtemp168"] = T - f["temp_l168"]
    # trend proxy: last 24h mean relative to last week's mean
    f["trend_24_168"] = f["last24_mean"] / f["last168_mean"]
    return f


CAL = ["hour", "dow", "doy", "weekend", "holiday"]
CAL_X = CAL + ["special", "offday_l24", "offday_l168", "lead"]
TEMP = ["temp", "temp_l1", "temp_l2", "temp_l3", "temp_l24", "temp_r24", "hdh", "cdh"]
TEMP_X = TEMP + [
    "temp_r6",
    "temp_ewm12",
    "temp_ewm48",
    "temp_max24",
    "temp_min24",
    "hdh_r24",
    "cdh_r24",
    "temp_l168",
    "dtemp24",
    "dtemp168",
]
LOAD = ["lag24", "lag48", "lag168", "same_hour_mean7", "last24_mean"]
LOAD_X = LOAD + [
    "lag72",
    "lag336",
    "last168_mean",
    "last_obs",
    "prev_day_max",
    "prev_day_min",
    "trend_24_168",
]
LOAD_COLS = set(LOAD_X)

FEATURE_SETS = {
    "A_cal_temp": CAL + ["lead"] + TEMP,
    "B_basic": CAL + ["lead"] + TEMP + LOAD,
    "C_ext": CAL_X + TEMP_X + LOAD_X,
}

PARAMS = dict(
    n_estimators=500,
    num_leaves=31,
    learning_rate=0.05,
    min_child_samples=20,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    reg_lambda=1.0,
    max_bin=63,
    force_col_wise=True,
    verbose=-1,
    n_jobs=1,
)
# n_jobs=1: on the shared 2-core box n_jobs=2 was ~9x SLOWER (OpenMP contention with other
# processes: 40 s vs 4.6 s per fit); override with --n-jobs.


# --------------------------------------------------------------------------- model
def design(f: pd.DataFrame, feats: list[str], base: str | None) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Return X, target, base. With a base the target is y/base and load features are
    expressed relative to the base (the base level itself is kept as a feature)."""
    X = f[feats].copy()
    if base is None:
        return X, f["y"], pd.Series(1.0, index=f.index)
    b = f[base]
    for c in feats:
        if c in LOAD_COLS and c not in ("trend_24_168", base):
            X[c] = f[c] / b
    if base not in X:
        X[base] = b
    return X, f["y"] / b, b


def backtest(f, feats, base, origins, train_days, refit_days=7, params=PARAMS):
    """Rolling-origin backtest. Returns DataFrame (t, origin, lead, y, yhat)."""
    X, z, b = design(f, feats, base)
    origins = pd.DatetimeIndex(origins)
    out = []
    ntr = []
    for i in range(0, len(origins), refit_days):
        blk = origins[i : i + refit_days]
        o0 = blk[0]
        tr = (f.index < o0) & (f.index >= o0 - pd.Timedelta(days=train_days)) & z.notna().to_numpy()
        m = lgb.LGBMRegressor(**params)
        m.fit(X[tr], z[tr])
        ntr.append(int(tr.sum()))
        te = (f.index >= blk[0]) & (f.index < blk[-1] + DAY)
        pred = m.predict(X[te]) * b[te].to_numpy()
        out.append(
            pd.DataFrame(
                {
                    "y": f["y"][te].to_numpy(),
                    "yhat": pred,
                    "naive": f["lag168"][te].to_numpy(),
                    "lead": f["lead"][te].to_numpy(),
                    "origin": f.index[te].floor("D"),
                },
                index=f.index[te],
            )
        )
    res = pd.concat(out)
    res.attrs["model"] = m
    res.attrs["ntrain"] = ntr
    return res


def metrics(r: pd.DataFrame) -> dict:
    r = r.dropna(subset=["y"])
    e = r["y"] - r["yhat"]
    return dict(
        mape=100 * np.mean(np.abs(e / r["y"])),
        rmse=float(np.sqrt(np.mean(e**2))),
        naive_mape=100 * np.mean(np.abs((r["y"] - r["naive"]) / r["y"])),
        n=len(r),
    )


# --------------------------------------------------------------------------- intervals
def conformal(r: pd.DataFrame, test_origins, window_days=56, lead_pool=0, alpha=0.2):
    """Split-conformal (rolling) 80 % band from relative errors y/yhat - 1 of OOS
    forecasts of origins in [o - window, o - 1 day] (all those targets are < o).
    lead_pool: pool leads within +-lead_pool (None = pool all leads)."""
    rel = (r["y"] / r["yhat"] - 1).rename("rel")
    tab = pd.DataFrame({"rel": rel, "lead": r["lead"], "origin": r["origin"]}).dropna()
    lo = np.full(len(r), np.nan)
    hi = np.full(len(r), np.nan)
    for o in test_origins:
        cal = tab[(tab["origin"] >= o - pd.Timedelta(days=window_days)) & (tab["origin"] < o)]
        rows = np.where(r["origin"].to_numpy() == o)[0]
        for j in rows:
            L = r["lead"].iat[j]
            c = cal["rel"] if lead_pool is None else cal.loc[(cal["lead"] - L).abs() <= lead_pool, "rel"]
            ql, qh = np.quantile(c, [alpha / 2, 1 - alpha / 2])
            lo[j] = r["yhat"].iat[j] * (1 + ql)
            hi[j] = r["yhat"].iat[j] * (1 + qh)
    return lo, hi


def aci(r: pd.DataFrame, test_origins, window_days=56, lead_pool=1, alpha=0.2, gamma=0.01):
    """Adaptive conformal inference (Gibbs & Candes 2021), updated once per origin with
    the coverage of that origin's 24 hours (known before the next 00:00 UTC origin)."""
    rel = r["y"] / r["yhat"] - 1
    tab = pd.DataFrame({"rel": rel, "lead": r["lead"], "origin": r["origin"]}).dropna()
    lo = np.full(len(r), np.nan)
    hi = np.full(len(r), np.nan)
    a = alpha
    for o in test_origins:
        cal = tab[(tab["origin"] >= o - pd.Timedelta(days=window_days)) & (tab["origin"] < o)]
        rows = np.where(r["origin"].to_numpy() == o)[0]
        aa = float(np.clip(a, 0.01, 0.99))
        miss = []
        for j in rows:
            L = r["lead"].iat[j]
            c = cal.loc[(cal["lead"] - L).abs() <= lead_pool, "rel"]
            ql, qh = np.quantile(c, [aa / 2, 1 - aa / 2])
            lo[j] = r["yhat"].iat[j] * (1 + ql)
            hi[j] = r["yhat"].iat[j] * (1 + qh)
            y = r["y"].iat[j]
            if not np.isnan(y):
                miss.append(float(not (lo[j] <= y <= hi[j])))
        if miss:  # all 24 targets of origin o are observed before origin o + 1 day
            a = a + gamma * 24 * (alpha - np.mean(miss))
    return lo, hi


def interval_stats(r, lo, hi):
    m = r["y"].notna().to_numpy() & ~np.isnan(lo)
    y = r["y"].to_numpy()[m]
    return dict(
        coverage=100 * np.mean((y >= lo[m]) & (y <= hi[m])),
        width_mw=float(np.mean(hi[m] - lo[m])),
        width_pct=100 * float(np.mean((hi[m] - lo[m]) / r["yhat"].to_numpy()[m])),
    )


# --------------------------------------------------------------------------- main
def origins_last(d: pd.DataFrame, ndays: int) -> pd.DatetimeIndex:
    last_full = (d.index[-1] - 23 * H).floor("D")  # last origin whose 24 h are all in file
    if last_full + 23 * H > d.index[-1]:
        last_full -= DAY
    return pd.date_range(end=last_full, periods=ndays, freq="D")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the final config")
    ap.add_argument("--no365", action="store_true")
    ap.add_argument("--n-jobs", type=int, default=1)
    args = ap.parse_args()
    PARAMS["n_jobs"] = args.n_jobs

    t0 = time.time()
    d = load_data()
    f = build_features(d)
    print(f"features built in {time.time() - t0:.1f}s; rows={len(f)}")
    test = origins_last(d, 56)
    CAL_DAYS = 56
    print(f"test origins: {test[0]} .. {test[-1]} (56); target hours to {test[-1] + 23 * H}")
    # backtest covers calibration origins before the test period as well (all OOS)
    bt_origins = pd.date_range(test[0] - pd.Timedelta(days=CAL_DAYS), test[-1], freq="D")

    rows = []
    configs = []
    if not args.quick:
        for fs in FEATURE_SETS:
            configs.append((fs, None, 1461))
        for base in ("lag168", "lag24", "last24_mean", "last168_mean", "same_hour_mean7"):
            configs.append(("C_ext", base, 1461))
        for days in (730, 2191):
            configs.append(("C_ext", "last24_mean", days))
    best_cfg = ("C_ext", "last168_mean", 1461)  # best at 4y window; 6y slightly better but ~2x slower
    if args.quick:
        configs.append(best_cfg)

    results = {}
    for fs, base, days in configs:
        t1 = time.time()
        r = backtest(f, FEATURE_SETS[fs], base, bt_origins, days)
        rt = r[r["origin"] >= test[0]]
        mt = metrics(rt)
        results[(fs, base, days)] = r
        rows.append(
            dict(
                features=fs,
                target=f"y/{base}" if base else "y",
                train_days=days,
                **{k: round(v, 3) if isinstance(v, float) else v for k, v in mt.items()},
                secs=round(time.time() - t1, 1),
            )
        )
        print(rows[-1], flush=True)
    tab = pd.DataFrame(rows)
    print("\n=== 56-day test (origins %s..%s), weekly refit ===" % (test[0].date(), test[-1].date()))
    print(tab.to_string(index=False))

    best = min(results, key=lambda k: metrics(results[k][results[k]["origin"] >= test[0]])["mape"])
    print(f"\nbest config by test MAPE: {best}  (selected on the test period itself -> optimistic)")
    r = results[best]
    print("\n=== 80% intervals on the 56-day test (calibration = OOS forecasts of prior origins) ===")
    irows = []
    rt_mask = (r["origin"] >= test[0]).to_numpy()
    for name, fn in [
        ("per-lead, 56d", lambda: conformal(r, test, 56, 0)),
        ("lead+-1, 56d", lambda: conformal(r, test, 56, 1)),
        ("lead+-2, 56d", lambda: conformal(r, test, 56, 2)),
        ("all leads, 56d", lambda: conformal(r, test, 56, None)),
        ("all leads, 28d", lambda: conformal(r, test, 28, None)),
        ("ACI lead+-1, 56d", lambda: aci(r, test, 56, 1)),
    ]:
        lo, hi = fn()
        st = interval_stats(r[rt_mask], lo[rt_mask], hi[rt_mask])
        irows.append(dict(method=name, **{k: round(v, 2) for k, v in st.items()}))
    print(pd.DataFrame(irows).to_string(index=False))

    if not args.no365:
        print("\n=== 365-origin backtest, best config, weekly refit ===")
        t1 = time.time()
        o365 = origins_last(d, 365)
        bo = pd.date_range(o365[0] - pd.Timedelta(days=CAL_DAYS), o365[-1], freq="D")
        fs, base, days = best
        r3 = backtest(f, FEATURE_SETS[fs], base, bo, days)
        t_bt = time.time() - t1
        m3 = r3["origin"] >= o365[0]
        print(
            {k: round(v, 3) for k, v in metrics(r3[m3]).items()},
            f"backtest {t_bt:.1f}s ({len(bo)} origins incl. {CAL_DAYS} calibration origins)",
        )
        for name, fn in [
            ("lead+-1, 56d", lambda: conformal(r3, o365, 56, 1)),
            ("all leads, 56d", lambda: conformal(r3, o365, 56, None)),
            ("ACI lead+-1, 56d", lambda: aci(r3, o365, 56, 1)),
        ]:
            lo, hi = fn()
            mm = m3.to_numpy()
            print(name, {k: round(v, 2) for k, v in interval_stats(r3[mm], lo[mm], hi[mm]).items()})
        mon = r3[m3].dropna(subset=["y"]).assign(ape=lambda x: 100 * (x.y - x.yhat).abs() / x.y)
        print(
            "monthly MAPE:",
            mon.groupby(mon.index.tz_convert(TZ).strftime("%Y-%m"))["ape"].mean().round(2).to_dict(),
        )
        print(f"365-day total incl. intervals: {time.time() - t1:.1f}s")
    print(f"\ntotal runtime {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
