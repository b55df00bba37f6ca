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
    /// The largest request body accepted, in bytes; larger bodies answer 400 "Input is too long"
    /// (413 `request_too_large` on the Anthropic face).
    public var maxRequestBytes: Int
    /// Model ids of the Anthropic face (`/v1/messages`); any other `model` is a 404 `not_found_error`.
    public var anthropicModels: Set<String>
    /// Per-model `max_tokens` ceilings of the Anthropic face; models not listed have no ceiling.
    public var anthropicMaxOutputTokens: [String: Int]
    /// Anthropic-face models that take `thinking.type: "adaptive"`; elsewhere it is a 400.
    public var anthropicAdaptiveThinkingModels: Set<String>
    /// Anthropic-face models that take `temperature` and `top_p` together (the models before
    /// Claude 4.5); on the others both at once is a 400.
    public var anthropicTopPWithTemperatureModels: Set<String>
    /// `anthropic-beta` values the Anthropic face accepts; any other is a 400 ("Unexpected
    /// value(s) …", as the API answers). nil accepts every value.
    public var anthropicBetas: Set<String>?
    /// The process-level fault both faces start with (`--fault`); `POST /_sim/fault` changes it.
    public var fault: SimulatorFault

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

    /// The Anthropic API's model ids the Anthropic face serves, with their output ceilings.
    public static let anthropicMaxOutputTokensDefault: [String: Int] = [
        "claude-sonnet-4-6": 64_000, "claude-opus-4-6": 128_000,
        "claude-haiku-4-5": 64_000, "claude-haiku-4-5-20251001": 64_000,
        "claude-sonnet-4-5": 64_000, "claude-sonnet-4-5-20250929": 64_000,
        "claude-opus-4-5": 64_000, "claude-opus-4-5-20251101": 64_000,
        "claude-opus-4-1": 32_000, "claude-opus-4-1-20250805": 32_000,
        "claude-sonnet-4-0": 64_000, "claude-sonnet-4-20250514": 64_000,
        "claude-opus-4-0": 32_000, "claude-opus-4-20250514": 32_000,
    ]

    /// The Anthropic face's model ids (the keys of `anthropicMaxOutputTokensDefault`).
    public static let anthropicModelIDs = Set(anthropicMaxOutputTokensDefault.keys)

    /// The betas the Anthropic face accepts by default: the documented ones and those Claude Code sends.
    public static let anthropicBetasDefault: Set<String> = bedrockBetas.union([
        "claude-code-20250219", "oauth-2025-04-20", "prompt-caching-2024-07-31", "prompt-caching-scope-2026-01-05",
        "extended-cache-ttl-2025-04-11", "files-api-2025-04-14", "pdfs-2024-09-25", "message-batches-2024-09-24",
        "token-counting-2024-11-01", "max-tokens-3-5-sonnet-2024-07-15", "computer-use-2024-10-22",
        "computer-use-2025-11-24", "code-execution-2025-05-22", "code-execution-2025-08-25", "web-fetch-2025-09-10",
        "web-search-2025-03-05", "mcp-client-2025-04-04", "mcp-client-2025-11-20", "search-results-2025-06-09",
        "structured-outputs-2025-11-13", "structured-outputs-2025-12-15", "advanced-tool-use-2025-11-20",
        "skills-2025-10-02", "model-context-window-exceeded-2025-08-26", "dev-full-thinking-2025-05-14",
        "redact-thinking-2026-02-12", "compact-2026-01-12", "fast-mode-2026-02-01",
    ])

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
        maxRequestBytes: Int = 32 * 1024 * 1024,
        anthropicModels: Set<String> = SimulatorOptions.anthropicModelIDs,
        anthropicMaxOutputTokens: [String: Int] = SimulatorOptions.anthropicMaxOutputTokensDefault,
        anthropicAdaptiveThinkingModels: Set<String> = ["claude-sonnet-4-6", "claude-opus-4-6"],
        anthropicTopPWithTemperatureModels: Set<String> = [
            "claude-sonnet-4-0", "claude-sonnet-4-20250514", "claude-opus-4-0", "claude-opus-4-20250514",
        ],
        anthropicBetas: Set<String>? = SimulatorOptions.anthropicBetasDefault,
        fault: SimulatorFault = SimulatorFault()
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
        self.anthropicModels = anthropicModels
        self.anthropicMaxOutputTokens = anthropicMaxOutputTokens
        self.anthropicAdaptiveThinkingModels = anthropicAdaptiveThinkingModels
        self.anthropicTopPWithTemperatureModels = anthropicTopPWithTemperatureModels
        self.anthropicBetas = anthropicBetas
        self.fault = fault
    }

    /// The betas `model` accepts: its allowlist minus its rejected set.
    public func betas(acceptedBy model: String) -> Set<String> {
        (acceptedBetas[model] ?? defaultAcceptedBetas).subtracting(rejectedBetas[model] ?? [])
    }
}
