import NexusJSON
import Testing

@testable import NexusSimulator

@Suite("Simulator internals")
struct InternalsTests {
    @Test func markerScanning() {
        #expect(Marker.scan("hello sim:echo there") == [Marker(name: "echo", argument: nil)])
        #expect(Marker.scan("(sim:long:20).") == [Marker(name: "long", argument: "20")])
        #expect(Marker.scan("notsim:echo xsim:tool") == [])
        #expect(
            Marker.scan("sim:throttle:2 sim:bash:ls -la  | wc -l \n") == [
                Marker(name: "throttle", argument: "2"), Marker(name: "bash", argument: "ls -la  | wc -l"),
            ])
        #expect(Marker.scan("sim: sim:") == [])
    }

    @Test func scenarioCombination() {
        let scenario = Scenario.parse(["sim:slow_first_byte:0.5 sim:long:3 sim:echo sim:stream_cut"])
        #expect(scenario?.answer == .long(words: 3))
        #expect(scenario?.firstByteDelay == .milliseconds(500))
        #expect(scenario?.streamFault == .cut)
        #expect(Scenario.parse(["sim:unknown"]) == nil)
        #expect(Scenario.parse(["sim:long:999999999"])?.answer == .long(words: Scenario.maxLongWords))
    }

    @Test func wordChunksConcatenateBack() {
        let text = "  Hello,\n world  again "
        let chunks = Words.chunks(text)
        #expect(chunks.joined() == text)
        #expect(chunks == ["  Hello,", "\n world", "  again", " "])
        #expect(Words.count(text) == 3)
        let long = String(repeating: "é", count: 5000)
        #expect(Words.chunks(long).joined() == long)
        #expect(Words.chunks(long).count == 3)
    }

    @Test func base64() {
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
        #expect(Base64.encode(Array("hell".utf8)) == "aGVsbA==")
        #expect(Base64.encode(Array("hel".utf8)) == "aGVs")
        #expect(Base64.encode([]) == "")
        #expect(Base64.isValid("aGVsbG8="))
        #expect(Base64.isValid("aGVsbG8"))
        #expect(!Base64.isValid("aGVsb=G8"))
        #expect(!Base64.isValid("a"))
        #expect(!Base64.isValid("ab$c"))
        #expect(Base64.decodedLength("aGVsbG8=") == 5)
        #expect(Base64.decodedLength("aGVsbG8") == 5)
    }

    @Test func percentDecoding() {
        #expect(PercentDecoding.decode("a%3Ab%2Fc") == "a:b/c")
        #expect(PercentDecoding.decode("plain") == "plain")
        #expect(PercentDecoding.decode("bad%2") == nil)
        #expect(PercentDecoding.decode("bad%zz") == nil)
        #expect(PercentDecoding.decode("%FF") == nil)
    }

    @Test func boundedDictionaryForgetsOldest() {
        var dictionary = BoundedDictionary<Int, Int>(capacity: 3)
        for key in 0..<10 { dictionary.set(key, key) }
        #expect(dictionary[6] == nil)
        #expect(dictionary[7] == 7)
        #expect(dictionary[9] == 9)
    }

    @Test func signatures() {
        let signature = ReasoningSignature.sign("thought")
        #expect(ReasoningSignature.isValid(signature, for: "thought"))
        #expect(!ReasoningSignature.isValid(signature, for: "other"))
        #expect(!ReasoningSignature.isValid("forged" + signature, for: "thought"))
        #expect(Base64.isValid(signature))
    }

    @Test func streamFaultPointIsAfterSomeText() {
        let answer = SimulatedAnswer(blocks: [.text("one two three four")], stopReason: "end_turn")
        let script = StreamScript(answer: answer, usage: [:], fault: .cut, started: .now)
        #expect(script.faultPoint == 3)  // messageStart + 2 deltas
    }
}
