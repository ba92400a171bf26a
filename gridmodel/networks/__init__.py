"""Regional networks: descriptors, conversion from MATPOWER/pandapower, cached loading."""

from gridmodel.networks.descriptor import (
    NetworkDescriptor,
    Site,
    available_networks,
    load_descriptor,
)
from gridmodel.networks.network import Network, build_network, load_network

__all__ = [
    "Network",
    "NetworkDescriptor",
    "Site",
    "available_networks",
    "build_network",
    "load_descriptor",
    "load_network",
]
