//! Typed decoding of YAML trees with located, helpful errors.
//!
//! Every decoder reads a mapping through [`Fields`], which remembers which keys were asked
//! for. When the decoder is done, any key it did not ask for is either a field Kubernetes
//! defines but the simulator does not model (accepted, and recorded once in
//! [`Unmodelled`] so `kubesim validate` can list it) or a mistake, reported with its file,
//! line and column and the closest valid name.

use std::collections::BTreeSet;
use std::fmt;

use crate::api::quantity::Quantity;
use crate::kernel::{SimDuration, parse_duration};
use crate::yaml::{Node, Pos, Value};

/// A decoding error: where, in which object, at which field path, what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub file: String,
    pub pos: Option<Pos>,
    /// The object being decoded, e.g. `Deployment default/web`, when known.
    pub object: Option<String>,
    /// The field path, e.g. `spec.template.spec.containers[0].resources.requests`.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(pos) = self.pos {
            write!(f, ":{}:{}", pos.line, pos.col)?;
        }
        f.write_str(": ")?;
        if let Some(object) = &self.object {
            write!(f, "{object}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// A YAML syntax error in `file`, inside `object` when the document names one.
    pub fn yaml(file: &str, e: crate::yaml::YamlError, object: Option<String>) -> Box<DecodeError> {
        Box::new(DecodeError {
            file: file.to_string(),
            pos: Some(e.pos),
            object,
            path: e.path,
            message: e.message,
            hint: e.hint,
        })
    }
}

/// Fields that Kubernetes defines but the simulator ignores, as `Kind: path` strings.
pub type Unmodelled = BTreeSet<String>;

/// The decoding context: which file and object we are in, and where to record ignored fields.
pub struct Ctx<'a> {
    pub file: &'a str,
    pub object: Option<String>,
    /// The kind used to label ignored fields (`Deployment`, `Scenario`).
    pub kind: &'a str,
    pub unmodelled: &'a mut Unmodelled,
}

/// Errors are boxed: a decode error is large and rare, results are many and hot.
pub type DResult<T> = Result<T, Box<DecodeError>>;

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, kind: &'a str, unmodelled: &'a mut Unmodelled) -> Ctx<'a> {
        Ctx { file, object: None, kind, unmodelled }
    }

    /// An error at `node`.
    pub fn error(&self, pos: Pos, path: &str, message: impl Into<String>) -> Box<DecodeError> {
        Box::new(DecodeError {
            file: self.file.to_string(),
            pos: Some(pos),
            object: self.object.clone(),
            path: path.to_string(),
            message: message.into(),
            hint: None,
        })
    }

    /// An error with a hint.
    pub fn error_hint(
        &self,
        pos: Pos,
        path: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Box<DecodeError> {
        let mut e = self.error(pos, path, message);
        e.hint = Some(hint.into());
        e
    }

    /// Opens a mapping for field-by-field reading; `null` reads as an empty mapping.
    pub fn fields<'n>(&self, node: &'n Node, path: &str) -> DResult<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => {
                Ok(Fields { entries, used: vec![false; entries.len()], asked: Vec::new(), path: path.to_string() })
            }
            Value::Null => Ok(Fields { entries: &[], used: Vec::new(), asked: Vec::new(), path: path.to_string() }),
            _ => Err(self.error(node.pos, path, format!("expected a mapping, found {}", node.describe()))),
        }
    }

    /// The items of a list; `null` reads as empty.
    pub fn seq<'n>(&self, node: &'n Node, path: &str) -> DResult<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            Value::Null => Ok(&[]),
            _ => Err(self.error(node.pos, path, format!("expected a list, found {}", node.describe()))),
        }
    }

    /// A scalar as a string (numbers and booleans too: `name: 123` is the string "123").
    pub fn string(&self, node: &Node, path: &str) -> DResult<String> {
        match &node.value {
            Value::Scalar(s) => Ok(s.text.clone()),
            _ => Err(self.error(node.pos, path, format!("expected a string, found {}", node.describe()))),
        }
    }

    /// A plain (unquoted) integer, or a quoted one: Kubernetes' JSON decoding rejects quoted
    /// numbers for integer fields, so we do too, with a hint.
    pub fn int(&self, node: &Node, path: &str) -> DResult<i64> {
        match &node.value {
            Value::Scalar(s) if !s.quoted => s
                .text
                .parse::<i64>()
                .map_err(|_| self.error(node.pos, path, format!("expected an integer, found {:?}", s.text))),
            Value::Scalar(s) => Err(self.error_hint(
                node.pos,
                path,
                format!("expected an integer, found the string {:?}", s.text),
                "remove the quotes",
            )),
            _ => Err(self.error(node.pos, path, format!("expected an integer, found {}", node.describe()))),
        }
    }

    /// An integer within `[min, max]`.
    pub fn int_in(&self, node: &Node, path: &str, min: i64, max: i64) -> DResult<i64> {
        let v = self.int(node, path)?;
        if v < min || v > max {
            return Err(self.error(node.pos, path, format!("must be between {min} and {max}, got {v}")));
        }
        Ok(v)
    }

    pub fn int32(&self, node: &Node, path: &str) -> DResult<i32> {
        self.int_in(node, path, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
    }

    /// A non-negative int32, as most Kubernetes counts are.
    pub fn non_negative_int32(&self, node: &Node, path: &str) -> DResult<i32> {
        let v = self.int32(node, path)?;
        if v < 0 {
            return Err(self.error(node.pos, path, format!("must be greater than or equal to 0, got {v}")));
        }
        Ok(v)
    }

    pub fn bool(&self, node: &Node, path: &str) -> DResult<bool> {
        match &node.value {
            Value::Scalar(s) if !s.quoted => match s.text.as_str() {
                "true" | "True" | "TRUE" => Ok(true),
                "false" | "False" | "FALSE" => Ok(false),
                _ => Err(self.error(node.pos, path, format!("expected true or false, found {:?}", s.text))),
            },
            _ => Err(self.error(node.pos, path, format!("expected true or false, found {}", node.describe()))),
        }
    }

    /// A Kubernetes quantity (`"500m"`, `2Gi`, `1.5`); plain numbers are accepted as Kubernetes
    /// accepts them.
    pub fn quantity(&self, node: &Node, path: &str) -> DResult<Quantity> {
        let text = self.string(node, path)?;
        Quantity::parse(&text).map_err(|e| {
            self.error_hint(node.pos, path, e.to_string(), "quantities look like 500m, 2, 1.5, 512Mi, 2Gi or 1e3")
        })
    }

    /// A duration such as `30s`, `10m`, `1h30m`, `2d`.
    pub fn duration(&self, node: &Node, path: &str) -> DResult<SimDuration> {
        let text = self.string(node, path)?;
        parse_duration(&text).map_err(|e| self.error(node.pos, path, e.to_string()))
    }

    /// A `map[string]string` (labels, annotations, nodeSelector).
    pub fn string_map(&self, node: &Node, path: &str) -> DResult<crate::api::meta::Labels> {
        let mut out = crate::api::meta::Labels::new();
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let value = match &v.value {
                        Value::Scalar(s) => s.text.clone(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(self.error(
                                v.pos,
                                &format!("{path}.{}", k.text),
                                format!("expected a string value, found {}", v.describe()),
                            ));
                        }
                    };
                    out.insert(k.text.clone(), value);
                }
                Ok(out)
            }
            Value::Null => Ok(out),
            _ => Err(self.error(node.pos, path, format!("expected a mapping of strings, found {}", node.describe()))),
        }
    }

    /// Records an accepted-but-ignored field.
    pub fn note_unmodelled(&mut self, path: &str) {
        self.unmodelled.insert(format!("{}: {}", self.kind, normalize_path(path)));
    }
}

/// Replaces list indices by `[]` so that one ignored field is listed once, not per item.
fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// A mapping being read field by field.
pub struct Fields<'n> {
    entries: &'n [(crate::yaml::Key, Node)],
    used: Vec<bool>,
    asked: Vec<&'static str>,
    path: String,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present and not `null`. Marks the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.asked.push(key);
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if k.text == key {
                self.used[i] = true;
                return if v.is_null() { None } else { Some(v) };
            }
        }
        None
    }

    /// The path of a child field, for error messages.
    pub fn child(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    /// The path of this mapping.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Like [`get`](Self::get) but the field must be present. When it is missing because it
    /// is misspelled, the error points at the misspelling rather than at the mapping.
    pub fn require(&mut self, ctx: &Ctx<'_>, key: &'static str, at: Pos) -> DResult<&'n Node> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        Err(self
            .misspelled(ctx, key)
            .unwrap_or_else(|| ctx.error(at, &self.path, format!("missing required field {key:?}"))))
    }

    /// For a required `key` found missing: the error for an unread key that looks like a
    /// misspelling of it, if there is one.
    pub fn misspelled(&self, ctx: &Ctx<'_>, key: &str) -> Option<Box<DecodeError>> {
        let (k, _) = self
            .entries
            .iter()
            .zip(&self.used)
            .find(|((k, _), used)| !**used && crate::suggest::closest(&k.text, [key]).is_some())?
            .0;
        Some(ctx.error_hint(
            k.pos,
            &self.path,
            format!("unknown field {:?} (did you mean {key:?}?)", k.text),
            format!("{key:?} is required here"),
        ))
    }

    /// Ends reading: unknown keys are errors unless listed in `ignored` (valid Kubernetes
    /// fields the simulator does not model), which are recorded instead.
    pub fn finish(self, ctx: &mut Ctx<'_>, ignored: &[&'static str]) -> DResult<()> {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            if ignored.contains(&k.text.as_str()) {
                let path = self.child(&k.text);
                ctx.note_unmodelled(&path);
                continue;
            }
            let candidates = self.asked.iter().chain(ignored.iter()).copied();
            let suggestion = crate::suggest::did_you_mean(&k.text, candidates);
            let mut valid: Vec<&str> = self.asked.clone();
            valid.sort_unstable();
            valid.dedup();
            return Err(ctx.error_hint(
                k.pos,
                &self.path,
                format!("unknown field {:?}{suggestion}", k.text),
                format!("fields here: {}", valid.join(", ")),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_stream;

    #[test]
    fn unknown_fields_get_a_location_and_a_suggestion() {
        let docs = parse_stream("spec:\n  replica: 3\n").unwrap();
        let mut unmodelled = Unmodelled::new();
        let mut ctx = Ctx::new("app.yaml", "Deployment", &mut unmodelled);
        let mut top = ctx.fields(&docs[0].root, "").unwrap();
        let spec = top.get("spec").unwrap();
        top.finish(&mut ctx, &[]).unwrap();
        let mut fields = ctx.fields(spec, "spec").unwrap();
        assert!(fields.get("replicas").is_none());
        let _ = fields.get("selector");
        let err = fields.finish(&mut ctx, &["revisionHistoryLimit"]).unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 2, col: 3 }));
        let text = err.to_string();
        assert!(
            text.starts_with("app.yaml:2:3: spec: unknown field \"replica\" (did you mean \"replicas\"?)"),
            "{text}"
        );
        assert!(text.contains("hint: fields here: replicas, selector"), "{text}");
    }

    #[test]
    fn ignored_fields_are_recorded_once() {
        let docs = parse_stream("items:\n- {name: a, env: [1]}\n- {name: b, env: [2]}\n").unwrap();
        let mut unmodelled = Unmodelled::new();
        let mut ctx = Ctx::new("f", "Pod", &mut unmodelled);
        let mut top = ctx.fields(&docs[0].root, "").unwrap();
        let items = top.get("items").unwrap();
        for (i, item) in ctx.seq(items, "items").unwrap().iter().enumerate() {
            let mut f = ctx.fields(item, &format!("items[{i}]")).unwrap();
            let _ = f.get("name");
            f.finish(&mut ctx, &["env"]).unwrap();
        }
        assert_eq!(unmodelled.into_iter().collect::<Vec<_>>(), vec!["Pod: items[].env".to_string()]);
    }

    #[test]
    fn scalar_types() {
        let docs = parse_stream("a: '3'\nb: 3\nc: yes\nd: [1]\ne: 1e3m\n").unwrap();
        let mut unmodelled = Unmodelled::new();
        let ctx = Ctx::new("f", "X", &mut unmodelled);
        let root = &docs[0].root;
        assert!(ctx.int(root.get("a").unwrap(), "a").unwrap_err().hint.is_some());
        assert_eq!(ctx.int(root.get("b").unwrap(), "b"), Ok(3));
        assert!(ctx.bool(root.get("c").unwrap(), "c").is_err());
        assert!(ctx.string(root.get("d").unwrap(), "d").unwrap_err().message.contains("found a list"));
        assert!(ctx.quantity(root.get("e").unwrap(), "e").is_err());
        assert_eq!(ctx.string(root.get("b").unwrap(), "b"), Ok("3".into()));
    }
}
