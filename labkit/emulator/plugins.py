"""The front-layer handler modules the emulator loads; importing one registers its handlers."""

import labkit.emulator.ec2rules  # noqa: F401
import labkit.emulator.flows  # noqa: F401
import labkit.emulator.iampolicies  # noqa: F401
import labkit.emulator.logsquery  # noqa: F401
import labkit.emulator.shell  # noqa: F401
import labkit.emulator.vpce  # noqa: F401
