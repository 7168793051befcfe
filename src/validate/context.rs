//! What a rule check sees: the parsed article, the item it came from, the page's domain and
//! the time zone, and where it reports.

use chrono_tz::Tz;
use html5ever::local_name;

use crate::model::{CanonicalUrl, Diagnostic, Domain, Position};
use crate::parse::dom::{Dom, NodeId};
use crate::parse::{ParsedArticle, RawItem};

use super::RuleId;

/// Settings and surroundings of one article's validation.
#[derive(Clone, Copy)]
pub struct ArticleContext<'a> {
    /// The feed item the article came from (`None` for an article file).
    pub item: Option<&'a RawItem>,
    /// The page's domain; `None` skips the canonical-domain check.
    pub domain: Option<&'a Domain>,
    /// The zone offset-less times are read in.
    pub zone: Tz,
}

/// Which kind of media or embed a `figure` is (by class first, then by content).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureKind {
    /// `figure.op-ad`.
    Ad,
    /// `figure.op-tracker`.
    Tracker,
    /// `figure.op-interactive`.
    Interactive,
    /// `figure.op-social`.
    Social,
    /// `figure.op-slideshow`.
    Slideshow,
    /// `figure.op-map`.
    Map,
    /// A figure holding a `video`.
    Video,
    /// Any other figure: an image.
    Image,
}

/// The state of one article's check: inputs and the diagnostics found so far.
pub struct Checker<'a> {
    /// The parsed article.
    pub article: &'a ParsedArticle,
    /// The tree.
    pub dom: &'a Dom,
    /// Surroundings.
    pub cx: ArticleContext<'a>,
    /// The resolved canonical URL, once head rules have run.
    pub canonical: Option<CanonicalUrl>,
    /// Elements reported as `unsupported-element` (they do not count as body content).
    pub unsupported: Vec<NodeId>,
    /// Figures reported by `figure-in-paragraph`.
    pub figures_in_paragraph: Vec<NodeId>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// A checker for `article`.
    pub fn new(article: &'a ParsedArticle, cx: ArticleContext<'a>) -> Self {
        Checker {
            article,
            dom: &article.dom,
            cx,
            canonical: None,
            unsupported: Vec::new(),
            figures_in_paragraph: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Reports `rule` at the start tag of `node`.
    pub fn report(&mut self, rule: RuleId, node: NodeId, message: impl Into<String>) {
        let position = self.article.position(node);
        self.diagnostics
            .push(Diagnostic::new(rule, message, Some(position)));
    }

    /// Reports `rule` at an explicit position.
    pub fn report_at(
        &mut self,
        rule: RuleId,
        position: Option<Position>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push(Diagnostic::new(rule, message, position));
    }

    /// Reports `rule` at an HTML byte offset.
    pub fn report_offset(&mut self, rule: RuleId, offset: usize, message: impl Into<String>) {
        let position = self.article.offset_position(offset);
        self.diagnostics
            .push(Diagnostic::new(rule, message, Some(position)));
    }

    /// `true` when a diagnostic of `rule` was reported.
    pub fn has(&self, rule: RuleId) -> bool {
        self.diagnostics.iter().any(|d| d.rule == rule)
    }

    /// The diagnostics, in source order.
    pub fn finish(mut self) -> (Vec<Diagnostic>, Option<CanonicalUrl>) {
        self.diagnostics.sort_by_key(|d| d.position);
        (self.diagnostics, self.canonical)
    }

    /// Elements of the article's body and header and footer, in document order.
    pub fn article_elements(&self) -> Vec<NodeId> {
        match self.article.ia.article {
            Some(a) => self
                .dom
                .descendants(a)
                .filter(|d| self.dom.element(*d).is_some())
                .collect(),
            None => Vec::new(),
        }
    }

    /// `true` when `node` is inside the article's header.
    pub fn in_header(&self, node: NodeId) -> bool {
        self.article
            .ia
            .header
            .node
            .is_some_and(|h| h == node || self.dom.ancestor(node, |a| a == h).is_some())
    }

    /// `true` when `node` is inside the article's footer.
    pub fn in_footer(&self, node: NodeId) -> bool {
        self.article
            .ia
            .footer
            .is_some_and(|f| f == node || self.dom.ancestor(node, |a| a == f).is_some())
    }

    /// The kind of a `figure`.
    pub fn figure_kind(&self, figure: NodeId) -> FigureKind {
        let dom = self.dom;
        for class in dom.classes(figure) {
            match class {
                "op-ad" => return FigureKind::Ad,
                "op-tracker" => return FigureKind::Tracker,
                "op-interactive" => return FigureKind::Interactive,
                "op-social" => return FigureKind::Social,
                "op-slideshow" => return FigureKind::Slideshow,
                "op-map" => return FigureKind::Map,
                _ => {}
            }
        }
        let has_video = dom.descendants(figure).any(|d| {
            dom.is(d, &local_name!("video"))
                && dom.ancestor(d, |a| dom.is(a, &local_name!("figure"))) == Some(figure)
        });
        if has_video {
            FigureKind::Video
        } else {
            FigureKind::Image
        }
    }

    /// The first direct `iframe` child.
    pub fn iframe_child(&self, figure: NodeId) -> Option<NodeId> {
        self.dom
            .child_elements(figure)
            .find(|c| self.dom.is(*c, &local_name!("iframe")))
    }

    /// `true` when an iframe has a non-empty `src` or non-blank inline content.
    pub fn iframe_has_source(&self, iframe: NodeId) -> bool {
        self.dom
            .attr(iframe, "src")
            .is_some_and(|s| !s.trim().is_empty())
            || self.iframe_has_content(iframe)
    }

    /// `true` when an iframe holds inline HTML (its text is not whitespace-only).
    pub fn iframe_has_content(&self, iframe: NodeId) -> bool {
        !self.dom.is_text_empty(iframe)
    }
}

/// A positive integer attribute value, as the platform reads dimensions.
pub fn positive_int(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok().filter(|n| *n > 0)
}
