// FlowNN: modules, parameters, optimizers, safetensors I/O (ARCHITECTURE.md).
@_exported import FlowTensor
