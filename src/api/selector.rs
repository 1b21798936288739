//! Kubernetes label selectors: the requirement model, matching, the string syntax used by
//! `kubectl -l` and field values such as `spec.selector` strings, and the conversion of a
//! `metav1.LabelSelector` (matchLabels / matchExpressions) into a selector. Pod topology spread,
//! inter-pod affinity, PodDisruptionBudgets and the workload controllers all select pods through
//! this module, so its behaviour follows upstream to the quirk: k8s.io/apimachinery
//! `pkg/labels/selector.go` (NewRequirement, Requirement.Matches, String, Lexer, Parser,
//! SelectorFromSet, ValidatedSelectorFromSet), `pkg/selection/operator.go` and
//! `pkg/apis/meta/v1/helpers.go` (LabelSelectorAsSelector).
//!
//! Where this implementation differs from Go it does so only in ways no selector can observe
//! through matching: values are kept as a sorted set (Go keeps the caller's order and duplicates
//! and sorts only when printing), requirements are sorted by key with a stable sort (Go's
//! `sort.Sort` is not stable for more than twelve requirements), and error messages carry a byte
//! position and a hint instead of Go's field paths.

use std::fmt;
use std::str::FromStr;

use crate::api::shared::SharedVec;
use crate::api::validation;

/// How a requirement relates a label's value to its values (`selection.Operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// `in`: the label exists and its value is one of the values (at least one value).
    In,
    /// `notin`: the label is absent or its value is none of the values (at least one value).
    NotIn,
    /// `=`: the label exists with exactly this value (one value).
    Equals,
    /// `==`: the same as `=`, kept apart only so that `String()` prints it back.
    DoubleEquals,
    /// `!=`: the label is absent or has another value (one value).
    NotEquals,
    /// `exists`: the label exists (no value).
    Exists,
    /// `!`: the label does not exist (no value).
    DoesNotExist,
    /// `gt`: the label's value, read as a base-10 int64, is greater than the value.
    GreaterThan,
    /// `lt`: the label's value, read as a base-10 int64, is less than the value.
    LessThan,
}

impl Operator {
    /// Every operator, in the order Kubernetes lists them in its error messages.
    pub const ALL: [Operator; 9] = [
        Operator::In,
        Operator::NotIn,
        Operator::Equals,
        Operator::DoubleEquals,
        Operator::NotEquals,
        Operator::GreaterThan,
        Operator::LessThan,
        Operator::Exists,
        Operator::DoesNotExist,
    ];

    /// The `selection.Operator` string: `in`, `notin`, `=`, `==`, `!=`, `exists`, `!`, `gt`, `lt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operator {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operator::ALL.into_iter().find(|op| op.as_str() == s).ok_or_else(|| {
            SelectorError::new(format!(
                "{} is not a valid selector operator: must be one of in, notin, =, ==, !=, gt, lt, exists, !",
                quote(s)
            ))
        })
    }
}

/// Why a selector, requirement or operator was rejected. The message is lower-case, names the
/// offending key, value or token, and says what would have been accepted; parse errors also
/// carry the byte offset of the offending token in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError {
    message: String,
    position: Option<usize>,
}

impl SelectorError {
    /// An error with no position in an input string.
    pub fn new(message: impl Into<String>) -> SelectorError {
        SelectorError { message: message.into(), position: None }
    }

    /// An error at a byte offset of a parsed string.
    pub fn at(position: usize, message: impl Into<String>) -> SelectorError {
        SelectorError { message: message.into(), position: Some(position) }
    }

    /// The message without the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the parsed string of the token the error is about, if any.
    pub fn position(&self) -> Option<usize> {
        self.position
    }

    /// The same error with `context` put in front of the message (e.g. a field path).
    pub fn with_context(mut self, context: &str) -> SelectorError {
        self.message.insert_str(0, context);
        self
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{} (at byte {position})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for SelectorError {}

/// Longest piece of user input quoted in an error message; hostile inputs of megabytes must not
/// make megabyte messages.
const QUOTE_LIMIT: usize = 64;

/// User input for a message: control characters and quotes escaped, cut short if long.
pub(crate) fn snippet(s: &str) -> String {
    let mut end = s.len().min(QUOTE_LIMIT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let head = s.get(..end).unwrap_or("");
    let mut out: String = head.escape_debug().collect();
    if end < s.len() {
        out.push_str("...");
    }
    out
}

/// User input in double quotes for a message (see [`snippet`]).
pub(crate) fn quote(s: &str) -> String {
    format!("\"{}\"", snippet(s))
}

/// Reads a label value or requirement value as Go's `strconv.ParseInt(v, 10, 64)` does: an
/// optional sign and decimal digits, no spaces or underscores, within int64. Rust's parser
/// accepts exactly that language.
fn parse_int64(v: &str) -> Option<i64> {
    v.parse::<i64>().ok()
}

/// One `key op values` condition on a label set (`labels.Requirement`). Always valid: it can
/// only be built by [`Requirement::new`] or by the parser, which validate as Kubernetes does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// Sorted and without duplicates, so `String()` needs no sorting and `in` can bisect.
    values: Vec<String>,
    /// The value of a `gt`/`lt` requirement, parsed once; zero for other operators.
    bound: i64,
}

impl Requirement {
    /// NewRequirement: validates the key (a qualified name), the number of values the operator
    /// takes (`in`/`notin` at least one; `=`, `==`, `!=` exactly one; `exists`, `!` none;
    /// `gt`, `lt` exactly one that is a base-10 int64) and every value (a label value). All
    /// problems are reported together, joined by "; ". The empty string is a valid value.
    pub fn new(key: &str, op: Operator, values: Vec<String>) -> Result<Requirement, SelectorError> {
        let mut errs: Vec<String> = Vec::new();
        if let Err(msg) = validation::is_qualified_name(key) {
            errs.push(format!("invalid label key {}: {msg}", quote(key)));
        }
        let n = values.len();
        let mut bound = 0;
        match op {
            Operator::In | Operator::NotIn => {
                if n == 0 {
                    errs.push(format!("key {}: for 'in', 'notin' operators, values set can't be empty", quote(key)));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if n != 1 {
                    errs.push(format!(
                        "key {}: exact-match compatibility requires one single value, got {n}",
                        quote(key)
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if n != 0 {
                    errs.push(format!(
                        "key {}: values set must be empty for exists and does not exist, got {n} value(s)",
                        quote(key)
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if n != 1 {
                    errs.push(format!(
                        "key {}: for 'gt', 'lt' operators, exactly one value is required, got {n}",
                        quote(key)
                    ));
                }
                for v in &values {
                    match parse_int64(v) {
                        Some(b) => bound = b,
                        None => errs.push(format!(
                            "key {}: for 'gt', 'lt' operators, the value must be an integer, got {}",
                            quote(key),
                            quote(v)
                        )),
                    }
                }
            }
        }
        for v in &values {
            if let Err(msg) = validation::is_valid_label_value(v) {
                errs.push(format!("invalid label value {} for key {}: {msg}", quote(v), quote(key)));
            }
        }
        if !errs.is_empty() {
            return Err(SelectorError::new(errs.join("; ")));
        }
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Requirement { key: key.to_string(), operator: op, values, bound })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and without duplicates.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a label set satisfies this requirement. An absent label satisfies only `notin`,
    /// `!=` and `!`; `gt`/`lt` never match a value that is not a base-10 int64.
    pub fn matches(&self, labels: &crate::api::meta::Labels) -> bool {
        self.matches_value(labels.get(self.key.as_str()).map(String::as_str))
    }

    /// The same test given the label's value (`None` when the label is absent), for callers
    /// whose labels are not in a `BTreeMap`.
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        let has = |v: &str| self.values.binary_search_by(|probe| probe.as_str().cmp(v)).is_ok();
        eval(self.operator, value, has, || Some(self.bound))
    }
}

/// The matching table of `Requirement.Matches`, shared by compiled requirements and by the
/// allocation-free evaluation of raw node selector requirements. `has` tests membership in the
/// values and `bound` yields the `gt`/`lt` value (None if it does not parse).
fn eval(op: Operator, value: Option<&str>, has: impl Fn(&str) -> bool, bound: impl Fn() -> Option<i64>) -> bool {
    match op {
        Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(has),
        Operator::NotIn | Operator::NotEquals => value.is_none_or(|v| !has(v)),
        Operator::Exists => value.is_some(),
        Operator::DoesNotExist => value.is_none(),
        Operator::GreaterThan | Operator::LessThan => {
            let Some(actual) = value.and_then(parse_int64) else {
                return false;
            };
            let Some(bound) = bound() else {
                return false;
            };
            if op == Operator::GreaterThan { actual > bound } else { actual < bound }
        }
    }
}

/// Whether `Requirement::new(key, op, values)` would succeed, without allocating: the lazy node
/// selector matcher asks this for every term it evaluates.
pub(crate) fn requirement_is_valid(key: &str, op: Operator, values: &[String]) -> bool {
    if !validation::qualified_name_ok(key) {
        return false;
    }
    let arity_ok = match op {
        Operator::In | Operator::NotIn => !values.is_empty(),
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => values.len() == 1,
        Operator::Exists | Operator::DoesNotExist => values.is_empty(),
        Operator::GreaterThan | Operator::LessThan => {
            values.len() == 1 && values.iter().all(|v| parse_int64(v).is_some())
        }
    };
    arity_ok && values.iter().all(|v| validation::label_value_ok(v))
}

/// Matching for a requirement given as raw parts that [`requirement_is_valid`] accepted; the
/// values need not be sorted. Allocation-free.
pub(crate) fn raw_requirement_matches(op: Operator, values: &[String], value: Option<&str>) -> bool {
    let has = |v: &str| values.iter().any(|x| x == v);
    let bound = || values.first().and_then(|v| parse_int64(v));
    eval(op, value, has, bound)
}

impl fmt::Display for Requirement {
    /// `Requirement.String()`: `!key`, `key`, `key=v`, `key==v`, `key!=v`, `key>v`, `key<v`,
    /// `key in (a,b)`, `key notin (a,b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sep, open, close) = match self.operator {
            Operator::DoesNotExist => return write!(f, "!{}", self.key),
            Operator::Exists => return f.write_str(&self.key),
            Operator::Equals => ("=", "", ""),
            Operator::DoubleEquals => ("==", "", ""),
            Operator::NotEquals => ("!=", "", ""),
            Operator::GreaterThan => (">", "", ""),
            Operator::LessThan => ("<", "", ""),
            Operator::In => (" in ", "(", ")"),
            Operator::NotIn => (" notin ", "(", ")"),
        };
        write!(f, "{}{sep}{open}", self.key)?;
        for (i, v) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(v)?;
        }
        f.write_str(close)
    }
}

/// `metav1.LabelSelectorOperator`: the operators allowed in a `matchExpressions` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl MatchOperator {
    /// The manifest spelling: `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOperator::In => "In",
            MatchOperator::NotIn => "NotIn",
            MatchOperator::Exists => "Exists",
            MatchOperator::DoesNotExist => "DoesNotExist",
        }
    }

    /// The label selector operator it stands for.
    pub fn to_operator(self) -> Operator {
        match self {
            MatchOperator::In => Operator::In,
            MatchOperator::NotIn => Operator::NotIn,
            MatchOperator::Exists => Operator::Exists,
            MatchOperator::DoesNotExist => Operator::DoesNotExist,
        }
    }
}

impl fmt::Display for MatchOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MatchOperator {
    type Err = SelectorError;

    /// Case-sensitive, as the API server is: `in` or `Notin` are rejected.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "In" => Ok(MatchOperator::In),
            "NotIn" => Ok(MatchOperator::NotIn),
            "Exists" => Ok(MatchOperator::Exists),
            "DoesNotExist" => Ok(MatchOperator::DoesNotExist),
            _ => Err(SelectorError::new(format!(
                "{} is not a valid label selector operator: must be one of In, NotIn, Exists, DoesNotExist",
                quote(s)
            ))),
        }
    }
}

/// One `matchExpressions` entry of a `metav1.LabelSelector`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchExpression {
    pub key: String,
    pub operator: MatchOperator,
    pub values: Vec<String>,
}

/// A label selector (`labels.Selector`): the AND of its requirements, sorted by key. It is
/// either Nothing, which matches no label set at all (a nil `metav1.LabelSelector`), or a list of
/// requirements, where the empty list is Everything (`{}`, `Parse("")`, `SelectorFromSet({})`).
/// The default value is Everything, like Go's zero `internalSelector`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector {
    /// Shared between clones: the scheduler hands the selectors of a pod's Services and
    /// ReplicaSets to PodTopologySpread every cycle.
    requirements: SharedVec<Requirement>,
    nothing: bool,
}

impl LabelSelector {
    /// labels.Parse: reads the string syntax, e.g. `app=web,tier in (a,b),!canary,x>3`. The
    /// result is sorted by key.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Parser::new(s).parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements: requirements.into(), nothing: false })
    }

    /// labels.Everything: matches every label set.
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// labels.Nothing: matches no label set.
    pub fn nothing() -> LabelSelector {
        LabelSelector { requirements: SharedVec::new(), nothing: true }
    }

    /// SelectorFromSet: `key=value` for every entry, without validation (so it matches exactly
    /// the given values even where they are not valid label values); empty is Everything.
    pub fn from_set(labels: &crate::api::meta::Labels) -> LabelSelector {
        // A BTreeMap iterates in key order, which is the order the selector keeps.
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement { key: k.clone(), operator: Operator::Equals, values: vec![v.clone()], bound: 0 })
            .collect::<Vec<_>>();
        LabelSelector { requirements: requirements.into(), nothing: false }
    }

    /// ValidatedSelectorFromSet: like [`LabelSelector::from_set`] but every key and value is
    /// validated; the first invalid entry (in key order) is reported.
    pub fn from_set_validated(labels: &crate::api::meta::Labels) -> Result<LabelSelector, SelectorError> {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement::new(k, Operator::Equals, vec![v.clone()]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LabelSelector { requirements: requirements.into(), nothing: false })
    }

    /// LabelSelectorAsSelector for a non-nil `metav1.LabelSelector` (a nil one is
    /// [`LabelSelector::nothing`]): no matchLabels and no matchExpressions is Everything; each
    /// matchLabels entry becomes `key=value` and each expression the corresponding requirement,
    /// validated by [`Requirement::new`] (so `Exists` with values is an error). Requirements are
    /// sorted by key, matchLabels before expressions for equal keys.
    pub fn from_match(
        match_labels: &crate::api::meta::Labels,
        match_expressions: &[MatchExpression],
    ) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Vec::with_capacity(match_labels.len() + match_expressions.len());
        for (k, v) in match_labels {
            let r =
                Requirement::new(k, Operator::Equals, vec![v.clone()]).map_err(|e| e.with_context("matchLabels: "))?;
            requirements.push(r);
        }
        for (i, expr) in match_expressions.iter().enumerate() {
            let r = Requirement::new(&expr.key, expr.operator.to_operator(), expr.values.clone())
                .map_err(|e| e.with_context(&format!("matchExpressions[{i}]: ")))?;
            requirements.push(r);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements: requirements.into(), nothing: false })
    }

    /// Whether the label set satisfies every requirement (never, for Nothing).
    pub fn matches(&self, labels: &crate::api::meta::Labels) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// The requirements, sorted by key (empty for Everything and for Nothing).
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether this is Everything (`Selector.Empty()`); Nothing is not empty.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Whether this is Nothing.
    pub fn is_nothing(&self) -> bool {
        self.nothing
    }

    /// The label a set of labels must carry to match, if the selector requires one: the key
    /// and the values of its first `=`, `==` or `in` requirement (a label set without that key
    /// set to one of the values does not match). Indexes of selectors file them under it.
    pub fn anchor(&self) -> Option<(&str, &[String])> {
        self.requirements
            .iter()
            .find(|r| matches!(r.operator, Operator::Equals | Operator::DoubleEquals | Operator::In))
            .map(|r| (r.key.as_str(), r.values.as_slice()))
    }

    /// Selector.Add: this selector with one more requirement, re-sorted by key. Nothing stays
    /// Nothing.
    pub fn with_requirement(mut self, requirement: Requirement) -> LabelSelector {
        if !self.nothing {
            let list = self.requirements.make_mut();
            list.push(requirement);
            list.sort_by(|a, b| a.key.cmp(&b.key));
        }
        self
    }

    /// RequiresExactMatch: if the first requirement on `label` is `=`, `==` or `in` with a
    /// single value, that value.
    pub fn requires_exact_match(&self, label: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == label)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [only]) => Some(only),
            _ => None,
        }
    }
}

impl fmt::Display for LabelSelector {
    /// `Selector.String()`: the requirements joined by ","; both Everything and Nothing print
    /// as the empty string (and the empty string parses back as Everything).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelSelector::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser. They mirror the Go state machines step by step, including how a NUL byte is
// read (Go's `read` returns 0 both at the end of the input and for a NUL byte, so a NUL where a
// token would start ends the input and a NUL right after a token is swallowed), because the set
// of accepted strings is part of the contract.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// A run of special symbols that is no token; unreachable with the current token table but
    /// kept so that the lexer has no impossible branch.
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

#[derive(Clone, Copy, Debug)]
struct Item<'a> {
    tok: Token,
    lit: &'a str,
    pos: usize,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn symbol_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// Go's `read`: the next byte, or 0 at the end (without moving); a NUL byte also reads as 0
    /// but is consumed.
    fn read(&mut self) -> u8 {
        match self.src.as_bytes().get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    /// Only ever called right after a `read` that returned a byte of the input.
    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// The literal between two byte offsets. Every boundary the lexer produces sits next to an
    /// ASCII byte or at an end of the input, so this never fails; the fallback only keeps the
    /// lexer panic-free by construction.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn lex(&mut self) -> Item<'a> {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return Item { tok: Token::EndOfString, lit: "", pos: self.pos };
        }
        self.unread();
        let start = self.pos;
        if is_special(ch) { self.scan_special(start) } else { self.scan_identifier(start) }
    }

    fn scan_identifier(&mut self, start: usize) -> Item<'a> {
        let mut end = start;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            end = self.pos;
        }
        let lit = self.slice(start, end);
        let tok = match lit {
            "in" => Token::In,
            "notin" => Token::NotIn,
            _ => Token::Identifier,
        };
        Item { tok, lit, pos: start }
    }

    /// The longest token among the special symbols (`!=` rather than `!`, `==` rather than `=`).
    fn scan_special(&mut self, start: usize) -> Item<'a> {
        let mut last: Option<(Token, usize)> = None;
        let mut len = 0;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.unread();
                break;
            }
            len += 1;
            match self.src.as_bytes().get(start..start + len).and_then(symbol_token) {
                Some(tok) => last = Some((tok, len)),
                None if last.is_some() => {
                    self.unread();
                    break;
                }
                None => {}
            }
        }
        match last {
            Some((tok, n)) => Item { tok, lit: self.slice(start, start + n), pos: start },
            None => Item { tok: Token::Error, lit: self.slice(start, start + len), pos: start },
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    /// Where a value is expected `in` and `notin` are plain identifiers.
    Values,
}

struct Parser<'a> {
    items: Vec<Item<'a>>,
    position: usize,
}

/// How a token is named in a message: its text, or "end of string".
fn found(item: &Item<'_>) -> String {
    if item.tok == Token::EndOfString { "end of string".to_string() } else { format!("'{}'", snippet(item.lit)) }
}

fn is_operator_token(tok: Token) -> bool {
    matches!(
        tok,
        Token::Equals
            | Token::DoubleEquals
            | Token::NotEquals
            | Token::GreaterThan
            | Token::LessThan
            | Token::In
            | Token::NotIn
            | Token::OpenPar
    )
}

impl<'a> Parser<'a> {
    /// Scans the whole input first, as Go does; the token list always ends with EndOfString.
    fn new(src: &'a str) -> Parser<'a> {
        let mut lexer = Lexer { src, pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            items.push(item);
            if item.tok == Token::EndOfString {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn lookahead(&self, ctx: Context) -> Item<'a> {
        let mut item =
            self.items.get(self.position).copied().unwrap_or(Item { tok: Token::EndOfString, lit: "", pos: 0 });
        if ctx == Context::Values && matches!(item.tok, Token::In | Token::NotIn) {
            item.tok = Token::Identifier;
        }
        item
    }

    /// Returns the current token and moves on; the position never passes the final
    /// EndOfString (the grammar never reads past it; Go would index out of range if it did).
    fn consume(&mut self, ctx: Context) -> Item<'a> {
        let item = self.lookahead(ctx);
        if self.position + 1 < self.items.len() {
            self.position += 1;
        }
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let item = self.lookahead(Context::Values);
            match item.tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self.parse_requirement().map_err(|e| e.with_context("unable to parse requirement: "))?;
                    let negated = r.operator == Operator::DoesNotExist;
                    requirements.push(r);
                    let next = self.consume(Context::Values);
                    match next.tok {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let after = self.lookahead(Context::Values);
                            if !matches!(after.tok, Token::Identifier | Token::DoesNotExist) {
                                return Err(SelectorError::at(
                                    after.pos,
                                    format!(
                                        "found {}, expected: identifier after ',' (empty requirements and trailing commas are not allowed)",
                                        found(&after)
                                    ),
                                ));
                            }
                        }
                        _ => {
                            let hint = if negated && is_operator_token(next.tok) {
                                " ('!key' means the label must not exist and takes no value; write 'key!=value' to exclude one value)"
                            } else {
                                ""
                            };
                            return Err(SelectorError::at(
                                next.pos,
                                format!("found {}, expected: ',' or 'end of string'{hint}", found(&next)),
                            ));
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(SelectorError::at(
                        item.pos,
                        format!("found {}, expected: !, identifier, or 'end of string'", found(&item)),
                    ));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, key_pos, inferred) = self.parse_key_and_infer_operator()?;
        let at_key = |e: SelectorError| {
            if e.position.is_some() { e } else { SelectorError { position: Some(key_pos), ..e } }
        };
        if let Some(op) = inferred {
            return Requirement::new(key, op, Vec::new()).map_err(at_key);
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(key, op, values).map_err(at_key)
    }

    /// `[!] KEY`, validating the key at once; infers `exists` when the key is followed by ','
    /// or the end, and `!` whenever the key was negated.
    fn parse_key_and_infer_operator(&mut self) -> Result<(&'a str, usize, Option<Operator>), SelectorError> {
        let mut item = self.consume(Context::Values);
        let mut op = None;
        if item.tok == Token::DoesNotExist {
            op = Some(Operator::DoesNotExist);
            item = self.consume(Context::Values);
        }
        if item.tok != Token::Identifier {
            return Err(SelectorError::at(item.pos, format!("found {}, expected: identifier", found(&item))));
        }
        if let Err(msg) = validation::is_qualified_name(item.lit) {
            return Err(SelectorError::at(item.pos, format!("invalid label key {}: {msg}", quote(item.lit))));
        }
        let next = self.lookahead(Context::Values);
        if matches!(next.tok, Token::EndOfString | Token::Comma) && op.is_none() {
            op = Some(Operator::Exists);
        }
        Ok((item.lit, item.pos, op))
    }

    fn parse_operator(&mut self) -> Result<Operator, SelectorError> {
        let item = self.consume(Context::KeyAndOperator);
        Ok(match item.tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(SelectorError::at(
                    item.pos,
                    format!(
                        "found {}, expected: in, notin, =, ==, !=, gt, lt (a key is followed by ',', the end, or one of the operators in, notin, =, ==, !=, >, <)",
                        found(&item)
                    ),
                ));
            }
        })
    }

    /// `( values )` for `in`/`notin`; `()` is the set holding the empty string.
    fn parse_values(&mut self) -> Result<Vec<String>, SelectorError> {
        let open = self.consume(Context::Values);
        if open.tok != Token::OpenPar {
            return Err(SelectorError::at(open.pos, format!("found {}, expected: '('", found(&open))));
        }
        let item = self.lookahead(Context::Values);
        match item.tok {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                let close = self.consume(Context::Values);
                if close.tok != Token::ClosedPar {
                    return Err(SelectorError::at(close.pos, format!("found {}, expected: ')'", found(&close))));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(SelectorError::at(item.pos, format!("found {}, expected: ',', ')' or identifier", found(&item)))),
        }
    }

    /// The comma-separated, possibly empty values of a set, stopping before ')'. Empty items are
    /// the empty string, with Go's exact bookkeeping: a comma consumes a following comma, so
    /// `(a,,)` is an error while `(a,,b)`, `(,)`, `(a,)` and `(a,,,)` are accepted.
    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, SelectorError> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let item = self.consume(Context::Values);
            match item.tok {
                Token::Identifier => {
                    values.push(item.lit.to_string());
                    let next = self.lookahead(Context::Values);
                    match next.tok {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => {
                            return Err(SelectorError::at(
                                next.pos,
                                format!("found {}, expected: ',' or ')'", found(&next)),
                            ));
                        }
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    let next = self.lookahead(Context::Values);
                    if next.tok == Token::ClosedPar {
                        values.push(String::new());
                        return Ok(values);
                    }
                    if next.tok == Token::Comma {
                        self.consume(Context::Values);
                        values.push(String::new());
                    }
                }
                _ => {
                    return Err(SelectorError::at(
                        item.pos,
                        format!("found {}, expected: ',', or identifier", found(&item)),
                    ));
                }
            }
        }
    }

    /// The single value after `=`, `==`, `!=`, `>` or `<`; nothing before ',' or the end is the
    /// empty string.
    fn parse_exact_value(&mut self) -> Result<Vec<String>, SelectorError> {
        let next = self.lookahead(Context::Values);
        if matches!(next.tok, Token::EndOfString | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        let item = self.consume(Context::Values);
        if item.tok == Token::Identifier {
            return Ok(vec![item.lit.to_string()]);
        }
        Err(SelectorError::at(item.pos, format!("found {}, expected: identifier", found(&item))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn set(pairs: &[(&str, &str)]) -> crate::api::meta::Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
        Requirement::new(key, op, values.iter().map(|v| v.to_string()).collect())
            .unwrap_or_else(|e| panic!("requirement {key} {op} {values:?}: {e}"))
    }

    fn sel(reqs: Vec<Requirement>) -> LabelSelector {
        LabelSelector { requirements: reqs.into(), nothing: false }
    }

    fn parse_ok(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap_or_else(|e| panic!("parse {s:?}: {e}"))
    }

    fn parse_err(s: &str) -> SelectorError {
        match LabelSelector::parse(s) {
            Ok(got) => panic!("parse {s:?} should fail, got {got:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn parse_good_strings_print_back_without_spaces() {
        // TestSelectorParse's good strings: String() equals the input with spaces removed.
        for s in [
            "x=a,y=b,z=c",
            "",
            "x!=a,y=b",
            "x=",
            "x= ",
            "x=,z= ",
            "x= ,z= ",
            "!x",
            "x>1",
            "x>1,z<5",
            "x==a",
            "a,b,c",
            "!a,!b",
        ] {
            assert_eq!(parse_ok(s).to_string(), s.replace(' ', ""), "{s:?}");
        }
        // Set-based requirements print in the canonical spacing, values sorted.
        for (s, want) in [
            ("x in(b,a)", "x in (a,b)"),
            ("x notin ( a )", "x notin (a)"),
            ("x in (a,,b)", "x in (,a,b)"),
            ("y in (),x", "x,y in ()"),
            (" x == a ", "x==a"),
        ] {
            assert_eq!(parse_ok(s).to_string(), want, "{s:?}");
        }
    }

    #[test]
    fn parse_bad_strings() {
        for s in [
            "x=a||y=b",
            "x==a==b",
            "!x=a",
            "x<a",
            "x>a",
            "x>",
            "x<",
            "x>1.5",
            "x>-1", // a valid int64 but not a valid label value
            "x,,y",
            ",x,y",
            ",x",
            ",",
            "x,",
            "x nott in (y)",
            "a in (xyz),",
            "a in (xyz)b notin ()",
            "a in (xyz abc)",
            "a notin(",
            "a (",
            "(",
            ")",
            "=",
            "!",
            "!!x",
            "!x in (a)",
            "x in",
            "x in a",
            "x in (a",
            "x in (a,",
            "x in (a,,)",
            "x in (,,)",
            "x in (=)",
            "x in ((a))",
            "x notin",
            "x = a b",
            "x=a=b",
            "x=(a)",
            "x!=(",
            "x y",
            "in in",
            "x===a",
            "x=!a",
            "x in (a),,y",
            "key with space=a",
            "Example.com/x",
            "a/b/c",
            "/x",
            "x/",
            "x=-a",
            "x=a b",
            "x\u{0b}=a", // vertical tab is not selector whitespace, so it is part of the key
            "x\u{a0}=a", // nor is a no-break space
        ] {
            let _ = parse_err(s);
        }
    }

    #[test]
    fn parse_quirks() {
        // `x=` and `x=,` give the empty value.
        assert_eq!(parse_ok("x="), sel(vec![req("x", Operator::Equals, &[""])]));
        assert_eq!(parse_ok("x=,y"), sel(vec![req("x", Operator::Equals, &[""]), req("y", Operator::Exists, &[])]));
        assert_eq!(
            parse_ok("x!=,y!="),
            sel(vec![req("x", Operator::NotEquals, &[""]), req("y", Operator::NotEquals, &[""])])
        );
        // `x in ()` is the set holding the empty string.
        assert_eq!(parse_ok("x in ()"), sel(vec![req("x", Operator::In, &[""])]));
        assert_eq!(parse_ok("x notin ( )"), sel(vec![req("x", Operator::NotIn, &[""])]));
        assert_eq!(parse_ok("x in (,)"), sel(vec![req("x", Operator::In, &[""])]));
        assert_eq!(parse_ok("x in (abc,)"), sel(vec![req("x", Operator::In, &["", "abc"])]));
        assert_eq!(parse_ok("x notin (, a)"), sel(vec![req("x", Operator::NotIn, &["", "a"])]));
        assert_eq!(parse_ok("x in (,a)"), sel(vec![req("x", Operator::In, &["", "a"])]));
        assert_eq!(parse_ok("x in (a,,b)"), sel(vec![req("x", Operator::In, &["", "a", "b"])]));
        assert_eq!(parse_ok("x in (a,,,b)"), sel(vec![req("x", Operator::In, &["", "a", "b"])]));
        // Go's comma bookkeeping: after a value, ",," then ")" is an error but ",,," then ")"
        // is accepted (the second comma of a pair is consumed together with the first).
        assert!(parse_err("x in (a,,)").message().contains("found ')'"));
        assert_eq!(parse_ok("x in (a,,,)"), sel(vec![req("x", Operator::In, &["", "a"])]));
        assert_eq!(parse_ok("x in (,,a)"), sel(vec![req("x", Operator::In, &["", "a"])]));
        // Duplicates collapse.
        assert_eq!(parse_ok("x in (b,a,b,a)"), sel(vec![req("x", Operator::In, &["a", "b"])]));
        // `in` and `notin` are identifiers where a key or a value is expected.
        assert_eq!(
            parse_ok("a in (x,y,notin, z,in)"),
            sel(vec![req("a", Operator::In, &["in", "notin", "x", "y", "z"])])
        );
        assert_eq!(parse_ok("notin=in"), sel(vec![req("notin", Operator::Equals, &["in"])]));
        assert_eq!(parse_ok("in"), sel(vec![req("in", Operator::Exists, &[])]));
        assert_eq!(parse_ok("!notin"), sel(vec![req("notin", Operator::DoesNotExist, &[])]));
        assert_eq!(parse_ok("in in (in)"), sel(vec![req("in", Operator::In, &["in"])]));
        assert_eq!(parse_ok("in notin (notin)"), sel(vec![req("in", Operator::NotIn, &["notin"])]));
        // `!key`, and a bare key is `exists`.
        assert_eq!(parse_ok("!x"), sel(vec![req("x", Operator::DoesNotExist, &[])]));
        assert_eq!(parse_ok("a "), sel(vec![req("a", Operator::Exists, &[])]));
        assert_eq!(parse_ok("! x"), sel(vec![req("x", Operator::DoesNotExist, &[])]));
        // Longest symbol wins: `x!=a` is not-equals, `x==a` double-equals.
        assert_eq!(parse_ok("x!=a"), sel(vec![req("x", Operator::NotEquals, &["a"])]));
        assert_eq!(parse_ok("x==a"), sel(vec![req("x", Operator::DoubleEquals, &["a"])]));
        // Gt/Lt take base-10 integers, leading zeros included.
        assert_eq!(parse_ok("x>0206"), sel(vec![req("x", Operator::GreaterThan, &["0206"])]));
        assert_eq!(parse_ok("x < 7"), sel(vec![req("x", Operator::LessThan, &["7"])]));
        // `x>` gives the empty value, which is not an integer.
        assert!(parse_err("x>").message().contains("must be an integer"));
    }

    #[test]
    fn parse_whitespace_rules() {
        let want = sel(vec![req("x", Operator::Exists, &[])]);
        for s in ["\rx", "x\n", " \t\r\nx \t\r\n", "x "] {
            assert_eq!(parse_ok(s), want, "{s:?}");
        }
        assert_eq!(parse_ok("foo  in\t (abc)"), sel(vec![req("foo", Operator::In, &["abc"])]));
        assert_eq!(parse_ok("x notin\n (abc)"), sel(vec![req("x", Operator::NotIn, &["abc"])]));
        assert_eq!(parse_ok("x  notin\t\t\t(abc,def)"), sel(vec![req("x", Operator::NotIn, &["abc", "def"])]));
        assert_eq!(
            parse_ok(" x = a , y != b "),
            sel(vec![req("x", Operator::Equals, &["a"]), req("y", Operator::NotEquals, &["b"])])
        );
        // Whitespace splits a key from its operator but may not split a key.
        let _ = parse_err("x y=a");
        // Only-whitespace is the empty selector.
        assert!(parse_ok(" \t\r\n").is_empty());
    }

    #[test]
    fn parse_nul_bytes_like_go() {
        // A NUL where a token would start ends the input.
        assert_eq!(parse_ok("x \0!!!"), sel(vec![req("x", Operator::Exists, &[])]));
        assert_eq!(parse_ok("x \0(("), sel(vec![req("x", Operator::Exists, &[])]));
        assert!(parse_ok("\0x").is_empty());
        // A NUL right after a token is swallowed.
        assert_eq!(parse_ok("x=\0y"), sel(vec![req("x", Operator::Equals, &["y"])]));
        assert_eq!(parse_ok("x!=\0\0y"), sel(vec![req("x", Operator::NotEquals, &[""])]));
        let _ = parse_err("x\0y");
        // Swallowed after a key, so the next token is read as the operator.
        let _ = parse_err("x\0!!!");
    }

    #[test]
    fn parse_set_based_table() {
        // TestSetSelectorParser's valid rows with their expected requirements.
        let cases: Vec<(&str, Vec<Requirement>)> = vec![
            ("", vec![]),
            ("\rx", vec![req("x", Operator::Exists, &[])]),
            (
                "this-is-a-dns.domain.com/key-with-dash",
                vec![req("this-is-a-dns.domain.com/key-with-dash", Operator::Exists, &[])],
            ),
            (
                "this-is-another-dns.domain.com/key-with-dash in (so,what)",
                vec![req("this-is-another-dns.domain.com/key-with-dash", Operator::In, &["so", "what"])],
            ),
            (
                "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
                vec![req("0.1.2.domain/99", Operator::NotIn, &["10.10.100.1", "tick.tack.clock"])],
            ),
            ("x in (abc,def)", vec![req("x", Operator::In, &["abc", "def"])]),
            (
                "x notin (abc,,def),bar,z in (),w",
                vec![
                    req("bar", Operator::Exists, &[]),
                    req("w", Operator::Exists, &[]),
                    req("x", Operator::NotIn, &["abc", "", "def"]),
                    req("z", Operator::In, &[""]),
                ],
            ),
            ("x,y in (a)", vec![req("x", Operator::Exists, &[]), req("y", Operator::In, &["a"])]),
            ("x=a", vec![req("x", Operator::Equals, &["a"])]),
            ("x>1", vec![req("x", Operator::GreaterThan, &["1"])]),
            ("x<7", vec![req("x", Operator::LessThan, &["7"])]),
            ("x=a,y!=b", vec![req("x", Operator::Equals, &["a"]), req("y", Operator::NotEquals, &["b"])]),
            (
                "x=a,y!=b,z in (h,i,j)",
                vec![
                    req("x", Operator::Equals, &["a"]),
                    req("y", Operator::NotEquals, &["b"]),
                    req("z", Operator::In, &["h", "i", "j"]),
                ],
            ),
            ("x notin ( )", vec![req("x", Operator::NotIn, &[""])]),
        ];
        for (s, want) in cases {
            assert_eq!(parse_ok(s), sel(want), "{s:?}");
        }
    }

    #[test]
    fn parse_sorts_by_key_stably() {
        assert_eq!(parse_ok("x=a,a=x").to_string(), parse_ok("a=x,x=a").to_string());
        assert_eq!(parse_ok("z,y,x,!w").to_string(), "!w,x,y,z");
        // Equal keys keep their written order.
        assert_eq!(parse_ok("b,a!=1,a=2,a").to_string(), "a!=1,a=2,a,b");
        assert_eq!(parse_ok("a,a=2,a!=1").to_string(), "a,a=2,a!=1");
        // Keys compare bytewise: upper case before lower case, '-' and '.' before letters.
        assert_eq!(parse_ok("b,B,a.b,a-b,a").to_string(), "B,a,a-b,a.b,b");
    }

    #[test]
    fn error_messages_name_token_position_and_hint() {
        let e = parse_err("!x=a");
        assert_eq!(e.position(), Some(2));
        assert!(e.message().contains("found '='"), "{e}");
        assert!(e.message().contains("key!=value"), "{e}");
        let e = parse_err("x,,y");
        assert_eq!(e.position(), Some(2));
        assert!(e.message().contains("expected: identifier after ','"), "{e}");
        let e = parse_err("a in (xyz),");
        assert!(e.message().contains("found end of string"), "{e}");
        assert_eq!(e.position(), Some(11));
        let e = parse_err("x<a");
        assert!(e.message().starts_with("unable to parse requirement: "), "{e}");
        assert!(e.message().contains("must be an integer, got \"a\""), "{e}");
        assert_eq!(e.position(), Some(0));
        let e = parse_err("app=web,Bad_Prefix.io/x=1");
        assert!(e.message().contains("invalid label key \"Bad_Prefix.io/x\""), "{e}");
        assert!(e.message().contains("prefix part"), "{e}");
        assert_eq!(e.position(), Some(8));
        let e = parse_err("x=-a");
        assert!(e.message().contains("invalid label value \"-a\" for key \"x\""), "{e}");
        let e = parse_err("x nott in (y)");
        assert!(e.message().contains("found 'nott', expected: in, notin"), "{e}");
        assert_eq!(e.to_string(), format!("{} (at byte 2)", e.message()));
        let e = parse_err(",x");
        assert!(e.message().contains("expected: !, identifier, or 'end of string'"), "{e}");
        // A hostile literal is cut short in the message.
        let long = format!("x {}", "v".repeat(10_000));
        let e = parse_err(&long);
        assert!(e.message().contains("found 'vvvv"), "{e}");
        assert!(e.message().len() < 400, "{}", e.message().len());
    }

    #[test]
    fn requirement_constructor_table() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases: Vec<(String, Operator, Vec<String>, bool)> = vec![
            ("x".into(), Operator::In, vec![], false),
            ("x".into(), Operator::NotIn, vec![], false),
            ("x".into(), Operator::In, s(&["foo"]), true),
            ("x".into(), Operator::NotIn, s(&["foo"]), true),
            ("x".into(), Operator::Exists, vec![], true),
            ("x".into(), Operator::DoesNotExist, vec![], true),
            ("x".into(), Operator::Exists, s(&["a"]), false),
            ("x".into(), Operator::DoesNotExist, s(&[""]), false),
            ("1foo".into(), Operator::In, s(&["bar"]), true),
            ("1234".into(), Operator::In, s(&["bar"]), true),
            ("y".into(), Operator::GreaterThan, s(&["1"]), true),
            ("z".into(), Operator::LessThan, s(&["6"]), true),
            ("foo".into(), Operator::GreaterThan, s(&["bar"]), false),
            ("barz".into(), Operator::LessThan, s(&["blah"]), false),
            ("x".into(), Operator::GreaterThan, s(&["1", "2"]), false),
            ("x".into(), Operator::GreaterThan, s(&["1", "1"]), false),
            ("x".into(), Operator::GreaterThan, vec![], false),
            ("x".into(), Operator::GreaterThan, s(&["99999999999999999999"]), false),
            ("x".into(), Operator::GreaterThan, s(&["9223372036854775807"]), true),
            ("x".into(), Operator::LessThan, s(&["-1"]), false),
            ("x".into(), Operator::Equals, s(&["a", "b"]), false),
            ("x".into(), Operator::Equals, s(&["a", "a"]), false),
            ("x".into(), Operator::DoubleEquals, vec![], false),
            ("x".into(), Operator::NotEquals, s(&[""]), true),
            ("x".into(), Operator::In, s(&["", "a"]), true),
            ("x".into(), Operator::In, s(&["a b"]), false),
            ("x".into(), Operator::In, s(&[&"a".repeat(63)]), true),
            ("x".into(), Operator::In, s(&[&"a".repeat(64)]), false),
            ("a".repeat(254), Operator::Exists, vec![], false),
            ("a".repeat(63), Operator::Exists, vec![], true),
            ("a".repeat(64), Operator::Exists, vec![], false),
            (format!("{}/a", "b".repeat(253)), Operator::Exists, vec![], true),
            (format!("{}/a", "b".repeat(254)), Operator::Exists, vec![], false),
            ("a/b/c".into(), Operator::Exists, vec![], false),
            ("Prefix.io/a".into(), Operator::Exists, vec![], false),
            ("prefix.io/A_b".into(), Operator::Exists, vec![], true),
            ("".into(), Operator::Exists, vec![], false),
        ];
        for (key, op, values, ok) in cases {
            let got = Requirement::new(&key, op, values.clone());
            assert_eq!(got.is_ok(), ok, "{key:?} {op} {values:?}: {got:?}");
            assert_eq!(requirement_is_valid(&key, op, &values), ok, "{key:?} {op} {values:?}");
        }
    }

    #[test]
    fn requirement_errors_are_all_reported() {
        let e = Requirement::new("Bad/x/y", Operator::Exists, vec!["-v".into()]).unwrap_err();
        let m = e.message();
        assert!(m.contains("invalid label key \"Bad/x/y\""), "{m}");
        assert!(m.contains("values set must be empty"), "{m}");
        assert!(m.contains("invalid label value \"-v\""), "{m}");
        assert_eq!(m.matches("; ").count(), 2, "{m}");
    }

    #[test]
    fn requirement_values_are_a_sorted_set() {
        let r = req("x", Operator::In, &["c", "a", "b", "a"]);
        assert_eq!(r.values(), ["a", "b", "c"]);
        assert_eq!(r.key(), "x");
        assert_eq!(r.operator(), Operator::In);
        assert_eq!(r.to_string(), "x in (a,b,c)");
    }

    #[test]
    fn to_string_table() {
        let cases = vec![
            (
                vec![
                    req("x", Operator::In, &["abc", "def"]),
                    req("y", Operator::NotIn, &["jkl"]),
                    req("z", Operator::Exists, &[]),
                ],
                "x in (abc,def),y notin (jkl),z",
            ),
            (
                vec![
                    req("x", Operator::NotIn, &["abc", "def"]),
                    req("y", Operator::NotEquals, &["jkl"]),
                    req("z", Operator::DoesNotExist, &[]),
                ],
                "x notin (abc,def),y!=jkl,!z",
            ),
            (
                vec![
                    req("x", Operator::NotIn, &["abc"]),
                    req("y", Operator::In, &["jkl", "mno"]),
                    req("z", Operator::NotIn, &[""]),
                ],
                "x notin (abc),y in (jkl,mno),z notin ()",
            ),
            (
                vec![
                    req("x", Operator::Equals, &["abc"]),
                    req("y", Operator::DoubleEquals, &["jkl"]),
                    req("z", Operator::NotEquals, &["a"]),
                    req("z", Operator::Exists, &[]),
                ],
                "x=abc,y==jkl,z!=a,z",
            ),
            (
                vec![
                    req("x", Operator::GreaterThan, &["2"]),
                    req("y", Operator::LessThan, &["8"]),
                    req("z", Operator::Exists, &[]),
                ],
                "x>2,y<8,z",
            ),
            (vec![req("x", Operator::In, &["def", "abc", ""])], "x in (,abc,def)"),
        ];
        for (reqs, want) in cases {
            let s = sel(reqs);
            assert_eq!(s.to_string(), want);
            assert_eq!(parse_ok(want), s, "{want}");
        }
        assert_eq!(LabelSelector::everything().to_string(), "");
        assert_eq!(LabelSelector::nothing().to_string(), "");
    }

    #[test]
    fn selector_matches_table() {
        // TestSelectorMatches.
        let yes: Vec<(&str, crate::api::meta::Labels)> = vec![
            ("", set(&[("x", "y")])),
            ("x=y", set(&[("x", "y")])),
            ("x=y,z=w", set(&[("x", "y"), ("z", "w")])),
            ("x!=y,z!=w", set(&[("x", "z"), ("z", "a")])),
            ("notin=in", set(&[("notin", "in")])),
            ("x", set(&[("x", "z")])),
            ("!x", set(&[("y", "z")])),
            ("x>1", set(&[("x", "2")])),
            ("x<1", set(&[("x", "0")])),
            ("foo=bar", set(&[("foo", "bar"), ("baz", "blah")])),
            ("baz=blah", set(&[("foo", "bar"), ("baz", "blah")])),
            ("foo=bar,baz=blah", set(&[("foo", "bar"), ("baz", "blah")])),
            ("x==y", set(&[("x", "y")])),
            ("x in (a,b)", set(&[("x", "b")])),
            ("x=", set(&[("x", "")])),
            ("x in ()", set(&[("x", "")])),
            ("x", set(&[("x", "")])),
        ];
        for (s, labels) in yes {
            assert!(parse_ok(s).matches(&labels), "{s:?} should match {labels:?}");
        }
        let no: Vec<(&str, crate::api::meta::Labels)> = vec![
            ("x=z", set(&[])),
            ("x=y", set(&[("x", "z")])),
            ("x=y,z=w", set(&[("x", "w"), ("z", "w")])),
            ("x!=y,z!=w", set(&[("x", "z"), ("z", "w")])),
            ("x", set(&[("y", "z")])),
            ("!x", set(&[("x", "z")])),
            ("x>1", set(&[("x", "0")])),
            ("x<1", set(&[("x", "2")])),
            ("foo=blah", set(&[("foo", "bar"), ("baz", "blah")])),
            ("baz=bar", set(&[("foo", "bar"), ("baz", "blah")])),
            ("foo=bar,foobar=bar,baz=blah", set(&[("foo", "bar"), ("baz", "blah")])),
            ("x=", set(&[])),
            ("x in ()", set(&[])),
            ("x in (a,b)", set(&[("x", "c")])),
            ("x notin (a,b)", set(&[("x", "a")])),
        ];
        for (s, labels) in no {
            assert!(!parse_ok(s).matches(&labels), "{s:?} should not match {labels:?}");
        }
    }

    #[test]
    fn absent_label_per_operator() {
        let empty = set(&[]);
        let other = set(&[("y", "1")]);
        let table = [
            ("x in (a)", false),
            ("x=a", false),
            ("x==a", false),
            ("x notin (a)", true),
            ("x!=a", true),
            ("x", false),
            ("!x", true),
            ("x>1", false),
            ("x<1", false),
            ("x notin ()", true),
            ("x!=", true),
        ];
        for (s, want) in table {
            assert_eq!(parse_ok(s).matches(&empty), want, "{s:?}");
            assert_eq!(parse_ok(s).matches(&other), want, "{s:?}");
        }
    }

    #[test]
    fn requirement_matching_table() {
        // TestRequirementSelectorMatching.
        let cases = vec![
            (
                set(&[("x", "foo"), ("y", "baz")]),
                vec![req("x", Operator::In, &["foo"]), req("y", Operator::NotIn, &["alpha"])],
                true,
            ),
            (
                set(&[("x", "foo"), ("y", "baz")]),
                vec![req("x", Operator::In, &["foo"]), req("y", Operator::In, &["alpha"])],
                false,
            ),
            (set(&[("y", "")]), vec![req("x", Operator::NotIn, &[""]), req("y", Operator::Exists, &[])], true),
            (set(&[("y", "")]), vec![req("x", Operator::DoesNotExist, &[]), req("y", Operator::Exists, &[])], true),
            (set(&[("y", "")]), vec![req("x", Operator::NotIn, &[""]), req("y", Operator::DoesNotExist, &[])], false),
            (set(&[("y", "baz")]), vec![req("x", Operator::In, &[""])], false),
            (set(&[("z", "2")]), vec![req("z", Operator::GreaterThan, &["1"])], true),
            (set(&[("z", "v2")]), vec![req("z", Operator::GreaterThan, &["1"])], false),
        ];
        for (labels, reqs, want) in cases {
            let s = sel(reqs);
            assert_eq!(s.matches(&labels), want, "{s} on {labels:?}");
        }
    }

    #[test]
    fn gt_lt_with_unparsable_and_edge_values() {
        let gt = req("v", Operator::GreaterThan, &["0204"]);
        let lt = req("v", Operator::LessThan, &["10"]);
        let table = [
            ("0206", true, false),
            ("0204", false, false),
            ("204", false, false),
            ("205", true, false),
            ("+205", true, false),
            ("-3", false, true),
            ("09", false, true),
            ("10", false, false),
            ("1e3", false, false),
            ("0x10", false, false),
            ("1_000", false, false),
            (" 5", false, false),
            ("5 ", false, false),
            ("", false, false),
            ("+", false, false),
            ("-", false, false),
            ("3.0", false, false),
            ("9223372036854775807", true, false),
            ("9223372036854775808", false, false),
            ("-9223372036854775808", false, true),
            ("-9223372036854775809", false, false),
            ("٣", false, false),
        ];
        for (v, want_gt, want_lt) in table {
            let labels = set(&[("v", v)]);
            assert_eq!(gt.matches(&labels), want_gt, "{v:?} gt 0204");
            assert_eq!(lt.matches(&labels), want_lt, "{v:?} lt 10");
            assert_eq!(raw_requirement_matches(Operator::GreaterThan, &["0204".to_string()], Some(v)), want_gt);
        }
        assert!(!gt.matches(&set(&[])));
        assert!(!lt.matches_value(None));
        // The boundary values themselves never satisfy a strict comparison.
        let max = req("v", Operator::GreaterThan, &["9223372036854775807"]);
        assert!(!max.matches(&set(&[("v", "9223372036854775807")])));
    }

    #[test]
    fn from_set_and_validated() {
        let labels = set(&[("foo", "bar"), ("baz", "blah")]);
        assert!(LabelSelector::from_set(&set(&[])).matches(&labels));
        assert!(LabelSelector::from_set(&set(&[])).is_empty());
        assert!(LabelSelector::from_set(&set(&[("foo", "bar")])).matches(&labels));
        assert!(LabelSelector::from_set(&set(&[("baz", "blah")])).matches(&labels));
        assert!(LabelSelector::from_set(&labels).matches(&labels));
        assert!(!LabelSelector::from_set(&set(&[("foo", "=blah")])).matches(&labels));
        assert!(!LabelSelector::from_set(&set(&[("foo", "bar"), ("x", "y")])).matches(&labels));
        assert_eq!(LabelSelector::from_set(&labels).to_string(), "baz=blah,foo=bar");
        // No validation: an invalid value is compared as a string.
        let odd = set(&[("k", "has space")]);
        assert!(LabelSelector::from_set(&odd).matches(&odd));
        assert!(LabelSelector::from_set_validated(&odd).is_err());
        // TestValidatedSelectorFromSet.
        let ok = LabelSelector::from_set_validated(&set(&[("key", "val")])).unwrap();
        assert_eq!(ok, sel(vec![req("key", Operator::Equals, &["val"])]));
        let long = "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui";
        let e = LabelSelector::from_set_validated(&set(&[("Key", long)])).unwrap_err();
        assert!(e.message().contains("for key \"Key\""), "{e}");
        assert!(e.message().contains("must be no more than 63 bytes"), "{e}");
        assert!(LabelSelector::from_set_validated(&set(&[])).unwrap().is_empty());
    }

    #[test]
    fn everything_and_nothing() {
        let labels = set(&[("x", "y")]);
        assert!(LabelSelector::everything().matches(&labels));
        assert!(LabelSelector::everything().matches(&set(&[])));
        assert!(LabelSelector::everything().is_empty());
        assert!(!LabelSelector::everything().is_nothing());
        assert!(!LabelSelector::nothing().matches(&labels));
        assert!(!LabelSelector::nothing().matches(&set(&[])));
        assert!(!LabelSelector::nothing().is_empty());
        assert!(LabelSelector::nothing().is_nothing());
        assert_ne!(LabelSelector::nothing(), LabelSelector::everything());
        assert_eq!(LabelSelector::default(), LabelSelector::everything());
        assert_eq!(parse_ok(""), LabelSelector::everything());
        assert!(LabelSelector::nothing().requirements().is_empty());
        assert!(LabelSelector::nothing().with_requirement(req("x", Operator::Exists, &[])).is_nothing());
        let added = LabelSelector::everything()
            .with_requirement(req("key2", Operator::Equals, &["value2"]))
            .with_requirement(req("key", Operator::In, &["value"]));
        assert_eq!(added.to_string(), "key in (value),key2=value2");
    }

    #[test]
    fn from_match_table() {
        let labels = set(&[("app", "web"), ("tier", "fe")]);
        let me = |key: &str, operator: MatchOperator, values: &[&str]| MatchExpression {
            key: key.to_string(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        // `{}` is Everything; nil is Nothing (the caller's choice of constructor).
        let everything = LabelSelector::from_match(&set(&[]), &[]).unwrap();
        assert!(everything.is_empty());
        assert!(everything.matches(&labels));
        assert!(!LabelSelector::nothing().matches(&labels));
        let s = LabelSelector::from_match(
            &set(&[("tier", "fe")]),
            &[
                me("app", MatchOperator::In, &["web", "api"]),
                me("canary", MatchOperator::DoesNotExist, &[]),
                me("env", MatchOperator::NotIn, &["prod"]),
                me("app", MatchOperator::Exists, &[]),
            ],
        )
        .unwrap();
        assert_eq!(s.to_string(), "app in (api,web),app,!canary,env notin (prod),tier=fe");
        assert!(s.matches(&labels));
        assert!(!s.matches(&set(&[("app", "web"), ("tier", "fe"), ("canary", "1")])));
        assert!(!s.matches(&set(&[("app", "web"), ("tier", "fe"), ("env", "prod")])));
        assert!(!s.matches(&set(&[("app", "db"), ("tier", "fe")])));
        // Rejections: Exists/DoesNotExist with values, In/NotIn without, bad keys and values.
        let bad: Vec<(crate::api::meta::Labels, Vec<MatchExpression>, &str)> = vec![
            (set(&[]), vec![me("a", MatchOperator::Exists, &["x"])], "values set must be empty"),
            (set(&[]), vec![me("a", MatchOperator::DoesNotExist, &["x"])], "values set must be empty"),
            (set(&[]), vec![me("a", MatchOperator::In, &[])], "can't be empty"),
            (set(&[]), vec![me("a", MatchOperator::NotIn, &[])], "can't be empty"),
            (set(&[]), vec![me("a b", MatchOperator::Exists, &[])], "invalid label key"),
            (set(&[]), vec![me("a", MatchOperator::In, &["ok", "not ok"])], "invalid label value"),
            (set(&[("k", "-bad")]), vec![], "matchLabels: invalid label value"),
            (set(&[("bad key", "v")]), vec![], "matchLabels: invalid label key"),
        ];
        for (ml, exprs, want) in bad {
            let e = LabelSelector::from_match(&ml, &exprs).unwrap_err();
            assert!(e.message().contains(want), "{e} should contain {want:?}");
        }
        let e = LabelSelector::from_match(
            &set(&[]),
            &[me("ok", MatchOperator::Exists, &[]), me("a", MatchOperator::In, &[])],
        )
        .unwrap_err();
        assert!(e.message().starts_with("matchExpressions[1]: "), "{e}");
        // Empty-string values are fine, as in matchLabels `k: ""`.
        let s = LabelSelector::from_match(&set(&[("k", "")]), &[]).unwrap();
        assert!(s.matches(&set(&[("k", "")])));
        assert!(!s.matches(&set(&[])));
    }

    #[test]
    fn match_operator_from_str() {
        assert_eq!("In".parse::<MatchOperator>(), Ok(MatchOperator::In));
        assert_eq!("NotIn".parse::<MatchOperator>(), Ok(MatchOperator::NotIn));
        assert_eq!("Exists".parse::<MatchOperator>(), Ok(MatchOperator::Exists));
        assert_eq!("DoesNotExist".parse::<MatchOperator>(), Ok(MatchOperator::DoesNotExist));
        for bad in ["in", "Gt", "Lt", "", "Equals", "notin", "IN"] {
            let e = bad.parse::<MatchOperator>().unwrap_err();
            assert!(e.message().ends_with("must be one of In, NotIn, Exists, DoesNotExist"), "{e}");
            assert!(e.message().contains(&format!("{bad:?}")), "{e}");
        }
        for op in [MatchOperator::In, MatchOperator::NotIn, MatchOperator::Exists, MatchOperator::DoesNotExist] {
            assert_eq!(op.to_string().parse::<MatchOperator>(), Ok(op));
        }
        for op in Operator::ALL {
            assert_eq!(op.as_str().parse::<Operator>(), Ok(op));
        }
        assert!("In".parse::<Operator>().is_err());
    }

    #[test]
    fn requires_exact_match_table() {
        let cases = [
            ("key in (value)", "key", Some("value")),
            ("key in (value,value2)", "key", None),
            ("key in (value,value1),key2 in (value2)", "key2", Some("value2")),
            ("key=value", "key", Some("value")),
            ("key==value", "key", Some("value")),
            ("key!=value", "key", None),
            ("key in (value),key2 in (value2)", "key", Some("value")),
            ("key", "key", None),
            ("other=x", "key", None),
        ];
        for (s, label, want) in cases {
            assert_eq!(parse_ok(s).requires_exact_match(label), want, "{s}");
        }
    }

    #[test]
    fn hostile_inputs_do_not_panic_or_blow_up() {
        let n = 200_000;
        let inputs = vec![
            "(".repeat(n),
            ")".repeat(n),
            ",".repeat(n),
            "!".repeat(n),
            "=".repeat(n),
            "x".repeat(n),
            format!("x in ({})", ",".repeat(n)),
            format!("x in ({})", "a,".repeat(n)),
            format!("x in ({}", "a,".repeat(n)),
            "x,".repeat(n),
            format!("{}x", "x,".repeat(n)),
            "a=b,".repeat(n / 4) + "a=b",
            "é".repeat(n),
            "\0".repeat(n),
            " ".repeat(n),
            "!=(".repeat(n),
        ];
        // Each must finish (the parser is linear; a quadratic one would make this test crawl,
        // which the suite's overall time budget would expose) and not panic.
        for s in &inputs {
            let _ = LabelSelector::parse(s);
        }
        // Thousands of valid requirements parse and print back.
        let many: Vec<String> = (0..5000).map(|i| format!("k{i:05}=v{i}")).collect();
        let joined = many.join(",");
        assert_eq!(parse_ok(&joined).to_string(), joined);
    }

    /// Strings built from the selector's own vocabulary, so that a good share of them parse.
    fn selectorish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "x", "y", "a.b/c", "k8s.io/z", "in", "notin", "(", ")", ",", " ", "\t", "!", "=", "==", "!=", ">", "<",
            "1", "0206", "-1", "", "v", "V_1", "é", "\0", "a b", "x,y",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
            let _ = LabelSelector::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_selectorish_strings(s in selectorish()) {
            let _ = LabelSelector::parse(&s);
        }

        #[test]
        fn display_round_trips(s in selectorish()) {
            if let Ok(parsed) = LabelSelector::parse(&s) {
                let printed = parsed.to_string();
                let again = LabelSelector::parse(&printed);
                prop_assert_eq!(again.as_ref(), Ok(&parsed), "{:?} printed as {:?}", s, printed);
            }
        }

        #[test]
        fn display_round_trips_arbitrary(s in any::<String>()) {
            if let Ok(parsed) = LabelSelector::parse(&s) {
                let printed = parsed.to_string();
                prop_assert_eq!(LabelSelector::parse(&printed), Ok(parsed));
            }
        }

        #[test]
        fn raw_and_compiled_matching_agree(
            key in prop::sample::select(vec!["x", "y"]),
            op in prop::sample::select(Operator::ALL.to_vec()),
            values in prop::collection::vec(prop::sample::select(vec!["", "a", "b", "1", "07", "-2"]), 0..3),
            label in prop::option::of(prop::sample::select(vec!["", "a", "b", "1", "07", "-2", "x"])),
        ) {
            let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let compiled = Requirement::new(key, op, values.clone());
            prop_assert_eq!(compiled.is_ok(), requirement_is_valid(key, op, &values));
            if let Ok(r) = compiled {
                prop_assert_eq!(r.matches_value(label), raw_requirement_matches(op, &values, label));
            }
        }
    }
}
