import FlowNN

/// The actor-critic's parameters in the three groups that each have their own AdamW, learning rate
/// and gradient-norm clip (docs/algorithms.md §4.1): the velocity network and encoder (the actor),
/// Flow-Noise's σ network, and the critic(s). Each group is named by the module that owns it.
struct ParameterGroups {
    let actor: Set<String>
    let noise: Set<String>
    let critic: Set<String>

    init(_ model: ActorCritic) {
        noise = model.policy.noiseNetwork.map { model.parameterNames(inside: $0) } ?? []
        actor = model.parameterNames(inside: model.policy).subtracting(noise)
        critic = model.critic.map { model.parameterNames(inside: $0) } ?? []
    }
}
