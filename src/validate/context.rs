//! What a rule check sees: the parsed article, the item it came from, the page's domain and
//! the time zone, and where it reports.

use chrono_tz::Tz;
use html5ever::local_name;

use crate::model::{Diagnostic, Domain, Position};
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
    /// The article being checked: its source, tag scan, tree and Instant Articles parts.
    pub article: &'a ParsedArticle,
    /// `article.dom`, at hand for the checks.
    pub dom: &'a Dom,
    /// The item the article came from, the page's domain and the time zone.
    pub cx: ArticleContext<'a>,
    /// Elements reported as `unsupported-element` (they do not count as body content).
    pub unsupported: Vec<NodeId>,
    /// Figures reported by `figure-in-paragraph`.
    pub figures_in_paragraph: Vec<NodeId>,
    /// The article's elements in document order (computed once).
    elements: Vec<NodeId>,
    /// Per node: [`IN_HEADER`], [`IN_FOOTER`], [`IN_UNSUPPORTED`].
    region: Vec<u8>,
    /// Per node: the figure kind, for figures.
    kinds: Vec<Option<FigureKind>>,
    diagnostics: Vec<(RuleId, String, At)>,
}

const IN_HEADER: u8 = 1;
const IN_FOOTER: u8 = 2;
const IN_UNSUPPORTED: u8 = 4;

/// Where a pending diagnostic is; HTML offsets are turned into positions all at once.
enum At {
    Offset(usize),
    Position(Option<Position>),
}

impl<'a> Checker<'a> {
    /// A checker for `article`.
    pub fn new(article: &'a ParsedArticle, cx: ArticleContext<'a>) -> Self {
        let dom = &article.dom;
        let elements: Vec<NodeId> = match article.ia.article {
            Some(a) => dom
                .descendants(a)
                .filter(|d| dom.element(*d).is_some())
                .collect(),
            None => Vec::new(),
        };
        let mut region = vec![0u8; dom.nodes.len()];
        for (root, flag) in [
            (article.ia.header.node, IN_HEADER),
            (article.ia.footer, IN_FOOTER),
        ] {
            if let Some(root) = root {
                region[root.0 as usize] |= flag;
                for d in dom.descendants(root) {
                    region[d.0 as usize] |= flag;
                }
            }
        }
        let mut checker = Checker {
            article,
            dom,
            cx,
            unsupported: Vec::new(),
            figures_in_paragraph: Vec::new(),
            elements,
            region,
            kinds: vec![None; dom.nodes.len()],
            diagnostics: Vec::new(),
        };
        for i in 0..checker.elements.len() {
            let el = checker.elements[i];
            if dom.is(el, &local_name!("figure")) {
                checker.kinds[el.0 as usize] = Some(checker.compute_figure_kind(el));
            }
        }
        checker
    }

    /// Marks `el` as reported `unsupported-element`: it and its content no longer count.
    pub fn mark_unsupported(&mut self, el: NodeId) {
        self.unsupported.push(el);
        self.region[el.0 as usize] |= IN_UNSUPPORTED;
        for d in self.dom.descendants(el) {
            self.region[d.0 as usize] |= IN_UNSUPPORTED;
        }
    }

    /// `true` when `el` is, or is inside, an element reported as unsupported.
    pub fn in_unsupported(&self, el: NodeId) -> bool {
        self.region
            .get(el.0 as usize)
            .is_some_and(|r| r & IN_UNSUPPORTED != 0)
    }

    /// Reports `rule` at the start tag of `node`.
    pub fn report(&mut self, rule: RuleId, node: NodeId, message: impl Into<String>) {
        let offset = self.dom.offset(node);
        self.diagnostics
            .push((rule, message.into(), At::Offset(offset)));
    }

    /// Reports `rule` at an explicit position.
    pub fn report_at(
        &mut self,
        rule: RuleId,
        position: Option<Position>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push((rule, message.into(), At::Position(position)));
    }

    /// Reports `rule` at an HTML byte offset.
    pub fn report_offset(&mut self, rule: RuleId, offset: usize, message: impl Into<String>) {
        self.diagnostics
            .push((rule, message.into(), At::Offset(offset)));
    }

    /// `true` when a diagnostic of `rule` was reported.
    pub fn has(&self, rule: RuleId) -> bool {
        self.diagnostics.iter().any(|d| d.0 == rule)
    }

    /// The diagnostics, in source order.
    pub fn finish(self) -> Vec<Diagnostic> {
        let source = &self.article.source;
        let mut offsets: Vec<usize> = self
            .diagnostics
            .iter()
            .filter_map(|d| match d.2 {
                At::Offset(o) => Some(o),
                At::Position(_) => None,
            })
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let positions = source.map.positions_sorted(&source.html, &offsets);
        let mut out: Vec<Diagnostic> = self
            .diagnostics
            .into_iter()
            .map(|(rule, message, at)| {
                let position = match at {
                    At::Offset(o) => offsets.binary_search(&o).ok().map(|i| positions[i]),
                    At::Position(p) => p,
                };
                Diagnostic::new(rule, message, position)
            })
            .collect();
        out.sort_by_key(|d| d.position);
        out
    }

    /// Elements of the article's body and header and footer, in document order.
    pub fn article_elements(&self) -> Vec<NodeId> {
        self.elements.clone()
    }

    /// `true` when `node` is inside the article's header.
    pub fn in_header(&self, node: NodeId) -> bool {
        self.region
            .get(node.0 as usize)
            .is_some_and(|r| r & IN_HEADER != 0)
    }

    /// `true` when `node` is inside the article's footer.
    pub fn in_footer(&self, node: NodeId) -> bool {
        self.region
            .get(node.0 as usize)
            .is_some_and(|r| r & IN_FOOTER != 0)
    }

    /// The kind of a `figure`.
    pub fn figure_kind(&self, figure: NodeId) -> FigureKind {
        match self.kinds.get(figure.0 as usize) {
            Some(Some(kind)) => *kind,
            _ => self.compute_figure_kind(figure),
        }
    }

    fn compute_figure_kind(&self, figure: NodeId) -> FigureKind {
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
