import BedrockAPI
import NexusJSON

/// A quick input-token estimate for a Converse request: what `message_start` reports before
/// upstream's exact count arrives, and the `count_tokens` answer when AI Nexus offers no counting.
///
/// Claude's tokenizer averages a little under 4 bytes of English text per token; JSON schemas
/// and code run denser, so text counts at 1 token per 3.6 bytes. Images count as Anthropic
/// documents it (about 1,600 tokens for a typical image), PDFs by size.
public enum TokenEstimator {
    public static func estimate(_ request: ConverseRequest) -> Int {
        var bytes = 0
        var fixed = 0
        for block in request.system { if case .text(let t) = block { bytes += t.utf8Count } }
        for message in request.messages {
            fixed += 4
            for block in message.content { count(block, bytes: &bytes, fixed: &fixed) }
        }
        for tool in request.tools {
            if case .spec(let name, let description, let schema, _) = tool {
                bytes += name.utf8.count + (description?.utf8Count ?? 0) + schema.jsonByteCount
                fixed += 8
            }
        }
        return max(1, Int((Double(bytes) / 3.6).rounded(.up)) + fixed)
    }

    static func count(_ block: ConverseBlock, bytes: inout Int, fixed: inout Int) {
        switch block {
        case .text(let t): bytes += t.utf8Count
        case .image: fixed += 1_600
        case .document(let d):
            switch d.source {
            case .bytes(let b): fixed += max(1_500, b.utf8.count / 4 * 3 / 50)
            case .text(let t): bytes += t.utf8.count
            case .content(let texts): for t in texts { bytes += t.utf8.count }
            }
        case .toolUse(_, let name, let input): bytes += name.utf8.count + input.jsonByteCount
        case .toolResult(_, let content, _):
            for c in content {
                switch c {
                case .text(let t): bytes += t.utf8Count
                case .json(let j): bytes += j.jsonByteCount
                case .image: fixed += 1_600
                case .document: fixed += 1_500
                }
            }
        case .reasoningText(let text, _): bytes += text.utf8Count
        case .redactedContent(let data): bytes += data.utf8.count / 2
        case .cachePoint: break
        }
    }
}
