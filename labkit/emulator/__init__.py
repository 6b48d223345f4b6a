"""The labkit emulator: moto's control plane behind a front layer that adds a data plane.

Client side (importable anywhere): :mod:`~labkit.emulator.control` (start, stop, find) and
:mod:`~labkit.emulator.client` (labkit's own hooks). Everything else is the server, imported
only by the emulator process (:mod:`~labkit.emulator.server`), which registers its handlers
through :func:`labkit.emulator.handlers.register_all`; an import-linter contract says so.
"""
