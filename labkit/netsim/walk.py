"""The stage walkers behind :func:`labkit.netsim.reach.trace` (the stages are listed there).

A :class:`Walk` follows one request and its reply. Each stage method appends the component
it crossed to ``forward`` or ``back`` and either passes or calls :meth:`Walk.fail`, which
records the stage, the blocker and one sentence; the walk stops at the first failure.
The request leaves its source (:meth:`Walk.leave_internet`, :meth:`Walk.leave_instance`),
crosses routing (:mod:`.routing`), and arrives at a service or the internet
(:meth:`Walk.at_service`) or at an instance (:meth:`Walk.at_instance`), whose reply then
travels home (:meth:`Walk.reply_home`).
"""

from __future__ import annotations

from labkit.netsim import codes
from labkit.netsim.endpoints import Endpoint
from labkit.netsim.filters import Packet, acl_decision, sg_allowing
from labkit.netsim.model import PROTOCOL_NAMES, NetworkInterface, SecurityGroup, Topology
from labkit.netsim.routing import Arrival, NoPath, from_internet, route, who
from labkit.netsim.verdict import REPLY_ACL_STAGES, Blocked, Delivered, Stage


def describe(packet: Packet, reply: bool = False) -> str:
    """A learner's words for a packet: "ICMP echo", "TCP port 22", …"""
    if packet.protocol == 1:
        return "ICMP echo replies" if reply else "ICMP echo requests"
    name = PROTOCOL_NAMES.get(packet.protocol, f"protocol {packet.protocol}")
    if reply:
        return f"{name} replies to port {packet.port} (the client's ephemeral port)"
    return f"{name} port {packet.port}"


def groups_of(topo: Topology, eni: NetworkInterface) -> list[SecurityGroup]:
    """The security groups of an ENI that the topology knows."""
    return [
        g for g in (topo.get(i) for i in eni.security_group_ids) if isinstance(g, SecurityGroup)
    ]


class Walk:
    """One request and its reply through the stages; stops at the first failure."""

    def __init__(self, topo: Topology, source: Endpoint, request: Packet, reply: Packet) -> None:
        self.topo, self.source, self.request, self.reply = topo, source, request, reply
        self.forward: list[str] = []
        self.back: list[str] = []
        self.stage: Stage | None = None
        self.blocked: Blocked | None = None
        self.explanation = ""
        self.src_groups: list[SecurityGroup] = []  # the source group that allowed the request

    def fail(self, stage: Stage, component: str, code: str, explanation: str) -> None:
        """Record where and why the traffic is dropped."""
        self.stage, self.blocked, self.explanation = stage, Blocked(component, code), explanation

    def run(self, address: str, named: Endpoint | None) -> Delivered | None:
        """Walk every stage to ``address``; the delivery, or None if the request is dropped."""
        left: Arrival | NoPath | Delivered | None
        if self.source.eni is None:
            left = self.leave_internet(address, named)
        else:
            left = self.leave_instance(self.source.eni, address)
        if left is None or isinstance(left, Delivered):
            return left
        if isinstance(left, NoPath):
            for hop in (*left.hops, left.component):
                if hop not in self.forward:
                    self.forward.append(hop)
            self.fail(Stage.FORWARD_ROUTE, left.component, left.code, left.explanation)
            return None
        self.forward.extend(left.hops)
        if left.eni is None:
            return self.at_service(left, named)
        return self.at_instance(left, left.eni)

    # -- leaving the source (stages 1-4) ----------------------------------------------------

    def leave_internet(self, address: str, named: Endpoint | None) -> Arrival | NoPath | None:
        """Inbound traffic from an internet address to ``address``."""
        self.forward.append(self.source.address)
        if named is not None and not address:
            component = named.eni.id if named.eni else named.label
            self.forward.append(component)
            self.fail(
                Stage.FORWARD_ROUTE,
                component,
                codes.NO_PUBLIC_IP,
                f"{named.eni.id if named.eni else ''} of {named.label} has no public IPv4 address, "
                "so it cannot be reached from the internet; launch it with a public IP or attach "
                "an Elastic IP",
            )
            return None
        return from_internet(self.topo, self.source.address, address)

    def leave_instance(
        self, eni: NetworkInterface, address: str
    ) -> Arrival | NoPath | Delivered | None:
        """Stages 1-3 and the route: the instance runs, its SG and its subnet's ACL let go."""
        source, fwd = self.source, self.forward
        if source.instance is not None:
            fwd.append(source.instance.id)
            if source.instance.state != "running":
                self.fail(
                    Stage.SOURCE,
                    source.instance.id,
                    codes.BAD_STATE,
                    f"{source.label} ({source.instance.id}) is {source.instance.state}; "
                    "start it first",
                )
                return None
        fwd.append(eni.id)
        if address in (eni.private_ip, eni.public_ip):
            self.back.extend(reversed(fwd))
            itself = Endpoint(source.label, address, eni, source.instance)
            return Delivered(itself, "local", address)
        arrival = route(self.topo, eni, address)
        peer_groups: frozenset[str] = frozenset()
        if isinstance(arrival, Arrival) and arrival.kind in ("local", "peering") and arrival.eni:
            peer_groups = frozenset(arrival.eni.security_group_ids)
        groups = groups_of(self.topo, eni)
        sg = sg_allowing(self.topo, groups, True, self.request, address, peer_groups)
        if sg is None:
            blocker = groups[0].id if groups else eni.id
            fwd.append(blocker)
            self.fail(
                Stage.SOURCE_SG,
                blocker,
                codes.ENI_SG_RULES_MISMATCH,
                f"{blocker} on {who(self.topo, eni)} does not allow outbound "
                f"{describe(self.request)} to {address}; add an outbound rule for it",
            )
            return None
        fwd.append(sg.id)
        self.src_groups = [sg]
        same_subnet = (
            isinstance(arrival, Arrival)
            and arrival.eni is not None
            and arrival.eni.subnet_id == eni.subnet_id
        )
        if not same_subnet and not self.acl(
            fwd, eni.subnet_id, True, self.request, address, Stage.SOURCE_ACL
        ):
            return None
        return arrival

    # -- arriving (stages 5-6), and the reply (7-9) -----------------------------------------

    def at_service(self, arrival: Arrival, named: Endpoint | None) -> Delivered:
        """The internet or a gateway endpoint answers; the reply needs the source's ACL."""
        fwd, far = self.forward, arrival.target
        if arrival.kind == "internet":
            fwd.append(far)
        start = fwd.index(arrival.hops[0]) + 1 if arrival.hops else 1  # 1: after the sender
        self.back.extend(reversed(fwd[start:]))
        delivered = Delivered(named or Endpoint(far, far), arrival.kind, arrival.seen_source)
        src_eni = self.source.eni
        if src_eni is None or self.acl(
            self.back, src_eni.subnet_id, False, self.reply, far, Stage.SOURCE_REPLY_ACL
        ):
            self.finish_back()
        return delivered

    def at_instance(self, arrival: Arrival, dst_eni: NetworkInterface) -> Delivered:
        """Stages 5-6: the destination runs, its ACL and security group let the request in."""
        topo, src_eni, seen = self.topo, self.source.eni, arrival.seen_source
        inst = topo.instance_of(dst_eni)
        dest = Endpoint(topo.label(inst) if inst else dst_eni.id, arrival.target, dst_eni, inst)
        delivered = Delivered(dest, arrival.kind, seen)
        if inst is not None and inst.state != "running":
            self.forward.extend([dst_eni.id, inst.id])
            self.fail(
                Stage.DESTINATION,
                inst.id,
                codes.BAD_STATE,
                f"{dest.label} ({inst.id}) is {inst.state}; start it first",
            )
            return delivered
        same_subnet = src_eni is not None and src_eni.subnet_id == dst_eni.subnet_id
        if not same_subnet and not self.acl(
            self.forward, dst_eni.subnet_id, False, self.request, seen, Stage.DESTINATION_ACL
        ):
            return delivered
        private = arrival.kind in ("local", "peering") and src_eni is not None
        peer_groups = frozenset(src_eni.security_group_ids) if private and src_eni else frozenset()
        groups = groups_of(topo, dst_eni)
        sg = sg_allowing(topo, groups, False, self.request, seen, peer_groups)
        if sg is None:
            blocker = groups[0].id if groups else dst_eni.id
            self.forward.append(blocker)
            self.fail(
                Stage.DESTINATION_SG,
                blocker,
                codes.ENI_SG_RULES_MISMATCH,
                f"{blocker} on {who(topo, dst_eni)} does not allow inbound "
                f"{describe(self.request)} from {seen}; add an inbound rule allowing it",
            )
            return delivered
        self.forward.extend([sg.id, dst_eni.id] + ([inst.id] if inst else []))
        self.back.extend(([inst.id] if inst else []) + [dst_eni.id, sg.id])
        self.reply_home(dst_eni, seen, same_subnet)
        return delivered

    def reply_home(self, dst_eni: NetworkInterface, seen: str, same_subnet: bool) -> None:
        """Stages 7-9: the reply leaves the destination's subnet and routes back to the source."""
        src_eni, back = self.source.eni, self.back
        if same_subnet:
            self.finish_back()
            return
        if not self.acl(back, dst_eni.subnet_id, True, self.reply, seen, Stage.REPLY_ACL):
            return
        home = route(self.topo, dst_eni, seen, reply=True)
        if isinstance(home, NoPath):
            back.extend(home.hops)
            if home.component not in back:
                back.append(home.component)
            why = f"for the replies: {home.explanation}"
            self.fail(Stage.RETURN_ROUTE, home.component, home.code, why)
            return
        back.extend(home.hops)
        returned = (
            home.eni.id == src_eni.id
            if (home.eni and src_eni)
            else (home.kind == "internet" and src_eni is None)
        )
        if not returned:
            rtb = home.hops[0]
            self.fail(
                Stage.RETURN_ROUTE,
                rtb,
                codes.CANNOT_ROUTE,
                f"{rtb} sends the replies for {seen} via {home.gateway or 'local'}, which does not "
                f"lead back to {self.source.label}; route {seen} back the way the request came",
            )
            return
        if src_eni is None or self.acl(
            back, src_eni.subnet_id, False, self.reply, home.seen_source, Stage.SOURCE_REPLY_ACL
        ):
            self.finish_back()

    def finish_back(self) -> None:
        """The reply reaches the source: its security group (stateful), ENI and instance."""
        source = self.source
        if source.eni is None:
            self.back.append(source.address)
            return
        self.back.extend([g.id for g in self.src_groups[:1]] + [source.eni.id])
        if source.instance is not None:
            self.back.append(source.instance.id)

    # -- network ACLs -----------------------------------------------------------------------

    def acl(
        self,
        hops: list[str],
        subnet_id: str,
        egress: bool,
        packet: Packet,
        peer: str,
        stage: Stage,
    ) -> bool:
        """Cross a subnet's network ACL (stateless) one way; False (and fail) if it denies."""
        acl = self.topo.acl_for(subnet_id)
        if acl is None:
            return True
        hops.append(acl.id)
        decision = acl_decision(acl, egress, packet, peer)
        if decision.allowed:
            return True
        is_reply = stage in REPLY_ACL_STAGES
        way = "outbound" if egress else "inbound"
        toward = "to" if egress else "from"
        rule = (
            f"rule {decision.rule_number} denies it; "
            f"add an allow rule numbered below {decision.rule_number}"
            if decision.rule_number is not None
            else "no rule allows it; add an allow rule"
        )
        lead = "network ACLs are stateless, so " if is_reply else ""
        self.fail(
            stage,
            acl.id,
            codes.SUBNET_ACL_RESTRICTION,
            f"{lead}{acl.id} on {subnet_id} blocks {way} {describe(packet, is_reply)} {toward} "
            f"{peer}: {rule}",
        )
        return False
