/// Whether operations record themselves for backward.
///
/// Recording is on by default and switched off inside ``withNoGrad(_:)``, during backward
/// passes, and for teacher and inference sampling. The flag is task-local (thread-local outside
/// Swift concurrency), so one thread's no-grad scope never affects another's.
public enum GradMode {
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` without recording any operation: results carry no graph and cost no memory for backward.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with recording switched on (the default), for code that must build a graph inside a no-grad scope.
@discardableResult
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(true, operation: body)
}
