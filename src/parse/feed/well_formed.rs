//! What XML requires that quick-xml leaves to the reader: the characters a reference may
//! name, the entities that exist (the predefined ones and those a DOCTYPE declares, which
//! are never expanded), the syntax, references and prefixes of attributes; and the
//! not-well-formed error with the words for quick-xml's own errors.

use quick_xml::events::BytesStart;
use quick_xml::name::{NamespaceResolver, ResolveResult};

use super::item::FeedError;
use crate::model::Position;

pub(super) fn not_wf(message: &str, position: Position) -> FeedError {
    FeedError::NotWellFormed {
        message: message.to_string(),
        position: Some(position),
    }
}

pub(super) fn describe_xml_error(err: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    match err {
        quick_xml::Error::Syntax(s) => match s {
            SyntaxError::UnclosedTag => "a tag is not closed (missing `>`)".into(),
            SyntaxError::UnclosedCData => "a CDATA section is not closed".into(),
            SyntaxError::UnclosedComment => "a comment is not closed".into(),
            other => format!("XML syntax error: {other}"),
        },
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("end tag `</{found}>` does not match the open `<{expected}>`")
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("end tag `</{name}>` has no start tag")
        }
        other => format!("not well-formed XML: {other}"),
    }
}

/// The names declared by `<!ENTITY name …>` in a DOCTYPE's internal subset. References to
/// them are kept as written: iarss never expands DTD entities.
pub(super) fn declared_entities(doctype: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = doctype;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + "<!ENTITY".len()..];
        let decl = rest.trim_start();
        if decl.starts_with('%') {
            continue;
        }
        let name: String = decl
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// The text of an entity or character reference `&name;`.
pub(super) fn resolve_reference(name: &str, declared: &[String]) -> Result<String, String> {
    let predefined = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c.to_string());
    }
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return match code.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(c.to_string()),
            _ => Err(format!("`&{name};` is not a valid character reference")),
        };
    }
    if declared.iter().any(|d| d == name) {
        return Ok(format!("&{name};"));
    }
    Err(format!(
        "undefined entity `&{name};` (XML knows only &lt; &gt; &amp; &apos; &quot; and numeric references)"
    ))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks a start tag's attributes: syntax, duplicates, references and prefixes.
pub(super) fn check_attributes(
    resolver: &NamespaceResolver,
    start: &BytesStart,
    declared: &[String],
    position: Position,
) -> Result<(), FeedError> {
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| not_wf(&format!("bad attribute: {e}"), position))?;
        let key = attr.key;
        if key.as_namespace_binding().is_none()
            && let (ResolveResult::Unknown(prefix), _) = resolver.resolve_attribute(key)
        {
            return Err(not_wf(
                &format!("namespace prefix `{prefix}` is not declared"),
                position,
            ));
        }
        let value = attr.value.clone();
        if value.contains('<') {
            return Err(not_wf("`<` in an attribute value", position));
        }
        let mut rest: &str = &value;
        while let Some(amp) = rest.find('&') {
            let after = &rest[amp + 1..];
            let Some(semi) = after.find(';') else {
                return Err(not_wf("a bare `&` in an attribute value", position));
            };
            resolve_reference(&after[..semi], declared).map_err(|m| not_wf(&m, position))?;
            rest = &after[semi + 1..];
        }
    }
    Ok(())
}
