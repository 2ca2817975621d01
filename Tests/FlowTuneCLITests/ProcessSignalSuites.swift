import Testing

/// The suites that touch the process-wide shutdown flag and signal handlers (`ShutdownSignal.shared`):
/// the signal tests raise SIGINT and SIGTERM, and every in-process training run installs, polls and
/// uninstalls them. Run concurrently, a signal test's SIGINT stopped a sweep test's run half-way
/// ("The sweep was interrupted", seen in CI), and an `uninstall` between `install` and `raise` could
/// end the test process, so these suites run one after another.
@Suite(.serialized) enum ProcessSignalSuites {}
