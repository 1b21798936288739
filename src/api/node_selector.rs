//! Node selectors: `v1.NodeSelector` (required node affinity), `v1.PreferredSchedulingTerm`
//! (preferred node affinity) and `pod.spec.nodeSelector`, matched against a node's name and
//! labels exactly as the scheduler's NodeAffinity plugin does. The semantics follow
//! k8s.io/component-helpers `scheduling/corev1/nodeaffinity/nodeaffinity.go`
//! (LazyErrorNodeSelector, NewNodeSelector, PreferredSchedulingTerms, RequiredNodeAffinity), the
//! label requirements of `crate::api::selector` (k8s.io/apimachinery `pkg/labels`), and, for
//! [`NodeSelector::validate`] and [`validate_preferred_terms`], the API server's checks in
//! kubernetes `pkg/apis/core/validation/validation.go` (ValidateNodeSelector,
//! ValidateNodeSelectorRequirement, ValidateNodeFieldSelectorRequirement,
//! ValidatePreferredSchedulingTerms).
//!
//! Terms are ORed and, inside a term, matchExpressions and matchFields are ANDed. A term with
//! neither matches nothing, and so does a selector without terms. A term that does not parse
//! (bad key or value, wrong number of values, a non-integer `Gt`) simply does not match: that is
//! the "lazy error" behaviour of required affinity, whose errors surface only when no term
//! matches. Field requirements read a node's fields, of which there is one, `metadata.name`; a
//! node with an empty name has no fields, and then field requirements are ignored.
//!
//! The scheduler matches one pod against thousands of nodes, so the raw forms here evaluate
//! without allocating, and [`CompiledNodeSelector`], [`RequiredNodeAffinity`] and
//! [`CompiledPreferredTerms`] validate and sort once so that per-node matching is only lookups
//! and comparisons.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::api::selector::{self, Operator, Requirement, SelectorError, quote};
use crate::api::validation;

/// The only node field a `matchFields` requirement can read.
pub const NODE_NAME_FIELD: &str = "metadata.name";

/// `v1.NodeSelectorOperator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeSelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    /// The label's value, read as a base-10 int64, is greater than the single value.
    Gt,
    /// The label's value, read as a base-10 int64, is less than the single value.
    Lt,
}

impl NodeSelectorOperator {
    /// The manifest spelling: `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeSelectorOperator::In => "In",
            NodeSelectorOperator::NotIn => "NotIn",
            NodeSelectorOperator::Exists => "Exists",
            NodeSelectorOperator::DoesNotExist => "DoesNotExist",
            NodeSelectorOperator::Gt => "Gt",
            NodeSelectorOperator::Lt => "Lt",
        }
    }

    /// The label requirement operator a `matchExpressions` entry maps to.
    pub fn to_operator(self) -> Operator {
        match self {
            NodeSelectorOperator::In => Operator::In,
            NodeSelectorOperator::NotIn => Operator::NotIn,
            NodeSelectorOperator::Exists => Operator::Exists,
            NodeSelectorOperator::DoesNotExist => Operator::DoesNotExist,
            NodeSelectorOperator::Gt => Operator::GreaterThan,
            NodeSelectorOperator::Lt => Operator::LessThan,
        }
    }
}

impl fmt::Display for NodeSelectorOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NodeSelectorOperator {
    type Err = SelectorError;

    /// Case-sensitive, as the API server is.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "In" => Ok(NodeSelectorOperator::In),
            "NotIn" => Ok(NodeSelectorOperator::NotIn),
            "Exists" => Ok(NodeSelectorOperator::Exists),
            "DoesNotExist" => Ok(NodeSelectorOperator::DoesNotExist),
            "Gt" => Ok(NodeSelectorOperator::Gt),
            "Lt" => Ok(NodeSelectorOperator::Lt),
            _ => Err(SelectorError::new(format!(
                "{} is not a valid node selector operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt",
                quote(s)
            ))),
        }
    }
}

/// One `matchExpressions` or `matchFields` entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeSelectorRequirement {
    pub key: String,
    pub operator: NodeSelectorOperator,
    pub values: Vec<String>,
}

/// `v1.NodeSelectorTerm`: its expressions and fields are ANDed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<NodeSelectorRequirement>,
    pub match_fields: Vec<NodeSelectorRequirement>,
}

impl NodeSelectorTerm {
    /// A term with neither expressions nor fields, which matches no node.
    pub fn is_empty(&self) -> bool {
        self.match_expressions.is_empty() && self.match_fields.is_empty()
    }
}

/// `v1.NodeSelector`: its terms are ORed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct NodeSelector {
    pub terms: Vec<NodeSelectorTerm>,
}

/// `v1.PreferredSchedulingTerm`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreferredSchedulingTerm {
    pub weight: i32,
    pub preference: NodeSelectorTerm,
}

// ---------------------------------------------------------------------------------------------
// Raw, allocation-free evaluation.

/// What a node field selector reads: the node's name for `metadata.name`, and the empty string
/// for any other field (Go's `fields.Set.Get` on a missing key), so `In` on another field never
/// matches a non-empty value and `NotIn` always does.
fn field_value<'a>(key: &str, node_name: &'a str) -> &'a str {
    if key == NODE_NAME_FIELD { node_name } else { "" }
}

/// What nodeSelectorRequirementsAsFieldSelector accepts: `In` or `NotIn` with exactly one value.
/// The key is not checked there (only API validation restricts it to `metadata.name`).
fn field_requirement_is_valid(r: &NodeSelectorRequirement) -> bool {
    matches!(r.operator, NodeSelectorOperator::In | NodeSelectorOperator::NotIn) && r.values.len() == 1
}

fn label_requirement_is_valid(r: &NodeSelectorRequirement) -> bool {
    selector::requirement_is_valid(&r.key, r.operator.to_operator(), &r.values)
}

/// A term's verdict on one node: `None` when the term does not parse (it then matches nothing
/// and, for required affinity, contributes an error), otherwise whether it matches. The caller
/// skips empty terms. Validity is decided for the whole term first, as Go parses a term before
/// matching it.
fn raw_term_matches(term: &NodeSelectorTerm, node_name: &str, labels: &crate::api::meta::Labels) -> Option<bool> {
    if !term.match_expressions.iter().all(label_requirement_is_valid)
        || !term.match_fields.iter().all(field_requirement_is_valid)
    {
        return None;
    }
    let labels_match = term.match_expressions.iter().all(|r| {
        selector::raw_requirement_matches(
            r.operator.to_operator(),
            &r.values,
            labels.get(r.key.as_str()).map(String::as_str),
        )
    });
    if !labels_match {
        return Some(false);
    }
    // A node without a name has no fields, and field requirements are then not evaluated.
    if node_name.is_empty() {
        return Some(true);
    }
    Some(term.match_fields.iter().all(|r| {
        let equal = r.values.first().is_some_and(|v| v == field_value(&r.key, node_name));
        equal == (r.operator == NodeSelectorOperator::In)
    }))
}

impl NodeSelector {
    /// LazyErrorNodeSelector.Match without the error: whether some non-empty, valid term
    /// matches the node. No terms, only empty terms, or only invalid terms match nothing.
    /// Allocation-free; for many nodes prefer [`CompiledNodeSelector`].
    pub fn matches(&self, node_name: &str, node_labels: &crate::api::meta::Labels) -> bool {
        self.terms.iter().filter(|t| !t.is_empty()).any(|t| raw_term_matches(t, node_name, node_labels) == Some(true))
    }

    /// What the API server would reject in a required node affinity (ValidateNodeSelector),
    /// for use when loading manifests: no terms at all; in matchExpressions, `In`/`NotIn`
    /// without values, `Exists`/`DoesNotExist` with values, `Gt`/`Lt` without exactly one value,
    /// invalid label keys and invalid label values; in matchFields, an operator other than
    /// `In`/`NotIn`, not exactly one value, a key other than `metadata.name`, or a value that is
    /// not a valid node name (DNS-1123 subdomain). Like the API server it accepts an empty term
    /// and a `Gt`/`Lt` value that is not an integer; such terms are accepted but never match.
    /// All problems are reported, joined by "; ", each prefixed with its field path.
    pub fn validate(&self) -> Result<(), SelectorError> {
        let mut errs = Vec::new();
        if self.terms.is_empty() {
            errs.push("nodeSelectorTerms: must have at least one node selector term".to_string());
        }
        for (i, term) in self.terms.iter().enumerate() {
            validate_term(term, &format!("nodeSelectorTerms[{i}]"), &mut errs);
        }
        into_result(errs)
    }

    /// The node names the NodeAffinity plugin's PreFilter narrows scheduling to
    /// (`node_affinity.go`): `None` when some term has no `metadata.name In` field requirement
    /// (every node stays eligible) or there are no terms; otherwise the union over terms of the
    /// intersection, within a term, of the value sets of its `metadata.name In` requirements.
    /// `Some` of an empty set means the terms conflict and no node can match.
    pub fn pre_filter_node_names(&self) -> Option<BTreeSet<String>> {
        let mut union: Option<BTreeSet<String>> = None;
        for term in &self.terms {
            let mut names: Option<BTreeSet<String>> = None;
            for r in &term.match_fields {
                if r.key == NODE_NAME_FIELD && r.operator == NodeSelectorOperator::In {
                    let values: BTreeSet<String> = r.values.iter().cloned().collect();
                    names = Some(match names {
                        None => values,
                        Some(prev) => prev.intersection(&values).cloned().collect(),
                    });
                }
            }
            let names = names?;
            union.get_or_insert_with(BTreeSet::new).extend(names);
        }
        union
    }
}

/// ValidateNodeSelectorTerm: appends every problem of `term`, prefixed with `path`.
fn validate_term(term: &NodeSelectorTerm, path: &str, errs: &mut Vec<String>) {
    for (j, r) in term.match_expressions.iter().enumerate() {
        let p = format!("{path}.matchExpressions[{j}]");
        match r.operator {
            NodeSelectorOperator::In | NodeSelectorOperator::NotIn if r.values.is_empty() => {
                errs.push(format!("{p}.values: must be specified when `operator` is 'In' or 'NotIn'"));
            }
            NodeSelectorOperator::Exists | NodeSelectorOperator::DoesNotExist if !r.values.is_empty() => {
                errs.push(format!("{p}.values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
            }
            NodeSelectorOperator::Gt | NodeSelectorOperator::Lt if r.values.len() != 1 => {
                errs.push(format!("{p}.values: must be specified single value when `operator` is 'Lt' or 'Gt'"));
            }
            _ => {}
        }
        if let Err(msg) = validation::is_qualified_name(&r.key) {
            errs.push(format!("{p}.key: invalid value {}: {msg}", quote(&r.key)));
        }
        for (k, v) in r.values.iter().enumerate() {
            if let Err(msg) = validation::is_valid_label_value(v) {
                errs.push(format!("{p}.values[{k}]: invalid value {}: {msg}", quote(v)));
            }
        }
    }
    for (j, r) in term.match_fields.iter().enumerate() {
        let p = format!("{path}.matchFields[{j}]");
        match r.operator {
            NodeSelectorOperator::In | NodeSelectorOperator::NotIn => {
                if r.values.len() != 1 {
                    errs.push(format!(
                        "{p}.values: must be only one value when `operator` is 'In' or 'NotIn' for node field selector"
                    ));
                }
            }
            op => errs.push(format!(
                "{p}.operator: invalid value \"{op}\": not a valid selector operator (matchFields supports only In and NotIn)"
            )),
        }
        if r.key != NODE_NAME_FIELD {
            errs.push(format!(
                "{p}.key: invalid value {}: not a valid field selector key (only metadata.name is supported)",
                quote(&r.key)
            ));
        } else {
            for (k, v) in r.values.iter().enumerate() {
                if let Err(msg) = validation::is_dns1123_subdomain(v) {
                    errs.push(format!("{p}.values[{k}]: invalid value {}: {msg}", quote(v)));
                }
            }
        }
    }
}

fn into_result(errs: Vec<String>) -> Result<(), SelectorError> {
    if errs.is_empty() { Ok(()) } else { Err(SelectorError::new(errs.join("; "))) }
}

/// What the API server would reject in preferred node affinity terms
/// (ValidatePreferredSchedulingTerms): a weight outside 1..=100 and the problems
/// [`NodeSelector::validate`] finds in a term. Paths are relative, e.g.
/// `[0].preference.matchExpressions[1].key`.
pub fn validate_preferred_terms(terms: &[PreferredSchedulingTerm]) -> Result<(), SelectorError> {
    let mut errs = Vec::new();
    for (i, term) in terms.iter().enumerate() {
        if !(1..=100).contains(&term.weight) {
            errs.push(format!("[{i}].weight: invalid value {}: must be in the range 1-100", term.weight));
        }
        validate_term(&term.preference, &format!("[{i}].preference"), &mut errs);
    }
    into_result(errs)
}

/// PreferredSchedulingTerms.Score on raw terms: the sum of the weights of the matching terms.
/// Terms of weight 0 and empty preferences are dropped, as upstream. Upstream refuses to score
/// at all when a remaining term does not parse (the plugin's PreScore fails); here such a term
/// counts 0; use [`CompiledPreferredTerms::new`] to see the error. Allocation-free.
pub fn preferred_score(
    terms: &[PreferredSchedulingTerm],
    node_name: &str,
    node_labels: &crate::api::meta::Labels,
) -> i64 {
    terms
        .iter()
        .filter(|t| t.weight != 0 && !t.preference.is_empty())
        .filter(|t| raw_term_matches(&t.preference, node_name, node_labels) == Some(true))
        .map(|t| i64::from(t.weight))
        .sum()
}

/// RequiredNodeAffinity.Match on raw parts: every `pod.spec.nodeSelector` entry must be a node
/// label with exactly that value (SelectorFromSet, no validation), and, when the pod has a
/// required node affinity, it must match (lazily: invalid terms do not match). Allocation-free.
pub fn required_node_affinity_matches(
    node_selector: &crate::api::meta::Labels,
    required: Option<&NodeSelector>,
    node_name: &str,
    node_labels: &crate::api::meta::Labels,
) -> bool {
    node_selector.iter().all(|(k, v)| node_labels.get(k.as_str()) == Some(v))
        && required.is_none_or(|ns| ns.matches(node_name, node_labels))
}

// ---------------------------------------------------------------------------------------------
// Compiled forms: validate once, match many.

#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldRequirement {
    key: String,
    /// `In` (the field must equal the value) rather than `NotIn`.
    equal: bool,
    value: String,
}

/// A parsed non-empty term: its label requirements (sorted by key) and field requirements, or
/// the parse errors that make it never match.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CompiledTerm {
    labels: Vec<Requirement>,
    fields: Vec<FieldRequirement>,
    valid: bool,
}

impl CompiledTerm {
    /// newNodeSelectorTerm: parses every requirement, collecting all errors with their paths.
    fn compile(term: &NodeSelectorTerm, path: &str, errs: &mut Vec<String>) -> CompiledTerm {
        let before = errs.len();
        let mut labels = Vec::with_capacity(term.match_expressions.len());
        for (j, r) in term.match_expressions.iter().enumerate() {
            match Requirement::new(&r.key, r.operator.to_operator(), r.values.clone()) {
                Ok(req) => labels.push(req),
                Err(e) => errs.push(format!("{path}.matchExpressions[{j}]: {}", e.message())),
            }
        }
        labels.sort_by(|a, b| a.key().cmp(b.key()));
        let mut fields = Vec::with_capacity(term.match_fields.len());
        for (j, r) in term.match_fields.iter().enumerate() {
            let p = format!("{path}.matchFields[{j}]");
            match (r.operator, r.values.as_slice()) {
                (NodeSelectorOperator::In | NodeSelectorOperator::NotIn, [value]) => {
                    fields.push(FieldRequirement {
                        key: r.key.clone(),
                        equal: r.operator == NodeSelectorOperator::In,
                        value: value.clone(),
                    });
                }
                (NodeSelectorOperator::In | NodeSelectorOperator::NotIn, values) => {
                    errs.push(format!("{p}.values: must have one element, got {}", values.len()));
                }
                (op, _) => {
                    errs.push(format!("{p}.operator: unsupported value \"{op}\": supported values: \"In\", \"NotIn\""))
                }
            }
        }
        CompiledTerm { labels, fields, valid: errs.len() == before }
    }

    /// nodeSelectorTerm.match: `None` for a term that did not parse.
    fn matches(&self, node_name: &str, labels: &crate::api::meta::Labels) -> Option<bool> {
        if !self.valid {
            return None;
        }
        if !self.labels.iter().all(|r| r.matches(labels)) {
            return Some(false);
        }
        if node_name.is_empty() {
            return Some(true);
        }
        Some(self.fields.iter().all(|f| (field_value(&f.key, node_name) == f.value) == f.equal))
    }
}

/// A [`NodeSelector`] parsed once (LazyErrorNodeSelector): empty terms dropped, requirements
/// validated and sorted, parse errors kept for [`CompiledNodeSelector::matches_lazy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledNodeSelector {
    terms: Vec<CompiledTerm>,
    /// The errors of every term that did not parse, joined; what Go reports when no term
    /// matches (every invalid term is examined then, so the set is always the same).
    error: Option<SelectorError>,
}

impl CompiledNodeSelector {
    /// NewLazyErrorNodeSelector: never fails; terms that do not parse never match.
    pub fn new(node_selector: &NodeSelector) -> CompiledNodeSelector {
        let mut errs = Vec::new();
        let terms = node_selector
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(i, t)| CompiledTerm::compile(t, &format!("nodeSelectorTerms[{i}]"), &mut errs))
            .collect();
        CompiledNodeSelector { terms, error: (!errs.is_empty()).then(|| SelectorError::new(errs.join("; "))) }
    }

    /// NewNodeSelector: fails with every term's parse errors if any term does not parse.
    pub fn new_strict(node_selector: &NodeSelector) -> Result<CompiledNodeSelector, SelectorError> {
        let compiled = CompiledNodeSelector::new(node_selector);
        match compiled.error {
            Some(e) => Err(e),
            None => Ok(compiled),
        }
    }

    /// Whether some term matches the node. Allocation-free.
    pub fn matches(&self, node_name: &str, node_labels: &crate::api::meta::Labels) -> bool {
        self.terms.iter().any(|t| t.matches(node_name, node_labels) == Some(true))
    }

    /// LazyErrorNodeSelector.Match: `Ok(true)` if some term matches; otherwise the parse errors
    /// of the invalid terms, if there are any, else `Ok(false)`. Allocation-free.
    pub fn matches_lazy(
        &self,
        node_name: &str,
        node_labels: &crate::api::meta::Labels,
    ) -> Result<bool, &SelectorError> {
        if self.matches(node_name, node_labels) {
            return Ok(true);
        }
        match &self.error {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }

    /// The joined parse errors of the terms that do not parse, if any.
    pub fn parse_error(&self) -> Option<&SelectorError> {
        self.error.as_ref()
    }
}

/// A pod's required node constraints parsed once (GetRequiredNodeAffinity):
/// `spec.nodeSelector` and, if present, `requiredDuringSchedulingIgnoredDuringExecution`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequiredNodeAffinity {
    node_selector: Vec<(String, String)>,
    affinity: Option<CompiledNodeSelector>,
}

impl RequiredNodeAffinity {
    /// Parses the pod's nodeSelector map and its required node affinity (lazily).
    pub fn new(node_selector: &crate::api::meta::Labels, required: Option<&NodeSelector>) -> RequiredNodeAffinity {
        RequiredNodeAffinity {
            node_selector: node_selector.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            affinity: required.map(CompiledNodeSelector::new),
        }
    }

    /// No nodeSelector and no required affinity: every node matches.
    pub fn is_everything(&self) -> bool {
        self.node_selector.is_empty() && self.affinity.is_none()
    }

    /// RequiredNodeAffinity.Match without the error. Allocation-free.
    pub fn matches(&self, node_name: &str, node_labels: &crate::api::meta::Labels) -> bool {
        self.matches_lazy(node_name, node_labels) == Ok(true)
    }

    /// RequiredNodeAffinity.Match: a nodeSelector mismatch is `Ok(false)`; then the required
    /// affinity's lazy verdict. Allocation-free.
    pub fn matches_lazy(
        &self,
        node_name: &str,
        node_labels: &crate::api::meta::Labels,
    ) -> Result<bool, &SelectorError> {
        let selector_ok = self.node_selector.iter().all(|(k, v)| node_labels.get(k.as_str()) == Some(v));
        if !selector_ok {
            return Ok(false);
        }
        match &self.affinity {
            Some(ns) => ns.matches_lazy(node_name, node_labels),
            None => Ok(true),
        }
    }

    /// Whether the pod has a required node affinity (`Some` even with no terms).
    pub fn has_affinity(&self) -> bool {
        self.affinity.is_some()
    }
}

/// Preferred scheduling terms parsed once (NewPreferredSchedulingTerms): terms of weight 0 and
/// empty preferences are dropped before parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledPreferredTerms {
    terms: Vec<(i64, CompiledTerm)>,
}

impl CompiledPreferredTerms {
    /// Fails with every parse error if a remaining term does not parse, as upstream does (the
    /// NodeAffinity plugin's PreScore then reports an error). Paths are relative, e.g.
    /// `[2].matchExpressions[0]`.
    pub fn new(terms: &[PreferredSchedulingTerm]) -> Result<CompiledPreferredTerms, SelectorError> {
        let (compiled, errs) = Self::compile(terms);
        if errs.is_empty() { Ok(compiled) } else { Err(SelectorError::new(errs.join("; "))) }
    }

    /// Never fails: terms that do not parse are dropped (they would score 0), matching
    /// [`preferred_score`].
    pub fn new_lazy(terms: &[PreferredSchedulingTerm]) -> CompiledPreferredTerms {
        Self::compile(terms).0
    }

    fn compile(terms: &[PreferredSchedulingTerm]) -> (CompiledPreferredTerms, Vec<String>) {
        let mut errs = Vec::new();
        let terms = terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.weight != 0 && !t.preference.is_empty())
            .map(|(i, t)| {
                let term = CompiledTerm::compile(&t.preference, &format!("[{i}]"), &mut errs);
                (i64::from(t.weight), term)
            })
            .filter(|(_, term)| term.valid)
            .collect();
        (CompiledPreferredTerms { terms }, errs)
    }

    /// PreferredSchedulingTerms.Score: the sum of the weights of the terms matching the node.
    /// Allocation-free.
    pub fn score(&self, node_name: &str, node_labels: &crate::api::meta::Labels) -> i64 {
        self.terms.iter().filter(|(_, t)| t.matches(node_name, node_labels) == Some(true)).map(|(w, _)| *w).sum()
    }

    /// Whether no term remains (nothing to score).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use NodeSelectorOperator::{DoesNotExist, Exists, Gt, In, Lt, NotIn};

    fn labels(pairs: &[(&str, &str)]) -> crate::api::meta::Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn r(key: &str, operator: NodeSelectorOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.to_string(),
            operator,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn term(exprs: Vec<NodeSelectorRequirement>, fields: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
        NodeSelectorTerm { match_expressions: exprs, match_fields: fields }
    }

    fn ns(terms: Vec<NodeSelectorTerm>) -> NodeSelector {
        NodeSelector { terms }
    }

    /// Every way of matching must agree; returns the common verdict.
    fn check(selector: &NodeSelector, name: &str, node_labels: &crate::api::meta::Labels) -> bool {
        let raw = selector.matches(name, node_labels);
        let compiled = CompiledNodeSelector::new(selector);
        assert_eq!(compiled.matches(name, node_labels), raw, "{selector:?} on {name}");
        assert_eq!(compiled.matches_lazy(name, node_labels).unwrap_or(false), raw, "{selector:?}");
        assert_eq!(
            required_node_affinity_matches(&crate::api::meta::Labels::new(), Some(selector), name, node_labels),
            raw
        );
        assert_eq!(
            RequiredNodeAffinity::new(&crate::api::meta::Labels::new(), Some(selector)).matches(name, node_labels),
            raw
        );
        raw
    }

    #[test]
    fn operator_spellings() {
        for (s, op) in
            [("In", In), ("NotIn", NotIn), ("Exists", Exists), ("DoesNotExist", DoesNotExist), ("Gt", Gt), ("Lt", Lt)]
        {
            assert_eq!(s.parse::<NodeSelectorOperator>(), Ok(op));
            assert_eq!(op.to_string(), s);
        }
        for bad in ["in", "gt", "GT", "Equals", "", ">", "NotExists"] {
            let e = bad.parse::<NodeSelectorOperator>().unwrap_err();
            assert!(e.message().ends_with("must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt"), "{e}");
        }
    }

    #[test]
    fn terms_are_ored_and_requirements_anded() {
        let node = labels(&[("foo", "bar"), ("GPU", "NVIDIA-GRID-K1"), ("mem-type", "DDR3")]);
        let cases: Vec<(NodeSelector, bool)> = vec![
            (ns(vec![term(vec![r("foo", In, &["bar", "value2"])], vec![])]), true),
            (ns(vec![term(vec![r("foo", In, &["value1", "value2"])], vec![])]), false),
            (ns(vec![term(vec![r("mem-type", NotIn, &["DDR", "DDR2"])], vec![])]), true),
            (ns(vec![term(vec![r("GPU", Exists, &[])], vec![])]), true),
            (ns(vec![term(vec![r("GPU", DoesNotExist, &[])], vec![])]), false),
            (ns(vec![term(vec![r("absent", DoesNotExist, &[])], vec![])]), true),
            (ns(vec![term(vec![r("absent", NotIn, &["x"])], vec![])]), true),
            (ns(vec![term(vec![r("absent", In, &["x"])], vec![])]), false),
            (ns(vec![term(vec![r("GPU", Exists, &[]), r("GPU", NotIn, &["AMD", "INTER"])], vec![])]), true),
            (ns(vec![term(vec![r("GPU", Exists, &[]), r("GPU", In, &["AMD", "INTER"])], vec![])]), false),
            (
                ns(vec![
                    term(vec![r("foo", In, &["bar", "value2"])], vec![]),
                    term(vec![r("diffkey", In, &["wrong", "value2"])], vec![]),
                ]),
                true,
            ),
            (
                ns(vec![term(vec![r("diffkey", In, &["wrong"])], vec![]), term(vec![r("foo", In, &["bar"])], vec![])]),
                true,
            ),
            (
                ns(vec![term(vec![r("diffkey", In, &["wrong"])], vec![]), term(vec![r("foo", In, &["nope"])], vec![])]),
                false,
            ),
        ];
        for (selector, want) in cases {
            assert_eq!(check(&selector, "node-1", &node), want, "{selector:?}");
        }
    }

    #[test]
    fn empty_terms_and_selectors_match_nothing() {
        let node = labels(&[("foo", "bar")]);
        assert!(!check(&ns(vec![]), "node-1", &node));
        assert!(!check(&ns(vec![NodeSelectorTerm::default()]), "node-1", &node));
        assert!(!check(&ns(vec![term(vec![], vec![])]), "", &node));
        // An empty term next to a matching one does not spoil it.
        assert!(check(
            &ns(vec![NodeSelectorTerm::default(), term(vec![r("foo", Exists, &[])], vec![])]),
            "node-1",
            &node
        ));
        // A selector without terms has no parse error either: it simply matches nothing.
        let compiled = CompiledNodeSelector::new(&ns(vec![]));
        assert_eq!(compiled.matches_lazy("node-1", &node), Ok(false));
        assert!(compiled.parse_error().is_none());
    }

    #[test]
    fn gt_lt_compare_integers() {
        let node = labels(&[("kernel-version", "0206"), ("cores", "16"), ("odd", "v2")]);
        let cases = [
            (r("kernel-version", Gt, &["0204"]), true),
            (r("kernel-version", Gt, &["206"]), false),
            (r("kernel-version", Lt, &["207"]), true),
            (r("kernel-version", Lt, &["0206"]), false),
            (r("cores", Gt, &["8"]), true),
            (r("cores", Lt, &["8"]), false),
            (r("cores", Gt, &["16"]), false),
            (r("odd", Gt, &["1"]), false),
            (r("odd", Lt, &["1"]), false),
            (r("absent", Gt, &["1"]), false),
            (r("absent", Lt, &["1"]), false),
            // Invalid requirements never match (lazy errors).
            (r("cores", Gt, &["abc"]), false),
            (r("cores", Gt, &["-1"]), false), // an int64, but not a valid label value
            (r("cores", Gt, &["1", "2"]), false),
            (r("cores", Gt, &[]), false),
            (r("cores", Lt, &["99999999999999999999"]), false),
        ];
        for (req, want) in cases {
            assert_eq!(check(&ns(vec![term(vec![req.clone()], vec![])]), "n", &node), want, "{req:?}");
        }
    }

    #[test]
    fn match_fields_on_node_name() {
        let none = labels(&[]);
        let foo = labels(&[("foo", "bar")]);
        let name_in = |v: &[&str]| r(NODE_NAME_FIELD, In, v);
        let name_not_in = |v: &[&str]| r(NODE_NAME_FIELD, NotIn, v);
        let cases: Vec<(NodeSelector, &str, &crate::api::meta::Labels, bool)> = vec![
            (ns(vec![term(vec![], vec![name_in(&["node_1"])])]), "node_1", &none, true),
            (ns(vec![term(vec![], vec![name_in(&["node_1"])])]), "node_2", &none, false),
            (ns(vec![term(vec![], vec![name_not_in(&["node_1"])])]), "node_1", &none, false),
            (ns(vec![term(vec![], vec![name_not_in(&["node_1"])])]), "node_2", &none, true),
            // Exactly one value: two values (or none) make the term invalid.
            (ns(vec![term(vec![], vec![name_in(&["node_1", "node_2"])])]), "node_1", &none, false),
            (ns(vec![term(vec![], vec![name_in(&[])])]), "node_1", &none, false),
            (ns(vec![term(vec![], vec![name_not_in(&["a", "b"])])]), "node_1", &none, false),
            // Only In and NotIn.
            (ns(vec![term(vec![], vec![r(NODE_NAME_FIELD, Exists, &[])])]), "node_1", &none, false),
            (ns(vec![term(vec![], vec![r(NODE_NAME_FIELD, Gt, &["1"])])]), "1", &none, false),
            // Two terms: fields do not match but expressions do.
            (
                ns(vec![term(vec![], vec![name_in(&["node_1"])]), term(vec![r("foo", In, &["bar"])], vec![])]),
                "node_2",
                &foo,
                true,
            ),
            // One term: fields and expressions are ANDed.
            (ns(vec![term(vec![r("foo", In, &["bar"])], vec![name_in(&["node_1"])])]), "node_2", &foo, false),
            (ns(vec![term(vec![r("foo", In, &["bar"])], vec![name_in(&["node_1"])])]), "node_1", &foo, true),
            (ns(vec![term(vec![r("foo", In, &["bar"])], vec![name_in(&["node_1"])])]), "node_1", &none, false),
            (
                ns(vec![
                    term(vec![], vec![name_in(&["node_1"])]),
                    term(vec![r("foo", In, &["not-match-to-bar"])], vec![]),
                ]),
                "node_2",
                &foo,
                false,
            ),
            // A node without a name has no fields: field requirements are ignored.
            (ns(vec![term(vec![], vec![name_in(&["node_1"])])]), "", &none, true),
            (ns(vec![term(vec![r("foo", In, &["bar"])], vec![name_in(&["node_1"])])]), "", &none, false),
            // ...but an invalid field requirement still spoils the term.
            (ns(vec![term(vec![], vec![name_in(&["a", "b"])])]), "", &none, false),
            // Any other field reads as the empty string.
            (ns(vec![term(vec![], vec![r("metadata.uid", In, &[""])])]), "n", &none, true),
            (ns(vec![term(vec![], vec![r("metadata.uid", In, &["x"])])]), "n", &none, false),
            (ns(vec![term(vec![], vec![r("metadata.uid", NotIn, &["x"])])]), "n", &none, true),
            (ns(vec![term(vec![], vec![r("spec.unschedulable", In, &["n"])])]), "n", &none, false),
        ];
        for (selector, name, node_labels, want) in cases {
            assert_eq!(check(&selector, name, node_labels), want, "{selector:?} on {name:?}");
        }
    }

    #[test]
    fn invalid_terms_are_lazily_ignored() {
        let node = labels(&[("label_1", "label_1_val"), ("foo", "bar")]);
        // TestNodeSelectorMatch "invalid field selector and label selector", plus a valid term.
        let bad = ns(vec![
            term(vec![], vec![r(NODE_NAME_FIELD, In, &["host_1", "host_2"])]),
            term(vec![r("label_1", In, &["label_1_val"])], vec![r(NODE_NAME_FIELD, In, &["host_1"])]),
            term(vec![r("invalid key", In, &["label_value"])], vec![]),
        ]);
        let strict = CompiledNodeSelector::new_strict(&bad).unwrap_err();
        let m = strict.message();
        assert!(m.contains("nodeSelectorTerms[0].matchFields[0].values: must have one element"), "{m}");
        assert!(
            m.contains(
                "nodeSelectorTerms[2].matchExpressions[0]: invalid label key \"invalid key\": name part must consist"
            ),
            "{m}"
        );
        assert_eq!(m.matches("; ").count(), 1, "{m}");
        let lazy = CompiledNodeSelector::new(&bad);
        // The valid middle term matches host_1: no error is reported.
        assert_eq!(lazy.matches_lazy("host_1", &node), Ok(true));
        assert!(check(&bad, "host_1", &node));
        // No term matches host_2: the errors are reported.
        assert_eq!(lazy.matches_lazy("host_2", &node), Err(&strict));
        assert!(!check(&bad, "host_2", &node));
        // An invalid label value in a term (TestPodMatchesNodeSelectorAndAffinityTerms).
        let bad_value = ns(vec![term(vec![r("foo", NotIn, &["invalid value: ___@#$%^"])], vec![])]);
        assert!(!check(&bad_value, "n", &node));
        assert!(CompiledNodeSelector::new(&bad_value).matches_lazy("n", &node).is_err());
        // Exists with values, In without values.
        assert!(!check(&ns(vec![term(vec![r("foo", Exists, &["bar"])], vec![])]), "n", &node));
        assert!(!check(&ns(vec![term(vec![r("foo", In, &[])], vec![])]), "n", &node));
        // One bad requirement spoils its whole term even if the other requirements match.
        assert!(!check(&ns(vec![term(vec![r("foo", In, &["bar"]), r("x", Gt, &["one"])], vec![])]), "n", &node));
        // A valid selector compiles strictly and matches.
        let good = ns(vec![term(vec![r("foo", In, &["bar"])], vec![])]);
        assert!(CompiledNodeSelector::new_strict(&good).unwrap().matches("n", &node));
    }

    #[test]
    fn pod_node_selector_and_required_affinity() {
        let exists_foo = ns(vec![term(vec![r("foo", Exists, &[])], vec![])]);
        type Labels = crate::api::meta::Labels;
        let cases: Vec<(Labels, Option<NodeSelector>, Labels, bool)> = vec![
            (labels(&[]), None, labels(&[]), true),
            (labels(&[("foo", "bar")]), None, labels(&[]), false),
            (labels(&[("foo", "bar")]), None, labels(&[("foo", "bar")]), true),
            (labels(&[("foo", "bar")]), None, labels(&[("foo", "bar"), ("baz", "blah")]), true),
            (labels(&[("foo", "bar"), ("baz", "blah")]), None, labels(&[("foo", "bar")]), false),
            (labels(&[("foo", "")]), None, labels(&[("foo", "")]), true),
            (labels(&[("foo", "")]), None, labels(&[]), false),
            (labels(&[]), None, labels(&[("foo", "bar")]), true),
            (labels(&[]), Some(ns(vec![])), labels(&[("foo", "bar")]), false),
            (labels(&[]), Some(ns(vec![term(vec![], vec![])])), labels(&[("foo", "bar")]), false),
            (labels(&[("foo", "bar")]), Some(exists_foo.clone()), labels(&[("foo", "bar")]), true),
            (labels(&[("foo", "bar")]), Some(exists_foo.clone()), labels(&[("foo", "barrrrrr")]), false),
            (labels(&[("foo", "x")]), Some(exists_foo.clone()), labels(&[("foo", "bar")]), false),
            // nodeSelector values are not validated: they are compared as strings.
            (labels(&[("k", "not a label value")]), None, labels(&[("k", "not a label value")]), true),
        ];
        for (node_selector, required, node_labels, want) in cases {
            let got = required_node_affinity_matches(&node_selector, required.as_ref(), "n", &node_labels);
            assert_eq!(got, want, "{node_selector:?} {required:?} on {node_labels:?}");
            let compiled = RequiredNodeAffinity::new(&node_selector, required.as_ref());
            assert_eq!(compiled.matches("n", &node_labels), want);
            assert_eq!(compiled.has_affinity(), required.is_some());
        }
        // A nodeSelector mismatch is a plain false even when the affinity has errors.
        let bad = ns(vec![term(vec![r("bad key", Exists, &[])], vec![])]);
        let rna = RequiredNodeAffinity::new(&labels(&[("a", "b")]), Some(&bad));
        assert_eq!(rna.matches_lazy("n", &labels(&[])), Ok(false));
        assert!(rna.matches_lazy("n", &labels(&[("a", "b")])).is_err());
    }

    #[test]
    fn preferred_scoring() {
        let node = labels(&[("label_1", "label_1_val")]);
        let pref = |weight: i32, t: NodeSelectorTerm| PreferredSchedulingTerm { weight, preference: t };
        // TestPreferredSchedulingTermsScore "first and third term match".
        let terms = vec![
            pref(5, term(vec![], vec![r(NODE_NAME_FIELD, In, &["host_1"])])),
            pref(7, term(vec![r("unknown_label", In, &["unknown_label_val"])], vec![])),
            pref(11, term(vec![r("label_1", In, &["label_1_val"])], vec![])),
        ];
        assert_eq!(preferred_score(&terms, "host_1", &node), 16);
        let compiled = CompiledPreferredTerms::new(&terms).unwrap();
        assert_eq!(compiled.score("host_1", &node), 16);
        assert_eq!(compiled.score("host_2", &node), 11);
        assert_eq!(compiled.score("", &node), 16);
        assert_eq!(compiled.score("host_2", &labels(&[])), 0);
        // Weight 0 and empty preferences are dropped before parsing: no error for them.
        let dropped = vec![
            pref(0, term(vec![], vec![r(NODE_NAME_FIELD, In, &["host_1", "host_2"])])),
            pref(0, term(vec![r("label_1", Exists, &[])], vec![])),
            pref(9, NodeSelectorTerm::default()),
        ];
        let compiled = CompiledPreferredTerms::new(&dropped).unwrap();
        assert!(compiled.is_empty());
        assert_eq!(compiled.score("host_1", &node), 0);
        assert_eq!(preferred_score(&dropped, "host_1", &node), 0);
        // Invalid terms: upstream refuses (error); the lazy forms score them 0.
        let invalid = vec![
            pref(1, term(vec![], vec![r(NODE_NAME_FIELD, In, &["host_1", "host_2"])])),
            pref(2, term(vec![r("label_1", In, &["label_1_val"])], vec![r(NODE_NAME_FIELD, In, &["host_1"])])),
            pref(4, term(vec![r("invalid key", In, &["label_value"])], vec![])),
        ];
        let e = CompiledPreferredTerms::new(&invalid).unwrap_err();
        assert!(e.message().contains("[0].matchFields[0].values: must have one element"), "{e}");
        assert!(e.message().contains("[2].matchExpressions[0]: invalid label key"), "{e}");
        assert_eq!(preferred_score(&invalid, "host_1", &node), 2);
        assert_eq!(CompiledPreferredTerms::new_lazy(&invalid).score("host_1", &node), 2);
        // Negative weights are summed as given (API validation rejects them).
        let negative = vec![pref(-3, term(vec![r("label_1", Exists, &[])], vec![]))];
        assert_eq!(preferred_score(&negative, "n", &node), -3);
        // Large sums do not overflow i32.
        let many: Vec<_> = (0..1000).map(|_| pref(i32::MAX, term(vec![r("label_1", Exists, &[])], vec![]))).collect();
        assert_eq!(preferred_score(&many, "n", &node), 1000 * i64::from(i32::MAX));
    }

    #[test]
    fn api_validation() {
        let ok = ns(vec![
            term(
                vec![
                    r("kubernetes.io/hostname", In, &["node-1"]),
                    r("zone", NotIn, &["a", ""]),
                    r("gpu", Exists, &[]),
                    r("spot", DoesNotExist, &[]),
                    r("cores", Gt, &["4"]),
                    r("cores", Lt, &["not-an-int"]), // accepted by the API, never matches
                ],
                vec![r(NODE_NAME_FIELD, In, &["node-1"]), r(NODE_NAME_FIELD, NotIn, &["node-2"])],
            ),
            NodeSelectorTerm::default(), // accepted by the API, matches nothing
        ]);
        assert_eq!(ok.validate(), Ok(()));
        let e = ns(vec![]).validate().unwrap_err();
        assert_eq!(e.message(), "nodeSelectorTerms: must have at least one node selector term");
        let cases: Vec<(NodeSelectorRequirement, bool, &str)> = vec![
            (
                r("k", In, &[]),
                false,
                "matchExpressions[0].values: must be specified when `operator` is 'In' or 'NotIn'",
            ),
            (r("k", NotIn, &[]), false, "must be specified when `operator` is 'In' or 'NotIn'"),
            (r("k", Exists, &["v"]), false, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
            (r("k", DoesNotExist, &["v"]), false, "may not be specified"),
            (r("k", Gt, &[]), false, "must be specified single value when `operator` is 'Lt' or 'Gt'"),
            (r("k", Lt, &["1", "2"]), false, "must be specified single value"),
            (r("bad key", Exists, &[]), false, "matchExpressions[0].key: invalid value \"bad key\": name part"),
            (r("Bad.io/k", Exists, &[]), false, "prefix part a lowercase RFC 1123 subdomain"),
            (r("k", In, &["ok", "-bad"]), false, "matchExpressions[0].values[1]: invalid value \"-bad\""),
            (r(NODE_NAME_FIELD, In, &["n"]), true, ""),
            (r(NODE_NAME_FIELD, In, &["a", "b"]), true, "matchFields[0].values: must be only one value"),
            (r(NODE_NAME_FIELD, In, &[]), true, "must be only one value"),
            (r(NODE_NAME_FIELD, Exists, &[]), true, "matchFields[0].operator: invalid value \"Exists\""),
            (
                r("metadata.uid", In, &["n"]),
                true,
                "matchFields[0].key: invalid value \"metadata.uid\": not a valid field selector key",
            ),
            (
                r(NODE_NAME_FIELD, In, &["Node_1"]),
                true,
                "matchFields[0].values[0]: invalid value \"Node_1\": a lowercase RFC 1123 subdomain",
            ),
        ];
        for (req, is_field, want) in cases {
            let t = if is_field { term(vec![], vec![req.clone()]) } else { term(vec![req.clone()], vec![]) };
            let got = ns(vec![term(vec![r("fine", Exists, &[])], vec![]), t]).validate();
            if want.is_empty() {
                assert_eq!(got, Ok(()), "{req:?}");
            } else {
                let e = got.unwrap_err();
                assert!(e.message().contains(want), "{req:?}: {e}");
                assert!(e.message().starts_with("nodeSelectorTerms[1]."), "{e}");
            }
        }
        // Every problem is reported.
        let e = ns(vec![term(vec![r("a b", In, &[])], vec![r("x", Gt, &["1", "2"])])]).validate().unwrap_err();
        assert_eq!(e.message().matches("; ").count(), 3, "{e}");
    }

    #[test]
    fn preferred_validation() {
        let pref = |weight: i32, t: NodeSelectorTerm| PreferredSchedulingTerm { weight, preference: t };
        let good = term(vec![r("a", Exists, &[])], vec![]);
        assert_eq!(validate_preferred_terms(&[]), Ok(()));
        assert_eq!(validate_preferred_terms(&[pref(1, good.clone()), pref(100, good.clone())]), Ok(()));
        assert_eq!(validate_preferred_terms(&[pref(5, NodeSelectorTerm::default())]), Ok(()));
        for w in [0, -1, 101, i32::MAX, i32::MIN] {
            let e = validate_preferred_terms(&[pref(w, good.clone())]).unwrap_err();
            assert_eq!(e.message(), format!("[0].weight: invalid value {w}: must be in the range 1-100"));
        }
        let e = validate_preferred_terms(&[pref(1, good.clone()), pref(1, term(vec![r("a", In, &[])], vec![]))])
            .unwrap_err();
        assert!(e.message().starts_with("[1].preference.matchExpressions[0].values"), "{e}");
    }

    #[test]
    fn pre_filter_node_names() {
        let name_in = |v: &[&str]| r(NODE_NAME_FIELD, In, v);
        let set = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        let cases: Vec<(NodeSelector, Option<BTreeSet<String>>)> = vec![
            (ns(vec![]), None),
            (ns(vec![term(vec![r("a", Exists, &[])], vec![])]), None),
            (ns(vec![term(vec![], vec![name_in(&["n1", "n2"])])]), set(&["n1", "n2"])),
            (ns(vec![term(vec![], vec![name_in(&["n1", "n2"]), name_in(&["n2", "n3"])])]), set(&["n2"])),
            (ns(vec![term(vec![], vec![name_in(&["n1"])]), term(vec![], vec![name_in(&["n3"])])]), set(&["n1", "n3"])),
            (ns(vec![term(vec![], vec![name_in(&["n1"])]), term(vec![r("a", Exists, &[])], vec![])]), None),
            (ns(vec![term(vec![], vec![name_in(&["n1"]), name_in(&["n2"])])]), set(&[])),
            (ns(vec![term(vec![], vec![r(NODE_NAME_FIELD, NotIn, &["n1"])])]), None),
        ];
        for (selector, want) in cases {
            assert_eq!(selector.pre_filter_node_names(), want, "{selector:?}");
        }
    }

    #[test]
    fn hostile_selectors_do_not_panic() {
        let long = "x".repeat(100_000);
        let node = labels(&[(&long, &long)]);
        let selector = ns(vec![term(
            vec![r(&long, In, &[long.as_str()]), r(&long, Gt, &[long.as_str()]), r("k", In, &vec![""; 10_000])],
            vec![r(&long, NotIn, &[long.as_str()])],
        )]);
        assert!(!check(&selector, &long, &node));
        assert!(selector.validate().is_err());
        assert!(CompiledNodeSelector::new_strict(&selector).unwrap_err().message().len() < 10_000);
    }

    fn arb_requirement() -> impl Strategy<Value = NodeSelectorRequirement> {
        (
            prop::sample::select(vec!["a", "b", "metadata.name", "bad key", "x.io/c"]),
            prop::sample::select(vec![In, NotIn, Exists, DoesNotExist, Gt, Lt]),
            prop::collection::vec(prop::sample::select(vec!["", "1", "5", "v", "n1", "-x"]), 0..3),
        )
            .prop_map(|(k, op, vs)| r(k, op, &vs))
    }

    fn arb_selector() -> impl Strategy<Value = NodeSelector> {
        prop::collection::vec(
            (prop::collection::vec(arb_requirement(), 0..3), prop::collection::vec(arb_requirement(), 0..2))
                .prop_map(|(e, f)| term(e, f)),
            0..3,
        )
        .prop_map(ns)
    }

    proptest! {
        #[test]
        fn raw_and_compiled_agree(
            selector in arb_selector(),
            name in prop::sample::select(vec!["", "n1", "n2"]),
            a in prop::option::of(prop::sample::select(vec!["", "1", "5", "v"])),
            b in prop::option::of(prop::sample::select(vec!["", "1", "5", "v"])),
        ) {
            let mut node = crate::api::meta::Labels::new();
            if let Some(a) = a { node.insert("a".to_string(), a.to_string()); }
            if let Some(b) = b { node.insert("b".to_string(), b.to_string()); }
            let raw = selector.matches(name, &node);
            let compiled = CompiledNodeSelector::new(&selector);
            prop_assert_eq!(compiled.matches(name, &node), raw);
            let lazy = compiled.matches_lazy(name, &node);
            prop_assert_eq!(lazy.is_ok_and(|m| m), raw);
            // An error is reported exactly when nothing matched and some term did not parse.
            prop_assert_eq!(lazy.is_err(), !raw && compiled.parse_error().is_some());
            let prefs: Vec<PreferredSchedulingTerm> = selector
                .terms
                .iter()
                .enumerate()
                .map(|(i, t)| PreferredSchedulingTerm { weight: i as i32 + 1, preference: t.clone() })
                .collect();
            prop_assert_eq!(
                preferred_score(&prefs, name, &node),
                CompiledPreferredTerms::new_lazy(&prefs).score(name, &node)
            );
        }
    }
}
