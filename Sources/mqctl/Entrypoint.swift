import MQCommands

@main
enum Entrypoint {
    static func main() {
        MQCtl.runAsProcess()
    }
}
