// Filled by the issue that owns this module (see ARCHITECTURE.md).
enum FlowPolicyModule {}
