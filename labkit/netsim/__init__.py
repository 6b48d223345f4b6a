"""The pure network simulator: topology model, discovery, reachability, flow-log records."""

from labkit.netsim.discover import discover
from labkit.netsim.model import Topology
from labkit.netsim.reach import Verdict, reach
from labkit.netsim.records import FlowRecord, LogFormat

__all__ = ["FlowRecord", "LogFormat", "Topology", "Verdict", "discover", "reach"]
