"""What notebook 05 leaves behind, and how to take it back; registered in :mod:`labkit.labs`.

Notebook 05 leaves VPC 1's S3 gateway endpoint on its public subnet's route table (with
the default policy) and no bucket policy (its last step removes it). A later notebook's
setup, or notebook 04's run again, must start without them: through the endpoint,
Instance 1 no longer reaches S3 over the internet, and a leftover bucket policy would deny
this computer the bucket. So the undo removes the bucket policy first, then every S3
endpoint of VPC 1, tagged or not (their routes go with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labkit.aws import endpoints, network, s3

if TYPE_CHECKING:
    from labkit.aws.context import AwsContext

ENDPOINT_NAME = "VPC 1 S3 endpoint"


def stored_policy(lab: AwsContext, bucket: str) -> str | None:
    """The bucket's policy as stored; None if it has none (or there is no bucket yet)."""
    client = lab.s3
    with lab.call(f"reading the policy of {bucket}"):
        try:
            return str(client.get_bucket_policy(Bucket=bucket)["Policy"])
        except client.exceptions.ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("NoSuchBucketPolicy", "NoSuchBucket"):
                return None
            raise


def remove(lab: AwsContext, bucket: str, vpc_id: str) -> list[str]:
    """Delete the bucket's policy, then the VPC's S3 endpoints; what was removed, in order."""
    done = []
    if stored_policy(lab, bucket) is not None:
        with lab.call(f"deleting the policy of {bucket}"):
            lab.s3.delete_bucket_policy(Bucket=bucket)
        done.append(f"the policy of bucket {bucket}")
    found = endpoints.find_endpoints(lab, vpc_id, endpoints.s3_service(lab.region))
    endpoints.delete_endpoints(lab, [e["VpcEndpointId"] for e in found])
    for e in found:
        name = next((t["Value"] for t in e.get("Tags", []) if t["Key"] == "Name"), "")
        done.append(f"VPC endpoint {name} ({e['VpcEndpointId']})" if name
                    else f"VPC endpoint {e['VpcEndpointId']}")  # fmt: skip
    return done


def undo_lab3(lab: AwsContext, _lab1: Any = None) -> list[str]:
    """Undo notebook 05 (nothing to do before notebook 01 has built VPC 1)."""
    vpc = network.find_vpc(lab, "VPC 1")
    return remove(lab, s3.bucket_name(lab), vpc["VpcId"]) if vpc else []


def build_lab3(lab: AwsContext, _lab1: Any = None) -> None:
    """What notebook 05 leaves: VPC 1's S3 endpoint on its public subnet's route table."""
    vpc = network.find_vpc(lab, "VPC 1")
    if vpc is None:
        return
    with lab.call("reading VPC 1's subnet"):
        subnets = lab.ec2.describe_subnets(Filters=lab.filters("VPC 1 public subnet"))["Subnets"]
    if not subnets:
        return
    table = network.route_table_for(lab, vpc["VpcId"], subnets[0]["SubnetId"])["RouteTableId"]
    endpoint = endpoints.ensure_s3_endpoint(lab, vpc["VpcId"], ENDPOINT_NAME, (table,))
    if table not in endpoint.get("RouteTableIds", []):
        with lab.call("associating VPC 1's route table with its S3 endpoint"):
            lab.ec2.modify_vpc_endpoint(
                VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=[table]
            )
