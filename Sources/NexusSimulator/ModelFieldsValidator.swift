import NexusJSON

/// Checks `additionalModelRequestFields`, which Bedrock hands to the Claude model as native
/// fields: its JSON-schema validator answers `Malformed input request: #: …`, the model itself
/// answers the rest (betas, thinking rules).
struct ModelFieldsValidator {
    var model: String
    var options: SimulatorOptions
    /// `inferenceConfig` members that interact with thinking (absent for CountTokens).
    var maxTokens: Int?
    var temperature: Double?
    /// `toolConfig.toolChoice`, to refuse thinking with forced tool use.
    var toolChoice: JSONValue?

    static let knownFields = ["thinking", "top_k", "anthropic_beta", "output_config", "context_management"]
    static let contextManagementBeta = "context-management-2025-06-27"
    static let efforts = ["low", "medium", "high", "max"]
    static let minimumThinkingBudget = 1024

    func check(_ fields: JSONValue?) -> SimulatorError? {
        guard let fields, !fields.isNull else { return nil }
        guard case .object(let object) = fields else {
            return .malformed("#: expected type: JSONObject, found: \(ShapeValidator.javaTypeName(fields))")
        }
        let unsupported = options.unsupportedModelFields[model] ?? []
        for (key, _) in object where !Self.knownFields.contains(key) || unsupported.contains(key) {
            return .malformed("#: extraneous key [\(key)] is not permitted")
        }
        var betas: [String] = []
        if let value = object["anthropic_beta"] {
            guard case .array(let items) = value else {
                return .malformed(
                    "#/anthropic_beta: expected type: JSONArray, found: \(ShapeValidator.javaTypeName(value))")
            }
            let accepted = options.betas(acceptedBy: model)
            for (index, item) in items.enumerated() {
                guard case .string(let betaText) = item else {
                    return .malformed(
                        "#/anthropic_beta/\(index): expected type: String, found: \(ShapeValidator.javaTypeName(item))")
                }
                let beta = betaText.string
                guard accepted.contains(beta) else { return .validation("invalid beta flag") }
                betas.append(beta)
            }
        }
        if let topK = object["top_k"] {
            guard case .number = topK, let k = topK.intValue else {
                return .malformed("#/top_k: expected type: Integer, found: \(ShapeValidator.javaTypeName(topK))")
            }
            if k < 0 { return .malformed("#/top_k: \(k) is not greater or equal to 0") }
        }
        if let outputConfig = object["output_config"], let error = checkOutputConfig(outputConfig) { return error }
        if let contextManagement = object["context_management"] {
            guard case .object = contextManagement else {
                return .malformed(
                    "#/context_management: expected type: JSONObject, found: \(ShapeValidator.javaTypeName(contextManagement))"
                )
            }
            guard betas.contains(Self.contextManagementBeta) else {
                return .validation(ConversationRules.modelSays + "context_management: Extra inputs are not permitted")
            }
        }
        if let thinking = object["thinking"] {
            return checkThinking(thinking, topK: object["top_k"] != nil)
        }
        return nil
    }

    private func checkOutputConfig(_ value: JSONValue) -> SimulatorError? {
        guard case .object(let config) = value else {
            return .malformed(
                "#/output_config: expected type: JSONObject, found: \(ShapeValidator.javaTypeName(value))")
        }
        for (key, _) in config where key != "effort" && key != "format" {
            return .malformed("#/output_config: extraneous key [\(key)] is not permitted")
        }
        if let effort = config["effort"] {
            guard let name = effort.stringValue, Self.efforts.contains(name) else {
                return .malformed(
                    "#/output_config/effort: \(effort.stringValue ?? effort.jsonString) is not a valid enum value")
            }
        }
        return nil
    }

    private func checkThinking(_ value: JSONValue, topK: Bool) -> SimulatorError? {
        guard case .object(let thinking) = value else {
            return .malformed("#/thinking: expected type: JSONObject, found: \(ShapeValidator.javaTypeName(value))")
        }
        guard let typeValue = thinking["type"] else { return .malformed("#/thinking: required key [type] not found") }
        guard let type = typeValue.stringValue, ["enabled", "disabled", "adaptive"].contains(type) else {
            return .malformed(
                "#/thinking/type: \(typeValue.stringValue ?? typeValue.jsonString) is not a valid enum value")
        }
        if type == "adaptive", options.enabledOnlyModels.contains(model) {
            return .malformed("#/thinking/type: adaptive is not a valid enum value")
        }
        var allowedKeys = type == "enabled" ? ["type", "budget_tokens"] : ["type"]
        if type != "disabled", options.thinkingDisplayModels.contains(model) { allowedKeys.append("display") }
        for (key, _) in thinking where !allowedKeys.contains(key) {
            return .malformed("#/thinking: extraneous key [\(key)] is not permitted")
        }
        if let display = thinking["display"] {
            guard let name = display.stringValue, ["summarized", "omitted"].contains(name) else {
                return .malformed(
                    "#/thinking/display: \(display.stringValue ?? display.jsonString) is not a valid enum value")
            }
        }
        guard type != "disabled" else { return nil }
        if type == "enabled" {
            if options.adaptiveOnlyModels.contains(model) {
                return .validation(
                    "thinking.type.enabled is not supported for this model. Use thinking.type.adaptive and output_config.effort to control thinking behavior."
                )
            }
            guard let budgetValue = thinking["budget_tokens"] else {
                return .malformed("#/thinking: required key [budget_tokens] not found")
            }
            guard case .number = budgetValue, let budget = budgetValue.intValue else {
                return .malformed(
                    "#/thinking/budget_tokens: expected type: Integer, found: \(ShapeValidator.javaTypeName(budgetValue))"
                )
            }
            if budget < Self.minimumThinkingBudget {
                return .validation(
                    ConversationRules.modelSays
                        + "thinking.enabled.budget_tokens: Input should be greater than or equal to \(Self.minimumThinkingBudget)"
                )
            }
            if let maxTokens, maxTokens <= budget {
                return .validation(
                    ConversationRules.modelSays
                        + "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
                )
            }
        }
        if let temperature, temperature != 1 {
            return .validation(
                ConversationRules.modelSays
                    + "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
            )
        }
        if topK {
            return .validation(ConversationRules.modelSays + "`top_k` is not supported when thinking is enabled.")
        }
        if toolChoice?["any"] != nil || toolChoice?["tool"] != nil {
            return .validation(
                ConversationRules.modelSays + "Thinking may not be enabled when tool_choice forces tool use.")
        }
        return nil
    }
}
