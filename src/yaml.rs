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

use std::collections::BTreeMap;
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
    /// How to fix it, when the error is a common one (tabs, an unclosed bracket, a repeated key).
    pub hint: Option<String>,
    /// Where in the document the error is, e.g. `spec.template.metadata.labels` (empty at the top).
    pub path: String,
    /// The scalars of the first two levels of the document read so far (`kind`,
    /// `metadata.name`, ...), so that the caller can name the object the error is in.
    pub document: Option<Node>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

impl std::error::Error for YamlError {}

/// An open collection. `start` is its first character's index in the text: a `[` or `{` there
/// means a flow collection, which an error message can then point back to.
enum Frame {
    Seq {
        pos: Pos,
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    /// `index` maps each key to its entry, so that a mapping with many keys is checked for
    /// duplicates in `n log n`, not `n²`.
    Map {
        pos: Pos,
        start: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        index: BTreeMap<String, usize>,
        pending_key: Option<Key>,
    },
}

/// An error at `pos`, located in the document being built: the field path of the open
/// collections, the top of the document so far, and a hint for common mistakes.
fn located(stack: &[Frame], text: &str, pos: Pos, message: String, hint: Option<String>) -> YamlError {
    // Deep paths keep their first and last steps: `a.b.c.d.e.f.g.h.(100 more).s.t.u.v.w.x.y.z`.
    const ENDS: usize = 8;
    let elided = stack.len().saturating_sub(2 * ENDS);
    let mut path = String::new();
    for (depth, frame) in stack.iter().enumerate() {
        if elided > 1 && (ENDS..ENDS + elided).contains(&depth) {
            if depth == ENDS {
                path.push_str(&format!(".({elided} more)"));
            }
            continue;
        }
        match frame {
            Frame::Seq { items, .. } => path.push_str(&format!("[{}]", items.len())),
            Frame::Map { pending_key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key.text);
            }
            Frame::Map { pending_key: None, .. } => {}
        }
    }
    let hint = hint.or_else(|| {
        if message.contains("tab") {
            return Some("indent with spaces: YAML does not allow tabs in indentation".to_string());
        }
        if message.contains("recursion limit") || message.contains("nesting deeper") {
            return Some(format!("scenarios and manifests may nest at most {MAX_DEPTH} levels"));
        }
        if !message.starts_with("invalid YAML") {
            return None;
        }
        // Inside a flow collection, most syntax errors are a missing `]` or `}` (or comma).
        let innermost = stack.last().map(|frame| match frame {
            Frame::Seq { pos, start, .. } | Frame::Map { pos, start, .. } => (*pos, *start),
        });
        let flow = innermost.and_then(|(pos, start)| Some((pos, text.chars().nth(start)?)));
        match flow {
            Some((open_pos, open @ ('[' | '{'))) => {
                let close = if open == '[' { ']' } else { '}' };
                Some(format!(
                    "the '{open}' at line {}, column {} is still open here: close it with '{close}' or separate items with ','",
                    open_pos.line, open_pos.col
                ))
            }
            _ if message.contains("unknown anchor") => {
                Some("an alias (*name) must come after its anchor (&name), in the same document".to_string())
            }
            _ if message.contains("quoted scalar") => {
                Some("is a closing quote missing? A quoted value ends with the quote it starts with".to_string())
            }
            _ if message.contains("mapping values are not allowed") => Some(
                "a value containing ': ' needs quotes; otherwise this line is indented too far".to_string(),
            ),
            _ if message.contains("indentation") || message.contains("did not find expected") => {
                Some("check the indentation: the keys of one mapping, and the '-' of one list, line up".to_string())
            }
            _ => None,
        }
    });
    // Scalars only, two levels deep: enough to name the object, cheap to copy.
    let shallow = |entries: &[(Key, Node)]| -> Vec<(Key, Node)> {
        entries.iter().filter(|(_, v)| matches!(v.value, Value::Scalar(_))).cloned().collect()
    };
    let document = match stack.first() {
        Some(Frame::Map { pos, entries, pending_key, .. }) => {
            let mut top: Vec<(Key, Node)> = entries
                .iter()
                .filter_map(|(k, v)| match &v.value {
                    Value::Scalar(_) => Some((k.clone(), v.clone())),
                    Value::Map(inner) => Some((k.clone(), Node { pos: v.pos, value: Value::Map(shallow(inner)) })),
                    _ => None,
                })
                .collect();
            if let (Some(key), Some(Frame::Map { pos, entries, .. })) = (pending_key, stack.get(1)) {
                top.push((key.clone(), Node { pos: *pos, value: Value::Map(shallow(entries)) }));
            }
            Some(Node { pos: *pos, value: Value::Map(top) })
        }
        _ => None,
    };
    YamlError { pos, message, hint, path, document }
}

/// The first character YAML does not allow (`c-printable` of YAML 1.2: C0 and C1 controls but
/// tab, line feed, carriage return and next line; U+FFFE and U+FFFF), as (character index,
/// position, character).
fn first_unprintable(text: &str) -> Option<(usize, Pos, char)> {
    let mut pos = Pos { line: 1, col: 1 };
    for (index, c) in text.chars().enumerate() {
        let allowed =
            matches!(c, '\t' | '\n' | '\r' | '\u{85}') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}');
        if !allowed {
            return Some((index, pos, c));
        }
        if c == '\n' {
            pos = Pos { line: pos.line.saturating_add(1), col: 1 };
        } else {
            pos.col = pos.col.saturating_add(1);
        }
    }
    None
}

/// The first tab in the indentation of line `line` (1-based), else of the lines just after
/// and before it.
fn indenting_tab(text: &str, line: usize) -> Option<Pos> {
    [line, line + 1, line.saturating_sub(1)].into_iter().filter(|&l| l > 0).find_map(|l| {
        let content = text.lines().nth(l - 1)?;
        let col = content.chars().take_while(|c| matches!(c, ' ' | '\t')).position(|c| c == '\t')?;
        Some(Pos { line: u32::try_from(l).unwrap_or(u32::MAX), col: u32::try_from(col + 1).unwrap_or(u32::MAX) })
    })
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
    let unprintable = first_unprintable(text);

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let mut pos = Pos {
                line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
                col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            };
            let message = format!("invalid YAML: {}", e.info());
            // A tab in the indentation near the error is its likely cause. The scanner reports
            // tab errors after the tab, or on the line before: point at the tab itself.
            let mut hint = None;
            if let Some(tab) = indenting_tab(text, e.marker().line()) {
                if message.contains("tab") {
                    pos = tab;
                } else {
                    hint = Some(format!(
                        "line {}, column {} indents with a tab: indent with spaces only",
                        tab.line, tab.col
                    ));
                }
            }
            located(&stack, text, pos, message, hint)
        })?;
        let pos = Pos::from_span(&span);
        let start = span.start.index();
        // The parser lets some control characters through; refuse them where they occur.
        if let Some((index, bad_pos, c)) = unprintable
            && (span.end.index() > index || matches!(event, Event::StreamEnd))
        {
            let message = format!("invalid YAML: control character U+{:04X} is not allowed", u32::from(c));
            let hint = "remove it: YAML text may not contain control characters (is this a binary file?)";
            return Err(located(&stack, text, bad_pos, message, Some(hint.to_string())));
        }
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
                    .ok_or_else(|| located(&stack, text, pos, "alias refers to an unknown anchor".into(), None))?
                    .clone();
                total_nodes += node.count_nodes();
                if total_nodes > MAX_NODES {
                    let message = format!("document too large: more than {MAX_NODES} nodes after expanding aliases");
                    let hint = "aliases (*name) copy the anchored node each time they are used".to_string();
                    return Err(located(&stack, text, pos, message, Some(hint)));
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
                    return Err(located(&stack, text, pos, format!("nesting deeper than {MAX_DEPTH} levels"), None));
                }
                stack.push(Frame::Seq { pos, start, anchor, items: Vec::new() });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(located(&stack, text, pos, format!("nesting deeper than {MAX_DEPTH} levels"), None));
                }
                let (entries, index) = (Vec::new(), BTreeMap::new());
                stack.push(Frame::Map { pos, start, anchor, entries, index, pending_key: None });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { pos, anchor, items, .. }) => {
                    total_nodes += 1;
                    Some((Node { pos, value: Value::Seq(items) }, anchor))
                }
                _ => return Err(located(&stack, text, pos, "unbalanced sequence end".into(), None)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { pos, anchor, entries, .. }) => {
                    total_nodes += 1;
                    Some((Node { pos, value: Value::Map(entries) }, anchor))
                }
                _ => return Err(located(&stack, text, pos, "unbalanced mapping end".into(), None)),
            },
        };
        if total_nodes > MAX_NODES {
            return Err(located(&stack, text, pos, format!("document too large: more than {MAX_NODES} nodes"), None));
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
            Some(Frame::Map { entries, index, pending_key, .. }) => match pending_key.take() {
                None => {
                    let key = match node.value {
                        Value::Scalar(s) => s.text,
                        Value::Null => String::new(),
                        _ => {
                            let message = "mapping keys must be plain strings, not lists or mappings".to_string();
                            return Err(located(&stack, text, node.pos, message, None));
                        }
                    };
                    if key == "<<" {
                        let message = "merge keys (<<) are not supported; write the fields out".to_string();
                        return Err(located(&stack, text, node.pos, message, None));
                    }
                    if let Some(first) = index.get(&key).and_then(|&i| entries.get(i)) {
                        let message = format!("duplicate key {key:?} (first defined at line {})", first.0.pos.line);
                        let hint = "a key may appear once in a mapping: remove or merge the repeated one".to_string();
                        return Err(located(&stack, text, node.pos, message, Some(hint)));
                    }
                    index.insert(key.clone(), entries.len());
                    *pending_key = Some(Key { text: key, pos: node.pos });
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
