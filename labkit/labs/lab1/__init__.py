"""Lab 1: two public VPCs, peering, and VPC Flow Logs (notebooks 01-03)."""
