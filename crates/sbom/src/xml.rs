//! A small, bounded XML element tree on top of quick-xml. No DTDs, no entity declarations, no
//! external anything: a DOCTYPE is rejected outright. Built iteratively (no recursion), with limits
//! on depth, element count and string length.

use crate::{
    FormatError, Position, MAX_STRING, MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS,
};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

#[derive(Debug, Default)]
pub(crate) struct Element {
    /// Qualified name as written (`component`, `ds:Signature`).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Concatenated text and CDATA directly inside this element.
    pub text: String,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: u64,
}

impl Element {
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }
    pub fn prefix(&self) -> Option<&str> {
        self.name.split_once(':').map(|(p, _)| p)
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn pos(&self) -> Position {
        Position {
            line: Some(self.line),
            ..Default::default()
        }
    }
}

/// Tracks the line number of a byte offset as the reader moves forward.
struct Lines<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> u64 {
        let end = offset.min(self.bytes.len());
        if end > self.offset {
            let seg = self.bytes.get(self.offset..end).unwrap_or_default();
            self.line += seg.iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset = end;
        }
        self.line
    }
}

fn xml_err(msg: impl std::fmt::Display, offset: u64, lines: &mut Lines) -> FormatError {
    let line = lines.at(offset as usize);
    FormatError::new(
        format!("invalid XML at byte {offset}: {msg}"),
        Position {
            line: Some(line),
            ..Default::default()
        },
    )
}

/// Parse a whole document into its root element.
pub(crate) fn parse(bytes: &[u8]) -> Result<Element, FormatError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    reader.config_mut().expand_empty_elements = false;
    let mut lines = Lines {
        bytes,
        offset: 0,
        line: 1,
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(xml_err(e, reader.error_position(), &mut lines)),
        };
        match event {
            Event::DocType(_) => {
                return Err(xml_err(
                    "DOCTYPE and entity declarations are not allowed in an SBOM",
                    before,
                    &mut lines,
                ))
            }
            Event::Start(s) | Event::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(xml_err(
                    "content after the root element",
                    before,
                    &mut lines,
                ));
            }
            Event::Start(s) => {
                count += 1;
                if count > MAX_XML_ELEMENTS {
                    return Err(xml_err(
                        format!("more than {MAX_XML_ELEMENTS} elements"),
                        before,
                        &mut lines,
                    ));
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(xml_err(
                        format!("elements nested deeper than {MAX_XML_DEPTH}"),
                        before,
                        &mut lines,
                    ));
                }
                let line = lines.at(before as usize);
                let el = start(&s, line).map_err(|m| xml_err(m, before, &mut lines))?;
                stack.push(el);
            }
            Event::Empty(s) => {
                count += 1;
                if count > MAX_XML_ELEMENTS {
                    return Err(xml_err(
                        format!("more than {MAX_XML_ELEMENTS} elements"),
                        before,
                        &mut lines,
                    ));
                }
                let line = lines.at(before as usize);
                let el = start(&s, line).map_err(|m| xml_err(m, before, &mut lines))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(xml_err("unexpected end tag", before, &mut lines));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            // Text comes without its references (quick-xml reports each `&...;` as a GeneralRef),
            // already checked to be UTF-8.
            Event::Text(t) => {
                push_text(&mut stack, &t, root.is_some())
                    .map_err(|m| xml_err(m, before, &mut lines))?;
            }
            Event::GeneralRef(r) => {
                let mut buf = [0u8; 4];
                let text = general_ref(&r, &mut buf).map_err(|m| xml_err(m, before, &mut lines))?;
                push_text(&mut stack, text, root.is_some())
                    .map_err(|m| xml_err(m, before, &mut lines))?;
            }
            Event::CData(t) => {
                push_text(&mut stack, &t, root.is_some())
                    .map_err(|m| xml_err(m, before, &mut lines))?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        let offset = bytes.len() as u64;
        return Err(xml_err(
            "document ends inside an element",
            offset,
            &mut lines,
        ));
    }
    root.ok_or_else(|| FormatError::new("XML document has no root element", Position::default()))
}

fn push_text(stack: &mut [Element], text: &str, after_root: bool) -> Result<(), String> {
    match stack.last_mut() {
        Some(el) => {
            if el.text.len() + text.len() > MAX_STRING {
                return Err(format!("text longer than {MAX_STRING} bytes"));
            }
            el.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None if after_root => Err("text after the root element".into()),
        None => Err("text before the root element".into()),
    }
}

/// The text of a character reference or one of XML's five predefined entities; any other entity
/// is refused (a document cannot declare one: DOCTYPE is rejected).
fn general_ref<'a>(r: &BytesRef, buf: &'a mut [u8; 4]) -> Result<&'a str, String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        return Ok(c.encode_utf8(buf));
    }
    quick_xml::escape::resolve_predefined_entity(r)
        .ok_or_else(|| format!("unknown entity `&{};`", &**r))
}

fn start(s: &BytesStart, line: u64) -> Result<Element, String> {
    // quick-xml has checked names and values to be UTF-8.
    let name = s.name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        // quick-xml refuses a repeated name here (in linear time since 0.41).
        let a = a.map_err(|e| e.to_string())?;
        if attrs.len() >= MAX_XML_ATTRIBUTES {
            return Err(format!(
                "more than {MAX_XML_ATTRIBUTES} attributes on one element"
            ));
        }
        let key = a.key.as_ref().to_string();
        // Entities and character references only, no whitespace normalisation (as before 0.42).
        let value = quick_xml::escape::unescape(&a.value).map_err(|e| e.to_string())?;
        if value.len() > MAX_STRING {
            return Err(format!("attribute `{key}` longer than {MAX_STRING} bytes"));
        }
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        text: String::new(),
        children: Vec::new(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_doctype_and_entities() {
        let xml = b"<?xml version=\"1.0\"?>\n<!DOCTYPE bom [<!ENTITY x \"y\">]>\n<bom>&x;</bom>";
        let e = parse(xml).unwrap_err();
        assert!(e.message.contains("DOCTYPE"), "{e}");
        assert_eq!(e.position.line, Some(2));
        let e = parse(b"<bom>&x;</bom>").unwrap_err();
        assert!(e.message.contains("invalid XML"), "{e}");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "<a>".repeat(MAX_XML_DEPTH + 1);
        assert!(parse(deep.as_bytes())
            .unwrap_err()
            .message
            .contains("deeper"));
    }

    #[test]
    fn builds_tree_with_lines() {
        let el = parse(b"<bom a=\"1\">\n <x>t&amp;u</x>\n <y/>\n</bom>").unwrap();
        assert_eq!(el.attr("a"), Some("1"));
        assert_eq!(el.children.len(), 2);
        assert_eq!(el.children[0].text, "t&u");
        assert_eq!(el.children[1].line, 3);
    }

    #[test]
    fn references_are_resolved_and_unknown_entities_located() {
        let el =
            parse(b"<bom n=\"&#x41;&lt;\">&#66;&#x1F600;&quot;&apos;&gt;<![CDATA[&amp;]]></bom>")
                .unwrap();
        assert_eq!(el.attr("n"), Some("A<"));
        assert_eq!(el.text, "B\u{1F600}\"'>&amp;");
        let e = parse(b"<bom>\n<x>a&nbsp;b</x></bom>").unwrap_err();
        assert!(e.message.contains("unknown entity `&nbsp;`"), "{e}");
        assert_eq!(e.position.line, Some(2));
        let e = parse(b"<bom>&#0;</bom>").unwrap_err();
        assert!(e.message.contains("invalid XML"), "{e}");
        let e = parse(b"<bom>&amp;</bom>&amp;").unwrap_err();
        assert!(e.message.contains("text after the root element"), "{e}");
    }

    #[test]
    fn non_utf8_is_refused_with_its_offset() {
        let e = parse(b"<bom>\n<x a=\"\xFF\"/></bom>").unwrap_err();
        assert!(e.message.starts_with("invalid XML at byte"), "{e}");
        assert_eq!(e.position.line, Some(2), "{e}");
    }
}
