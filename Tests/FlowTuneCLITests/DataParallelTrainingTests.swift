import FlowDistributed
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real `mpirun -np N flowtune train` jobs on this machine (docs/distributed.md). They need a build
/// with MPI (Open MPI's development files at build time) and `mpirun` on the PATH; `./scripts/test`
/// installs both, and without them the tests say so and pass nothing off as tested.
@Suite(.serialized) struct DataParallelTrainingTests {
    /// The built `flowtune` beside the test bundle (`swift build` builds it with the tests).
    static var flowtune: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flowtune").path
    }

    static var mpirun: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether MPI jobs can run here; when not, a message names what is missing.
    static func canRunJobs() -> Bool {
        guard Communicators.mpiAvailable, mpirun != nil, FileManager.default.isExecutableFile(atPath: flowtune) else {
            print("DataParallelTrainingTests: skipped: \(Communicators.mpiAvailable ? "" : "this build has no MPI (install libopenmpi-dev, then rebuild); ")"
                  + "\(mpirun == nil ? "mpirun is not on the PATH; " : "")\(FileManager.default.isExecutableFile(atPath: flowtune) ? "" : "no flowtune at \(flowtune)")")
            return false
        }
        return true
    }

    /// Runs `command` to the end; stdout and stderr go to files in `directory` (a pipe could fill up).
    @discardableResult
    static func run(_ command: [String], in directory: String, label: String) throws -> Int32 {
        let process = try start(command, in: directory, label: label)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts `command` with every signal unblocked and at its default action: the test process
    /// blocks most signals on its threads and ignores SIGINT, and a child would inherit both, so
    /// `mpirun` could not be stopped the way a terminal or a scheduler stops it.
    static func start(_ command: [String], in directory: String, label: String) throws -> Process {
        let process = Process()
        let resetSignals = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
            + "[signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)]; os.execv(sys.argv[1], sys.argv[1:])"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", resetSignals] + command
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        // CI runs as root; Open MPI refuses that unless told it is meant.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        // The ranks' scratch directories land in the test's own directory.
        try FileManager.default.createDirectory(atPath: "\(directory)/tmp", withIntermediateDirectories: true)
        environment["TMPDIR"] = "\(directory)/tmp"
        process.environment = environment
        FileManager.default.createFile(atPath: "\(directory)/\(label).out", contents: nil)
        FileManager.default.createFile(atPath: "\(directory)/\(label).err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "\(directory)/\(label).out")
        process.standardError = FileHandle(forWritingAtPath: "\(directory)/\(label).err")
        try process.run()
        return process
    }

    static func mpi(_ ranks: Int, _ arguments: [String]) -> [String] {
        [mpirun!, "--oversubscribe", "-np", "\(ranks)", flowtune] + arguments
    }

    /// A small SFT policy of reach-obstacle (a few seconds), shared by the tests of one directory.
    static func sftPolicy(in directory: String) throws -> String {
        let status = try run([flowtune, "sft", "--set", "env.id=reach-obstacle", "--set", "sft.steps=200", "--set", "demos.count=8",
                              "--set", "eval.episodes=8", "--set", "run.output_dir=\(directory)/runs", "--name", "sft"],
                             in: directory, label: "sft")
        guard status == 0 else { throw TestFailure("flowtune sft failed: \(readText("\(directory)/sft.err"))") }
        return "\(directory)/runs/sft/sft.safetensors"
    }

    /// (A minibatch of 128 decisions is more than one rank's 4 × 20: the config check counts the job's.)
    static func train(_ name: String, init policy: String, directory: String, envs: Int, iterations: Int = 3,
                      extra: [String] = []) -> [String] {
        ["train", "--init", policy, "--set", "env.id=reach-obstacle", "--set", "env.num_envs=\(envs)",
         "--set", "rl.iterations=\(iterations)", "--set", "rl.rollout_steps=20", "--set", "rl.minibatch_size=128",
         "--set", "eval.episodes=10", "--set", "run.eval_interval=2", "--set", "run.checkpoint_interval=1",
         "--set", "run.output_dir=\(directory)/runs", "--name", name] + extra
    }

    /// metrics.jsonl without the wall-clock columns, one dictionary per line.
    static func metrics(_ run: String) -> [[String: Double]] {
        readText("\(run)/metrics.jsonl").split(separator: "\n").map { line in
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
            return object.compactMapValues { $0 as? Double }.filter { !$0.key.hasSuffix("_seconds") && $0.key != "wall_time" }
        }
    }

    /// A safetensors file's metadata (its JSON header's `__metadata__`).
    static func metadata(_ path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path), data.count > 8 else { return [:] }
        let length = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        guard data.count >= 8 + Int(length) else { return [:] }
        let header = (try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(length))))) as? [String: Any]
        return header?["__metadata__"] as? [String: String] ?? [:]
    }

    static func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    /// Two and three ranks: the same job twice gives the same bits; its first iteration collects
    /// exactly what one process with all the ranks' environments collects (the same seeds and noise
    /// streams per environment); only rank 0 writes a run directory, and the other ranks' scratch
    /// directories are gone afterwards.
    @Test func jobsRepeatBitForBitAndCollectWhatOneProcessWithAllTheirEnvironmentsCollects() throws {
        guard Self.canRunJobs() else { return }
        let dir = try makeTemporaryDirectory("flowtune-mpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try Self.sftPolicy(in: dir)
        for ranks in [2, 3] {
            for repeatIndex in 0..<2 {
                let name = "np\(ranks)-\(repeatIndex)"
                let status = try Self.run(Self.mpi(ranks, Self.train(name, init: policy, directory: dir, envs: 4)), in: dir, label: name)
                #expect(status == 0, "\(name): \(readText("\(dir)/\(name).err"))")
            }
            let (a, b) = ("\(dir)/runs/np\(ranks)-0", "\(dir)/runs/np\(ranks)-1")
            #expect(Self.metrics(a).count == 4 && Self.metrics(a) == Self.metrics(b), "\(ranks) ranks: the two jobs' metrics differ")
            #expect(Self.bytes("\(a)/checkpoints/latest.safetensors") == Self.bytes("\(b)/checkpoints/latest.safetensors"))
            #expect(readText("\(dir)/np\(ranks)-0.out").components(separatedBy: "RL finished").count == 2, "one rank reports")

            let single = "single\(ranks)"
            #expect(try Self.run([Self.flowtune] + Self.train(single, init: policy, directory: dir, envs: 4 * ranks), in: dir, label: single) == 0)
            let (job, one) = (Self.metrics(a)[1], Self.metrics("\(dir)/runs/\(single)")[1])
            for key in ["env_steps", "decisions", "train_episodes", "train_success", "train_return", "train_length", "chain_abs_max", "sigma_mean"] {
                #expect(job[key] != nil && job[key] == one[key], "\(ranks) ranks vs one process, iteration 1's \(key): \(job[key] ?? .nan) vs \(one[key] ?? .nan)")
            }
        }
        #expect(files(in: "\(dir)/tmp", prefix: "flowtune-rank").isEmpty, "scratch directories were left behind")
        #expect(Set(files(in: "\(dir)/runs")) == ["sft", "np2-0", "np2-1", "np3-0", "np3-1", "single2", "single3"])
    }

    /// `mpirun -np 2 flowtune sft`: every rank fits its half of each minibatch and the gradients are
    /// summed, so the job fits what one process fits (the same logged losses and evaluation here, to
    /// the printed digits) and writes one run directory.
    @Test func dataParallelSFTFitsWhatOneProcessFits() throws {
        guard Self.canRunJobs() else { return }
        let dir = try makeTemporaryDirectory("flowtune-mpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arguments = ["sft", "--set", "env.id=reach-obstacle", "--set", "sft.steps=200", "--set", "demos.count=8",
                         "--set", "eval.episodes=20", "--set", "run.output_dir=\(dir)/runs"]
        #expect(try Self.run([Self.flowtune] + arguments + ["--name", "one"], in: dir, label: "one") == 0)
        #expect(try Self.run(Self.mpi(2, arguments + ["--name", "two"]), in: dir, label: "two") == 0, "\(readText("\(dir)/two.err"))")
        func lines(_ label: String) -> [String] {
            readText("\(dir)/\(label).out").split(separator: "\n").map(String.init)
                .filter { $0.contains("SFT step") || $0.contains("SFT policy:") }
                .map { $0.replacingOccurrences(of: "/\(label)/", with: "/") }
        }
        #expect(lines("one").count == 3 && lines("two") == lines("one"), "\(lines("two")) vs \(lines("one"))")
        #expect(Set(files(in: "\(dir)/runs")) == ["one", "two"])
    }

    /// A job resumed from its iteration-1 checkpoint with the same number of ranks ends with the same
    /// metrics and checkpoint as the job that ran through.
    @Test func aResumedJobContinuesBitForBit() throws {
        guard Self.canRunJobs() else { return }
        let dir = try makeTemporaryDirectory("flowtune-mpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try Self.sftPolicy(in: dir)
        #expect(try Self.run(Self.mpi(2, Self.train("through", init: policy, directory: dir, envs: 4)), in: dir, label: "through") == 0)
        let (through, resumed) = ("\(dir)/runs/through", "\(dir)/runs/resumed")
        try FileManager.default.copyItem(atPath: through, toPath: resumed)
        let checkpoints = "\(resumed)/checkpoints"
        try FileManager.default.removeItem(atPath: "\(checkpoints)/latest.safetensors")
        try FileManager.default.copyItem(atPath: "\(checkpoints)/iter-000001.safetensors", toPath: "\(checkpoints)/latest.safetensors")
        let status = try Self.run(Self.mpi(2, ["train", "--resume", resumed]), in: dir, label: "resume")
        #expect(status == 0, "\(readText("\(dir)/resume.err"))")
        #expect(readText("\(dir)/resume.out").contains("resuming from iteration 1"))
        #expect(Self.metrics(resumed) == Self.metrics(through))
        #expect(Self.bytes("\(checkpoints)/latest.safetensors") == Self.bytes("\(through)/checkpoints/latest.safetensors"))
    }

    /// A rank killed with SIGKILL mid-run ends the whole job within seconds (mpirun reports it and
    /// stops the other ranks), with a failing exit status, and the last checkpoint still loads.
    @Test func aKilledRankEndsTheJobWithinSeconds() throws {
        guard Self.canRunJobs() else { return }
        let dir = try makeTemporaryDirectory("flowtune-mpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try Self.sftPolicy(in: dir)
        let job = try Self.start(Self.mpi(2, Self.train("killed", init: policy, directory: dir, envs: 4, iterations: 100_000)),
                                 in: dir, label: "killed")
        // Wait for a checkpoint, then kill a rank that is not rank 0.
        let checkpoint = "\(dir)/runs/killed/checkpoints/latest.safetensors"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(100_000) }
        #expect(FileManager.default.fileExists(atPath: checkpoint), "no checkpoint within 60 s: \(readText("\(dir)/killed.err"))")
        let ranks = Self.childRanks(of: job.processIdentifier)
        #expect(ranks.count == 2, "mpirun's ranks: \(ranks)")
        guard let victim = ranks.max() else { job.terminate(); return }
        let killed = Date()
        kill(victim, SIGKILL)
        let waitUntil = Date().addingTimeInterval(30)
        while job.isRunning && Date() < waitUntil { usleep(50_000) }
        let seconds = Date().timeIntervalSince(killed)
        if job.isRunning { kill(job.processIdentifier, SIGKILL) }
        #expect(!job.isRunning && seconds < 10, "the job was still running \(seconds) s after a rank died")
        #expect(job.terminationStatus != 0)
        let status = try Self.run([Self.flowtune, "eval", checkpoint, "--env", "reach-obstacle", "--episodes", "4"], in: dir, label: "eval")
        #expect(status == 0, "the last checkpoint does not load: \(readText("\(dir)/eval.err"))")
    }

    /// Ctrl-C on `mpirun` (SIGINT, which it forwards to every rank): all ranks stop after the same
    /// iteration and rank 0 writes one checkpoint of it, the last line of metrics.jsonl.
    @Test func ctrlCOnMpirunStopsEveryRankAfterTheSameIterationWithOneCheckpoint() throws {
        guard Self.canRunJobs() else { return }
        let dir = try makeTemporaryDirectory("flowtune-mpi")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try Self.sftPolicy(in: dir)
        let job = try Self.start(Self.mpi(2, Self.train("stopped", init: policy, directory: dir, envs: 4, iterations: 100_000,
                                                        extra: ["--set", "run.checkpoint_interval=1000"])),
                                 in: dir, label: "stopped")
        let metricsPath = "\(dir)/runs/stopped/metrics.jsonl"
        let deadline = Date().addingTimeInterval(60)
        while Self.metrics("\(dir)/runs/stopped").count < 3 && Date() < deadline { usleep(100_000) }
        let signals = readText("/proc/\(job.processIdentifier)/status").split(separator: "\n").filter { $0.hasPrefix("Sig") }.joined(separator: " ")
        kill(job.processIdentifier, SIGINT)
        let waitUntil = Date().addingTimeInterval(30)
        while job.isRunning && Date() < waitUntil { usleep(50_000) }
        if job.isRunning { kill(job.processIdentifier, SIGKILL) }
        let out = readText("\(dir)/stopped.out")
        #expect(out.components(separatedBy: "stopped at iteration").count == 2, "one rank reports the stop: \(out.suffix(400)); mpirun's signal masks: \(signals)")
        let last = Self.metrics("\(dir)/runs/stopped").last?["iteration"] ?? -1
        #expect(last >= 2 && out.contains("stopped at iteration \(Int(last)) on request"), "\(readText(metricsPath).suffix(300))")
        let checkpoint = Self.metadata("\(dir)/runs/stopped/checkpoints/latest.safetensors")
        #expect(checkpoint["iteration"] == "\(Int(last))", "the checkpoint is of iteration \(checkpoint["iteration"] ?? "?"), the last one logged \(last)")
    }

    /// `run.latest_checkpoint_seconds` keeps `latest` within that many seconds of the run between
    /// numbered checkpoints, so a job killed outright (mpirun's SIGKILL a second after Ctrl-C, an OOM,
    /// kill -9) resumes from recent state; with null, the same kill leaves no checkpoint before the
    /// first numbered one. One process: the refresh needs no MPI.
    @Test(arguments: [true, false])
    func aRunKilledOutrightLeavesALatestCheckpointOfARecentIteration(refreshing: Bool) throws {
        let dir = try makeTemporaryDirectory("flowtune-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = try Self.sftPolicy(in: dir)
        let job = try Self.start([Self.flowtune] + Self.train("killed", init: policy, directory: dir, envs: 8, iterations: 100_000,
                                                              extra: ["--set", "run.checkpoint_interval=100000",
                                                                      "--set", "run.latest_checkpoint_seconds=\(refreshing ? "0.000001" : "null")"]),
                                 in: dir, label: "killed")
        let deadline = Date().addingTimeInterval(60)
        while Self.metrics("\(dir)/runs/killed").count < 5 && Date() < deadline { usleep(20_000) }
        kill(job.processIdentifier, SIGKILL)
        job.waitUntilExit()
        let logged = Self.metrics("\(dir)/runs/killed").last?["iteration"] ?? -1
        #expect(logged >= 4, "the run logged iterations before the kill: \(readText("\(dir)/killed.err").suffix(300))")
        let latest = "\(dir)/runs/killed/checkpoints/latest.safetensors"
        guard refreshing else {
            #expect(!FileManager.default.fileExists(atPath: latest), "no checkpoint is due before iteration 100 000")
            return
        }
        let saved = Double(Self.metadata(latest)["iteration"] ?? "") ?? -1
        #expect(saved >= logged - 1 && saved >= 3, "latest holds iteration \(saved); the last logged was \(logged)")
        // Resuming continues from that iteration: the next metrics line is iteration saved + 1.
        let resumed = try Self.start([Self.flowtune, "train", "--resume", "\(dir)/runs/killed"], in: dir, label: "resumed")
        let until = Date().addingTimeInterval(60)
        while !Self.metrics("\(dir)/runs/killed").contains(where: { $0["iteration"] == saved + 1 }) && resumed.isRunning && Date() < until {
            usleep(20_000)
        }
        if resumed.isRunning { kill(resumed.processIdentifier, SIGKILL) }
        resumed.waitUntilExit()
        let iterations = Self.metrics("\(dir)/runs/killed").compactMap { $0["iteration"] }
        #expect(iterations.last ?? -1 >= saved + 1 && iterations.filter { $0 == saved + 1 }.count == 1,
                "metrics after the resume: \(iterations.suffix(4)); \(readText("\(dir)/resumed.err").suffix(400))")
    }

    /// The flowtune processes that `mpirun` (pid `parent`) started, found through /proc.
    static func childRanks(of parent: Int32) -> [Int32] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) } ?? []
        return pids.filter { pid in
            let stat = readText("/proc/\(pid)/stat")
            guard let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent && readText("/proc/\(pid)/cmdline").contains("flowtune")
        }
    }
}
