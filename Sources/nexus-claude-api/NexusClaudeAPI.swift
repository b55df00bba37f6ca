import ArgumentParser
import Gateway

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
}
