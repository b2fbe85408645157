//! JSON strings written straight into a buffer: text with nothing to
//! escape (nearly all of it) is copied in one piece, anything else goes
//! through serde_json, so the output is exactly serde_json's.

/// A JSON string, as serde_json writes it.
pub(crate) fn write_string(json: &mut Vec<u8>, text: &str) {
    // No short-circuit, so the check runs over whole vectors of bytes.
    let needs_escape = text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if needs_escape {
        serde_json::to_writer(&mut *json, text).expect("a string serializes into memory");
    } else {
        json.push(b'"');
        json.extend_from_slice(text.as_bytes());
        json.push(b'"');
    }
}
