import Testing
import JSONText

/// The one JSON string escaping (show, status, monitor): its fast path for
/// plain text must not skip what the slow path escapes.
struct JSONTextTests {
    func quoted(_ s: String) -> String {
        var out = ""
        JSON.quote(s, into: &out)
        return out
    }

    @Test func plainASCIIIsCopied() {
        #expect(quoted("Disk1 /dev/sda") == "\"Disk1 /dev/sda\"")
    }

    @Test func quotesBackslashesAndControlsAreEscaped() {
        #expect(quoted("a\"b\\c\nd\u{7F}") == "\"a\\\"b\\\\c\\nd\\u007f\"")
    }

    /// Line and paragraph separators end a line in JavaScript: escaped.
    @Test func lineAndParagraphSeparatorsAreEscaped() {
        #expect(quoted("a\u{2028}b\u{2029}c") == "\"a\\u2028b\\u2029c\"")
        #expect(quoted("é") == "\"é\"")
    }
}
