/// How the AI Nexus simulator behaves. The defaults give a strict, fast simulator that knows the
/// three AI Nexus Claude models and accepts the betas documented for Claude on Bedrock.
public struct SimulatorOptions: Sendable {
    /// Validate requests as strictly as Bedrock does (shapes, conversation rules, model fields).
    public var validate: Bool
    /// Fast mode for load benchmarks: no parsing, no validation, no scenarios, a fixed answer
    /// (prebuilt bytes). Authentication and the model id are still checked.
    public var canned: Bool
    /// Extra delay before every answer (before the response head).
    public var latency: Duration
    /// Model ids served; any other id in the path is a 404 `ResourceNotFoundException`.
    public var models: Set<String>
    /// Betas (`additionalModelRequestFields.anthropic_beta`) every model accepts unless
    /// `acceptedBetas` names the model.
    public var defaultAcceptedBetas: Set<String>
    /// Per-model beta allowlists, replacing `defaultAcceptedBetas` for that model.
    public var acceptedBetas: [String: Set<String>]
    /// Per-model betas to refuse even though the allowlist has them ("invalid beta flag").
    public var rejectedBetas: [String: Set<String>]
    /// Models that accept only `thinking.type: "adaptive"`; `"enabled"` answers 400.
    public var adaptiveOnlyModels: Set<String>
    /// Models that predate adaptive thinking: `thinking.type: "adaptive"` answers 400.
    public var enabledOnlyModels: Set<String>
    /// Models that take `thinking.display` (`summarized`, `omitted`); elsewhere it is an extraneous key.
    public var thinkingDisplayModels: Set<String>
    /// Per-model `additionalModelRequestFields` members the model does not know (extraneous keys),
    /// e.g. `output_config` on a model without effort.
    public var unsupportedModelFields: [String: Set<String>]
    /// Per-model `inferenceConfig.maxTokens` ceilings; models not listed have no ceiling.
    public var maxOutputTokens: [String: Int]
    /// The largest request body accepted, in bytes; larger bodies answer 400 "Input is too long".
    public var maxRequestBytes: Int

    /// The model ids AI Nexus offers.
    public static let nexusModels: Set<String> = ["claude-sonnet-4.6", "claude-opus-4.6", "claude-haiku-4.5"]

    /// The betas documented for Claude on Bedrock.
    public static let bedrockBetas: Set<String> = [
        "interleaved-thinking-2025-05-14", "context-1m-2025-08-07", "context-management-2025-06-27",
        "effort-2025-11-24", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29",
        "token-efficient-tools-2025-02-19", "fine-grained-tool-streaming-2025-05-14", "output-128k-2025-02-19",
        "computer-use-2025-01-24",
    ]

    /// Output ceilings of the AI Nexus models.
    public static let nexusMaxOutputTokens: [String: Int] = [
        "claude-sonnet-4.6": 64_000, "claude-opus-4.6": 128_000, "claude-haiku-4.5": 64_000,
    ]

    /// Options with AI Nexus's defaults; see each property.
    public init(
        validate: Bool = true,
        canned: Bool = false,
        latency: Duration = .zero,
        models: Set<String> = SimulatorOptions.nexusModels,
        defaultAcceptedBetas: Set<String> = SimulatorOptions.bedrockBetas,
        acceptedBetas: [String: Set<String>] = [:],
        rejectedBetas: [String: Set<String>] = [:],
        adaptiveOnlyModels: Set<String> = [],
        enabledOnlyModels: Set<String> = ["claude-haiku-4.5"],
        thinkingDisplayModels: Set<String> = [],
        unsupportedModelFields: [String: Set<String>] = ["claude-haiku-4.5": ["output_config"]],
        maxOutputTokens: [String: Int] = SimulatorOptions.nexusMaxOutputTokens,
        maxRequestBytes: Int = 32 * 1024 * 1024
    ) {
        self.validate = validate
        self.canned = canned
        self.latency = latency
        self.models = models
        self.defaultAcceptedBetas = defaultAcceptedBetas
        self.acceptedBetas = acceptedBetas
        self.rejectedBetas = rejectedBetas
        self.adaptiveOnlyModels = adaptiveOnlyModels
        self.enabledOnlyModels = enabledOnlyModels
        self.thinkingDisplayModels = thinkingDisplayModels
        self.unsupportedModelFields = unsupportedModelFields
        self.maxOutputTokens = maxOutputTokens
        self.maxRequestBytes = maxRequestBytes
    }

    /// The betas `model` accepts: its allowlist minus its rejected set.
    public func betas(acceptedBy model: String) -> Set<String> {
        (acceptedBetas[model] ?? defaultAcceptedBetas).subtracting(rejectedBetas[model] ?? [])
    }
}
