import MQCore
import MQRedis
import MQTestSupport
import XCTest

/// A broker on the shared test Redis with a clock that only moves when told.
class CoreTestCase: RedisTestCase {
    let start: Int64 = 1_795_370_400_000
    var clock: ManualTime!
    var broker: Broker!
    var redis: RedisConnection!
    let orders = try! QueueName("orders")

    override func setUpWithError() throws {
        try super.setUpWithError()
        clock = ManualTime(start)
        redis = try connect()
        broker = Broker(connection: redis, prefix: "mq", time: clock)
    }

    /// The ids in a list, in order.
    func list(_ key: String) throws -> [String] {
        try redis.send("LRANGE", key, 0, -1).array().map { try $0.string() }
    }

    /// The members of a sorted set with their scores, in order.
    func zset(_ key: String) throws -> [String: Int64] {
        let items = try redis.send("ZRANGE", key, 0, -1, "WITHSCORES").array()
        var result: [String: Int64] = [:]
        for index in stride(from: 0, to: items.count, by: 2) {
            result[try items[index].string()] = Int64(Double(try items[index + 1].string())!)
        }
        return result
    }

    func field(_ queue: QueueName, _ id: String, _ name: String) throws -> String? {
        try redis.send("HGET", broker.keys.queue(queue).message(id), name).optionalString()
    }

    func keyCount() throws -> Int64 {
        try redis.send("DBSIZE").int()
    }
}
