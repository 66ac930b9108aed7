//! Bytes to text as CPython reads a source file: UTF-8 BOM, a PEP 263 coding
//! declaration on line 1 or 2, and UTF-8 otherwise.

use std::path::Path;

use crate::error::{Error, Result};

/// How a source file was encoded, so that text written back can be encoded the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEncoding {
    /// Normalised encoding name (`utf-8`, `latin-1`, `cp1252`, ...).
    pub name: String,
    /// Whether the file began with a UTF-8 byte order mark.
    pub bom: bool,
}

impl Default for SourceEncoding {
    fn default() -> Self {
        SourceEncoding { name: "utf-8".into(), bom: false }
    }
}

impl SourceEncoding {
    /// Encodes `text` back into the bytes of a file in this encoding.
    ///
    /// Characters the encoding cannot represent make this return `None`, so a caller
    /// never writes a file that no longer decodes to what it meant.
    pub fn encode(&self, text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len() + 3);
        if self.bom {
            out.extend_from_slice(b"\xef\xbb\xbf");
        }
        match self.name.as_str() {
            "utf-8" => out.extend_from_slice(text.as_bytes()),
            "latin-1" | "ascii" => {
                let limit = if self.name == "ascii" { 0x80 } else { 0x100 };
                for c in text.chars() {
                    let code = c as u32;
                    if code >= limit {
                        return None;
                    }
                    out.push(code as u8);
                }
            }
            other => {
                let encoding = encoding_rs::Encoding::for_label(other.as_bytes())?;
                let (bytes, _, unmappable) = encoding.encode(text);
                if unmappable {
                    return None;
                }
                out.extend_from_slice(&bytes);
            }
        }
        Some(out)
    }
}

/// The encoding declared (PEP 263) in already-decoded source text, so that text
/// written back is encoded as its declaration says; UTF-8 when there is none or
/// it is unknown.
pub fn declared_encoding(text: &str) -> SourceEncoding {
    let name = coding_declaration(text.as_bytes()).and_then(|(_, raw)| normalise_encoding(&raw));
    SourceEncoding { name: name.unwrap_or_else(|| "utf-8".to_string()), bom: false }
}

/// Decodes the bytes of a Python source file into text.
///
/// The BOM, if any, is not part of the returned text; it is recorded in the
/// [`SourceEncoding`].
pub fn decode_source(bytes: &[u8], filename: &Path) -> Result<(String, SourceEncoding)> {
    let (bom, body) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let declared = coding_declaration(body);
    let name = match &declared {
        Some((line, raw)) => normalise_encoding(raw).ok_or_else(|| Error::UnknownEncoding {
            filename: filename.to_path_buf(),
            line: *line,
            encoding: raw.clone(),
        })?,
        None => "utf-8".to_string(),
    };
    if bom && name != "utf-8" {
        // CPython refuses a BOM next to a declaration of another encoding.
        return Err(Error::UnknownEncoding {
            filename: filename.to_path_buf(),
            line: declared.map_or(1, |(line, _)| line),
            encoding: format!("{name} (with a UTF-8 byte order mark)"),
        });
    }
    let decode_error = |offset| Error::Decode { filename: filename.to_path_buf(), encoding: name.clone(), offset };
    let text = match name.as_str() {
        "utf-8" => std::str::from_utf8(body).map_err(|e| decode_error(e.valid_up_to() + bom as usize * 3))?.to_string(),
        "latin-1" => body.iter().map(|&b| b as char).collect(),
        "ascii" => match body.iter().position(|b| !b.is_ascii()) {
            Some(offset) => return Err(decode_error(offset)),
            None => String::from_utf8(body.to_vec()).unwrap_or_default(),
        },
        other => {
            let Some(encoding) = encoding_rs::Encoding::for_label(other.as_bytes()) else {
                return Err(Error::UnknownEncoding { filename: filename.to_path_buf(), line: 1, encoding: name });
            };
            let (text, had_errors) = encoding.decode_without_bom_handling(body);
            if had_errors {
                let offset = text.find('\u{fffd}').unwrap_or(0);
                return Err(decode_error(offset));
            }
            text.into_owned()
        }
    };
    Ok((text, SourceEncoding { name, bom }))
}

/// The PEP 263 declaration on line 1 or 2, with its line number.
fn coding_declaration(bytes: &[u8]) -> Option<(u32, String)> {
    let mut lines = bytes.split(|&b| b == b'\n');
    for number in 1..=2u32 {
        let line = lines.next()?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let trimmed = line.trim_ascii_start();
        if !trimmed.starts_with(b"#") {
            // Only a comment line may declare; any code line ends the search, and
            // line 2 counts only when line 1 is a comment or blank (as CPython).
            if trimmed.is_empty() {
                continue;
            }
            return None;
        }
        if let Some(name) = coding_in_comment(trimmed) {
            return Some((number, name));
        }
    }
    None
}

/// Matches `coding[:=]\s*([-\w.]+)` inside one comment line.
fn coding_in_comment(line: &[u8]) -> Option<String> {
    let mut search = line;
    while let Some(at) = find(search, b"coding") {
        let rest = &search[at + 6..];
        if let Some((&sep, after)) = rest.split_first() {
            if sep == b':' || sep == b'=' {
                let after = after.trim_ascii_start();
                let len = after
                    .iter()
                    .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                    .count();
                if len > 0 {
                    return Some(String::from_utf8_lossy(&after[..len]).into_owned());
                }
            }
        }
        search = rest;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Maps a declared name to the name we decode with, as Python's codec lookup would.
fn normalise_encoding(raw: &str) -> Option<String> {
    let lower = raw.to_ascii_lowercase().replace('_', "-");
    let name = match lower.as_str() {
        "utf-8" | "utf8" | "u8" | "utf" | "cp65001" => "utf-8",
        "latin-1" | "latin1" | "latin" | "l1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" | "iso-latin-1" => {
            "latin-1"
        }
        "ascii" | "us-ascii" | "646" => "ascii",
        _ if lower.starts_with("utf-8-") || lower.starts_with("latin-1-") => {
            // CPython's tokenizer treats "utf-8-*" and "latin-1-*" as the base codec.
            return normalise_encoding(&lower[..lower.rfind('-').unwrap_or(lower.len())]);
        }
        other => {
            let label = other.strip_prefix("cp").map_or_else(|| other.to_string(), |n| format!("windows-{n}"));
            let known = encoding_rs::Encoding::for_label(label.as_bytes())
                .or_else(|| encoding_rs::Encoding::for_label(other.as_bytes()))?;
            if known == encoding_rs::UTF_8 {
                "utf-8"
            } else if known == encoding_rs::UTF_16LE
                || known == encoding_rs::UTF_16BE
                || known == encoding_rs::REPLACEMENT
            {
                // Not a valid source encoding for CPython either.
                return None;
            } else {
                return Some(known.name().to_ascii_lowercase());
            }
        }
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<(String, SourceEncoding)> {
        decode_source(bytes, Path::new("t.py"))
    }

    #[test]
    fn utf8_by_default_and_bom_is_recorded() {
        let (text, enc) = decode("x = 'é'\n".as_bytes()).unwrap();
        assert_eq!(text, "x = 'é'\n");
        assert!(!enc.bom);
        let (text, enc) = decode(b"\xef\xbb\xbfx = 1\n").unwrap();
        assert_eq!(text, "x = 1\n");
        assert!(enc.bom);
        assert_eq!(enc.encode(&text).unwrap(), b"\xef\xbb\xbfx = 1\n");
    }

    #[test]
    fn latin1_declaration_on_line_two() {
        let bytes = b"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\ns = '\xe9'\n";
        let (text, enc) = decode(bytes).unwrap();
        assert_eq!(enc.name, "latin-1");
        assert!(text.ends_with("s = 'é'\n"));
        assert_eq!(enc.encode(&text).unwrap(), bytes);
    }

    #[test]
    fn cp1252_and_vim_style() {
        let (text, enc) = decode(b"# vim: set fileencoding=cp1252 :\nq = '\x80'\n").unwrap();
        assert_eq!(enc.name, "windows-1252");
        assert!(text.contains('€'));
    }

    #[test]
    fn text_keeps_its_declared_encoding() {
        assert_eq!(declared_encoding("# -*- coding: latin-1 -*-\nx = 'é'\n").name, "latin-1");
        assert_eq!(declared_encoding("x = 1\n").name, "utf-8");
    }

    #[test]
    fn declaration_after_code_is_ignored() {
        let (_, enc) = decode(b"x = 1\n# coding: latin-1\n").unwrap();
        assert_eq!(enc.name, "utf-8");
    }

    #[test]
    fn invalid_utf8_is_a_clear_error() {
        let err = decode(b"x = '\xff'\n").unwrap_err();
        assert!(matches!(err, Error::Decode { offset: 5, .. }), "{err}");
        assert!(err.to_string().contains("t.py"));
    }

    #[test]
    fn unknown_encoding_is_an_error() {
        let err = decode(b"# coding: klingon\n").unwrap_err();
        assert!(matches!(err, Error::UnknownEncoding { line: 1, .. }), "{err}");
    }
}
