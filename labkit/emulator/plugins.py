"""The front-layer handler modules the emulator loads; importing one registers its handlers."""

