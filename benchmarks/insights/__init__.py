"""Benchmarks of the Logs Insights engine against hand-written DuckDB SQL and Polars."""
