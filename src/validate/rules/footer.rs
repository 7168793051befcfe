//! Related articles and footer rules (docs/rules.md).

use html5ever::local_name;

use crate::parse::dom::NodeId;
use crate::validate::RuleId;
use crate::validate::context::Checker;

/// Runs the footer and related-articles rules.
pub fn check(c: &mut Checker) {
    let dom = c.dom;
    for el in c.article_elements() {
        if dom.is(el, &local_name!("ul")) && dom.has_class(el, "op-related-articles") {
            related(c, el);
        }
    }
    let Some(footer) = c.article.ia.footer else {
        return;
    };
    let mut has_content = false;
    for child in dom.child_elements(footer).collect::<Vec<_>>() {
        let name = dom.name(child).map(|n| n.to_string()).unwrap_or_default();
        match name.as_str() {
            "aside" | "small" => has_content = true,
            "ul" if dom.has_class(child, "op-related-articles") => has_content = true,
            other => c.report(
                RuleId::FooterUnsupportedChild,
                child,
                format!("`<{other}>` in the footer is not supported; use `<aside>` for credits, `<small>` for copyright"),
            ),
        }
    }
    if !has_content {
        c.report(
            RuleId::FooterEmpty,
            footer,
            "the footer has no credits (`aside`), copyright (`small`) or related articles",
        );
    }
}

fn related(c: &mut Checker, ul: NodeId) {
    let dom = c.dom;
    let mut any_valid = false;
    for li in dom.child_elements(ul).collect::<Vec<_>>() {
        if !dom.is(li, &local_name!("li")) {
            continue;
        }
        let valid = dom.descendants(li).any(|a| {
            dom.is(a, &local_name!("a"))
                && dom.attr(a, "href").is_some_and(|h| !h.trim().is_empty())
        });
        if valid {
            any_valid = true;
        } else {
            c.report(
                RuleId::RelatedItemMissingUrl,
                li,
                "a related article needs an `<a href=…>`",
            );
        }
    }
    if !any_valid {
        c.report(
            RuleId::RelatedArticlesEmpty,
            ul,
            "the related articles list has no valid link; it is dropped",
        );
    }
}
