// FlowEnvs: the VectorEnv protocol, built-in tasks, scripted experts, datasets (ARCHITECTURE.md).
enum FlowEnvsModule {}
