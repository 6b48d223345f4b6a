"""The labkit emulator: moto's control plane behind a front layer that adds a data plane."""
