//! Markdown to HTML for the rule pages (what `iarss explain` prints): CommonMark through
//! pulldown-cmark, every raw HTML block or inline tag turned into text so that it shows as
//! written and is never markup; a `#` heading becomes an `<h2>` under the page's `<h1>`,
//! and code blocks (which scroll sideways) can be reached with the keyboard.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

fn lower(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        other => other,
    }
}

/// `markdown` as HTML, safe to put in a page.
pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(lower(level))),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out.replace("<pre>", "<pre tabindex=\"0\">")
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn headings_code_and_raw_html() {
        let html = to_html(
            "## Example\n\n```html\n<figure></figure>\n```\n\nA <script>x</script> and `<p>`.\n",
        );
        assert!(html.contains("<h2>Example</h2>"), "{html}");
        assert!(html.contains("<pre tabindex=\"0\">"), "{html}");
        assert!(html.contains("&lt;figure&gt;&lt;/figure&gt;"), "{html}");
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
        assert!(html.contains("<code>&lt;p&gt;</code>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
}
