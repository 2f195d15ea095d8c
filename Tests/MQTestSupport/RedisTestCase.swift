import MQRedis
import XCTest

/// Base class for tests that need the shared real Redis: it is started
/// once per test process and flushed before every test. A missing
/// redis-server fails each test with the setup command to run.
open class RedisTestCase: XCTestCase {
    public var server: RedisServer!

    open override func setUpWithError() throws {
        try super.setUpWithError()
        server = try RedisServer.shared.get()
        try server.flushAll()
    }

    /// A new connection to the shared server.
    public func connect(database: Int = 0, timeout: Double = 5) throws -> RedisConnection {
        try RedisConnection(configuration: server.configuration(database: database, timeout: timeout))
    }
}
