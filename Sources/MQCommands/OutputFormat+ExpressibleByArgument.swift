import ArgumentParser
import MQFormat

extension OutputFormat: ExpressibleByArgument {}
