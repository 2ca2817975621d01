import ArgumentParser
import FlowDistributed
import FlowRL
import Foundation

/// `flowtune demo`: the whole workflow on a built-in task, with zero arguments.
struct DemoCommand: ParsableCommand {
    /// The demo's settings on top of the defaults: measured on this kind of machine to lift the
    /// 10-demonstration reach-obstacle policy well outside evaluation noise in a few minutes.
    static let preset = [
        "env.id=reach-obstacle", "env.num_envs=64", "demos.count=10",
        "policy.encoder_widths=[128, 128]", "policy.hidden_width=128", "policy.depth=3", "policy.activation=silu",
        "policy.layer_norm=false", "policy.time_embedding_dim=32",
        "sft.steps=2000", "sft.batch_size=128", "sft.lr=1e-3", "sft.held_out_fraction=0", "sft.weight_decay=1e-4",
        "rl.algo=flow-sde", "rl.iterations=300", "rl.rollout_steps=20", "rl.actor_lr=2e-4", "rl.critic_lr=1e-3",
        "rl.kl_target=0.02",
        "eval.episodes=200", "eval.periodic_episodes=100", "run.eval_interval=25", "run.checkpoint_interval=50",
    ]

    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Collect demonstrations, fit a flow policy, fine-tune it with RL, and report — on a built-in task.",
        discussion: """
            With no arguments: 10 scripted-expert demonstrations of reach-obstacle, supervised flow \
            matching, evaluation on 200 fixed episodes, 300 iterations of PPO with Flow-SDE, evaluation \
            again, and an HTML report. Prints the success before and after RL and where the report is. \
            The run directory is runs/demo-<time>/. Any setting can still be changed with --set.

            Preset (applied before your --set values):
              \(preset.joined(separator: " "))

            Examples:
              flowtune demo
              flowtune demo --set env.id=pick-place --set rl.iterations=300
            """)

    @OptionGroup var options: RunOptions

    func run() throws {
        try runAsRank(demo)
    }

    /// The demo as one rank of `world` (docs/distributed.md): `mpirun -np 2 flowtune demo --set
    /// env.num_envs=32` runs the same 64 environments on two processes; rank 0 writes and reports.
    private func demo(_ world: any Communicator) throws {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        var opts = options
        // The preset first, then the default run name, then the user's own --set values.
        opts.overrides = Self.preset + ["run.name=demo-\(formatter.string(from: Date()))"] + options.overrides
        let config = try opts.load()
        let (run, log, scratch) = try openRun(config, overwrite: options.overwrite, command: commandLineText, world: world)
        defer { scratch?.remove() }
        let pipeline = Pipeline(config: config, run: run, log: log, communicator: world)
        let start = Date()
        let demos = try pipeline.demonstrations()
        let sft = try pipeline.supervisedFineTuning(demos)
        let before = try pipeline.evaluate(sft, label: "SFT policy (\(demos.episodeCount) demonstrations)")
        let (trainer, final, interrupted) = try pipeline.reinforcementLearning(from: sft, initialEvaluation: before)
        let after = try final ?? pipeline.evaluate(trainer.policy, label: "after RL (\(trainer.iteration) iterations)")
        guard world.isRoot else { return }
        let reportPath = try ReportWriter(title: "FlowTune demo: \(config.env.id)").write(runDirectories: [run.path], to: run.file("report.html"))
        log.info("report → \(reportPath)")
        print("")
        print("FlowTune demo on \(config.env.id) (\(seconds(since: start)))")
        print("  SFT from \(demos.episodeCount) demonstrations: \(before.summary)")
        print("  after \(trainer.iteration) RL iterations (\(trainer.environmentSteps) env steps): \(after.summary)")
        print("  report: \(reportPath)")
        if interrupted { print("  (interrupted; resume with: flowtune train --resume \(run.path))") }
    }
}
