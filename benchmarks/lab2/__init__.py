"""Benchmark: `aws s3 ls` on a simulated instance over SSM, against the CLI run on the host."""
