import NexusJSON

/// Strict validation of Converse, ConverseStream and CountTokens bodies: shapes first, then the
/// conversation rules, then the model's own fields. The first failure is the answer.
enum RequestValidator {
    /// Validates a Converse or ConverseStream body for `model`.
    static func validateConverse(_ body: JSONValue, model: String, options: SimulatorOptions) -> SimulatorError? {
        if let error = ShapeValidator.validate(body, as: ConverseShapes.converseRequest) { return error }
        if let error = ConversationRules(body: body).check() { return error }
        let inference = body["inferenceConfig"]
        let maxTokens = inference?["maxTokens"]?.intValue
        if let maxTokens, let limit = options.maxOutputTokens[model], maxTokens > limit {
            return .validation(
                "The maximum tokens you requested exceeds the model limit of \(limit). Try again with a maximum tokens value that is lower than \(limit)."
            )
        }
        for path in body["additionalModelResponseFieldPaths"]?.arrayValue ?? [] {
            guard let pointer = path.stringValue, pointer.hasPrefix("/") else {
                return .validation(
                    "The additionalModelResponseFieldPaths field must contain valid JSON pointers (RFC 6901), such as /stop_sequence."
                )
            }
        }
        let fields = ModelFieldsValidator(
            model: model, options: options, maxTokens: maxTokens, temperature: inference?["temperature"]?.doubleValue,
            toolChoice: body["toolConfig"]?["toolChoice"])
        return fields.check(body["additionalModelRequestFields"])
    }

    /// Validates a CountTokens body (`{"input":{"converse":{…}}}`) for `model`.
    static func validateCountTokens(_ body: JSONValue, model: String, options: SimulatorOptions) -> SimulatorError? {
        if let error = ShapeValidator.validate(body, as: ConverseShapes.countTokensRequest) { return error }
        guard let converse = body["input"]?["converse"] else { return nil }
        if let error = ConversationRules(body: converse).check() { return error }
        let fields = ModelFieldsValidator(
            model: model, options: options, toolChoice: converse["toolConfig"]?["toolChoice"])
        return fields.check(converse["additionalModelRequestFields"])
    }
}
