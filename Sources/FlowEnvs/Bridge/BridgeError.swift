/// What can go wrong between the trainer and a simulator worker, each with a sentence that says what
/// to do.
///
/// ```swift
/// do { _ = try EnvironmentRegistry.make(id: "metaworld/reach-v3", numEnvs: 8) }
/// catch let e as BridgeError { print(e) }   // e.g. "… install it with `pip install 'metaworld==3.1.1' packaging`"
/// ```
///
/// Errors while stepping (a worker crashed or hung) are handled by restarting the worker and only
/// reach the caller, as `VectorEnvError.workerFailed`, when restarting keeps failing.
public enum BridgeError: Error, Equatable, CustomStringConvertible {
    /// The Python interpreter could not be started.
    case pythonNotFound(executable: String, reason: String)
    /// A Python package is missing; `message` names what to `pip install`.
    case missingPackage(message: String)
    /// The worker does not know the environment id; `message` lists the valid ids.
    case unknownEnvironment(message: String)
    /// The worker speaks another protocol version.
    case protocolVersionMismatch(message: String)
    /// A message did not have the layout the protocol prescribes.
    case malformedMessage(String)
    /// The worker rejected a request or its simulator raised an exception.
    case workerError(message: String)
    /// The worker process ended (crash, kill, or an error before it could reply).
    case workerExited(status: String, stderrTail: String)
    /// The worker did not answer within the time limit (a hung simulator).
    case timeout(seconds: Double, waitingFor: String)

    public var description: String {
        switch self {
        case let .pythonNotFound(executable, reason):
            return "could not start the Python interpreter '\(executable)' (\(reason)); install Python 3.10 or newer, "
                + "or point FLOWTUNE_PYTHON at one."
        case let .missingPackage(message):
            return message
        case let .unknownEnvironment(message):
            return message
        case let .protocolVersionMismatch(message):
            return message
        case let .malformedMessage(detail):
            return "the simulator worker sent a malformed message: \(detail)"
        case let .workerError(message):
            return "the simulator worker reported an error: \(message)"
        case let .workerExited(status, tail):
            let hint = tail.contains("No module named 'flowtune_bridge'")
                ? " The worker package is not importable: install it with `pip install ./python` from the FlowTune checkout "
                  + "(or set FLOWTUNE_BRIDGE_PYTHONPATH to that python/ directory)."
                : ""
            return "the simulator worker exited (\(status)).\(hint)" + (tail.isEmpty ? "" : " Its last output:\n\(tail)")
        case let .timeout(seconds, what):
            return "the simulator worker did not answer \(what) within \(seconds) s (hung simulator?)"
        }
    }
}
