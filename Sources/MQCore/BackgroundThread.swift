import Glibc

/// Starts `body` on a thread of its own (the system's stack size unless
/// given), detached (callers that wait for
/// it signal a semaphore at its end). Foundation's Thread is not in
/// FoundationEssentials; a pthread is all it was.
public func startThread(stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(&thread, &attributes, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    // Without a thread the work cannot be done at all: as Thread.start would, stop.
    precondition(status == 0, "pthread_create failed: \(String(cString: strerror(status)))")
}
