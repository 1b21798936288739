//! A YAML document tree that remembers where every node came from.
//!
//! Built from the event stream of `saphyr-parser` (YAML 1.2), so that every error later on —
//! an unknown field, a bad quantity, a selector that does not parse — can name the file, line
//! and column. Scalars keep their source text and whether they were quoted: `cpu: 1.10` must
//! reach the Quantity parser as `1.10`, not as a float.
//!
//! Hostile input is bounded: nesting deeper than [`MAX_DEPTH`] and alias expansion beyond
//! [`MAX_NODES`] nodes are errors, so a "billion laughs" document cannot exhaust memory and a
//! deeply nested one cannot overflow the stack (building and dropping are iterative or
//! depth-bounded).

use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Nodes nested deeper than this are rejected.
pub const MAX_DEPTH: usize = 128;
/// At most this many nodes per stream, counting alias expansions.
pub const MAX_NODES: usize = 2_000_000;

/// A position in the source: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

impl Pos {
    fn from_span(span: &Span) -> Pos {
        Pos {
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            col: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        }
    }
}

/// A scalar's text and whether it was written quoted (or as a block) rather than plain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub quoted: bool,
}

/// A mapping key (always a scalar in the documents we accept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub text: String,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in document order; keys are unique.
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entry for `key` if this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// What kind of node this is, for error messages ("expected a string, found a mapping").
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    fn count_nodes(&self) -> usize {
        let mut count = 0;
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            count += 1;
            match &n.value {
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
                _ => {}
            }
        }
        count
    }
}

/// One document of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub root: Node,
}

/// A YAML syntax error or a structure we refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for YamlError {}

enum Frame {
    Seq { pos: Pos, anchor: usize, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, entries: Vec<(Key, Node)>, pending_key: Option<Key> },
}

/// Parses a multi-document stream (`---` separated). Documents that are empty (only comments,
/// or `null`) are skipped, as `kubectl apply` skips them.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: Vec<Option<Node>> = Vec::new();
    let mut total_nodes = 0usize;
    let mut finished: Option<Node> = None;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| YamlError {
            pos: Pos {
                line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
                col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            },
            message: format!("invalid YAML: {}", e.info()),
        })?;
        let pos = Pos::from_span(&span);
        let completed: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::Nothing => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                finished = None;
                anchors.clear();
                None
            }
            Event::DocumentEnd => {
                if let Some(root) = finished.take()
                    && !root.is_null()
                {
                    docs.push(Document { root });
                }
                None
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(id)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| YamlError { pos, message: "alias refers to an unknown anchor".into() })?
                    .clone();
                total_nodes += node.count_nodes();
                if total_nodes > MAX_NODES {
                    return Err(YamlError {
                        pos,
                        message: format!("document too large: more than {MAX_NODES} nodes after expanding aliases"),
                    });
                }
                Some((node, 0))
            }
            Event::Scalar(text, style, anchor, tag) => {
                total_nodes += 1;
                let quoted = style != ScalarStyle::Plain || tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Value::Null
                } else {
                    Value::Scalar(Scalar { text: text.into_owned(), quoted })
                };
                Some((Node { pos, value }, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError { pos, message: format!("nesting deeper than {MAX_DEPTH} levels") });
                }
                stack.push(Frame::Seq { pos, anchor, items: Vec::new() });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError { pos, message: format!("nesting deeper than {MAX_DEPTH} levels") });
                }
                stack.push(Frame::Map { pos, anchor, entries: Vec::new(), pending_key: None });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => {
                    total_nodes += 1;
                    Some((Node { pos, value: Value::Seq(items) }, anchor))
                }
                _ => return Err(YamlError { pos, message: "unbalanced sequence end".into() }),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { pos, anchor, entries, .. }) => {
                    total_nodes += 1;
                    Some((Node { pos, value: Value::Map(entries) }, anchor))
                }
                _ => return Err(YamlError { pos, message: "unbalanced mapping end".into() }),
            },
        };
        if total_nodes > MAX_NODES {
            return Err(YamlError { pos, message: format!("document too large: more than {MAX_NODES} nodes") });
        }
        let Some((node, anchor)) = completed else { continue };
        if anchor > 0 {
            if anchors.len() <= anchor {
                anchors.resize(anchor + 1, None);
            }
            anchors[anchor] = Some(node.clone());
        }
        match stack.last_mut() {
            None => finished = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, .. }) => match pending_key.take() {
                None => {
                    let text = match node.value {
                        Value::Scalar(s) => s.text,
                        Value::Null => String::new(),
                        _ => {
                            return Err(YamlError {
                                pos: node.pos,
                                message: "mapping keys must be plain strings, not lists or mappings".into(),
                            });
                        }
                    };
                    if text == "<<" {
                        return Err(YamlError {
                            pos: node.pos,
                            message: "merge keys (<<) are not supported; write the fields out".into(),
                        });
                    }
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == text) {
                        return Err(YamlError {
                            pos: node.pos,
                            message: format!("duplicate key {text:?} (first defined at line {})", first.pos.line),
                        });
                    }
                    *pending_key = Some(Key { text, pos: node.pos });
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
    // A stream without explicit document end events still yields its last document.
    if let Some(root) = finished.take()
        && !root.is_null()
    {
        docs.push(Document { root });
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_stream(text).unwrap();
        assert_eq!(docs.len(), 1);
        docs.remove(0).root
    }

    #[test]
    fn positions_and_scalars() {
        let root = one("a: 1.10\nb:\n  c: 'x'\n  d: [1, 2]\ne:\n");
        let a = root.get("a").unwrap();
        assert_eq!(a.as_str(), Some("1.10"), "source text is kept");
        assert_eq!(a.pos, Pos { line: 1, col: 4 });
        let c = root.get("b").unwrap().get("c").unwrap();
        assert_eq!(c.value, Value::Scalar(Scalar { text: "x".into(), quoted: true }));
        assert_eq!(c.pos, Pos { line: 3, col: 6 });
        assert!(root.get("e").unwrap().is_null());
        match &root.value {
            Value::Map(entries) => assert_eq!(entries[1].0.pos, Pos { line: 2, col: 1 }),
            _ => panic!(),
        }
    }

    #[test]
    fn multi_document_streams_skip_empty_documents() {
        let docs = parse_stream("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].root.get("b").unwrap().pos.line, 6);
        assert!(parse_stream("").unwrap().is_empty());
    }

    #[test]
    fn aliases_expand() {
        let root = one("base: &b {x: 1}\nuse: *b\n");
        assert_eq!(root.get("use").unwrap().get("x").unwrap().as_str(), Some("1"));
    }

    #[test]
    fn rejects_hostile_or_unsupported_input() {
        let dup = parse_stream("a: 1\na: 2\n").unwrap_err();
        assert!(dup.message.contains("duplicate key"), "{dup}");
        assert_eq!(dup.pos.line, 2);
        assert!(parse_stream("a: [1, 2\n").is_err());
        assert!(parse_stream("a: b: c\n").is_err());
        assert!(parse_stream("? [a]\n: 1\n").is_err());
        assert!(parse_stream("<<: {a: 1}\n").is_err());
        let deep = "[".repeat(10_000);
        assert!(parse_stream(&deep).is_err());
        // Billion laughs: each level doubles; bounded by MAX_NODES.
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let prev = format!("*a{}", i - 1);
            laughs.push_str(&format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", ")));
        }
        let err = parse_stream(&laughs).unwrap_err();
        assert!(err.message.contains("too large"), "{err}");
    }
}
