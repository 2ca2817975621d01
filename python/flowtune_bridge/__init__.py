"""FlowTune's simulator bridge: worker processes that host gymnasium environments for the Swift
trainer and speak the binary protocol described in PROTOCOL.md."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 3
