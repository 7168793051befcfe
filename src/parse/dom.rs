//! The HTML5 document tree of an article, built by html5ever into a lean arena, with every
//! element tied to the source tag that made it.
//!
//! iarss's [`HtmlTokenizer`] feeds html5ever's tree builder one token at a time and says
//! which source tag each tag token is; the tree builder creates elements in [`Dom`], which
//! records for each the source tag (or, for elements the parser synthesised, the tag that
//! caused them).

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{Doctype, Token, TokenSink, TokenSinkResult};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, LocalName, QualName, local_name, ns};

use super::tokenizer::{HtmlTokenizer, SourceScan, SourceTag, TagKind};

/// A node's index in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// An element's data.
#[derive(Debug)]
pub struct Element {
    /// Qualified name (HTML, SVG or MathML namespace).
    pub name: QualName,
    /// Attributes, names lower-cased by the parser.
    pub attrs: Vec<Attribute>,
    /// Index of the source tag that created it, `None` when synthesised.
    pub source: Option<u32>,
    /// Byte offset of the start tag (or of the tag that caused a synthesised element).
    pub offset: u32,
}

/// What a node is.
#[derive(Debug)]
pub enum NodeData {
    /// The document root (also used for template contents).
    Document,
    /// An element.
    Element(Element),
    /// A text node.
    Text {
        /// The characters.
        text: StrTendril,
        /// The text was written inside a source `<p>`.
        in_source_p: bool,
        /// Byte offset near its source.
        offset: u32,
    },
    /// A comment, doctype or processing instruction: kept for structure, never checked.
    Other,
}

/// One node of the tree.
#[derive(Debug)]
pub struct Node {
    /// Parent node.
    pub parent: Option<NodeId>,
    /// First child.
    pub first_child: Option<NodeId>,
    /// Last child.
    pub last_child: Option<NodeId>,
    /// Previous sibling.
    pub prev_sibling: Option<NodeId>,
    /// Next sibling.
    pub next_sibling: Option<NodeId>,
    /// The node's data.
    pub data: NodeData,
}

/// The parsed document.
#[derive(Debug)]
pub struct Dom {
    /// All nodes; `NodeId(0)` is the document.
    pub nodes: Vec<Node>,
    /// Per node: [`HAS_TEXT`] and [`HAS_MEDIA`] over its subtree, computed once after parsing.
    subtree: Vec<u8>,
}

/// Subtree flag: some descendant text is not blank.
const HAS_TEXT: u8 = 1;
/// Subtree flag: an `img`, `video`, `audio`, `iframe`, `svg` or `figure` is inside.
const HAS_MEDIA: u8 = 2;

thread_local! {
    /// Node arenas of finished articles, kept for the next article on this thread: a fresh
    /// arena per article costs a page fault per page, which showed as 9 % of lint time.
    static NODE_ARENAS: RefCell<Vec<Vec<Node>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Dom {
    fn drop(&mut self) {
        let mut nodes = std::mem::take(&mut self.nodes);
        nodes.clear();
        // Huge articles do not pin their arena.
        if nodes.capacity() <= 1 << 16 {
            let _ = NODE_ARENAS.try_with(|a| {
                let mut arenas = a.borrow_mut();
                if arenas.len() < 4 {
                    arenas.push(nodes);
                }
            });
        }
    }
}

impl Dom {
    /// The document node.
    pub const ROOT: NodeId = NodeId(0);

    /// The node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The element data, if `id` is an element.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.node(id).data {
            NodeData::Element(e) => Some(e),
            _ => None,
        }
    }

    /// `true` when `id` is an HTML element named `name`.
    pub fn is(&self, id: NodeId, name: &LocalName) -> bool {
        self.element(id)
            .is_some_and(|e| e.name.ns == ns!(html) && e.name.local == *name)
    }

    /// The element's local name (HTML or foreign).
    pub fn name(&self, id: NodeId) -> Option<&LocalName> {
        self.element(id).map(|e| &e.name.local)
    }

    /// An attribute's value.
    pub fn attr(&self, id: NodeId, name: &str) -> Option<&str> {
        self.element(id)?
            .attrs
            .iter()
            .find(|a| &*a.name.local == name && a.name.ns == ns!())
            .map(|a| &*a.value)
    }

    /// `true` when the element's `class` has the token `class`.
    pub fn has_class(&self, id: NodeId, class: &str) -> bool {
        self.attr(id, "class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|t| t == class))
    }

    /// The class tokens.
    pub fn classes(&self, id: NodeId) -> impl Iterator<Item = &str> {
        self.attr(id, "class")
            .unwrap_or("")
            .split_ascii_whitespace()
    }

    /// The parent.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).parent
    }

    /// Child nodes, in order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            dom: self,
            next: self.node(id).first_child,
        }
    }

    /// Child elements, in order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id).filter(|c| self.element(*c).is_some())
    }

    /// All descendants of `id` in document order (not `id` itself).
    pub fn descendants(&self, id: NodeId) -> Descendants<'_> {
        Descendants {
            dom: self,
            root: id,
            next: self.node(id).first_child,
        }
    }

    /// Concatenated text of `id` and its descendants.
    pub fn text(&self, id: NodeId) -> String {
        let mut out = String::new();
        if let NodeData::Text { text, .. } = &self.node(id).data {
            out.push_str(text);
        }
        for d in self.descendants(id) {
            if let NodeData::Text { text, .. } = &self.node(d).data {
                out.push_str(text);
            }
        }
        out
    }

    /// `true` when the text of `id` has nothing but whitespace (U+00A0 included).
    pub fn is_text_empty(&self, id: NodeId) -> bool {
        self.subtree
            .get(id.0 as usize)
            .is_none_or(|f| f & HAS_TEXT == 0)
    }

    /// `true` when an `img`, `video`, `audio`, `iframe`, `svg` or `figure` element (of any
    /// namespace) is a descendant of `id`; `id` itself does not count.
    pub fn has_media_inside(&self, id: NodeId) -> bool {
        self.subtree
            .get(id.0 as usize)
            .is_some_and(|f| f & HAS_MEDIA != 0)
    }

    /// Computes the subtree flags in one post-order walk.
    fn compute_subtree_flags(&mut self) {
        let mut flags = vec![0u8; self.nodes.len()];
        // (node, children done)
        let mut stack = vec![(Dom::ROOT, false)];
        while let Some((id, done)) = stack.pop() {
            if !done {
                stack.push((id, true));
                for c in self.children(id) {
                    stack.push((c, false));
                }
                continue;
            }
            let node = self.node(id);
            let mut f = match &node.data {
                NodeData::Text { text, .. } if !is_blank(text) => HAS_TEXT,
                _ => 0,
            };
            for c in self.children(id) {
                let cf = flags[c.0 as usize];
                f |= cf;
                if let NodeData::Element(e) = &self.node(c).data
                    && matches!(
                        e.name.local,
                        local_name!("img")
                            | local_name!("video")
                            | local_name!("audio")
                            | local_name!("iframe")
                            | local_name!("svg")
                            | local_name!("figure")
                    )
                {
                    f |= HAS_MEDIA;
                }
            }
            flags[id.0 as usize] = f;
        }
        self.subtree = flags;
    }

    /// The nearest ancestor (not `id` itself) for which `pred` holds.
    pub fn ancestor(&self, id: NodeId, mut pred: impl FnMut(NodeId) -> bool) -> Option<NodeId> {
        let mut cur = self.parent(id);
        while let Some(c) = cur {
            if pred(c) {
                return Some(c);
            }
            cur = self.parent(c);
        }
        None
    }

    /// Source byte offset of the element (or text).
    pub fn offset(&self, id: NodeId) -> usize {
        match &self.node(id).data {
            NodeData::Element(e) => e.offset as usize,
            NodeData::Text { offset, .. } => *offset as usize,
            _ => 0,
        }
    }

    /// `true` when the element came from a source tag (was not synthesised).
    pub fn from_source(&self, id: NodeId) -> bool {
        self.element(id).is_some_and(|e| e.source.is_some())
    }

    fn push(&mut self, data: NodeData) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            parent: None,
            first_child: None,
            last_child: None,
            prev_sibling: None,
            next_sibling: None,
            data,
        });
        id
    }

    fn detach(&mut self, id: NodeId) {
        let (parent, prev, next) = {
            let n = &self.nodes[id.0 as usize];
            (n.parent, n.prev_sibling, n.next_sibling)
        };
        let Some(parent) = parent else { return };
        match prev {
            Some(p) => self.nodes[p.0 as usize].next_sibling = next,
            None => self.nodes[parent.0 as usize].first_child = next,
        }
        match next {
            Some(nx) => self.nodes[nx.0 as usize].prev_sibling = prev,
            None => self.nodes[parent.0 as usize].last_child = prev,
        }
        let n = &mut self.nodes[id.0 as usize];
        n.parent = None;
        n.prev_sibling = None;
        n.next_sibling = None;
    }

    fn append_child(&mut self, parent: NodeId, child: NodeId) {
        self.detach(child);
        let last = self.nodes[parent.0 as usize].last_child;
        {
            let c = &mut self.nodes[child.0 as usize];
            c.parent = Some(parent);
            c.prev_sibling = last;
        }
        match last {
            Some(l) => self.nodes[l.0 as usize].next_sibling = Some(child),
            None => self.nodes[parent.0 as usize].first_child = Some(child),
        }
        self.nodes[parent.0 as usize].last_child = Some(child);
    }

    fn insert_before(&mut self, sibling: NodeId, child: NodeId) {
        self.detach(child);
        let (parent, prev) = {
            let s = &self.nodes[sibling.0 as usize];
            (s.parent, s.prev_sibling)
        };
        let Some(parent) = parent else { return };
        {
            let c = &mut self.nodes[child.0 as usize];
            c.parent = Some(parent);
            c.prev_sibling = prev;
            c.next_sibling = Some(sibling);
        }
        self.nodes[sibling.0 as usize].prev_sibling = Some(child);
        match prev {
            Some(p) => self.nodes[p.0 as usize].next_sibling = Some(child),
            None => self.nodes[parent.0 as usize].first_child = Some(child),
        }
    }
}

/// `true` for text with nothing but whitespace (U+00A0 included).
pub fn is_blank(text: &str) -> bool {
    // Most text starts with a visible ASCII character: decide on bytes first.
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b.is_ascii() {
            if !b.is_ascii_whitespace() && b != 0x0B {
                return false;
            }
        } else {
            return text[i..]
                .chars()
                .all(|c| c.is_whitespace() || c == '\u{a0}');
        }
    }
    true
}

/// Iterator over child nodes.
pub struct Children<'a> {
    dom: &'a Dom,
    next: Option<NodeId>,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = self.dom.node(cur).next_sibling;
        Some(cur)
    }
}

/// Iterator over descendants in document order.
pub struct Descendants<'a> {
    dom: &'a Dom,
    root: NodeId,
    next: Option<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        let node = self.dom.node(cur);
        self.next = if let Some(c) = node.first_child {
            Some(c)
        } else {
            let mut n = cur;
            loop {
                if n == self.root {
                    break None;
                }
                let nn = self.dom.node(n);
                if let Some(s) = nn.next_sibling {
                    break Some(s);
                }
                match nn.parent {
                    Some(p) if p != self.root => n = p,
                    _ => break None,
                }
            }
        };
        Some(cur)
    }
}

/// The source tag being processed, as the tree sink needs it.
#[derive(Clone)]
struct CurrentTag {
    index: u32,
    kind: TagKind,
    name: LocalName,
    offset: u32,
    end: u32,
    p_open_after: bool,
}

impl CurrentTag {
    fn of(index: usize, tag: &SourceTag) -> Self {
        CurrentTag {
            index: index as u32,
            kind: tag.kind,
            name: tag.name.clone(),
            offset: tag.offset as u32,
            end: tag.end as u32,
            p_open_after: tag.p_open_after,
        }
    }
}

/// The tree sink: builds [`Dom`] and ties elements to source tags.
struct DomSink {
    dom: RefCell<Dom>,
    /// The source tag token being processed (or the last one, for text).
    current: RefCell<Option<CurrentTag>>,
    /// The current start tag already made its element.
    claimed: Cell<bool>,
    templates: RefCell<Vec<(NodeId, NodeId)>>,
}

impl DomSink {
    fn text_origin(&self, text: &str) -> (bool, u32) {
        match &*self.current.borrow() {
            Some(tag) => {
                let lead = text.len() - text.trim_start().len();
                (tag.p_open_after, tag.end + lead as u32)
            }
            None => (false, 0),
        }
    }

    fn append_text(&self, parent: NodeId, before: Option<NodeId>, text: StrTendril) {
        let origin = self.text_origin(&text);
        let mut dom = self.dom.borrow_mut();
        // Adjacent text merges into one node, as in the DOM.
        let prev = match before {
            Some(s) => dom.node(s).prev_sibling,
            None => dom.node(parent).last_child,
        };
        if let Some(p) = prev
            && let NodeData::Text {
                text: existing,
                in_source_p,
                ..
            } = &mut dom.nodes[p.0 as usize].data
        {
            existing.push_tendril(&text);
            *in_source_p |= origin.0;
            return;
        }
        let (in_source_p, offset) = origin;
        let id = dom.push(NodeData::Text {
            text,
            in_source_p,
            offset,
        });
        match before {
            Some(s) => dom.insert_before(s, id),
            None => dom.append_child(parent, id),
        }
    }
}

impl TreeSink for DomSink {
    type Handle = NodeId;
    type Output = Dom;
    type ElemName<'b>
        = Ref<'b, QualName>
    where
        Self: 'b;

    fn finish(self) -> Dom {
        self.dom.into_inner()
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> NodeId {
        Dom::ROOT
    }

    fn elem_name<'b>(&'b self, target: &'b NodeId) -> Ref<'b, QualName> {
        Ref::map(self.dom.borrow(), |d| match &d.node(*target).data {
            NodeData::Element(e) => &e.name,
            _ => panic!("elem_name on a non-element"),
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        let (source, offset) = match &*self.current.borrow() {
            Some(tag) => {
                if !self.claimed.get() && tag.kind == TagKind::Start && tag.name == name.local {
                    self.claimed.set(true);
                    (Some(tag.index), tag.offset)
                } else {
                    (None, tag.offset)
                }
            }
            None => (None, 0),
        };
        let id = self.dom.borrow_mut().push(NodeData::Element(Element {
            name,
            attrs,
            source,
            offset,
        }));
        if flags.template {
            let contents = self.dom.borrow_mut().push(NodeData::Document);
            self.templates.borrow_mut().push((id, contents));
        }
        id
    }

    fn create_comment(&self, _text: StrTendril) -> NodeId {
        self.dom.borrow_mut().push(NodeData::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> NodeId {
        self.dom.borrow_mut().push(NodeData::Other)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendNode(n) => self.dom.borrow_mut().append_child(*parent, n),
            NodeOrText::AppendText(t) => self.append_text(*parent, None, t),
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let has_parent = self.dom.borrow().node(*element).parent.is_some();
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.templates
            .borrow()
            .iter()
            .find(|(t, _)| t == target)
            .map_or(*target, |(_, c)| *c)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        match new_node {
            NodeOrText::AppendNode(n) => self.dom.borrow_mut().insert_before(*sibling, n),
            NodeOrText::AppendText(t) => {
                let parent = self.dom.borrow().node(*sibling).parent;
                if let Some(p) = parent {
                    self.append_text(p, Some(*sibling), t);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        let mut dom = self.dom.borrow_mut();
        if let NodeData::Element(e) = &mut dom.nodes[target.0 as usize].data {
            for a in attrs {
                if !e.attrs.iter().any(|x| x.name == a.name) {
                    e.attrs.push(a);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.dom.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        let mut dom = self.dom.borrow_mut();
        while let Some(c) = dom.node(*node).first_child {
            dom.append_child(*new_parent, c);
        }
    }
}

/// Parses an article's HTML into a [`Dom`] and the [`SourceScan`] of its tags, as if it
/// began with `<!doctype html>` (no quirks mode) and with scripting enabled.
pub fn parse_html(html: &str) -> (Dom, SourceScan) {
    let nodes = NODE_ARENAS
        .try_with(|a| a.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_else(|| Vec::with_capacity(html.len() / 24 + 16));
    let mut dom = Dom {
        nodes,
        subtree: Vec::new(),
    };
    dom.push(NodeData::Document);
    let sink = DomSink {
        dom: RefCell::new(dom),
        current: RefCell::new(None),
        claimed: Cell::new(true),
        templates: RefCell::new(Vec::new()),
    };
    let opts = TreeBuilderOpts {
        scripting_enabled: true,
        ..TreeBuilderOpts::default()
    };
    let builder = TreeBuilder::new(sink, opts);
    let doctype = Doctype {
        name: Some("html".into()),
        ..Doctype::default()
    };
    let _ = builder.process_token(Token::DoctypeToken(doctype), 1);
    let mut tokenizer = HtmlTokenizer::new(html);
    while let Some(emitted) =
        tokenizer.next_token(|| builder.adjusted_current_node_present_but_not_in_html_namespace())
    {
        if let Some(index) = emitted.tag {
            let tag = &tokenizer.scan().tags[index];
            *builder.sink.current.borrow_mut() = Some(CurrentTag::of(index, tag));
            builder.sink.claimed.set(false);
        }
        match builder.process_token(emitted.token, 0) {
            TokenSinkResult::RawData(kind) => tokenizer.switch_to(kind),
            TokenSinkResult::Plaintext => tokenizer.switch_to_plaintext(),
            _ => {}
        }
    }
    builder.end();
    let mut dom = builder.sink.finish();
    dom.compute_subtree_flags();
    (dom, tokenizer.into_scan())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(dom: &Dom, id: NodeId, depth: usize, out: &mut String) {
        for c in dom.children(id) {
            match &dom.node(c).data {
                NodeData::Element(e) => {
                    out.push_str(&format!(
                        "{}{}@{}{}\n",
                        "  ".repeat(depth),
                        e.name.local,
                        e.offset,
                        if e.source.is_some() { "" } else { "*" }
                    ));
                    outline(dom, c, depth + 1, out);
                }
                NodeData::Text { text, .. } => {
                    out.push_str(&format!("{}{:?}\n", "  ".repeat(depth), &**text));
                }
                _ => {}
            }
        }
    }

    fn tree(html: &str) -> String {
        let (dom, _) = parse_html(html);
        let mut out = String::new();
        outline(&dom, Dom::ROOT, 0, &mut out);
        out
    }

    #[test]
    fn builds_the_html5_tree_with_source_offsets() {
        let t = tree(
            "<html><head><link rel=canonical href=x></head><body><article><p>a<figure><img src=y></figure>b</p></article></body></html>",
        );
        assert_eq!(
            t,
            "html@0\n  head@6\n    link@12\n  body@46\n    article@52\n      p@61\n        \"a\"\n      figure@65\n        img@73\n      \"b\"\n      p@94*\n"
        );
    }

    #[test]
    fn synthesised_elements_take_the_causing_position() {
        let t = tree("<p>x</p>");
        assert_eq!(t, "html@0*\n  head@0*\n  body@0*\n    p@0\n      \"x\"\n");
    }
}
