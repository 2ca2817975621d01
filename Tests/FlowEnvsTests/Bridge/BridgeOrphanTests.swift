import FlowEnvs
import FlowTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension BridgeTests {
    /// Workers never outlive the trainer.
    @Suite struct OrphanTests {
        @Test(.requiresPython("numpy", "gymnasium"))
        func closingTheEnvironmentEndsEveryWorker() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 3, configuration: quietBridge(workers: 3))
            try env.reset(seeds: [1, 2, 3])
            let pids = env.workerPIDs
            #expect(pids.allSatisfy(processIsRunning))
            env.close()
            for pid in pids { #expect(!processIsRunning(pid), "worker \(pid) survived close()") }
        }

        @Test(.requiresPython("numpy", "gymnasium"))
        func releasingTheEnvironmentWithoutClosingEndsEveryWorker() throws {
            var pids: [Int32] = []
            do {
                let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 2, configuration: quietBridge(workers: 2))
                pids = env.workerPIDs
            }
            for pid in pids { #expect(!processIsRunning(pid), "worker \(pid) survived its environment") }
        }

        @Test(.requiresPython("numpy", "gymnasium"))
        func ctrlCReachingAWorkerDoesNotStopIt() throws {
            let env = try PythonBridgeEnv(id: "gym/Pendulum-v1", numEnvs: 1, configuration: quietBridge(workers: 1))
            defer { env.close() }
            try env.reset(seeds: [1])
            kill(env.workerPIDs[0], SIGINT)   // a terminal's Ctrl-C reaches the whole process group
            usleep(200_000)
            try env.step(actions: [0])
            #expect(env.restarts.isEmpty, "the trainer, not the worker, decides how a run stops")
        }

        /// A trainer process (here a small Python program standing in for it) starts a worker, then
        /// dies by SIGKILL, which runs no cleanup code at all. With `keepSocketOpen`, another process
        /// holds the worker's connection open, so the worker does not even see end of file and must
        /// notice its parent's death by itself.
        static let trainerScript = """
            import os, socket, subprocess, sys, time
            from flowtune_bridge import protocol as P
            a, b = socket.socketpair()
            worker = subprocess.Popen([sys.executable, "-m", "flowtune_bridge", "worker", "--parent-pid", str(os.getpid())],
                                      stdin=b, stdout=b)
            holder = None
            if sys.argv[1] == "keep":
                holder = subprocess.Popen(["sleep", "60"], stdin=b, start_new_session=True)
            P.write_frame(a.fileno(), P.HELLO, P.encode_hello("gym/Pendulum-v1", [0], {}))
            assert P.read_frame(a.fileno())[0] == P.SPEC
            print(worker.pid, holder.pid if holder else 0, flush=True)
            time.sleep(60)
            """

        @Test(.requiresPython("numpy", "gymnasium"), arguments: ["eof", "keep"])
        func workerExitsWhenTheTrainerProcessIsKilled(mode: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [TestPython.executable, "-c", Self.trainerScript, mode]
            var env = ProcessInfo.processInfo.environment
            if let path = PythonRuntime().packagePath { env["PYTHONPATH"] = path }
            process.environment = env
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += chunk
            }
            let pids = String(decoding: line, as: UTF8.self).split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try #require(pids.count == 2, "the stand-in trainer did not start its worker")
            let worker = pids[0], holder = pids[1]
            defer { if holder > 0 { kill(holder, SIGKILL) } }
            #expect(processIsRunning(worker))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(waitUntilGone(worker, seconds: 10), "worker \(worker) outlived its trainer (\(mode))")
        }
    }
}
