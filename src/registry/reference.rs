//! The rules reference, `docs/rules.md`, written from the registry: every rule's id,
//! severity, scope and summary in one table, then each rule's documentation. A test keeps
//! the committed file equal to this output.

use std::fmt::Write as _;

use super::RuleId;

/// The whole reference as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Every rule iarss checks, generated from its rule registry (`src/registry/table.rs`\n\
         and `src/registry/docs/`); do not edit by hand. `iarss rules` lists the same table and\n\
         `iarss explain ID` prints one rule's documentation.\n\n\
         An **error** keeps the article (or, for `feed-…` rules, the whole run) out of the store; a\n\
         **warning** is recorded and the article is ingested. The scope says what a rule looks at:\n\
         the feed, an RSS item's own fields, the article's HTML, or an update against the stored\n\
         version.\n\n\
         | id | severity | scope | summary |\n|---|---|---|---|\n",
    );
    for rule in RuleId::ALL {
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {} | {} | {} |",
            rule.severity(),
            rule.group().scope(),
            rule.summary().replace('|', "\\|"),
            id = rule.as_str(),
        );
    }
    for rule in RuleId::ALL {
        let _ = write!(
            out,
            "\n<a id=\"{id}\"></a>\n\n## {id}\n\n{} · {} · {}\n\n",
            rule.severity(),
            rule.group().scope(),
            rule.summary(),
            id = rule.as_str(),
        );
        // The rule's own sections, one heading level down.
        for line in rule.doc().lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                let _ = writeln!(out, "### {heading}");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}
