import Testing

@testable import Gateway

/// `ConfigLineLocator`: the line of each key, which TOMLKit does not give.
@Suite("Configuration file: the line of each key")
struct ConfigLineLocatorTests {
    func path(_ text: String) -> ConfigKeyPath {
        // `a.b[1].c` → keys and indices.
        var components: [ConfigKeyPath.Component] = []
        for part in text.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                components.append(.key(String(rest[..<bracket])))
                rest = rest[bracket...]
                while let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]") {
                    components.append(.index(Int(rest[rest.index(after: open)..<close])!))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                components.append(.key(String(rest)))
            }
        }
        return ConfigKeyPath(components)
    }

    static let text = #"""
        # [not] a = "table"
        title = "a # not a comment [x]"   # a comment
        multi = """
        [fake]
        fake = 1 """
        literal = '''
        ["also fake"]'''
        dotted . "quoted key" = 1

        [a]
        'lit' = [
          1,
          [2, 3],
          { x = 1 },
        ]
        when = 1979-05-27 07:32:00Z

        [[up]]
        name = "first"

        [up.sub]
        deep = true

        [[up]]   # the second
        name = "second"
        inline = { k = { j = "}" }, m = "]" }
        """#

    @Test(arguments: [
        ("title", 2), ("multi", 3), ("literal", 6), ("dotted", 8), ("dotted.quoted key", 8), ("a", 10),
        ("a.lit", 11), ("a.lit[0]", 12), ("a.lit[1]", 13), ("a.lit[1][1]", 13), ("a.lit[2].x", 14),
        ("a.when", 16), ("up", 18), ("up[0]", 18), ("up[0].name", 19), ("up[0].sub", 21), ("up[0].sub.deep", 22),
        ("up[1]", 24), ("up[1].name", 25), ("up[1].inline.k.j", 26), ("up[1].inline.m", 26),
    ])
    func theLineOfAKey(key: String, line: Int) {
        let locator = ConfigLineLocator(text: Self.text)
        #expect(locator.line(of: path(key)) == line, "\(key)")
    }

    @Test func nothingInsideStringsOrCommentsIsAKey() {
        let locator = ConfigLineLocator(text: Self.text)
        for fake in ["fake", "not", "also fake", "x"] { #expect(locator.lines[path(fake)] == nil, "\(fake)") }
        #expect(locator.redefinitions.isEmpty)
    }

    @Test func aPathTheTextDoesNotShowGetsItsNearestEnclosingLine() {
        let locator = ConfigLineLocator(text: Self.text)
        #expect(locator.line(of: path("up[1].missing")) == 24)
        #expect(locator.line(of: path("nowhere")) == nil)
        #expect(locator.line(of: ConfigKeyPath()) == nil)
    }

    @Test func theKeyOnALine() {
        let locator = ConfigLineLocator(text: Self.text)
        #expect(locator.key(onLine: 2)?.description == "title")
        #expect(locator.key(onLine: 4)?.description == "multi")
        #expect(locator.key(onLine: 13)?.description == "a.lit")
        #expect(locator.key(onLine: 14)?.description == "a.lit[2].x")
        #expect(locator.key(onLine: 26)?.description == "up[1].inline.m")
        #expect(locator.key(onLine: 1) == nil && locator.key(onLine: 18) == nil)
    }

    @Test func redefinitionsAreFound() {
        let locator = ConfigLineLocator(text: "a = 1\n[t]\nb = { c = 1, c = 2 }\n[t]\n\"a\" = 2\n[[arr]]\n[[arr]]\n")
        #expect(
            locator.redefinitions == [
                .init(path: path("t.b.c"), line: 3, firstLine: 3), .init(path: path("t"), line: 4, firstLine: 2),
            ])
    }

    @Test(arguments: ["[", "[[", "a = [", "a = {", "a = \"", "a = '''", "= 1", "a.", "\"", "[a.\"b", "a = [1 2 }"])
    func brokenTextNeverTrapsOrHangs(text: String) {
        _ = ConfigLineLocator(text: text)
        _ = ConfigLineLocator(text: text + "\nb = 1\n")
    }
}
