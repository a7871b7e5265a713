"""Demand forecasting: load files, weather providers, models, calibrated intervals, metrics, backtests."""
