import AnthropicAPI
import ArgumentParser
import Foundation
import NexusJSON
import Translation

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Converse request the gateway would send for an Anthropic request body.",
        discussion: "Reads a /v1/messages body from FILE (or stdin) and prints {\"path\": …, \"body\": …}.")

    @Option(name: .customLong("beta"), help: "The anthropic-beta header value (comma-separated, repeatable).")
    var betas: [String] = []

    @Option(name: .customLong("model-map"), help: ArgumentHelp("Map a client model name to an AI Nexus model id, as NAME=ID.", valueName: "NAME=ID"))
    var modelMap: [String] = []

    @Flag(name: .customLong("drop-unsupported-tools"), help: "Drop server tools instead of failing.")
    var dropUnsupportedTools = false

    @Argument(help: "The request body (JSON). Default: stdin.")
    var file: String?

    func run() throws {
        let data: Data
        if let file { data = try Data(contentsOf: URL(fileURLWithPath: file)) } else { data = FileHandle.standardInput.readDataToEndOfFile() }
        do {
            let json = try JSONValue.parse(Array(data))
            let request = try MessagesRequest(json: json)
            var overrides: [String: String] = [:]
            for entry in modelMap {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { overrides[parts[0]] = parts[1] }
            }
            let profile = try ModelCatalog(overrides: overrides).resolve(request.model)
            let translator = RequestTranslator(options: TranslationOptions(dropUnsupportedServerTools: dropUnsupportedTools))
            let result = try translator.translate(
                request, profile: profile, betas: betas.flatMap { $0.split(separator: ",").map(String.init) })
            let op = request.stream ? "converse-stream" : "converse"
            let out: JSONValue = ["path": .string("/model/\(profile.nexusID)/\(op)"), "body": result.converse.jsonValue]
            print(out.prettyString())
        } catch let error as APIError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
