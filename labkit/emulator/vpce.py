"""Gateway VPC endpoints as AWS runs them, where moto stops half-way (moto-notes item 8).

moto creates a gateway endpoint and its prefix-list route, but then:

1. ``ModifyVpcEndpoint`` ``AddRouteTableIds``/``RemoveRouteTableIds`` only edit the
   endpoint's list: no route is added, and the removed table keeps its route. On AWS the
   endpoint's route (destination the service's prefix list, target ``vpce-…``) appears in
   each added table and disappears from each removed one; the route-table APIs cannot edit
   it, and it goes when the association or the endpoint goes.
   https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html
   Fixed by patching moto's ``modify_vpc_endpoint``; every table is checked before any
   route changes, so a bad id (``InvalidRouteTableID.NotFound``) changes nothing.
2. ``DeleteVpcEndpoints`` fails with ``InvalidRoute.NotFound`` when a listed table lacks the
   route (what 1 leaves behind). Deleting removes the routes that exist.
3. ``ResetPolicy=True`` is ignored, so a Deny policy stays. On AWS it resets the policy
   document to the default policy, which allows full access to the service.
   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcEndpoint.html
   A front-layer handler resets it, to moto's default document. With a PolicyDocument in
   the same request the document wins (AWS does not document the combination; our choice).
4. Any service name is accepted. AWS answers ``InvalidServiceName: The Vpc Endpoint Service
   'NAME' does not exist``. A front-layer handler checks Gateway endpoints: AWS offers them
   for S3 and DynamoDB only, named ``com.amazonaws.<region>.s3`` / ``.dynamodb``
   (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html). Interface
   endpoint names are left to moto (our choice: the labs make none).
5. ``DescribePrefixLists`` omits ``Cidrs``; AWS's answer lists them
   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_PrefixList.html). The prefix
   list model gets a ``cidrs`` attribute: its latest entries, which moto renders.

moto's S3 prefix list and its ranges (52.216.0.0/15, 3.5.0.0/19, 54.231.0.0/16 in
us-east-1, a subset of AWS's) are kept; its id is random, as on AWS it differs per Region.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from moto.ec2.models.managed_prefixes import ManagedPrefixList
from moto.ec2.models.vpcs import VPCBackend, VPCEndPoint

from labkit.emulator.front import AwsError, AwsRequest, backend

GATEWAY_SERVICES = ("s3", "dynamodb")  # AWS offers gateway endpoints for these two only
_PATCHED = "_labkit_vpce_patched"


def _is_gateway(vpce: Any) -> bool:
    return str(vpce.vpc_endpoint_type or "Gateway").lower() == "gateway"


def _has_route(backend_: Any, rtb_id: str, prefix_list_id: str) -> bool:
    table = backend_.route_tables.get(rtb_id)
    return table is not None and any(
        getattr(r, "destination_prefix_list_id", None) == prefix_list_id
        for r in table._routes.values()
    )


def _sync_routes(backend_: Any, vpce: Any, add: list[str], remove: list[str]) -> None:
    """Add the endpoint's prefix-list route to ``add`` tables and drop it from ``remove``."""
    pl = vpce.destination_prefix_list_id
    if not pl or not _is_gateway(vpce):
        return
    for rtb_id in [*add, *remove]:
        backend_.get_route_table(rtb_id)  # InvalidRouteTableID.NotFound before any change
    for rtb_id in add:
        if rtb_id not in vpce.route_table_ids and not _has_route(backend_, rtb_id, pl):
            backend_.create_route(rtb_id, None, gateway_id=vpce.id, destination_prefix_list_id=pl)
    for rtb_id in remove:
        if rtb_id in vpce.route_table_ids and _has_route(backend_, rtb_id, pl):
            backend_.delete_route(rtb_id, None, destination_prefix_list_id=pl)


def _cidrs(self: ManagedPrefixList) -> list[str]:
    if not self.entries:
        return []
    latest = self.entries[max(self.entries)]
    return [e["Cidr"] for e in latest or [] if e.get("Cidr")]


def install() -> None:
    """Patch moto's endpoint and prefix-list models (idempotent)."""
    if getattr(VPCBackend, _PATCHED, False):
        return
    modify = VPCBackend.modify_vpc_endpoint
    delete = VPCBackend.delete_vpc_endpoints
    signature = inspect.signature(modify)

    def modify_vpc_endpoint(self: Any, vpc_id: str, policy_doc: str, *args: Any, **kw: Any) -> Any:
        vpce = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        given = signature.bind(self, vpc_id, policy_doc, *args, **kw).arguments
        add = given.get("add_route_tables") or []
        remove = given.get("remove_route_tables") or []
        _sync_routes(self, vpce, list(add), list(remove))
        return modify(self, vpc_id, policy_doc, *args, **kw)

    def delete_vpc_endpoints(self: Any, vpce_ids: list[str] | None = None) -> Any:
        for vpce_id in vpce_ids or []:
            vpce = self.vpc_end_points.get(vpce_id)
            if vpce is not None and _is_gateway(vpce) and vpce.state != "deleted":
                _sync_routes(self, vpce, [], list(vpce.route_table_ids))
                vpce.route_table_ids = []
        return delete(self, vpce_ids)

    VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint  # type: ignore[method-assign]
    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints  # type: ignore[method-assign]
    ManagedPrefixList.cidrs = property(_cidrs)  # type: ignore[attr-defined]
    setattr(VPCBackend, _PATCHED, True)


def check_service_name(req: AwsRequest) -> dict[str, Any] | None:
    """Refuse a Gateway endpoint for a service that has none, with AWS's InvalidServiceName."""
    kind = str(req.params.get("VpcEndpointType") or "Gateway").lower()
    name = str(req.params.get("ServiceName", ""))
    if kind != "gateway":
        return None
    known = {f"com.amazonaws.{req.region}.{service}" for service in GATEWAY_SERVICES}
    if name not in known:
        raise AwsError("InvalidServiceName", f"The Vpc Endpoint Service '{name}' does not exist")
    return None


def reset_policy(req: AwsRequest) -> dict[str, Any] | None:
    """``ResetPolicy=true``: restore the default full-access policy; moto does the rest."""
    if str(req.params.get("ResetPolicy", "")).lower() != "true":
        return None
    ec2 = backend("ec2", req.account_id, req.region)
    vpce = ec2.vpc_end_points.get(str(req.params.get("VpcEndpointId", "")))
    if vpce is not None and not req.params.get("PolicyDocument"):
        vpce.policy_document = json.dumps(VPCEndPoint.DEFAULT_POLICY)
    return None  # moto answers (and raises InvalidVpcEndpointId.NotFound for a bad id)
