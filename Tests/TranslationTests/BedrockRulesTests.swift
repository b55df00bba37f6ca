import AnthropicAPI
import BedrockAPI
import NexusJSON
import Testing
import Translation

/// The rules Bedrock enforces that Anthropic clients break (reference: "Rules Bedrock enforces").
@Suite struct BedrockRulesTests {
    /// The Converse `messages` array for `messages` (JSON text).
    func messages(_ messages: String, _ extra: String = "") throws -> String? {
        try converse(body(extra, messages: messages)).json(at: "messages")
    }

    // MARK: Roles, blank text, empty messages, prefill

    @Test(arguments: [
        // Consecutive same-role turns merge.
        (
            #"[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"}]}]"#,
            #"[{"role":"user","content":[{"text":"a"},{"text":"b"}]}]"#
        ),
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"assistant","content":"c"},{"role":"user","content":"d"}]"#,
            #"[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"},{"text":"c"}]},{"role":"user","content":[{"text":"d"}]}]"#
        ),
        // Blank and whitespace-only text is dropped.
        (
            #"[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":" \n\t"},{"type":"text","text":"x"},{"type":"text","text":"\u00a0"}]}]"#,
            #"[{"role":"user","content":[{"text":"x"}]}]"#
        ),
        // A message left empty disappears, and its neighbours merge.
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":"  "},{"role":"user","content":"b"}]"#,
            #"[{"role":"user","content":[{"text":"a"},{"text":"b"}]}]"#
        ),
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":[]},{"role":"user","content":"b"}]"#,
            #"[{"role":"user","content":[{"text":"a"},{"text":"b"}]}]"#
        ),
        (
            #"[{"role":"user","content":"   "},{"role":"user","content":"b"}]"#,
            #"[{"role":"user","content":[{"text":"b"}]}]"#
        ),
        // A final assistant turn (prefill) loses its trailing whitespace.
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":"Sure:  \n"}]"#,
            #"[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"Sure:"}]}]"#
        ),
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"text","text":"{ "},{"type":"text","text":"\"k\": ","cache_control":{"type":"ephemeral"}}]}]"#,
            #"[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"{ "},{"text":"\"k\":"},{"cachePoint":{"type":"default"}}]}]"#
        ),
        // ... but only the final one, and leading whitespace stays.
        (
            #"[{"role":"user","content":"a"},{"role":"assistant","content":" b "},{"role":"user","content":"c "}]"#,
            #"[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":" b "}]},{"role":"user","content":[{"text":"c "}]}]"#
        ),
    ])
    func conversationShape(_ input: String, _ expected: String) throws {
        #expect(try messages(input) == expected)
    }

    @Test func prefillIsTrimmedBeforeItsCachePoint() throws {
        let out = try messages(
            #"[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"x \n","cache_control":{"type":"ephemeral"}}]}]"#
        )
        #expect(
            out
                == #"[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"reasoningContent":{"reasoningText":{"text":"t","signature":"s"}}},{"text":"x"},{"cachePoint":{"type":"default"}}]}]"#
        )
    }

    @Test(arguments: [
        (
            #"[{"role":"assistant","content":"a"},{"role":"user","content":"b"}]"#,
            "messages: A conversation must start with a user message."
        ),
        (
            #"[{"role":"user","content":" "},{"role":"assistant","content":"a"}]"#,
            "messages: A conversation must start with a user message."
        ),
        (#"[]"#, "messages: at least one message is required"),
        (
            #"[{"role":"user","content":" "},{"role":"assistant","content":[]}]"#,
            "messages: every message is empty (blank text is not allowed upstream)"
        ),
    ])
    func conversationErrors(_ input: String, _ message: String) throws {
        let error = try translationError(body(messages: input))
        #expect(error?.message == message)
        #expect(error?.status == 400)
    }

    // MARK: Mid-conversation system messages

    static let systemPrompt =
        #""system":[{"type":"text","text":"You are Claude Code."},{"type":"text","text":"Long prompt","cache_control":{"type":"ephemeral"}}]"#

    @Test func systemMessagesFoldIntoTheNeighbouringUserTurn() throws {
        let input = #"""
            [{"role":"user","content":"Hi"},
             {"role":"system","content":"# Environment\ncwd: /home/user"},
             {"role":"assistant","content":"Hello"},
             {"role":"user","content":[{"type":"text","text":"Run"}]},
             {"role":"system","content":[{"type":"text","text":"reminder","cache_control":{"type":"ephemeral"}}]}]
            """#
        let out = try converse(body(Self.systemPrompt, messages: input))
        #expect(
            out.json(at: "messages")
                == ##"[{"role":"user","content":[{"text":"Hi"},{"text":"# Environment\ncwd: /home/user"}]},"##
                + #"{"role":"assistant","content":[{"text":"Hello"}]},"#
                + #"{"role":"user","content":[{"text":"Run"},{"text":"reminder"},{"cachePoint":{"type":"default"}}]}]"#)
        // The top-level system prompt is byte-identical to the one without system messages.
        let plain = try converse(body(Self.systemPrompt, messages: #"[{"role":"user","content":"Hi"}]"#))
        #expect(out.json(at: "system") == plain.json(at: "system"))
        #expect(
            out.json(at: "system")
                == #"[{"text":"You are Claude Code."},{"text":"Long prompt"},{"cachePoint":{"type":"default"}}]"#)
    }

    @Test func systemMessageAfterAssistantBecomesTheLastUserTurn() throws {
        #expect(
            try messages(
                #"[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"system","content":"env"}]"#
            )
                == #"[{"role":"user","content":[{"text":"Hi"}]},{"role":"assistant","content":[{"text":"Hello"}]},{"role":"user","content":[{"text":"env"}]}]"#
        )
    }

    @Test func systemMessageBeforeToolResultsKeepsTheResultsFirst() throws {
        let out = try messages(
            #"""
            [{"role":"user","content":"Run"},
             {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}},{"type":"tool_use","id":"toolu_2","name":"Bash","input":{}}]},
             {"role":"system","content":"reminder"},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"one"},{"type":"tool_result","tool_use_id":"toolu_2","content":"two","cache_control":{"type":"ephemeral"}},{"type":"text","text":"next"}]}]
            """#)
        #expect(
            out
                == #"[{"role":"user","content":[{"text":"Run"}]},"#
                + #"{"role":"assistant","content":[{"toolUse":{"toolUseId":"toolu_1","name":"Bash","input":{}}},{"toolUse":{"toolUseId":"toolu_2","name":"Bash","input":{}}}]},"#
                + #"{"role":"user","content":[{"toolResult":{"toolUseId":"toolu_1","content":[{"text":"one"}]}},{"toolResult":{"toolUseId":"toolu_2","content":[{"text":"two"}]}},"#
                + #"{"cachePoint":{"type":"default"}},{"text":"reminder"},{"text":"next"}]}]"#)
    }

    @Test func systemMessageFirst() throws {
        #expect(
            try messages(#"[{"role":"system","content":"env"},{"role":"user","content":"Hi"}]"#)
                == #"[{"role":"user","content":[{"text":"env"},{"text":"Hi"}]}]"#)
    }

    // MARK: Cache points

    /// Counts `{"cachePoint":…}` entries anywhere in a Converse body.
    func cachePoints(_ value: JSONValue) -> [String] {
        var found: [String] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .object(let o):
                if let cp = o["cachePoint"] { found.append(cp.jsonString) }
                for member in o { walk(member.value) }
            case .array(let a): for e in a { walk(e) }
            default: break
            }
        }
        for key in ["toolConfig", "system", "messages"] { if let v = value[key] { walk(v) } }
        return found
    }

    @Test func cachePointsClampedToFourKeepingTheLatest() throws {
        let cc = #""cache_control":{"type":"ephemeral"}"#
        let t = try translate(
            body(
                #"""
                "tools":[{"name":"a","input_schema":{"type":"object"},\#(cc)}],
                "system":[{"type":"text","text":"s1",\#(cc)},{"type":"text","text":"s2",\#(cc)}]
                """#,
                messages: #"""
                    [{"role":"user","content":[{"type":"text","text":"m1",\#(cc)}]},
                     {"role":"assistant","content":[{"type":"text","text":"m2",\#(cc)}]},
                     {"role":"user","content":[{"type":"text","text":"m3","cache_control":{"type":"ephemeral","ttl":"5m"}}]}]
                    """#))
        let out = t.converse.jsonValue
        #expect(cachePoints(out).count == 4)
        #expect(
            out.json(at: "toolConfig.tools") == #"[{"toolSpec":{"name":"a","inputSchema":{"json":{"type":"object"}}}}]"#
        )
        #expect(out.json(at: "system") == #"[{"text":"s1"},{"text":"s2"},{"cachePoint":{"type":"default"}}]"#)
        #expect(
            out.json(at: "messages")
                == #"[{"role":"user","content":[{"text":"m1"},{"cachePoint":{"type":"default"}}]},"#
                + #"{"role":"assistant","content":[{"text":"m2"},{"cachePoint":{"type":"default"}}]},"#
                + #"{"role":"user","content":[{"text":"m3"},{"cachePoint":{"type":"default","ttl":"5m"}}]}]"#)
        #expect(t.notes.contains("dropped 2 cache_control breakpoints over the limit of 4"))
    }

    @Test func fourCachePointsAreKept() throws {
        let cc = #""cache_control":{"type":"ephemeral"}"#
        let out = try converse(
            body(
                #""system":[{"type":"text","text":"s1",\#(cc)},{"type":"text","text":"s2",\#(cc)}]"#,
                messages:
                    #"[{"role":"user","content":[{"type":"text","text":"m1",\#(cc)},{"type":"text","text":"m2",\#(cc)}]}]"#
            ))
        #expect(cachePoints(out) == Array(repeating: #"{"type":"default"}"#, count: 4))
    }

    @Test(arguments: [
        // A 1h breakpoint after a 5m one is downgraded to the default (5m).
        (
            "5m-then-1h", #"{"type":"ephemeral"}"#, #"{"type":"ephemeral","ttl":"1h"}"#,
            [#"{"type":"default"}"#, #"{"type":"default"}"#]
        ),
        (
            "explicit-5m-then-1h", #"{"type":"ephemeral","ttl":"5m"}"#, #"{"type":"ephemeral","ttl":"1h"}"#,
            [#"{"type":"default","ttl":"5m"}"#, #"{"type":"default"}"#]
        ),
        // Decreasing TTLs are fine.
        (
            "1h-then-5m", #"{"type":"ephemeral","ttl":"1h"}"#, #"{"type":"ephemeral"}"#,
            [#"{"type":"default","ttl":"1h"}"#, #"{"type":"default"}"#]
        ),
        (
            "1h-then-1h", #"{"type":"ephemeral","ttl":"1h"}"#, #"{"type":"ephemeral","ttl":"1h"}"#,
            [#"{"type":"default","ttl":"1h"}"#, #"{"type":"default","ttl":"1h"}"#]
        ),
    ])
    func ttlOrdering(_ name: String, _ systemCC: String, _ messageCC: String, _ expected: [String]) throws {
        let out = try converse(
            body(
                #""system":[{"type":"text","text":"s","cache_control":\#(systemCC)}]"#,
                messages: #"[{"role":"user","content":[{"type":"text","text":"m","cache_control":\#(messageCC)}]}]"#))
        #expect(cachePoints(out) == expected)
    }

    @Test func ttlOrderingRunsFromToolsThroughSystemToMessages() throws {
        let out = try converse(
            body(
                #"""
                "tools":[{"name":"a","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
                "system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral","ttl":"1h"}}]
                """#,
                messages:
                    #"[{"role":"user","content":[{"type":"text","text":"m","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]"#
            ))
        #expect(cachePoints(out) == [#"{"type":"default"}"#, #"{"type":"default"}"#, #"{"type":"default"}"#])
    }

    // MARK: Tool names and tool use ids

    @Test(arguments: [
        ("get_weather", "get_weather"), ("mcp__github__create-issue", "mcp__github__create-issue"),
        ("my.tool", "my_tool"), ("search web", "search_web"), ("outil_é", "outil__"), ("a/b:c", "a_b_c"),
    ])
    func toolNameSanitizing(_ name: String, _ expected: String) throws {
        let t = try translate(body(#""tools":[{"name":"\#(name)","input_schema":{"type":"object"}}]"#))
        #expect(t.converse.jsonValue.json(at: "toolConfig.tools.0.toolSpec.name") == "\"\(expected)\"")
        #expect(t.toolNameMap == (name == expected ? [:] : [expected: name]))
    }

    static func isToolName(_ s: String) -> Bool { s.wholeMatch(of: /[a-zA-Z0-9_-]{1,64}/) != nil }

    @Test func longToolNamesAreShortenedAndUnique() throws {
        let long1 = "mcp__server__" + String(repeating: "x", count: 60) + ".a"
        let long2 = "mcp__server__" + String(repeating: "x", count: 60) + ".b"
        let t = try translate(
            body(
                #""tools":[{"name":"\#(long1)","input_schema":{"type":"object"}},{"name":"\#(long2)","input_schema":{"type":"object"}}]"#
            ))
        let names = (0..<2).compactMap { t.converse.jsonValue.at("toolConfig.tools.\($0).toolSpec.name")?.stringValue }
        #expect(names.count == 2)
        #expect(Set(names).count == 2)
        for name in names { #expect(Self.isToolName(name), "\(name)") }
        #expect(Set(t.toolNameMap.values) == [long1, long2])
        #expect(Set(t.toolNameMap.keys) == Set(names))
    }

    @Test(arguments: [["a.b", "a_b"], ["a_b", "a.b"], ["a.b", "a:b", "a_b"]])
    func sanitizedNamesNeverCollide(_ clientNames: [String]) throws {
        let tools = clientNames.map { #"{"name":"\#($0)","input_schema":{"type":"object"}}"# }.joined(separator: ",")
        let t = try translate(body(#""tools":[\#(tools)],"tool_choice":{"type":"tool","name":"a_b"}"#))
        let names = clientNames.indices.compactMap {
            t.converse.jsonValue.at("toolConfig.tools.\($0).toolSpec.name")?.stringValue
        }
        #expect(names.count == clientNames.count)
        #expect(Set(names).count == clientNames.count, "duplicate Converse tool names: \(names)")
        // Every Converse name maps back to exactly the client's name.
        for (converseName, clientName) in zip(names, clientNames) {
            #expect((t.toolNameMap[converseName] ?? converseName) == clientName)
        }
        // The forced tool is the client's "a_b".
        let forced = try #require(t.converse.jsonValue.at("toolConfig.toolChoice.tool.name")?.stringValue)
        #expect((t.toolNameMap[forced] ?? forced) == "a_b")
    }

    @Test func toolNamesMapBackInResponses() throws {
        let t = try translate(
            body(
                #""tools":[{"name":"fs.read","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"fs.read"}"#,
                messages: #"""
                    [{"role":"user","content":"Read"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"fs.read","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]}]
                    """#))
        let out = t.converse.jsonValue
        #expect(out.json(at: "toolConfig.toolChoice") == #"{"tool":{"name":"fs_read"}}"#)
        #expect(out.json(at: "messages.1.content.0.toolUse.name") == #""fs_read""#)
        #expect(t.toolNameMap == ["fs_read": "fs.read"])

        let response = ConverseResponse(
            content: [
                .toolUse(id: "toolu_2", name: "fs_read", input: ["path": "a"]),
                .toolUse(id: "toolu_3", name: "other", input: [:]),
            ],
            stopReason: "tool_use", usage: ConverseUsage())
        let message = try ResponseTranslator.message(response, id: "msg_1", model: "m", toolNameMap: t.toolNameMap)
        #expect(
            message.content == [
                .toolUse(id: "toolu_2", name: "fs.read", input: ["path": "a"]),
                .toolUse(id: "toolu_3", name: "other", input: [:]),
            ])
    }

    @Test func historyToolNamesAreSanitizedToo() throws {
        let t = try translate(
            body(
                messages: #"""
                    [{"role":"user","content":"Read"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"fs.read","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]}]
                    """#))
        let out = t.converse.jsonValue
        #expect(out.json(at: "messages.1.content.0.toolUse.name") == #""fs_read""#)
        #expect(out.json(at: "toolConfig.tools.0.toolSpec.name") == #""fs_read""#)
        #expect(t.toolNameMap == ["fs_read": "fs.read"])
    }

    static func isToolUseID(_ s: String) -> Bool { s.wholeMatch(of: /[a-zA-Z0-9_.:-]{1,64}/) != nil }

    @Test(arguments: [
        "toolu_01ABC", "call.1:2-x", "call abc/1", "", String(repeating: "id", count: 40), "тул_1",
    ])
    func toolUseIDsMatchInUseAndResult(_ id: String) throws {
        let out = try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Run"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"\#(id)","name":"Bash","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"\#(id)","content":"ok"}]}]
                    """#))
        let useID = try #require(out.at("messages.1.content.0.toolUse.toolUseId")?.stringValue)
        let resultID = try #require(out.at("messages.2.content.0.toolResult.toolUseId")?.stringValue)
        #expect(useID == resultID)
        #expect(Self.isToolUseID(useID), "\(useID)")
        if Self.isToolUseID(id) { #expect(useID == id) }
    }

    @Test func distinctLongToolUseIDsStayDistinct() throws {
        let a = String(repeating: "a", count: 70) + "1"
        let b = String(repeating: "a", count: 70) + "2"
        let out = try converse(
            body(
                messages: #"""
                    [{"role":"user","content":"Run"},
                     {"role":"assistant","content":[{"type":"tool_use","id":"\#(a)","name":"Bash","input":{}},{"type":"tool_use","id":"\#(b)","name":"Bash","input":{}}]},
                     {"role":"user","content":[{"type":"tool_result","tool_use_id":"\#(a)","content":"1"},{"type":"tool_result","tool_use_id":"\#(b)","content":"2"}]}]
                    """#))
        let ids = [
            "messages.1.content.0.toolUse.toolUseId", "messages.1.content.1.toolUse.toolUseId",
            "messages.2.content.0.toolResult.toolUseId", "messages.2.content.1.toolResult.toolUseId",
        ].map { out.at($0)?.stringValue }
        #expect(ids[0] == ids[2])
        #expect(ids[1] == ids[3])
        #expect(ids[0] != ids[1])
    }

    // MARK: Thinking constraints

    @Test(arguments: [
        (
            #""thinking":{"type":"enabled","budget_tokens":2048},"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"any"}"#,
            "Thinking may not be enabled when tool_choice forces tool use."
        ),
        (
            #""thinking":{"type":"adaptive"},"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"tool","name":"a"}"#,
            "Thinking may not be enabled when tool_choice forces tool use."
        ),
        (
            #""thinking":{"type":"enabled","budget_tokens":2048},"temperature":0.5"#,
            "`temperature` may only be set to 1 when thinking is enabled."
        ),
        (
            #""thinking":{"type":"adaptive"},"temperature":0"#,
            "`temperature` may only be set to 1 when thinking is enabled."
        ),
        (#""thinking":{"type":"adaptive"},"top_k":5"#, "`top_k` must be unset when thinking is enabled."),
        (
            #""thinking":{"type":"enabled","budget_tokens":1024}"#,
            "`max_tokens` must be greater than `thinking.budget_tokens`."
        ),
        (
            #""thinking":{"type":"enabled","budget_tokens":4096}"#,
            "`max_tokens` must be greater than `thinking.budget_tokens`."
        ),
    ])
    func thinkingConstraints(_ extra: String, _ message: String) throws {
        let error = try translationError(body(extra, maxTokens: 1024))
        #expect(error?.message == message)
        #expect(error?.status == 400)
    }

    @Test(arguments: [
        #""thinking":{"type":"enabled","budget_tokens":1024},"temperature":1"#,
        #""thinking":{"type":"disabled"},"temperature":0.2,"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"any"}"#,
        #""thinking":{"type":"adaptive"},"tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"auto"}"#,
    ])
    func thinkingAllowed(_ extra: String) throws {
        _ = try translate(body(extra, maxTokens: 1025))
    }

    // MARK: Unsupported features

    static let serverTool =
        #""tools":[{"name":"Bash","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search","max_uses":5}]"#

    @Test func serverToolsAreRejectedByName() throws {
        let error = try translationError(body(Self.serverTool))
        #expect(
            error?.message
                == "tools.1: the server tool 'web_search' (web_search_20250305) is not supported by AI Nexus (Bedrock Converse). "
                + "Remove it, or start the gateway with --drop-unsupported-tools to drop it silently.")
    }

    @Test func serverToolsAreDroppedWithTheOption() throws {
        let t = try translate(body(Self.serverTool), options: TranslationOptions(dropUnsupportedServerTools: true))
        #expect(
            t.converse.jsonValue.json(at: "toolConfig")
                == #"{"tools":[{"toolSpec":{"name":"Bash","inputSchema":{"json":{"type":"object"}}}}]}"#)
        #expect(t.notes.contains("dropped server tool web_search (web_search_20250305)"))
    }

    @Test(arguments: [
        (
            #""mcp_servers":[{"type":"url","url":"https://mcp.example.com","name":"x"}]"#,
            "mcp_servers: the MCP connector is not supported by AI Nexus; run MCP servers in the client"
        ),
        (#""container":"cntr_1""#, "container: code execution containers are not supported by AI Nexus"),
    ])
    func unsupportedTopLevelFields(_ extra: String, _ message: String) throws {
        #expect(try translationError(body(extra))?.message == message)
    }

    @Test func emptyMCPServersAreFine() throws {
        _ = try translate(body(#""mcp_servers":[],"container":null"#))
    }
}
