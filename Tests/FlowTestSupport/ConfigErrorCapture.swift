import FlowConfig
import Testing

/// The `ConfigError` that `body` throws (recording an issue when it throws none or another error).
public func configError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    do {
        try body()
        Issue.record("expected a ConfigError, got none", sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
