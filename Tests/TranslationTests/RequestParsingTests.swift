import AnthropicAPI
import NexusJSON
import Testing

/// `MessagesRequest(json:)`: Anthropic-style validation errors with exact paths, and the shapes
/// a valid body parses into.
@Suite struct RequestParsingTests {
    struct BadBody: CustomTestStringConvertible, Sendable {
        let body: String
        let message: String
        var requireMaxTokens = true
        var testDescription: String { message }
    }

    static let user = #"{"role":"user","content":"Hi"}"#

    static let badBodies: [BadBody] = [
        // Top level and required fields.
        BadBody(body: #"[]"#, message: "Request body must be a JSON object"),
        BadBody(body: #"{"max_tokens":10,"messages":[]}"#, message: "model: Field required"),
        BadBody(body: #"{"model":"m","messages":[]}"#, message: "max_tokens: Field required"),
        BadBody(body: #"{"model":"m","max_tokens":10}"#, message: "messages: Field required"),
        BadBody(body: #"{"model":"m"}"#, message: "messages: Field required", requireMaxTokens: false),
        BadBody(body: #"{"model":7,"max_tokens":10,"messages":[]}"#, message: "model: Input should be a valid string"),
        BadBody(
            body: #"{"model":"","max_tokens":10,"messages":[]}"#,
            message: "model: String should have at least 1 character"),
        BadBody(
            body: #"{"model":"m","max_tokens":"10","messages":[]}"#,
            message: "max_tokens: Input should be a valid integer"),
        BadBody(
            body: #"{"model":"m","max_tokens":1.5,"messages":[]}"#,
            message: "max_tokens: Input should be a valid integer"),
        BadBody(
            body: #"{"model":"m","max_tokens":0,"messages":[]}"#,
            message: "max_tokens: Input should be greater than or equal to 1"),
        BadBody(
            body: #"{"model":"m","max_tokens":10,"messages":{}}"#, message: "messages: Input should be a valid list"),
        // Messages.
        BadBody(body: body(messages: #"["hi"]"#), message: "messages.0: Input should be a valid dictionary or object"),
        BadBody(body: body(messages: #"[{"content":"x"}]"#), message: "messages.0.role: Field required"),
        BadBody(
            body: body(messages: #"[{"role":"tool","content":"x"}]"#),
            message: "messages.0.role: Input should be 'user' or 'assistant'"),
        BadBody(body: body(messages: #"[{"role":"user"}]"#), message: "messages.0.content: Field required"),
        BadBody(
            body: body(messages: #"[\#(user),{"role":"assistant","content":5}]"#),
            message: "messages.1.content: Input should be a valid string or a list of content blocks"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"text","text":"a"},{"type":"video"}]}]"#),
            message:
                "messages.0.content.1.type: Input tag 'video' found using 'type' does not match any of the expected tags: "
                + "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"text":"a"}]}]"#),
            message: "messages.0.content.0.type: Field required"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"text"}]}]"#),
            message: "messages.0.content.0.text: Field required"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"text","text":3}]}]"#),
            message: "messages.0.content.0.text: Input should be a valid string"),
        BadBody(
            body: body(
                messages:
                    #"[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral","ttl":"10m"}}]}]"#
            ),
            message: "messages.0.content.0.cache_control.ttl: Input should be '5m' or '1h'"),
        BadBody(
            body: body(
                messages:
                    #"[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"persistent"}}]}]"#),
            message: "messages.0.content.0.cache_control.type: Input should be 'ephemeral'"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"text","text":"a","cache_control":"yes"}]}]"#),
            message: "messages.0.content.0.cache_control: Input should be a valid dictionary or object"),
        BadBody(
            body: body(
                messages:
                    #"[\#(user),{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":"x"}]}]"#),
            message: "messages.1.content.0.input: Input should be a valid dictionary"),
        BadBody(
            body: body(
                messages: #"[\#(user),{"role":"assistant","content":[{"type":"tool_use","name":"n","input":{}}]}]"#),
            message: "messages.1.content.0.id: Field required"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]"#),
            message: "messages.0.content.0.tool_use_id: Field required"),
        BadBody(
            body: body(
                messages:
                    #"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"nope"}]}]}]"#
            ),
            message:
                "messages.0.content.0.content.0.type: Input tag 'nope' found using 'type' does not match any of the expected tags: "
                + "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'"),
        BadBody(
            body: body(
                messages: #"[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":"yes"}]}]"#),
            message: "messages.0.content.0.is_error: Input should be a valid boolean"),
        BadBody(
            body: body(
                messages: #"[{"role":"user","content":[{"type":"image","source":{"type":"text","data":"x"}}]}]"#),
            message: "messages.0.content.0.source.type: Input should be 'base64', 'url' or 'file'"),
        BadBody(
            body: body(messages: #"[{"role":"user","content":[{"type":"image"}]}]"#),
            message: "messages.0.content.0.source: Field required"),
        BadBody(
            body: body(
                messages: #"[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"AAAA"}}]}]"#),
            message: "messages.0.content.0.source.media_type: Field required"),
        BadBody(
            body: body(
                messages: #"[{"role":"user","content":[{"type":"document","source":{"type":"s3","data":"x"}}]}]"#),
            message: "messages.0.content.0.source.type: Input should be 'base64', 'url', 'text', 'content' or 'file'"),
        BadBody(
            body: body(
                messages:
                    #"[{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"image","source":{"type":"url","url":"u"}}]}}]}]"#
            ),
            message: "messages.0.content.0.source.content: only text blocks are supported in a content document"),
        BadBody(
            body: body(messages: #"[\#(user),{"role":"assistant","content":[{"type":"thinking","signature":"s"}]}]"#),
            message: "messages.1.content.0.thinking: Field required"),
        BadBody(
            body: body(messages: #"[\#(user),{"role":"assistant","content":[{"type":"redacted_thinking"}]}]"#),
            message: "messages.1.content.0.data: Field required"),
        // System.
        BadBody(body: body(#""system":5"#), message: "system: Input should be a valid string or a list of text blocks"),
        BadBody(
            body: body(#""system":[{"type":"image","text":"x"}]"#), message: "system.0.type: Input should be 'text'"),
        BadBody(body: body(#""system":["x"]"#), message: "system.0: Input should be a valid dictionary or object"),
        BadBody(body: body(#""system":[{"type":"text"}]"#), message: "system.0.text: Field required"),
        BadBody(
            body: body(
                #""system":[{"type":"text","text":"a"},{"type":"text","text":"b","cache_control":{"type":"ephemeral","ttl":"2h"}}]"#
            ),
            message: "system.1.cache_control.ttl: Input should be '5m' or '1h'"),
        // Sampling.
        BadBody(body: body(#""temperature":1.5"#), message: "temperature: Input should be between 0 and 1"),
        BadBody(body: body(#""temperature":"hot""#), message: "temperature: Input should be a valid number"),
        BadBody(body: body(#""top_p":2"#), message: "top_p: Input should be between 0 and 1"),
        BadBody(body: body(#""top_k":-1"#), message: "top_k: Input should be greater than or equal to 0"),
        BadBody(body: body(#""top_k":2.5"#), message: "top_k: Input should be a valid integer"),
        BadBody(body: body(#""stop_sequences":"END""#), message: "stop_sequences: Input should be a valid list"),
        BadBody(body: body(#""stop_sequences":["a",1]"#), message: "stop_sequences.1: Input should be a valid string"),
        BadBody(body: body(#""stream":"yes""#), message: "stream: Input should be a valid boolean"),
        // Tools.
        BadBody(body: body(#""tools":{}"#), message: "tools: Input should be a valid list"),
        BadBody(body: body(#""tools":[{"input_schema":{}}]"#), message: "tools.0.name: Field required"),
        BadBody(
            body: body(#""tools":[{"name":"a","input_schema":{}},{"name":"b"}]"#),
            message: "tools.1.input_schema: Field required"),
        BadBody(
            body: body(#""tools":[{"name":"a","input_schema":[]}]"#),
            message: "tools.0.input_schema: Input should be a valid dictionary"),
        BadBody(
            body: body(#""tools":[{"name":"a","input_schema":{},"cache_control":{"type":"ephemeral","ttl":"1d"}}]"#),
            message: "tools.0.cache_control.ttl: Input should be '5m' or '1h'"),
        BadBody(
            body: body(#""tool_choice":{"type":"some"}"#),
            message: "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"),
        BadBody(body: body(#""tool_choice":{"type":"tool"}"#), message: "tool_choice.name: Field required"),
        BadBody(
            body: body(#""tool_choice":"auto""#), message: "tool_choice: Input should be a valid dictionary or object"),
        // Thinking.
        BadBody(
            body: body(#""thinking":{"type":"on"}"#),
            message: "thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'"),
        BadBody(body: body(#""thinking":{"type":"enabled"}"#), message: "thinking.budget_tokens: Field required"),
        BadBody(
            body: body(#""thinking":{"type":"enabled","budget_tokens":1000}"#),
            message: "thinking.budget_tokens: Input should be greater than or equal to 1024"),
        BadBody(
            body: body(#""output_config":"high""#),
            message: "output_config: Input should be a valid dictionary or object"),
    ]

    @Test(arguments: badBodies)
    func rejectsWithExactMessage(_ row: BadBody) throws {
        let error = try #require(try parseError(row.body, requireMaxTokens: row.requireMaxTokens))
        #expect(error.message == row.message)
        #expect(error.kind == .invalidRequest)
        #expect(error.status == 400)
    }

    @Test func stringContentIsOneTextBlock() throws {
        let request = try parseRequest(body())
        #expect(request.model == "claude-sonnet-4-6")
        #expect(request.maxTokens == 1024)
        #expect(request.messages == [Message(role: .user, content: [.text("Hi", cacheControl: nil)])])
        #expect(request.system == [])
        #expect(request.stream == false)
        #expect(request.tools == [])
        #expect(request.toolChoice == nil)
        #expect(request.thinking == nil)
    }

    @Test func blockContentKeepsOrderAndCacheControl() throws {
        let request = try parseRequest(
            body(
                messages: #"""
                    [{"role":"user","content":[
                      {"type":"text","text":"a"},
                      {"type":"text","text":"b","cache_control":{"type":"ephemeral"}},
                      {"type":"text","text":"c","cache_control":{"type":"ephemeral","ttl":"1h"}},
                      {"type":"text","text":"d","cache_control":{"ttl":"5m"}}]}]
                    """#))
        #expect(
            request.messages[0].content == [
                .text("a", cacheControl: nil), .text("b", cacheControl: CacheControl()),
                .text("c", cacheControl: CacheControl(ttl: "1h")), .text("d", cacheControl: CacheControl(ttl: "5m")),
            ])
    }

    @Test func systemString() throws {
        let request = try parseRequest(body(#""system":"Be brief.""#))
        #expect(request.system == [SystemBlock(text: "Be brief.")])
    }

    @Test func systemBlocks() throws {
        let request = try parseRequest(
            body(
                #""system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral","ttl":"1h"}}]"#
            ))
        #expect(
            request.system == [SystemBlock(text: "A"), SystemBlock(text: "B", cacheControl: CacheControl(ttl: "1h"))])
    }

    @Test func systemRoleInsideMessages() throws {
        let request = try parseRequest(
            body(messages: #"[{"role":"user","content":"Hi"},{"role":"system","content":"env"}]"#))
        #expect(request.messages.map(\.role) == [.user, .system])
    }

    @Test func countTokensNeedsNoMaxTokens() throws {
        let request = try parseRequest(body(maxTokens: nil), requireMaxTokens: false)
        #expect(request.maxTokens == nil)
    }

    @Test func nullOptionalsAreAbsent() throws {
        let request = try parseRequest(
            body(
                #""temperature":null,"top_p":null,"top_k":null,"system":null,"tools":null,"tool_choice":null,"thinking":null"#
            ))
        #expect(request.temperature == nil)
        #expect(request.topP == nil)
        #expect(request.topK == nil)
        #expect(request.system == [])
        #expect(request.tools == [])
        #expect(request.toolChoice == nil)
        #expect(request.thinking == nil)
    }

    @Test func typedFields() throws {
        let request = try parseRequest(
            body(
                #"""
                "temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END",""],"stream":true,
                "tool_choice":{"type":"tool","name":"get","disable_parallel_tool_use":true},
                "thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"},
                "output_config":{"effort":"low"},"context_management":{"edits":[]},"future_field":1
                """#))
        #expect(request.temperature == 0.5)
        #expect(request.topP == 0.9)
        #expect(request.topK == 40)
        #expect(request.stopSequences == ["END", ""])
        #expect(request.stream)
        #expect(request.toolChoice == .tool(name: "get"))
        #expect(request.disableParallelToolUse == true)
        #expect(request.thinking == .enabled(budgetTokens: 2048, display: "omitted"))
        #expect(request.outputConfig == ["effort": "low"])
        #expect(request.contextManagement == ["edits": []])
        #expect(request.raw["future_field"] == 1)
    }

    @Test(arguments: [
        (#"{"type":"auto"}"#, ToolChoice.auto), (#"{"type":"any"}"#, .any), (#"{"type":"none"}"#, ToolChoice.none),
        (#"{"type":"tool","name":"x"}"#, .tool(name: "x")),
    ])
    func toolChoice(_ choice: String, _ expected: ToolChoice) throws {
        #expect(try parseRequest(body(#""tool_choice":\#(choice)"#)).toolChoice == expected)
    }

    @Test(arguments: [
        (#"{"type":"enabled","budget_tokens":1024}"#, ThinkingConfig.enabled(budgetTokens: 1024, display: nil)),
        (#"{"type":"adaptive"}"#, .adaptive(display: nil)),
        (#"{"type":"adaptive","display":"summarized"}"#, .adaptive(display: "summarized")),
        (#"{"type":"disabled"}"#, .disabled),
    ])
    func thinking(_ thinking: String, _ expected: ThinkingConfig) throws {
        #expect(try parseRequest(body(#""thinking":\#(thinking)"#)).thinking == expected)
    }

    @Test func tools() throws {
        let request = try parseRequest(
            body(
                #"""
                "tools":[
                  {"name":"get","description":"Get it","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"},"defer_loading":true},
                  {"type":"custom","name":"put","input_schema":{"type":"object"},"strict":true},
                  {"type":"web_search_20250305","name":"web_search","max_uses":3}]
                """#))
        #expect(
            request.tools == [
                Tool(name: "get", description: "Get it", inputSchema: ["type": "object"], cacheControl: CacheControl()),
                Tool(type: "custom", name: "put", inputSchema: ["type": "object"], strict: true),
                Tool(type: "web_search_20250305", name: "web_search", inputSchema: nil),
            ])
        #expect(request.tools.map(\.isCustom) == [true, true, false])
    }

    @Test func everyBlockKind() throws {
        let request = try parseRequest(
            body(
                messages: #"""
                    [{"role":"user","content":[
                       {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},
                       {"type":"image","source":{"type":"url","url":"https://x/y.png"}},
                       {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"},"title":"T","context":"C","citations":{"enabled":true}},
                       {"type":"document","source":{"type":"text","data":"plain"}},
                       {"type":"document","source":{"type":"content","content":[{"type":"text","text":"p1"}]}},
                       {"type":"document","source":{"type":"file","file_id":"file_1"}}]},
                     {"role":"assistant","content":[
                       {"type":"thinking","thinking":"hmm","signature":"sig"},
                       {"type":"redacted_thinking","data":"opaque"},
                       {"type":"tool_use","id":"toolu_1","name":"get","input":{"a":1}},
                       {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]},
                     {"role":"user","content":[
                       {"type":"tool_result","tool_use_id":"toolu_1","content":"out","is_error":true},
                       {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"t"}]},
                       {"type":"tool_result","tool_use_id":"toolu_3"}]}]
                    """#))
        #expect(
            request.messages[0].content == [
                .image(.base64(mediaType: "image/png", data: "iVBO"), cacheControl: nil),
                .image(.url("https://x/y.png"), cacheControl: nil),
                .document(
                    ContentBlock.Document(
                        source: .base64(mediaType: "application/pdf", data: "JVBE"), title: "T", context: "C",
                        citations: true)),
                .document(ContentBlock.Document(source: .text(mediaType: "text/plain", data: "plain"))),
                .document(ContentBlock.Document(source: .content(["p1"]))),
                .document(ContentBlock.Document(source: .file(id: "file_1"))),
            ])
        #expect(
            request.messages[1].content == [
                .thinking(thinking: "hmm", signature: "sig"), .redactedThinking(data: "opaque"),
                .toolUse(id: "toolu_1", name: "get", input: ["a": 1], cacheControl: nil),
                .unsupported(type: "server_tool_use"),
            ])
        #expect(
            request.messages[2].content == [
                .toolResult(
                    ContentBlock.ToolResult(
                        toolUseID: "toolu_1", content: [.text("out", cacheControl: nil)], isError: true)),
                .toolResult(ContentBlock.ToolResult(toolUseID: "toolu_2", content: [.text("t", cacheControl: nil)])),
                .toolResult(ContentBlock.ToolResult(toolUseID: "toolu_3", content: [])),
            ])
    }
}
