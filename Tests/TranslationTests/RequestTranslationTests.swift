import AnthropicAPI
import BedrockAPI
import NexusJSON
import Testing
import Translation

/// Every row of the reference's request table and content-block table (Anthropic → Converse).
@Suite struct RequestTranslationTests {
    // MARK: Request table

    @Test func minimalRequest() throws {
        #expect(
            try converse(body()).jsonString
                == #"{"messages":[{"role":"user","content":[{"text":"Hi"}]}],"inferenceConfig":{"maxTokens":1024}}"#)
    }

    struct FieldRow: CustomTestStringConvertible, Sendable {
        let name: String
        let extra: String
        /// Expected compact JSON of these top-level Converse members (nil: absent).
        let expected: [String: String?]
        var testDescription: String { name }
    }

    static let fieldRows: [FieldRow] = [
        FieldRow(name: "max_tokens", extra: "", expected: ["inferenceConfig": #"{"maxTokens":1024}"#]),
        FieldRow(
            name: "temperature", extra: #""temperature":0.25"#,
            expected: ["inferenceConfig": #"{"maxTokens":1024,"temperature":0.25}"#]),
        FieldRow(
            name: "temperature 0", extra: #""temperature":0"#,
            expected: ["inferenceConfig": #"{"maxTokens":1024,"temperature":0}"#]),
        FieldRow(
            name: "top_p", extra: #""top_p":0.9"#, expected: ["inferenceConfig": #"{"maxTokens":1024,"topP":0.9}"#]),
        FieldRow(
            name: "stop_sequences", extra: #""stop_sequences":["END","","\n\nHuman:"]"#,
            expected: [
                "inferenceConfig": #"{"maxTokens":1024,"stopSequences":["END","\n\nHuman:"]}"#,
                "additionalModelResponseFieldPaths": #"["/stop_sequence"]"#,
            ]),
        FieldRow(
            name: "stop_sequences all empty", extra: #""stop_sequences":[""]"#,
            expected: ["inferenceConfig": #"{"maxTokens":1024}"#, "additionalModelResponseFieldPaths": nil]),
        FieldRow(
            name: "top_k", extra: #""top_k":40"#,
            expected: ["additionalModelRequestFields": #"{"top_k":40}"#, "inferenceConfig": #"{"maxTokens":1024}"#]),
        FieldRow(
            name: "metadata dropped", extra: #""metadata":{"user_id":"{\"device_id\":\"x\"}"}"#,
            expected: ["requestMetadata": nil, "metadata": nil, "additionalModelRequestFields": nil]),
        FieldRow(name: "stream not in body", extra: #""stream":true"#, expected: ["stream": nil]),
        FieldRow(
            name: "service_tier dropped", extra: #""service_tier":"auto""#,
            expected: ["service_tier": nil, "additionalModelRequestFields": nil]),
    ]

    @Test(arguments: fieldRows)
    func requestField(_ row: FieldRow) throws {
        let out = try converse(body(row.extra))
        for (key, expected) in row.expected {
            #expect(out.json(at: key) == expected, "\(key)")
        }
    }

    @Test func droppedFieldsAreNoted() throws {
        let t = try translate(body(#""metadata":{"user_id":"u"},"service_tier":"auto""#))
        #expect(t.notes.contains("dropped metadata"))
        #expect(t.notes.contains("dropped service_tier"))
    }

    // MARK: Thinking per model profile

    struct ThinkingRow: CustomTestStringConvertible, Sendable {
        let profile: ModelProfile
        let thinking: String
        var maxTokens = 32_000
        /// `additionalModelRequestFields.thinking`, nil when dropped.
        let expected: String?
        var testDescription: String { "\(profile.nexusID) \(thinking) max \(maxTokens)" }
    }

    static let thinkingRows: [ThinkingRow] = [
        ThinkingRow(
            profile: Profiles.sonnet, thinking: #"{"type":"enabled","budget_tokens":2048}"#,
            expected: #"{"type":"enabled","budget_tokens":2048}"#),
        ThinkingRow(profile: Profiles.sonnet, thinking: #"{"type":"adaptive"}"#, expected: #"{"type":"adaptive"}"#),
        // thinking.display only where the upstream knows it.
        ThinkingRow(
            profile: Profiles.sonnet, thinking: #"{"type":"adaptive","display":"omitted"}"#,
            expected: #"{"type":"adaptive"}"#),
        ThinkingRow(
            profile: Profiles.sonnetWithDisplay, thinking: #"{"type":"adaptive","display":"omitted"}"#,
            expected: #"{"type":"adaptive","display":"omitted"}"#),
        ThinkingRow(
            profile: Profiles.sonnetWithDisplay,
            thinking: #"{"type":"enabled","budget_tokens":2048,"display":"summarized"}"#,
            expected: #"{"type":"enabled","budget_tokens":2048,"display":"summarized"}"#),
        ThinkingRow(profile: Profiles.sonnet, thinking: #"{"type":"disabled"}"#, expected: nil),
        ThinkingRow(
            profile: Profiles.haiku, thinking: #"{"type":"enabled","budget_tokens":31999}"#,
            expected: #"{"type":"enabled","budget_tokens":31999}"#),
        // enabledOnly converts adaptive into a budget of half the answer...
        ThinkingRow(
            profile: Profiles.haiku, thinking: #"{"type":"adaptive"}"#,
            expected: #"{"type":"enabled","budget_tokens":16000}"#),
        ThinkingRow(
            profile: Profiles.haiku, thinking: #"{"type":"adaptive","display":"omitted"}"#,
            expected: #"{"type":"enabled","budget_tokens":16000}"#),
        // ...at least 1024, below max_tokens...
        ThinkingRow(
            profile: Profiles.haiku, thinking: #"{"type":"adaptive"}"#, maxTokens: 1500,
            expected: #"{"type":"enabled","budget_tokens":1024}"#),
        // ...or nothing when max_tokens leaves no room for the minimum budget.
        ThinkingRow(profile: Profiles.haiku, thinking: #"{"type":"adaptive"}"#, maxTokens: 1024, expected: nil),
        ThinkingRow(profile: Profiles.haiku, thinking: #"{"type":"disabled"}"#, expected: nil),
        // adaptiveOnly converts enabled.
        ThinkingRow(
            profile: Profiles.adaptiveOnly, thinking: #"{"type":"enabled","budget_tokens":2048}"#,
            expected: #"{"type":"adaptive"}"#),
        ThinkingRow(
            profile: Profiles.adaptiveOnly, thinking: #"{"type":"adaptive"}"#, expected: #"{"type":"adaptive"}"#),
        ThinkingRow(profile: Profiles.noThinking, thinking: #"{"type":"enabled","budget_tokens":2048}"#, expected: nil),
        ThinkingRow(profile: Profiles.noThinking, thinking: #"{"type":"adaptive"}"#, expected: nil),
    ]

    @Test(arguments: thinkingRows)
    func thinking(_ row: ThinkingRow) throws {
        let out = try converse(body(#""thinking":\#(row.thinking)"#, maxTokens: row.maxTokens), profile: row.profile)
        #expect(out.json(at: "additionalModelRequestFields.thinking") == row.expected)
        #expect(out.json(at: "inferenceConfig.maxTokens") == String(row.maxTokens))
    }

    @Test func thinkingConversionsAreNoted() throws {
        let toEnabled = try translate(
            body(#""thinking":{"type":"adaptive"}"#, maxTokens: 4000), profile: Profiles.haiku)
        #expect(toEnabled.notes == ["converted thinking.adaptive to enabled with budget 2000 (claude-haiku-4.5)"])
        let toAdaptive = try translate(
            body(#""thinking":{"type":"enabled","budget_tokens":2048}"#), profile: Profiles.adaptiveOnly)
        #expect(toAdaptive.notes == ["converted thinking.enabled to adaptive (claude-opus-5 accepts adaptive only)"])
        let noDisplay = try translate(
            body(#""thinking":{"type":"adaptive","display":"omitted"}"#), profile: Profiles.sonnet)
        #expect(noDisplay.notes == ["dropped thinking.display=omitted"])
    }

    // MARK: output_config, context_management, betas

    @Test(
        arguments: [
            (Profiles.sonnet, #"{"effort":"high"}"#, #"{"effort":"high"}"#),
            (Profiles.opus, #"{"effort":"max"}"#, #"{"effort":"max"}"#),
            (Profiles.haiku, #"{"effort":"high"}"#, nil),
            (
                Profiles.haiku, #"{"effort":"high","format":{"type":"json_schema"}}"#,
                #"{"format":{"type":"json_schema"}}"#
            ),
            (Profiles.sonnet, #"{"effort":"low","future":1}"#, #"{"effort":"low"}"#),
        ] as [(ModelProfile, String, String?)])
    func outputConfig(_ profile: ModelProfile, _ config: String, _ expected: String?) throws {
        let out = try converse(body(#""output_config":\#(config)"#), profile: profile)
        #expect(out.json(at: "additionalModelRequestFields.output_config") == expected)
    }

    static let contextManagement = #""context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}"#

    @Test func contextManagementForwardedWithItsBeta() throws {
        let out = try converse(body(Self.contextManagement), betas: ["context-management-2025-06-27"])
        #expect(
            out.json(at: "additionalModelRequestFields")
                == #"{"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"anthropic_beta":["context-management-2025-06-27"]}"#
        )
    }

    @Test func contextManagementDroppedWithoutItsBeta() throws {
        let t = try translate(body(Self.contextManagement), betas: ["interleaved-thinking-2025-05-14"])
        #expect(
            t.converse.jsonValue.json(at: "additionalModelRequestFields")
                == #"{"anthropic_beta":["interleaved-thinking-2025-05-14"]}"#)
        #expect(t.notes.contains("dropped context_management (model or beta not enabled)"))
    }

    @Test func contextManagementDroppedOnModelsWithoutIt() throws {
        var profile = Profiles.sonnet
        profile.supportsContextManagement = false
        let out = try converse(body(Self.contextManagement), profile: profile, betas: ["context-management-2025-06-27"])
        #expect(
            out.json(at: "additionalModelRequestFields") == #"{"anthropic_beta":["context-management-2025-06-27"]}"#)
    }

    @Test func betasFilteredAndRenamed() {
        let (forwarded, dropped) = RequestTranslator.filterBetas(
            [
                "claude-code-20250219", "interleaved-thinking-2025-05-14", " advanced-tool-use-2025-11-20", "",
                "effort-2025-11-24 ", "tool-search-tool-2025-10-19", "prompt-caching-2024-07-31",
                "interleaved-thinking-2025-05-14",
            ], profile: Profiles.sonnet)
        #expect(forwarded == ["interleaved-thinking-2025-05-14", "tool-search-tool-2025-10-19", "effort-2025-11-24"])
        #expect(dropped == ["claude-code-20250219", "prompt-caching-2024-07-31"])
    }

    @Test func betasFollowTheProfileAllowlist() throws {
        var profile = Profiles.haiku
        profile.allowedBetas = ["interleaved-thinking-2025-05-14"]
        let t = try translate(
            body(), profile: profile, betas: ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"])
        #expect(t.forwardedBetas == ["interleaved-thinking-2025-05-14"])
        #expect(t.droppedBetas == ["context-1m-2025-08-07"])
        #expect(
            t.converse.jsonValue.json(at: "additionalModelRequestFields.anthropic_beta")
                == #"["interleaved-thinking-2025-05-14"]"#)
    }

    @Test func noBetasNoField() throws {
        let out = try converse(body(), betas: ["claude-code-20250219"])
        #expect(out["additionalModelRequestFields"] == nil)
    }

    // MARK: System

    @Test(
        arguments: [
            (#""system":"Be brief.""#, #"[{"text":"Be brief."}]"#),
            (
                #""system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":"C","cache_control":{"type":"ephemeral"}}]"#,
                #"[{"text":"A"},{"text":"B"},{"cachePoint":{"type":"default","ttl":"1h"}},{"text":"C"},{"cachePoint":{"type":"default"}}]"#
            ),
            (#""system":[{"type":"text","text":"  "},{"type":"text","text":"A"}]"#, #"[{"text":"A"}]"#),
            // A blank block's breakpoint falls on the block before it, never twice in a row.
            (
                #""system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":" ","cache_control":{"type":"ephemeral"}}]"#,
                #"[{"text":"A"},{"cachePoint":{"type":"default"}}]"#
            ),
            (
                #""system":[{"type":"text","text":"","cache_control":{"type":"ephemeral"}},{"type":"text","text":"A"}]"#,
                #"[{"text":"A"}]"#
            ),
            (#""system":"""#, nil),
        ] as [(String, String?)])
    func system(_ system: String, _ expected: String?) throws {
        #expect(try converse(body(system)).json(at: "system") == expected)
    }

    // MARK: Tools and tool_choice

    static let tools = #"""
        "tools":[
          {"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"defer_loading":true,"input_examples":[{"city":"Paris"}]},
          {"name":"Bash","description":"","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]
        """#

    static let toolSpecs =
        #"[{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}},"#
        + #"{"toolSpec":{"name":"Bash","inputSchema":{"json":{"type":"object"}}}},{"cachePoint":{"type":"default"}}]"#

    @Test func toolSpecs() throws {
        let out = try converse(body(Self.tools))
        #expect(out.json(at: "toolConfig") == #"{"tools":\#(Self.toolSpecs)}"#)
        #expect(!out.jsonString.contains("defer_loading"))
        #expect(!out.jsonString.contains("input_examples"))
    }

    @Test(arguments: [
        (#"{"type":"auto"}"#, #"{"auto":{}}"#),
        (#"{"type":"any"}"#, #"{"any":{}}"#),
        (#"{"type":"tool","name":"get_weather"}"#, #"{"tool":{"name":"get_weather"}}"#),
        (#"{"type":"auto","disable_parallel_tool_use":true}"#, #"{"auto":{}}"#),
    ])
    func toolChoice(_ choice: String, _ expected: String) throws {
        let out = try converse(body(Self.tools + #","tool_choice":\#(choice)"#))
        #expect(out.json(at: "toolConfig") == #"{"tools":\#(Self.toolSpecs),"toolChoice":\#(expected)}"#)
    }

    @Test func noToolChoiceMeansNoToolChoice() throws {
        #expect(try converse(body(Self.tools)).at("toolConfig.toolChoice") == nil)
    }

    @Test func toolChoiceNoneDropsToolsWithoutHistory() throws {
        let out = try converse(body(Self.tools + #","tool_choice":{"type":"none"}"#))
        #expect(out["toolConfig"] == nil)
    }

    static let toolHistory = #"""
        [{"role":"user","content":"Weather?"},
         {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]
        """#

    @Test func toolChoiceNoneKeepsToolsWhenHistoryHasToolBlocks() throws {
        let out = try converse(body(Self.tools + #","tool_choice":{"type":"none"}"#, messages: Self.toolHistory))
        #expect(out.json(at: "toolConfig") == #"{"tools":\#(Self.toolSpecs)}"#)
    }

    @Test(arguments: ["", #""tool_choice":{"type":"none"}"#, #""tools":[]"#])
    func toolConfigRebuiltFromHistory(_ extra: String) throws {
        let t = try translate(body(extra, messages: Self.toolHistory))
        #expect(
            t.converse.jsonValue.json(at: "toolConfig")
                == #"{"tools":[{"toolSpec":{"name":"get_weather","description":"Tool used earlier in this conversation.","inputSchema":{"json":{"type":"object"}}}}]}"#
        )
        #expect(t.notes.contains("rebuilt toolConfig from the tool blocks in the history"))
    }

    // MARK: Content blocks

    /// Translates one user message made of `blocks` (JSON array text) and returns its Converse content.
    func userContent(_ blocks: String, profile: ModelProfile = Profiles.sonnet) throws -> String? {
        try converse(body(messages: #"[{"role":"user","content":\#(blocks)}]"#), profile: profile).json(
            at: "messages.0.content")
    }

    @Test(arguments: [
        ("image/png", "png"), ("image/jpeg", "jpeg"), ("image/jpg", "jpeg"), ("image/gif", "gif"),
        ("image/webp", "webp"),
        ("IMAGE/PNG", "png"),
    ])
    func imageFormat(_ mediaType: String, _ format: String) throws {
        #expect(
            try userContent(
                #"[{"type":"image","source":{"type":"base64","media_type":"\#(mediaType)","data":"AAAA"}},{"type":"text","text":"What is it?"}]"#
            )
                == #"[{"image":{"format":"\#(format)","source":{"bytes":"AAAA"}}},{"text":"What is it?"}]"#)
    }

    @Test(arguments: [
        (
            #"{"type":"base64","media_type":"image/bmp","data":"AAAA"}"#,
            "messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
        ),
        (
            #"{"type":"url","url":"https://example.com/a.png"}"#,
            "messages.0.content.0.source: URL images could not be fetched"
        ),
        (
            #"{"type":"file","file_id":"file_1"}"#,
            "messages.0.content.0.source: file sources (Files API) are not supported by AI Nexus"
        ),
    ])
    func imageErrors(_ source: String, _ message: String) throws {
        let error = try translationError(
            body(messages: #"[{"role":"user","content":[{"type":"image","source":\#(source)}]}]"#))
        #expect(error?.message == message)
    }

    @Test func imageTooLarge() throws {
        let data = String(repeating: "A", count: 5_300_000)  // ~3.97 MB decoded
        let error = try translationError(
            body(
                messages:
                    #"[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"\#(data)"}}]}]"#
            ))
        #expect(error?.message == "messages.0.content.0: image exceeds 3.75 MB, the upstream limit")
    }

    @Test func moreThanTwentyImages() throws {
        let image = #"{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}"#
        let error = try translationError(
            body(
                messages:
                    #"[{"role":"user","content":[\#(Array(repeating: image, count: 21).joined(separator: ","))]}]"#))
        #expect(error?.message == "messages.0.content.20: too many images: at most 20 per request upstream")
    }

    @Test func pdfDocumentGetsSanitizedNameAndATextBlock() throws {
        #expect(
            try userContent(
                #"[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"},"title":"Report: Q1/Q2  (final).pdf"}]"#
            )
                == #"[{"document":{"format":"pdf","name":"Report Q1 Q2 (final) pdf","source":{"bytes":"JVBE"}}},{"text":"See the attached document."}]"#
        )
    }

    @Test func textDocumentWithContextAndCitations() throws {
        #expect(
            try userContent(
                #"[{"type":"text","text":"Summarize"},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"hello"},"context":"ctx","citations":{"enabled":true}}]"#
            )
                == #"[{"text":"Summarize"},{"document":{"format":"txt","name":"document","source":{"text":"hello"},"context":"ctx","citations":{"enabled":true}}}]"#
        )
    }

    @Test func contentDocument() throws {
        #expect(
            try userContent(
                #"[{"type":"document","source":{"type":"content","content":[{"type":"text","text":"a"},{"type":"text","text":" "},{"type":"text","text":"b"}]},"title":"notes"},{"type":"text","text":"Read"}]"#
            )
                == #"[{"document":{"format":"txt","name":"notes","source":{"content":[{"text":"a"},{"text":"b"}]}}},{"text":"Read"}]"#
        )
    }

    @Test func documentNamesAreUnique() throws {
        let doc = #"{"type":"document","source":{"type":"text","data":"x"},"title":"notes.md"}"#
        let untitled = #"{"type":"document","source":{"type":"text","data":"x"}}"#
        let out = try converse(
            body(
                messages:
                    #"[{"role":"user","content":[\#(doc),\#(doc),\#(untitled),{"type":"text","text":"go"}]},{"role":"assistant","content":"ok"},{"role":"user","content":[\#(doc),\#(untitled)]}]"#
            ))
        let names = [(0, 0), (0, 1), (0, 2), (2, 0), (2, 1)].map {
            out.at("messages.\($0.0).content.\($0.1).document.name")?.stringValue
        }
        #expect(names == ["notes md", "notes md (2)", "document", "notes md (3)", "document (2)"])
    }

    @Test func documentNameIsAtMost200Characters() throws {
        let title = String(repeating: "x", count: 189) + " " + String(repeating: "y", count: 50)
        let doc = #"{"type":"document","source":{"type":"text","data":"x"},"title":"\#(title)"}"#
        let out = try converse(
            body(messages: #"[{"role":"user","content":[\#(doc),\#(doc),{"type":"text","text":"go"}]}]"#))
        let first = try #require(out.at("messages.0.content.0.document.name")?.stringValue)
        let second = try #require(out.at("messages.0.content.1.document.name")?.stringValue)
        #expect(first == String(repeating: "x", count: 189))
        #expect(second == String(repeating: "x", count: 189) + " (2)")
        for name in [first, second] {
            #expect(name.count <= 200)
            #expect(!name.contains("  ") && !name.hasSuffix(" "))
        }
    }

    @Test func atMostFiveDocuments() throws {
        let doc = #"{"type":"document","source":{"type":"text","data":"x"}}"#
        let error = try translationError(
            body(messages: #"[{"role":"user","content":[\#(Array(repeating: doc, count: 6).joined(separator: ","))]}]"#)
        )
        #expect(error?.message == "messages.0.content.5: too many documents: at most 5 per request upstream")
    }

    @Test(arguments: [
        (
            #"{"type":"base64","media_type":"application/zip","data":"UEsD"}"#,
            "messages.0.content.0.source.media_type: unsupported document type 'application/zip'"
        ),
        (
            #"{"type":"url","url":"https://example.com/a.pdf"}"#,
            "messages.0.content.0.source: URL documents could not be fetched"
        ),
        (
            #"{"type":"file","file_id":"file_1"}"#,
            "messages.0.content.0.source: file sources (Files API) are not supported by AI Nexus"
        ),
    ])
    func documentErrors(_ source: String, _ message: String) throws {
        let error = try translationError(
            body(messages: #"[{"role":"user","content":[{"type":"document","source":\#(source)}]}]"#))
        #expect(error?.message == message)
    }

    @Test func toolUseAndToolResult() throws {
        let out = try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Run it"},
                     {"role":"assistant","content":[{"type":"text","text":"Running."},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"a.txt"}]}]
                    """#))
        #expect(
            out.json(at: "messages")
                == #"[{"role":"user","content":[{"text":"Run it"}]},"#
                + #"{"role":"assistant","content":[{"text":"Running."},{"toolUse":{"toolUseId":"toolu_1","name":"Bash","input":{"command":"ls"}}}]},"#
                + #"{"role":"user","content":[{"toolResult":{"toolUseId":"toolu_1","content":[{"text":"a.txt"}]}}]}]"#)
    }

    /// A user turn answering tool `toolu_1`, with `result` the tool_result's extra members.
    func toolResult(_ result: String) throws -> String? {
        try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Run it"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1"\#(result)}]}]
                    """#)
        ).json(at: "messages.2.content.0.toolResult")
    }

    @Test(arguments: [
        (#","content":"out""#, #"{"toolUseId":"toolu_1","content":[{"text":"out"}]}"#),
        (
            #","content":[{"type":"text","text":"a"},{"type":"text","text":"  "},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]"#,
            #"{"toolUseId":"toolu_1","content":[{"text":"a"},{"image":{"format":"jpeg","source":{"bytes":"/9j/"}}}]}"#
        ),
        (
            #","content":[{"type":"document","source":{"type":"text","data":"doc"},"title":"out"}]"#,
            #"{"toolUseId":"toolu_1","content":[{"document":{"format":"txt","name":"out","source":{"text":"doc"}}}]}"#
        ),
        (
            #","content":"boom","is_error":true"#,
            #"{"toolUseId":"toolu_1","content":[{"text":"boom"}],"status":"error"}"#
        ),
        (#","is_error":false"#, #"{"toolUseId":"toolu_1","content":[{"text":"(no output)"}]}"#),
        (#","content":"""#, #"{"toolUseId":"toolu_1","content":[{"text":"(no output)"}]}"#),
        (#","content":[]"#, #"{"toolUseId":"toolu_1","content":[{"text":"(no output)"}]}"#),
        (
            #","content":" \n","is_error":true"#,
            #"{"toolUseId":"toolu_1","content":[{"text":"Error (no details)"}],"status":"error"}"#
        ),
    ])
    func toolResultContent(_ result: String, _ expected: String) throws {
        #expect(try toolResult(result) == expected)
    }

    @Test func toolResultRejectsOtherBlocks() throws {
        let error = try translationError(
            body(
                messages: #"""
                    [{"role":"user","content":"Run it"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"a"},{"type":"tool_use","id":"x","name":"y","input":{}}]}]}]
                    """#))
        #expect(
            error?.message
                == "messages.2.content.0.content.1: tool_result content may hold text, image and document blocks only")
    }

    @Test func thinkingRoundTrip() throws {
        let out = try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Hi"},
                     {"role":"assistant","content":[{"type":"thinking","thinking":"Let me think.","signature":"EqQBCkYIBxgCKkB"},{"type":"thinking","thinking":"","signature":"RXFz"},{"type":"redacted_thinking","data":"EmwKAhgBEgy+/="},{"type":"text","text":"Hello"}]},
                     {"role":"user","content":"Again"}]
                    """#))
        #expect(
            out.json(at: "messages.1.content")
                == #"[{"reasoningContent":{"reasoningText":{"text":"Let me think.","signature":"EqQBCkYIBxgCKkB"}}},"#
                + #"{"reasoningContent":{"reasoningText":{"text":"","signature":"RXFz"}}},"#
                + #"{"reasoningContent":{"redactedContent":"EmwKAhgBEgy+/="}},{"text":"Hello"}]"#)
    }

    @Test(arguments: [
        (
            "user", #"{"type":"thinking","thinking":"x","signature":"s"}"#,
            "messages.0.content.0: thinking blocks belong to assistant messages"
        ),
        (
            "user", #"{"type":"redacted_thinking","data":"x"}"#,
            "messages.0.content.0: redacted_thinking blocks belong to assistant messages"
        ),
        (
            "user", #"{"type":"tool_use","id":"t","name":"n","input":{}}"#,
            "messages.0.content.0: tool_use blocks belong to assistant messages"
        ),
        (
            "user", #"{"type":"server_tool_use","id":"t","name":"web_search","input":{}}"#,
            "messages.0.content.0: 'server_tool_use' blocks are not supported by AI Nexus (Bedrock Converse)"
        ),
    ])
    func blockInWrongPlace(_ role: String, _ block: String, _ message: String) throws {
        let error = try translationError(body(messages: #"[{"role":"\#(role)","content":[\#(block)]}]"#))
        #expect(error?.message == message)
    }

    @Test(arguments: [
        (
            "assistant-image", #"{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}"#,
            "messages.1.content.0: images are only allowed in user messages upstream"
        ),
        (
            "assistant-document", #"{"type":"document","source":{"type":"text","data":"x"}}"#,
            "messages.1.content.0: documents are only allowed in user messages upstream"
        ),
        (
            "assistant-tool_result", #"{"type":"tool_result","tool_use_id":"t","content":"x"}"#,
            "messages.1.content.0: tool_result blocks belong to user messages"
        ),
    ])
    func userOnlyBlocksInAssistantTurn(_ name: String, _ block: String, _ message: String) throws {
        let error = try translationError(
            body(messages: #"[{"role":"user","content":"Hi"},{"role":"assistant","content":[\#(block)]}]"#))
        #expect(error?.message == message)
    }

    // MARK: cache_control anywhere → cachePoint after the block

    @Test(arguments: [
        (
            #"{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}"#,
            #"[{"text":"a"},{"cachePoint":{"type":"default"}}]"#
        ),
        (
            #"{"type":"text","text":"a","cache_control":{"type":"ephemeral","ttl":"1h"}}"#,
            #"[{"text":"a"},{"cachePoint":{"type":"default","ttl":"1h"}}]"#
        ),
        (
            #"{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"},"cache_control":{"type":"ephemeral"}},{"type":"text","text":"b"}"#,
            #"[{"image":{"format":"png","source":{"bytes":"AAAA"}}},{"cachePoint":{"type":"default"}},{"text":"b"}]"#
        ),
        (
            #"{"type":"document","source":{"type":"text","data":"d"},"cache_control":{"type":"ephemeral"}},{"type":"text","text":"b"}"#,
            #"[{"document":{"format":"txt","name":"document","source":{"text":"d"}}},{"cachePoint":{"type":"default"}},{"text":"b"}]"#
        ),
        // A blank block is dropped; its breakpoint moves to the block before it.
        (
            #"{"type":"text","text":"a"},{"type":"text","text":" ","cache_control":{"type":"ephemeral"}}"#,
            #"[{"text":"a"},{"cachePoint":{"type":"default"}}]"#
        ),
    ])
    func cacheControlOnUserBlocks(_ blocks: String, _ expected: String) throws {
        #expect(try userContent("[\(blocks)]") == expected)
    }

    @Test func cacheControlOnToolBlocks() throws {
        let out = try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Run it"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{},"cache_control":{"type":"ephemeral"}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x","cache_control":{"type":"ephemeral"}}]}]
                    """#))
        #expect(
            out.json(at: "messages.1.content")
                == #"[{"toolUse":{"toolUseId":"toolu_1","name":"Bash","input":{}}},{"cachePoint":{"type":"default"}}]"#)
        #expect(
            out.json(at: "messages.2.content")
                == #"[{"toolResult":{"toolUseId":"toolu_1","content":[{"text":"x"}]}},{"cachePoint":{"type":"default"}}]"#
        )
    }

    // MARK: Model catalog

    @Test(arguments: [
        ("claude-sonnet-4-6", "claude-sonnet-4.6"), ("claude-sonnet-4-5-20250929", "claude-sonnet-4.6"),
        ("claude-opus-5-5", "claude-opus-4.6"), ("claude-haiku-4-5-20251001", "claude-haiku-4.5"),
        ("claude-haiku-4.5", "claude-haiku-4.5"), ("Claude-3-OPUS", "claude-opus-4.6"),
    ])
    func modelResolution(_ name: String, _ nexusID: String) throws {
        #expect(try ModelCatalog().resolve(name).nexusID == nexusID)
    }

    @Test("Family match: ASCII case-insensitive bytes; other names as lowercased() + contains", arguments: [
        ("CLAUDE-HAIKU", "claude-haiku-4.5"), ("xsonnetx", "claude-sonnet-4.6"), ("opus", "claude-opus-4.6"),
        ("claude-opus-ü", "claude-opus-4.6"), ("claude-hai\u{212A}u", "claude-haiku-4.5"),  // KELVIN SIGN lowercases to k
    ])
    func modelFamilyMatch(_ name: String, _ nexusID: String) throws {
        #expect(try ModelCatalog().resolve(name).nexusID == nexusID)
    }

    @Test("No family match", arguments: ["claude-opu", "sonne", "h-aiku", "claude-opus\u{301}"])
    func modelFamilyMismatch(_ name: String) {
        #expect(throws: APIError.self) { try ModelCatalog().resolve(name) }
    }

    @Test func modelOverrides() throws {
        let catalog = ModelCatalog(overrides: ["big": "claude-opus-4.6", "custom": "claude-next"])
        #expect(try catalog.resolve("big").nexusID == "claude-opus-4.6")
        let custom = try catalog.resolve("custom")
        #expect(custom.nexusID == "claude-next")
        #expect(custom.thinking == .enabledAndAdaptive)
    }

    @Test func unknownModelIs404() {
        #expect(throws: APIError.self) { try ModelCatalog().resolve("gpt-4o") }
        do {
            _ = try ModelCatalog().resolve("gpt-4o")
        } catch {
            #expect(error.status == 404)
            #expect(error.kind == .notFound)
            #expect(
                error.message
                    == "model: gpt-4o is not available through AI Nexus. Known models: claude-sonnet-4.6, claude-opus-4.6, claude-haiku-4.5 (any claude-*-opus/sonnet/haiku name maps to them)."
            )
        }
    }
}
