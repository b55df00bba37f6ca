import AnthropicAPI
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Fetches `url` image and document sources, since Converse takes only inline bytes (or S3).
/// Fetches are bounded in size and time; any failure is a clear 400 naming the URL.
struct MediaResolver: Sendable {
    let http: HTTPClient
    let maxBytes: Int
    let timeout: Duration

    /// Replaces every URL source in the request with base64 bytes.
    func resolve(_ request: inout MessagesRequest) async throws(APIError) {
        guard request.messages.contains(where: { $0.content.contains(where: Self.hasURL) }) else { return }
        for m in request.messages.indices {
            for b in request.messages[m].content.indices {
                request.messages[m].content[b] = try await resolve(request.messages[m].content[b], path: "messages.\(m).content.\(b)")
            }
        }
    }

    static func hasURL(_ block: ContentBlock) -> Bool {
        switch block {
        case .image(.url, _): true
        case .document(let d): if case .url = d.source { true } else { false }
        case .toolResult(let r): r.content.contains(where: hasURL)
        default: false
        }
    }

    func resolve(_ block: ContentBlock, path: String) async throws(APIError) -> ContentBlock {
        switch block {
        case .image(.url(let url), let cc):
            let (type, data) = try await fetch(url, path: path, expectImage: true)
            return .image(.base64(mediaType: type, data: data), cacheControl: cc)
        case .document(var d):
            if case .url(let url) = d.source {
                let (type, data) = try await fetch(url, path: path, expectImage: false)
                d.source = .base64(mediaType: type, data: data)
                if d.title == nil { d.title = url.split(separator: "/").last.map(String.init) }
            }
            return .document(d)
        case .toolResult(var r):
            for i in r.content.indices { r.content[i] = try await resolve(r.content[i], path: "\(path).content.\(i)") }
            return .toolResult(r)
        default:
            return block
        }
    }

    func fetch(_ url: String, path: String, expectImage: Bool) async throws(APIError) -> (String, String) {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw .invalid("\(path).source.url: only http and https URLs can be fetched")
        }
        let (s, atto) = timeout.components
        let deadline = NIODeadline.now() + .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            let response = try await http.execute(request, deadline: deadline)
            guard response.status == .ok else {
                throw APIError.invalid("\(path).source.url: fetching \(url) answered HTTP \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: maxBytes)
            var type = response.headers.first(name: "content-type")?.split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            if expectImage, !type.hasPrefix("image/") { type = Self.sniffImage(body) ?? type }
            if !expectImage, type.isEmpty || type == "application/octet-stream" { type = "application/pdf" }
            return (type, Self.base64(body))
        } catch let error as APIError {
            throw error
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw .invalid("\(path).source.url: \(url) is larger than \(maxBytes) bytes")
        } catch {
            throw .invalid("\(path).source.url: could not fetch \(url): \(error)")
        }
    }

    static func sniffImage(_ b: ByteBuffer) -> String? {
        let head = b.getBytes(at: b.readerIndex, length: min(12, b.readableBytes)) ?? []
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if head.starts(with: [0xFF, 0xD8]) { return "image/jpeg" }
        if head.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if head.count >= 12, head[8..<12].elementsEqual("WEBP".utf8) { return "image/webp" }
        return nil
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ buffer: ByteBuffer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((buffer.readableBytes + 2) / 3 * 4)
        buffer.withUnsafeReadableBytes { bytes in
            var i = 0
            while i + 2 < bytes.count {
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
                out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
                i += 3
            }
            let rest = bytes.count - i
            if rest > 0 {
                let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
                out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
                out.append(UInt8(ascii: "="))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

import Foundation
