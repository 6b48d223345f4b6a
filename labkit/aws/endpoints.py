"""VPC endpoints of the labs: find, create (idempotently) and delete S3 gateway endpoints.

A gateway endpoint puts a route to the service's prefix list (``pl-…``, target ``vpce-…``)
into each route table associated with it; deleting it removes those routes.
https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

# States of an endpoint that is gone or going; such an endpoint blocks nothing.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcEndpoint.html
GONE = frozenset({"deleting", "deleted", "rejected", "failed", "expired"})


def s3_service(region: str) -> str:
    """The service name of S3's gateway endpoint in a Region: ``com.amazonaws.REGION.s3``."""
    return f"com.amazonaws.{region}.s3"


def find_endpoints(lab: AwsContext, vpc_id: str, service: str) -> list[dict[str, Any]]:
    """The live endpoints of ``service`` in a VPC, tagged or not, oldest first."""
    filters = [
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "service-name", "Values": [service]},
    ]
    with lab.call(f"looking up the {service} endpoints of {vpc_id}"):
        pages = lab.ec2.get_paginator("describe_vpc_endpoints").paginate(Filters=filters)
        found = [e for page in pages for e in page["VpcEndpoints"] if e["State"] not in GONE]
    return sorted(found, key=lambda e: str(e.get("CreationTimestamp", "")))


def lab_endpoints(lab: AwsContext) -> list[dict[str, Any]]:
    """Every live endpoint carrying the lab's tag."""
    with lab.call("listing the lab's VPC endpoints"):
        pages = lab.ec2.get_paginator("describe_vpc_endpoints").paginate(Filters=lab.filters())
        return [e for page in pages for e in page["VpcEndpoints"] if e["State"] not in GONE]


def ensure_s3_endpoint(
    lab: AwsContext, vpc_id: str, name: str, route_table_ids: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The VPC's S3 gateway endpoint, created (tagged ``name``) if it has none."""
    service = s3_service(lab.region)
    found = find_endpoints(lab, vpc_id, service)
    if found:
        return found[0]
    with lab.call(f"creating the S3 gateway endpoint of {vpc_id}"):
        return dict(
            lab.ec2.create_vpc_endpoint(
                VpcEndpointType="Gateway",
                VpcId=vpc_id,
                ServiceName=service,
                RouteTableIds=list(route_table_ids),
                TagSpecifications=lab.tag_spec("vpc-endpoint", name),
            )["VpcEndpoint"]
        )


def delete_endpoints(lab: AwsContext, endpoint_ids: list[str]) -> None:
    """Delete endpoints (their routes go with them)."""
    if endpoint_ids:
        with lab.call(f"deleting {', '.join(endpoint_ids)}"):
            lab.ec2.delete_vpc_endpoints(VpcEndpointIds=endpoint_ids)
