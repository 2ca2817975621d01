// FlowNN: modules, parameters, optimizers, safetensors I/O (docs/architecture.md).
@_exported import FlowTensor
