"""Why a path is blocked: explanation codes in the spirit of Reachability Analyzer.

AWS's codes are listed at
https://docs.aws.amazon.com/vpc/latest/reachability/explanation-codes.html ; where AWS has a
code with the same meaning we reuse its name, otherwise the name is ours (marked "labkit").
"""

from __future__ import annotations

CANNOT_ROUTE = (
    "CANNOT_ROUTE"  # AWS: no route in the table matches the destination (or the way back)
)
BAD_STATE_ROUTE = "BAD_STATE_ROUTE"  # AWS: the matching route is a blackhole (its target is gone)
BAD_STATE = "BAD_STATE"  # AWS: the component is not working (peering not active, instance stopped)
ENI_SG_RULES_MISMATCH = "ENI_SG_RULES_MISMATCH"  # AWS: no security group rule allows it
SUBNET_ACL_RESTRICTION = "SUBNET_ACL_RESTRICTION"  # AWS: the network ACL denies it
NO_PUBLIC_IP = "NO_PUBLIC_IP"  # labkit: traffic via an internet gateway needs a public IPv4
NO_INTERNET_GATEWAY = "NO_INTERNET_GATEWAY"  # labkit: the VPC of a public IP has no attached IGW
PEERING_NOT_TRANSITIVE = "PEERING_NOT_TRANSITIVE"  # labkit: the address is not in the peer VPC
UNKNOWN_ADDRESS = "UNKNOWN_ADDRESS"  # labkit: no ENI has the address in the VPC it was routed to
UNSUPPORTED_TARGET = (
    "UNSUPPORTED_TARGET"  # labkit: a route target labkit does not simulate (NAT, TGW…)
)

ALL_CODES = (
    CANNOT_ROUTE,
    BAD_STATE_ROUTE,
    BAD_STATE,
    ENI_SG_RULES_MISMATCH,
    SUBNET_ACL_RESTRICTION,
    NO_PUBLIC_IP,
    NO_INTERNET_GATEWAY,
    PEERING_NOT_TRANSITIVE,
    UNKNOWN_ADDRESS,
    UNSUPPORTED_TARGET,
)
