import AnthropicAPI
import BedrockAPI
import NexusJSON
import Testing
import Translation

/// Bedrock errors → Anthropic errors (reference: "Errors from Bedrock"), and parsing the shapes
/// Bedrock errors arrive in.
@Suite struct ErrorMappingTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let name: String
        let status: Int
        let message: String
        var retryAfter: Int? = nil
        let expectedStatus: Int
        let expectedKind: APIError.Kind
        let expectedMessage: String
        var expectedRetryAfter: Int? = nil
        var testDescription: String { "\(name) \(status): \(message)" }
    }

    static let rows: [Row] = [
        Row(
            name: "ValidationException", status: 400,
            message: "Malformed input request: extraneous key [x] is not permitted",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "Malformed input request: extraneous key [x] is not permitted"),
        Row(
            name: "ValidationException", status: 400,
            message: "A maximum of 4 blocks with cache_control may be provided. Found 5.",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "A maximum of 4 blocks with cache_control may be provided. Found 5."),
        // "prompt is too long": Claude Code compacts on this phrase.
        Row(
            name: "ValidationException", status: 400, message: "Input is too long for requested model.",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "prompt is too long: Input is too long for requested model."),
        Row(
            name: "ValidationException", status: 400, message: "too many total text bytes: 9876543 > 9000000",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "prompt is too long: too many total text bytes: 9876543 > 9000000"),
        Row(
            name: "ValidationException", status: 400, message: "The input exceeds the model's context window.",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "prompt is too long: The input exceeds the model's context window."),
        Row(
            name: "ValidationException", status: 400,
            message: "input length and `max_tokens` exceed context limit: 190000 + 32000 > 200000",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage:
                "prompt is too long: input length and `max_tokens` exceed context limit: 190000 + 32000 > 200000"),
        // Already Anthropic's phrase: not doubled.
        Row(
            name: "ValidationException", status: 400, message: "prompt is too long: 215000 tokens > 200000 maximum",
            expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "prompt is too long: 215000 tokens > 200000 maximum"),
        // A bad key is the gateway's problem: 401. Any other denial stays 403.
        Row(
            name: "AccessDeniedException", status: 403, message: "Authentication failed: invalid API key",
            expectedStatus: 401, expectedKind: .authentication,
            expectedMessage: "AI Nexus rejected the gateway's key: Authentication failed: invalid API key"),
        Row(
            name: "AccessDeniedException", status: 403,
            message: "The security token included in the request is invalid.",
            expectedStatus: 401, expectedKind: .authentication,
            expectedMessage:
                "AI Nexus rejected the gateway's key: The security token included in the request is invalid."),
        Row(
            name: "UnrecognizedClientException", status: 403, message: "Bad credentials",
            expectedStatus: 401, expectedKind: .authentication,
            expectedMessage: "AI Nexus rejected the gateway's key: Bad credentials"),
        Row(
            name: "AccessDeniedException", status: 403,
            message: "You don't have access to the model with the specified model ID.",
            expectedStatus: 403, expectedKind: .permission,
            expectedMessage: "You don't have access to the model with the specified model ID."),
        Row(
            name: "ResourceNotFoundException", status: 404, message: "Model not found",
            expectedStatus: 404, expectedKind: .notFound, expectedMessage: "Model not found"),
        Row(
            name: "ModelTimeoutException", status: 408, message: "Model has timed out",
            expectedStatus: 504, expectedKind: .timeout, expectedMessage: "Model has timed out"),
        Row(
            name: "ThrottlingException", status: 429, message: "Too many requests, please wait before trying again.",
            retryAfter: 7,
            expectedStatus: 429, expectedKind: .rateLimit,
            expectedMessage: "Too many requests, please wait before trying again.",
            expectedRetryAfter: 7),
        Row(
            name: "ThrottlingException", status: 429, message: "Too many tokens",
            expectedStatus: 429, expectedKind: .rateLimit, expectedMessage: "Too many tokens"),
        Row(
            name: "ModelNotReadyException", status: 429, message: "Model is not ready", retryAfter: 2,
            expectedStatus: 429, expectedKind: .rateLimit, expectedMessage: "Model is not ready", expectedRetryAfter: 2),
        Row(
            name: "ModelErrorException", status: 424, message: "The model failed", expectedStatus: 500,
            expectedKind: .api,
            expectedMessage: "The model failed"),
        Row(
            name: "ModelStreamErrorException", status: 424, message: "stream broke", expectedStatus: 500,
            expectedKind: .api,
            expectedMessage: "stream broke"),
        Row(
            name: "InternalServerException", status: 500, message: "oops", expectedStatus: 500, expectedKind: .api,
            expectedMessage: "oops"),
        Row(
            name: "ServiceUnavailableException", status: 503, message: "Service is unavailable", retryAfter: 3,
            expectedStatus: 529, expectedKind: .overloaded, expectedMessage: "Service is unavailable",
            expectedRetryAfter: 3),
        // Names we do not know fall back on the HTTP status.
        Row(
            name: "Weird", status: 400, message: "w", expectedStatus: 400, expectedKind: .invalidRequest,
            expectedMessage: "w"),
        Row(
            name: "Weird", status: 401, message: "w", expectedStatus: 401, expectedKind: .authentication,
            expectedMessage: "w"),
        Row(
            name: "Weird", status: 403, message: "w", expectedStatus: 403, expectedKind: .permission,
            expectedMessage: "w"),
        Row(
            name: "Weird", status: 413, message: "w", expectedStatus: 413, expectedKind: .requestTooLarge,
            expectedMessage: "w"),
        Row(
            name: "Weird", status: 504, message: "w", expectedStatus: 504, expectedKind: .timeout, expectedMessage: "w"),
        Row(name: "Weird", status: 502, message: "w", expectedStatus: 500, expectedKind: .api, expectedMessage: "w"),
    ]

    @Test(arguments: rows)
    func bedrockErrorMapsToAnthropic(_ row: Row) {
        let error = ResponseTranslator.error(
            BedrockError(name: row.name, message: row.message, status: row.status), retryAfter: row.retryAfter)
        #expect(error.status == row.expectedStatus)
        #expect(error.kind == row.expectedKind)
        #expect(error.message == row.expectedMessage)
        #expect(error.retryAfter == row.expectedRetryAfter)
    }

    @Test func everyTooLongErrorStartsWithThePhrase() {
        for phrase in [
            "Input is too long for requested model.", "too many total text bytes", "prompt is too long",
            "Requested tokens exceed context window of 200000", "Too many input tokens",
        ] {
            let error = ResponseTranslator.error(
                BedrockError(name: "ValidationException", message: phrase, status: 400))
            #expect(error.message.hasPrefix("prompt is too long"), "\(phrase)")
        }
    }

    struct ParseRow: CustomTestStringConvertible, Sendable {
        let status: Int
        let header: String?
        let body: String?
        let name: String
        let message: String
        var testDescription: String { "\(status) \(header ?? "-") \(body ?? "-")" }
    }

    static let parseRows: [ParseRow] = [
        ParseRow(
            status: 429, header: "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
            body: #"{"message":"Too many requests, please wait before trying again."}"#, name: "ThrottlingException",
            message: "Too many requests, please wait before trying again."),
        ParseRow(
            status: 400, header: nil,
            body: #"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#,
            name: "ValidationException", message: "bad"),
        ParseRow(
            status: 400, header: nil,
            body:
                #"{"__type":"com.amazonaws.bedrock#ValidationException:http://internal.amazon.com/","message":"bad"}"#,
            name: "ValidationException", message: "bad"),
        ParseRow(
            status: 403, header: nil, body: #"{"Message":"Authentication failed: Invalid API key"}"#,
            name: "AccessDeniedException",
            message: "Authentication failed: Invalid API key"),
        ParseRow(
            status: 403, header: "AccessDeniedException", body: #"{"message":"denied"}"#, name: "AccessDeniedException",
            message: "denied"),
        ParseRow(
            status: 404, header: nil, body: #"{"code":"ResourceNotFoundException","message":"no such model"}"#,
            name: "ResourceNotFoundException", message: "no such model"),
        ParseRow(
            status: 503, header: nil, body: #"{"error":{"message":"busy"}}"#, name: "ServiceUnavailableException",
            message: "busy"),
        ParseRow(
            status: 502, header: nil, body: #"{"error":"bad gateway"}"#, name: "InternalServerException",
            message: "bad gateway"),
        ParseRow(status: 500, header: nil, body: nil, name: "InternalServerException", message: "HTTP 500"),
        ParseRow(status: 408, header: nil, body: #"{"p":"x"}"#, name: "ModelTimeoutException", message: "HTTP 408"),
        ParseRow(status: 424, header: nil, body: nil, name: "ModelErrorException", message: "HTTP 424"),
        ParseRow(
            status: 429, header: "throttlingException", body: nil, name: "ThrottlingException", message: "HTTP 429"),
        ParseRow(status: 401, header: nil, body: nil, name: "AccessDeniedException", message: "HTTP 401"),
    ]

    @Test(arguments: parseRows)
    func bedrockErrorParsing(_ row: ParseRow) throws {
        let body = try row.body.map { try json($0) }
        let error = BedrockError(status: row.status, errorTypeHeader: row.header, body: body)
        #expect(error.name == row.name)
        #expect(error.message == row.message)
        #expect(error.status == row.status)
    }

    @Test(arguments: [
        ("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", "ThrottlingException"),
        ("com.amazon.bedrock#ValidationException", "ValidationException"),
        ("throttlingException", "ThrottlingException"),
        ("modelStreamErrorException", "ModelStreamErrorException"),
        ("ValidationException", "ValidationException"),
        ("", ""),
    ])
    func normalize(_ raw: String, _ expected: String) {
        #expect(BedrockError.normalize(raw) == expected)
    }

    @Test(arguments: [
        ("ValidationException", 400), ("AccessDeniedException", 403), ("ResourceNotFoundException", 404),
        ("ModelTimeoutException", 408), ("ModelErrorException", 424), ("ModelStreamErrorException", 424),
        ("ThrottlingException", 429), ("ModelNotReadyException", 429), ("ServiceUnavailableException", 503),
        ("InternalServerException", 500),
    ])
    func statusForName(_ name: String, _ status: Int) {
        #expect(BedrockError.status(forName: name) == status)
    }

    @Test func badKeyEndToEnd() throws {
        let bedrock = BedrockError(
            status: 403, errorTypeHeader: nil, body: try json(#"{"Message":"Authentication failed: token expired"}"#))
        let error = ResponseTranslator.error(bedrock)
        #expect(error.status == 401)
        #expect(
            error.jsonValue(requestID: "req_1").jsonString
                == #"{"type":"error","error":{"type":"authentication_error","message":"AI Nexus rejected the gateway's key: Authentication failed: token expired"},"request_id":"req_1"}"#
        )
    }

    @Test func errorBodyWithoutRequestID() {
        #expect(
            APIError.invalid("x: Field required").jsonValue(requestID: nil).jsonString
                == #"{"type":"error","error":{"type":"invalid_request_error","message":"x: Field required"}}"#)
    }

    @Test(arguments: APIError.Kind.allCases)
    func defaultStatus(_ kind: APIError.Kind) {
        let expected: [APIError.Kind: Int] = [
            .invalidRequest: 400, .authentication: 401, .permission: 403, .notFound: 404, .requestTooLarge: 413,
            .rateLimit: 429, .api: 500, .timeout: 504, .overloaded: 529,
        ]
        #expect(APIError(kind, "m").status == expected[kind])
    }
}
