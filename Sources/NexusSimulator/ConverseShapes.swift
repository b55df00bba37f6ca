/// The Converse request shapes the simulator validates, after botocore's `bedrock-runtime`
/// service model (2023-09-30). Members Converse has but Claude on AI Nexus does not serve are
/// `.unsupported`; members that only select AWS-side features are accepted and ignored.
enum ConverseShapes {
    static let cachePoint = Shape.structure(
        StructureShape(
            "CachePointBlock", required: ["type"],
            [
                ("type", .string(.oneOf(["default"]))),
                ("ttl", .string(.oneOf(["5m", "1h"]))),
            ]))

    static let s3Location = Shape.structure(
        StructureShape(
            "S3Location", required: ["uri"],
            [
                ("uri", .string(StringRule(min: 1, max: 1024, pattern: .s3URI))),
                ("bucketOwner", .string(StringRule(pattern: .accountID))),
            ]))

    static let image = Shape.structure(
        StructureShape(
            "ImageBlock", required: ["format", "source"],
            [
                ("format", .string(.oneOf(["png", "jpeg", "gif", "webp"]))),
                (
                    "source",
                    .structure(
                        StructureShape("ImageSource", union: true, [("bytes", .blob), ("s3Location", s3Location)]))
                ),
            ]))

    static let document = Shape.structure(
        StructureShape(
            "DocumentBlock", required: ["name", "source"],
            [
                ("format", .string(.oneOf(["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"]))),
                ("name", .string(StringRule(min: 1, max: 200))),
                (
                    "source",
                    .structure(
                        StructureShape(
                            "DocumentSource", union: true,
                            [
                                ("bytes", .blob),
                                ("s3Location", s3Location),
                                ("text", .string(.any)),
                                (
                                    "content",
                                    .list(
                                        .structure(
                                            StructureShape(
                                                "DocumentContentBlock", union: true, [("text", .string(.any))])
                                        ))
                                ),
                            ]))
                ),
                ("context", .string(.any)),
                (
                    "citations",
                    .structure(StructureShape("CitationsConfig", required: ["enabled"], [("enabled", .boolean)]))
                ),
            ]))

    static let video = Shape.unsupported(
        "This model doesn't support the video content block that you provided. Try again with supported content.")
    static let audio = Shape.unsupported(
        "This model doesn't support the audio content block that you provided. Try again with supported content.")
    static let guardContent = Shape.unsupported(
        "The guardContent content block requires a guardrail: the AI Nexus simulator does not serve guardrails.")

    static let toolUse = Shape.structure(
        StructureShape(
            "ToolUseBlock", required: ["toolUseId", "name", "input"],
            [
                ("toolUseId", .string(StringRule(min: 1, max: 64, pattern: .toolUseID))),
                ("name", .string(StringRule(min: 1, max: 64, pattern: .toolName))),
                ("input", .document),
                ("type", .string(.oneOf(["server_tool_use"]))),
            ]))

    static let toolResult = Shape.structure(
        StructureShape(
            "ToolResultBlock", required: ["toolUseId", "content"],
            [
                ("toolUseId", .string(StringRule(min: 1, max: 64, pattern: .toolUseID))),
                (
                    "content",
                    .list(
                        .structure(
                            StructureShape(
                                "ToolResultContentBlock", union: true,
                                [
                                    ("json", .document),
                                    ("text", .string(.any)),
                                    ("image", image),
                                    ("document", document),
                                    ("video", video),
                                    ("searchResult", .looseObject),
                                ])))
                ),
                ("status", .string(.oneOf(["success", "error"]))),
                ("type", .string(.any)),
            ]))

    static let reasoningContent = Shape.structure(
        StructureShape(
            "ReasoningContentBlock", union: true,
            [
                (
                    "reasoningText",
                    .structure(
                        StructureShape(
                            "ReasoningTextBlock", required: ["text"],
                            [("text", .string(.any)), ("signature", .string(.any))]))
                ),
                ("redactedContent", .blob),
            ]))

    static let contentBlock = Shape.structure(
        StructureShape(
            "ContentBlock", union: true,
            [
                ("text", .string(.any)),
                ("image", image),
                ("document", document),
                ("video", video),
                ("audio", audio),
                ("toolUse", toolUse),
                ("toolResult", toolResult),
                ("guardContent", guardContent),
                ("cachePoint", cachePoint),
                ("reasoningContent", reasoningContent),
                ("citationsContent", .looseObject),
                ("searchResult", .looseObject),
            ]))

    static let messages = Shape.list(
        .structure(
            StructureShape(
                "Message", required: ["role", "content"],
                [
                    ("role", .string(.oneOf(["user", "assistant"]))),
                    ("content", .list(contentBlock)),
                ])))

    static let system = Shape.list(
        .structure(
            StructureShape(
                "SystemContentBlock", union: true,
                [("text", .string(.nonEmpty)), ("guardContent", guardContent), ("cachePoint", cachePoint)])))

    static let toolConfig = Shape.structure(
        StructureShape(
            "ToolConfiguration", required: ["tools"],
            [
                (
                    "tools",
                    .list(
                        .structure(
                            StructureShape(
                                "Tool", union: true,
                                [
                                    (
                                        "toolSpec",
                                        .structure(
                                            StructureShape(
                                                "ToolSpecification", required: ["name", "inputSchema"],
                                                [
                                                    ("name", .string(StringRule(min: 1, max: 64, pattern: .toolName))),
                                                    ("description", .string(.nonEmpty)),
                                                    (
                                                        "inputSchema",
                                                        .structure(
                                                            StructureShape(
                                                                "ToolInputSchema", union: true, [("json", .document)]))
                                                    ),
                                                    ("strict", .boolean),
                                                ]))
                                    ),
                                    (
                                        "systemTool",
                                        .structure(
                                            StructureShape(
                                                "SystemTool", required: ["name"],
                                                [("name", .string(StringRule(min: 1, max: 64, pattern: .toolName)))]))
                                    ),
                                    ("cachePoint", cachePoint),
                                ])), min: 1)
                ),
                (
                    "toolChoice",
                    .structure(
                        StructureShape(
                            "ToolChoice", union: true,
                            [
                                ("auto", .structure(StructureShape("AutoToolChoice", []))),
                                ("any", .structure(StructureShape("AnyToolChoice", []))),
                                (
                                    "tool",
                                    .structure(
                                        StructureShape(
                                            "SpecificToolChoice", required: ["name"],
                                            [("name", .string(StringRule(min: 1, max: 64, pattern: .toolName)))]))
                                ),
                            ]))
                ),
            ]))

    static let inferenceConfig = Shape.structure(
        StructureShape(
            "InferenceConfiguration",
            [
                ("maxTokens", .integer(min: 1)),
                ("temperature", .float(min: 0, max: 1)),
                ("topP", .float(min: 0, max: 1)),
                ("stopSequences", .list(.string(.nonEmpty), min: 0, max: 2500)),
            ]))

    /// The body of Converse and ConverseStream.
    static let converseRequest = Shape.structure(
        StructureShape(
            "ConverseRequest",
            [
                ("messages", messages),
                ("system", system),
                ("inferenceConfig", inferenceConfig),
                ("toolConfig", toolConfig),
                ("guardrailConfig", .looseObject),
                ("additionalModelRequestFields", .document),
                ("promptVariables", .looseObject),
                ("additionalModelResponseFieldPaths", .list(.string(StringRule(min: 1, max: 256)), min: 0, max: 10)),
                (
                    "requestMetadata",
                    .map(
                        key: StringRule(min: 1, max: 256, pattern: .requestMetadata),
                        value: StringRule(max: 256, pattern: .requestMetadata), max: 16)
                ),
                (
                    "performanceConfig",
                    .structure(
                        StructureShape(
                            "PerformanceConfiguration", [("latency", .string(.oneOf(["standard", "optimized"])))]))
                ),
                (
                    "serviceTier",
                    .structure(
                        StructureShape(
                            "ServiceTier", required: ["type"],
                            [("type", .string(.oneOf(["priority", "default", "flex", "reserved"])))]))
                ),
                ("outputConfig", .looseObject),
            ]))

    /// The body of CountTokens.
    static let countTokensRequest = Shape.structure(
        StructureShape(
            "CountTokensRequest", required: ["input"],
            [
                (
                    "input",
                    .structure(
                        StructureShape(
                            "CountTokensInput", union: true,
                            [
                                (
                                    "converse",
                                    .structure(
                                        StructureShape(
                                            "ConverseTokensRequest",
                                            [
                                                ("messages", messages),
                                                ("system", system),
                                                ("toolConfig", toolConfig),
                                                ("additionalModelRequestFields", .document),
                                            ]))
                                ),
                                (
                                    "invokeModel",
                                    .unsupported(
                                        "The AI Nexus simulator counts tokens of Converse input only (input.converse).")
                                ),
                            ]))
                )
            ]))
}
