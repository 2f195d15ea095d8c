import Glibc
import MQCore
import MQParsing
import MQRedis

/// Exit codes (DESIGN.md §5), from sysexits.h where one fits. Every error
/// is mapped here and nowhere else.
public enum ExitStatus: Int32 {
    case ok = 0
    /// The operation ran but failed (e.g. an id not found).
    case failure = 1
    case usage = 64
    case dataError = 65
    /// A file named on the command line cannot be read (EX_NOINPUT).
    case noInput = 66
    case unavailable = 69
    case software = 70
    case temporary = 75
    case permission = 77
    /// Stopped by SIGINT or SIGTERM at a checkpoint, after saying what was done.
    case interrupted = 130
    case terminated = 143

    public init(for error: Error) {
        switch error {
        case let error as RedisClientError:
            self = error.isConnectionError || error.isNotRedis ? .unavailable : .software
        case let error as RedisServerError:
            if error.isPermissionError {
                self = .permission
            } else if error.isTemporary {
                self = .temporary
            } else if error.kind == .wrongType || MQError(scriptRefusal: error) != nil {
                self = .dataError
            } else {
                self = .failure
            }
        case is CommandFailure:
            self = .failure
        case is UnreadableFile:
            self = .noInput
        case let error as Interrupted:
            // As a shell reports a command killed by the signal.
            self = error.signal == SIGTERM ? .terminated : .interrupted
        case is RedisURLError, is DurationError, is TimeValueError, is UsageError:
            self = .usage
        case is JSONInputError:
            self = .dataError
        case let error as MQError:
            switch error {
            case .invalidQueueName, .invalidMessageID, .invalidPriority, .invalidHeader, .invalidConfig, .headersTooLarge, .roleMissing, .layoutRefused, .invalidCursor, .invalidValue:
                self = .usage
            case .queueFull, .lockHeld:
                self = .temporary
            case .corruptEnvelope, .wrongKeyType, .notACounter, .corruptSetting, .unreadableMember:
                self = .dataError
            case .messageExists, .messageNotFound, .queueNotFound, .queueNotEmpty, .consumerBusy, .consumerNotFound:
                self = .failure
            }
        default:
            self = .software
        }
    }
}

/// The message and an optional hint for an error, never showing a password.
enum ErrorReport {
    static func message(for error: Error, configuration: RedisConfiguration?) -> (message: String, hint: String?) {
        switch error {
        case let error as RedisClientError where error.isNotRedis:
            let target = configuration.map { "the server at \($0)" } ?? "the server"
            let http = "\(error)".contains(#"got "H""#) || "\(error)".contains(#"got "<""#)
            return ("\(target) does not speak Redis (\(error))",
                    http ? "is that an HTTP server? Point mqctl at redis-server's port with --url or MQCTL_URL"
                        : "is redis-server running on that port? Point mqctl elsewhere with --url or MQCTL_URL")
        case let error as RedisClientError where { if case .tls = error { return true } else { return false } }():
            return ("\(error)", "check the certificate files and that the server speaks TLS on that port (--cacert, --cert, --key, --sni; --insecure skips the check)")
        case let error as RedisClientError where error.isConnectionError:
            return ("\(error)", "is redis-server running there? Point mqctl elsewhere with --url or MQCTL_URL")
        case let error as RedisServerError:
            let target = configuration.map { " (\($0))" } ?? ""
            if error.isPermissionError {
                return ("Redis refused access\(target): \(error.message)",
                        "give credentials in the URL, MQCTL_PASSWORD, REDISCLI_AUTH or --password-file, and check the user's ACL")
            }
            if error.kind == .wrongType {
                return ("\(error.message)", "a key holds another type than mqctl expects; inspect it with `redis-cli TYPE KEY`")
            }
            return ("Redis error\(target): \(error.message)", nil)
        default:
            return ("\(error)", nil)
        }
    }
}
