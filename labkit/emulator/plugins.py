"""The front-layer handler modules the emulator loads; importing one registers its handlers."""

import labkit.emulator.awscli  # noqa: F401  (aws in the instance shell)
import labkit.emulator.credentials  # noqa: F401  (instance-role credentials URL)
import labkit.emulator.ec2rules  # noqa: F401
import labkit.emulator.flows  # noqa: F401
import labkit.emulator.iampolicies  # noqa: F401
import labkit.emulator.instancefs  # noqa: F401  (rm, sudo; the instance filesystem)
import labkit.emulator.logsquery  # noqa: F401
import labkit.emulator.s3auth  # noqa: F401  (S3 authorization before moto)
import labkit.emulator.shell  # noqa: F401
