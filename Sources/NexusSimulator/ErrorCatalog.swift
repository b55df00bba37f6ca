/// The Bedrock errors `sim:error:NAME` and `sim:stream_exception:NAME` produce.
enum ErrorCatalog {
    /// Short names (as in docs/simulator.md) to Bedrock exceptions and messages.
    static let errors: [String: SimulatorError] = [
        "throttling": .throttling,
        "validation": .validation("The simulator was asked to reject this request (sim:error:validation)."),
        "access_denied": SimulatorError(
            name: "AccessDeniedException", message: "You don't have access to the model with the specified model ID."),
        "not_found": SimulatorError(
            name: "ResourceNotFoundException", message: "The requested resource could not be found."),
        "model_timeout": SimulatorError(
            name: "ModelTimeoutException",
            message: "Model has timed out in processing the request. Try your request again."),
        "model_error": SimulatorError(
            name: "ModelErrorException",
            message: "The system encountered an unexpected error during processing. Try your request again."),
        "internal": SimulatorError(
            name: "InternalServerException",
            message: "The server encountered an internal error while processing the request."),
        "unavailable": SimulatorError(
            name: "ServiceUnavailableException", message: "Bedrock is unable to process your request."),
        "model_not_ready": SimulatorError(
            name: "ModelNotReadyException",
            message: "Model is not ready for serving inference requests. Try again later."),
        "too_long": .inputTooLong,
        "model_stream_error": SimulatorError(
            name: "ModelStreamErrorException", message: "The model stream was interrupted. Try your request again."),
    ]

    /// The error for `name`: a short name, or an exception name in either case
    /// (`ThrottlingException`, `throttlingException`). Unknown names answer a validation error
    /// that lists the known ones.
    static func error(named name: String) -> SimulatorError {
        if let error = errors[name] { return error }
        let normalized = name.prefix(1).uppercased() + name.dropFirst()
        if let error = errors.values.first(where: { $0.name == normalized }) { return error }
        if normalized.hasSuffix("Exception") {
            return SimulatorError(name: normalized, message: "Simulated \(normalized).")
        }
        let known = errors.keys.sorted().joined(separator: ", ")
        return .validation("Unknown simulator error '\(name)'. Known errors: \(known).")
    }

    /// The exception a stream raises for `name`; names Bedrock never sends inside a stream
    /// become `modelStreamErrorException`s carrying the requested name in the message.
    static func streamException(named name: String) -> SimulatorError {
        let error = error(named: name)
        let streamable: Set<String> = [
            "InternalServerException", "ModelStreamErrorException", "ValidationException", "ThrottlingException",
            "ServiceUnavailableException",
        ]
        if streamable.contains(error.name) {
            return SimulatorError(name: error.name, message: error.message, status: 200)
        }
        return SimulatorError(
            name: "ModelStreamErrorException", message: "\(error.name): \(error.message)", status: 200)
    }
}
