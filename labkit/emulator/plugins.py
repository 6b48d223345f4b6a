"""The front-layer handler modules the emulator loads; importing one registers its handlers."""

import labkit.emulator.ec2  # noqa: F401
import labkit.emulator.flows  # noqa: F401
import labkit.emulator.iam  # noqa: F401
import labkit.emulator.logs  # noqa: F401
import labkit.emulator.shell.ssm  # noqa: F401
import labkit.emulator.vpce  # noqa: F401
