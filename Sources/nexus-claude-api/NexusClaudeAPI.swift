import ArgumentParser
import Foundation
import Gateway
import NIOCore
import NIOPosix

/// `nexus-claude-api`: the Anthropic Messages API on top of AI Nexus (Bedrock Converse).
@main
struct NexusClaudeAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nexus-claude-api",
        abstract: "The Anthropic Messages API on top of AI Nexus (AWS Bedrock Converse).",
        discussion: """
            Run `nexus-claude-api serve --simulate` to try it without a key, then point Claude Code at it:
              export ANTHROPIC_BASE_URL=http://127.0.0.1:4000
            """,
        version: gatewayVersion,
        subcommands: [Serve.self, Simulate.self, Config.self, Translate.self],
        defaultSubcommand: Serve.self
    )

    /// Runs the command with SwiftNIO's event loops as Swift Concurrency's global executor (set
    /// `NEXUS_NIO_EXECUTOR=0` to keep the default pool, e.g. to compare): a request's tasks then
    /// run on the event loop of its connections, with no hand-over between thread pools.
    static func main() async {
        if ProcessInfo.processInfo.environment["NEXUS_NIO_EXECUTOR"] != "0" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
