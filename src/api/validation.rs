//! Name and label validation: the checks the Kubernetes API server applies to object names,
//! label keys and label values, with Kubernetes' own lower-case error wording so that a message
//! printed by the simulator reads like the one `kubectl apply` would print. The semantics follow
//! k8s.io/apimachinery `pkg/util/validation/validation.go` and
//! `pkg/api/validate/content/{dns.go,kube.go,errors.go}` (IsDNS1123Subdomain, IsDNS1123Label,
//! IsDNS1035Label, IsQualifiedName = IsLabelKey, IsValidLabelValue = IsLabelValue). The Go code
//! uses regular expressions; here every pattern is checked by hand over bytes, in one linear pass,
//! and the patterns are quoted only in messages. Lengths are byte lengths, as in Go.
//!
//! Each check comes in two forms: `is_*` returns `Result<(), String>` with every failure joined
//! by "; " (Go returns a list), and `*_ok` returns a `bool` without allocating, for hot paths
//! such as matching a node selector against thousands of nodes.

/// Longest DNS-1123 subdomain (RFC 1123), e.g. an object name or a label-key prefix.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Longest DNS-1123 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Longest DNS-1035 label (service names).
pub const DNS1035_LABEL_MAX_LENGTH: usize = 63;
/// Longest name part of a label key (the part after the optional `prefix/`).
pub const LABEL_KEY_NAME_MAX_LENGTH: usize = 63;
/// Longest label value.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1035_LABEL_ERR: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// The "too long" message (content.MaxLenError).
fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} bytes")
}

/// The "does not match" message (content.RegexError). The odd double space before "or" is
/// Kubernetes' own (each example is followed by ", " and the next one is preceded by " or "),
/// kept so that messages compare equal to the upstream ones.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let mut out = String::with_capacity(msg.len() + fmt.len() + 64);
    out.push_str(msg);
    if examples.is_empty() {
        out.push_str(" (regex used for validation is '");
    } else {
        out.push_str(" (e.g. ");
        for (i, example) in examples.iter().enumerate() {
            if i > 0 {
                out.push_str(" or ");
            }
            out.push('\'');
            out.push_str(example);
            out.push_str("', ");
        }
        out.push_str("regex used for validation is '");
    }
    out.push_str(fmt);
    out.push_str("')");
    out
}

fn collect(errs: Vec<String>) -> Result<(), String> {
    if errs.is_empty() { Ok(()) } else { Err(errs.join("; ")) }
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` over a byte slice, with no length limit (the limits belong
/// to the callers, as in the Go regular expressions).
fn dns1123_label_pattern(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            is_lower_alnum(first) && is_lower_alnum(last) && s.iter().all(|&b| is_lower_alnum(b) || b == b'-')
        }
        _ => false,
    }
}

/// `label(\.label)*` with the DNS-1123 label pattern: no empty label, so no leading, trailing
/// or doubled dot.
fn dns1123_subdomain_pattern(s: &[u8]) -> bool {
    !s.is_empty() && s.split(|&b| b == b'.').all(dns1123_label_pattern)
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`.
fn dns1035_label_pattern(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            first.is_ascii_lowercase() && is_lower_alnum(last) && s.iter().all(|&b| is_lower_alnum(b) || b == b'-')
        }
        _ => false,
    }
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a label key and any non-empty
/// label value.
fn label_name_pattern(s: &[u8]) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && s.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        }
        _ => false,
    }
}

/// Whether `value` is a lower-case RFC 1123 subdomain of at most 253 bytes (object names such
/// as nodes and pods, label-key prefixes). Allocation-free form of [`is_dns1123_subdomain`].
pub fn dns1123_subdomain_ok(value: &str) -> bool {
    value.len() <= DNS1123_SUBDOMAIN_MAX_LENGTH && dns1123_subdomain_pattern(value.as_bytes())
}

/// IsDNS1123Subdomain: a lower-case RFC 1123 subdomain of at most 253 bytes.
pub fn is_dns1123_subdomain(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !dns1123_subdomain_pattern(value.as_bytes()) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, &["example.com"]));
    }
    collect(errs)
}

/// Whether `value` is a lower-case RFC 1123 label of at most 63 bytes. Allocation-free form of
/// [`is_dns1123_label`].
pub fn dns1123_label_ok(value: &str) -> bool {
    value.len() <= DNS1123_LABEL_MAX_LENGTH && dns1123_label_pattern(value.as_bytes())
}

/// IsDNS1123Label: a lower-case RFC 1123 label (no dots) of at most 63 bytes. A value that
/// would be a valid subdomain gets the shorter "must not contain dots" message, as upstream.
pub fn is_dns1123_label(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !dns1123_label_pattern(value.as_bytes()) {
        if dns1123_subdomain_pattern(value.as_bytes()) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
        }
    }
    collect(errs)
}

/// Whether `value` is an RFC 1035 label of at most 63 bytes. Allocation-free form of
/// [`is_dns1035_label`].
pub fn dns1035_label_ok(value: &str) -> bool {
    value.len() <= DNS1035_LABEL_MAX_LENGTH && dns1035_label_pattern(value.as_bytes())
}

/// IsDNS1035Label: like a DNS-1123 label but starting with a letter (service names).
pub fn is_dns1035_label(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if value.len() > DNS1035_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1035_LABEL_MAX_LENGTH));
    }
    if !dns1035_label_pattern(value.as_bytes()) {
        errs.push(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, &["my-name", "abc-123"]));
    }
    collect(errs)
}

const WILDCARD_DNS1123_SUBDOMAIN_FMT: &str = "\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const WILDCARD_DNS1123_SUBDOMAIN_ERR: &str = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character";

/// IsWildcardDNS1123Subdomain: `*.` followed by a DNS-1123 subdomain, at most 253 bytes in all
/// (Ingress hosts such as `*.example.com`).
pub fn is_wildcard_dns1123_subdomain(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    let ok = value.strip_prefix("*.").is_some_and(|rest| dns1123_subdomain_pattern(rest.as_bytes()));
    if !ok {
        errs.push(regex_error(WILDCARD_DNS1123_SUBDOMAIN_ERR, WILDCARD_DNS1123_SUBDOMAIN_FMT, &["*.example.com"]));
    }
    collect(errs)
}

/// IsValidPortName: an IANA service name, at most 15 lower-case letters, digits and single
/// inner hyphens, with at least one letter.
pub fn is_valid_port_name(port: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_error(15));
    }
    let b = port.as_bytes();
    if b.is_empty() || !b.iter().all(|&c| is_lower_alnum(c) || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    } else if !b.iter().any(u8::is_ascii_lowercase) {
        errs.push("must contain at least one letter (a-z)".to_string());
    } else if port.contains("--") {
        errs.push("must not contain consecutive hyphens (-)".to_string());
    } else if b[0] == b'-' || b[b.len() - 1] == b'-' {
        errs.push("must not begin or end with a hyphen (-)".to_string());
    }
    collect(errs)
}

/// IsValidPortNum: 1..=65535.
pub fn is_valid_port_num(port: i64) -> Result<(), String> {
    if (1..=65535).contains(&port) { Ok(()) } else { Err("must be between 1 and 65535, inclusive".to_string()) }
}

/// IsValidPathSegmentName: a name that can be one segment of a URL path (kinds and names of
/// object references): not `.` or `..`, no `/` or `%`.
pub fn is_valid_path_segment_name(name: &str) -> Result<(), String> {
    for illegal in [".", ".."] {
        if name == illegal {
            return Err(format!("may not be '{illegal}'"));
        }
    }
    let errs = ["/", "%"].iter().filter(|c| name.contains(**c)).map(|c| format!("may not contain '{c}'")).collect();
    collect(errs)
}

/// Whether `value` is a valid label key (qualified name). Allocation-free form of
/// [`is_qualified_name`].
pub fn qualified_name_ok(value: &str) -> bool {
    let mut parts = value.splitn(3, '/');
    let first = parts.next().unwrap_or("");
    let (prefix, name) = match (parts.next(), parts.next()) {
        (None, _) => (None, first),
        (Some(name), None) => (Some(first), name),
        // A second '/' is never valid, whatever the parts look like.
        (Some(_), Some(_)) => return false,
    };
    if matches!(prefix, Some(p) if p.is_empty() || !dns1123_subdomain_ok(p)) {
        return false;
    }
    name.len() <= LABEL_KEY_NAME_MAX_LENGTH && label_name_pattern(name.as_bytes())
}

/// IsQualifiedName (IsLabelKey): an optional DNS-1123 subdomain prefix (≤ 253 bytes) and '/',
/// then a name of 1..63 bytes matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`. More than one
/// '/' is one error; otherwise every problem of the prefix and the name is reported.
pub fn is_qualified_name(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    let slashes = value.bytes().filter(|&b| b == b'/').count();
    let name = match slashes {
        0 => value,
        1 => {
            let (prefix, name) = value.split_once('/').unwrap_or(("", value));
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else if let Err(msg) = is_dns1123_subdomain(prefix) {
                // Every message of the prefix check gets the "prefix part " lead, as upstream.
                for part in msg.split("; ") {
                    errs.push(format!("prefix part {part}"));
                }
            }
            name
        }
        _ => {
            return Err(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_KEY_NAME_MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(LABEL_KEY_NAME_MAX_LENGTH)));
    }
    if !label_name_pattern(name.as_bytes()) {
        errs.push(format!(
            "name part {}",
            regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    collect(errs)
}

/// Same as [`is_qualified_name`]: Kubernetes calls the format both "qualified name" and "label
/// key".
pub fn is_label_key(value: &str) -> Result<(), String> {
    is_qualified_name(value)
}

/// Whether `value` is a valid label value. Allocation-free form of [`is_valid_label_value`].
pub fn label_value_ok(value: &str) -> bool {
    value.is_empty() || (value.len() <= LABEL_VALUE_MAX_LENGTH && label_name_pattern(value.as_bytes()))
}

/// IsValidLabelValue: empty, or at most 63 bytes matching
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_valid_label_value(value: &str) -> Result<(), String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !value.is_empty() && !label_name_pattern(value.as_bytes()) {
        errs.push(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    collect(errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(c: char, n: usize) -> String {
        std::iter::repeat_n(c, n).collect()
    }

    #[test]
    fn dns1123_subdomain_table() {
        let good = [
            "a".to_string(),
            "ab".to_string(),
            "abc".to_string(),
            "a1".to_string(),
            "a-1".to_string(),
            "a--1--2--b".to_string(),
            "0".to_string(),
            "01".to_string(),
            "0-1".to_string(),
            "a.a".to_string(),
            "ab.a".to_string(),
            "abc.a".to_string(),
            "a1.a".to_string(),
            "a-1.a".to_string(),
            "a--1--2--b.a".to_string(),
            "a.1".to_string(),
            "0.a".to_string(),
            "0-1.0".to_string(),
            "a.b.c.d.e".to_string(),
            "aa.bb.cc.dd.ee".to_string(),
            "1.2.3.4.5".to_string(),
            "11.22.33.44.55".to_string(),
            rep('a', 253),
            format!("{}.{}", rep('a', 100), rep('b', 100)),
        ];
        for v in &good {
            assert_eq!(is_dns1123_subdomain(v), Ok(()), "{v}");
            assert!(dns1123_subdomain_ok(v), "{v}");
        }
        let bad = [
            "".to_string(),
            "A".to_string(),
            "ABC".to_string(),
            "aBc".to_string(),
            "A1".to_string(),
            "A-1".to_string(),
            "1-A".to_string(),
            "-".to_string(),
            "a-".to_string(),
            "-a".to_string(),
            "1-".to_string(),
            "-1".to_string(),
            "_".to_string(),
            "a_".to_string(),
            "_a".to_string(),
            "a_b".to_string(),
            "1_".to_string(),
            "_1".to_string(),
            "1_2".to_string(),
            ".".to_string(),
            "a.".to_string(),
            ".a".to_string(),
            "a..b".to_string(),
            "1.".to_string(),
            ".1".to_string(),
            "1..2".to_string(),
            " ".to_string(),
            "a ".to_string(),
            " a".to_string(),
            "a b".to_string(),
            "1 ".to_string(),
            " 1".to_string(),
            "1 2".to_string(),
            "A.a".to_string(),
            "aB.a".to_string(),
            "ab.A".to_string(),
            "A1.a".to_string(),
            "a1.A".to_string(),
            "A.1".to_string(),
            "aB.1".to_string(),
            "A1.1".to_string(),
            "1A.1".to_string(),
            "0.A".to_string(),
            "01.A".to_string(),
            "012.A".to_string(),
            "1A.a".to_string(),
            "1a.A".to_string(),
            "A.B.C.D.E".to_string(),
            "AA.BB.CC.DD.EE".to_string(),
            "a.B.c.d.e".to_string(),
            "aa.bB.cc.dd.ee".to_string(),
            "a@b".to_string(),
            "a,b".to_string(),
            "a*b".to_string(),
            "é".to_string(),
            rep('a', 254),
        ];
        for v in &bad {
            assert!(is_dns1123_subdomain(v).is_err(), "{v}");
            assert!(!dns1123_subdomain_ok(v), "{v}");
        }
    }

    #[test]
    fn dns1123_subdomain_messages() {
        assert_eq!(
            is_dns1123_subdomain("Example.com").unwrap_err(),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        );
        // Too long and malformed: both problems are reported, length first.
        let err = is_dns1123_subdomain(&format!("{}-", rep('a', 253))).unwrap_err();
        assert!(err.starts_with("must be no more than 253 bytes; a lowercase RFC 1123 subdomain"));
        // Too long but well formed: only the length.
        assert_eq!(is_dns1123_subdomain(&rep('a', 254)).unwrap_err(), "must be no more than 253 bytes");
    }

    #[test]
    fn dns1123_label_table() {
        let good = ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "0-1"];
        for v in good {
            assert_eq!(is_dns1123_label(v), Ok(()), "{v}");
            assert!(dns1123_label_ok(v));
        }
        assert!(dns1123_label_ok(&rep('a', 63)));
        let bad = [
            "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1",
            "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ", " 1", "1 2",
        ];
        for v in bad {
            assert!(is_dns1123_label(v).is_err(), "{v}");
            assert!(!dns1123_label_ok(v), "{v}");
        }
        assert!(!dns1123_label_ok(&rep('a', 64)));
        assert_eq!(is_dns1123_label(&rep('a', 64)).unwrap_err(), "must be no more than 63 bytes");
        // A valid subdomain that is not a label only has dots wrong.
        assert_eq!(is_dns1123_label("a.b").unwrap_err(), "must not contain dots");
        assert_eq!(
            is_dns1123_label("A").unwrap_err(),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        );
    }

    #[test]
    fn dns1035_label_table() {
        let good = ["a", "ab", "abc", "a1", "a-1", "a--1--2--b"];
        for v in good {
            assert_eq!(is_dns1035_label(v), Ok(()), "{v}");
            assert!(dns1035_label_ok(v));
        }
        assert!(dns1035_label_ok(&rep('a', 63)));
        let bad = [
            "0", "01", "0-1", "1-a", "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_",
            "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b", "1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ",
            " 1", "1 2",
        ];
        for v in bad {
            assert!(is_dns1035_label(v).is_err(), "{v}");
            assert!(!dns1035_label_ok(v), "{v}");
        }
        assert!(is_dns1035_label(&rep('a', 64)).is_err());
        assert!(is_dns1035_label("1a").unwrap_err().contains("start with an alphabetic character"));
    }

    #[test]
    fn label_key_table() {
        let good = [
            "simple".to_string(),
            "now-with-dashes".to_string(),
            "1-starts-with-num".to_string(),
            "1234".to_string(),
            "simple/simple".to_string(),
            "now-with-dashes/simple".to_string(),
            "now-with-dashes/now-with-dashes".to_string(),
            "now.with.dots/simple".to_string(),
            "now-with.dashes-and.dots/simple".to_string(),
            "1-num.2-num/3-num".to_string(),
            "1234/5678".to_string(),
            "1.2.3.4/5678".to_string(),
            "Uppercase_Is_OK_123".to_string(),
            "example.com/Uppercase_Is_OK_123".to_string(),
            "requests.storage-foo".to_string(),
            "kubernetes.io/hostname".to_string(),
            "topology.kubernetes.io/zone".to_string(),
            "a".to_string(),
            "A".to_string(),
            "a_b".to_string(),
            "a.b".to_string(),
            rep('a', 63),
            format!("{}/{}", rep('a', 253), rep('b', 63)),
        ];
        for v in &good {
            assert_eq!(is_qualified_name(v), Ok(()), "{v}");
            assert!(qualified_name_ok(v), "{v}");
        }
        let bad = [
            "nospecialchars%^=@".to_string(),
            "cantendwithadash-".to_string(),
            "-cantstartwithadash-".to_string(),
            "only/one/slash".to_string(),
            "a/b/c".to_string(),
            "Example.com/abc".to_string(),
            "example_com/abc".to_string(),
            "example.com/".to_string(),
            "/simple".to_string(),
            "/".to_string(),
            "".to_string(),
            "_a".to_string(),
            "a_".to_string(),
            ".a".to_string(),
            "a b".to_string(),
            "invalid key".to_string(),
            "é".to_string(),
            rep('a', 64),
            format!("{}/abc", rep('a', 254)),
            format!("a/{}", rep('b', 64)),
        ];
        for v in &bad {
            assert!(is_qualified_name(v).is_err(), "{v}");
            assert!(!qualified_name_ok(v), "{v}");
        }
    }

    #[test]
    fn label_key_messages() {
        assert_eq!(
            is_qualified_name("invalid key").unwrap_err(),
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        );
        assert!(
            is_qualified_name("a/b/c")
                .unwrap_err()
                .starts_with("a valid label key must consist of alphanumeric characters")
        );
        assert!(
            is_qualified_name("a/b/c")
                .unwrap_err()
                .ends_with("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
        );
        let err = is_qualified_name("/x").unwrap_err();
        assert_eq!(err, "prefix part must be non-empty");
        let err = is_qualified_name("Example.com/x").unwrap_err();
        assert!(err.starts_with("prefix part a lowercase RFC 1123 subdomain"), "{err}");
        // An empty name is both empty and not matching the pattern, as upstream reports it.
        let err = is_qualified_name("example.com/").unwrap_err();
        assert!(err.starts_with("name part must be non-empty; name part must consist"), "{err}");
        let err = is_qualified_name(&rep('a', 64)).unwrap_err();
        assert_eq!(err, "name part must be no more than 63 bytes");
        // A long prefix reports its length with the prefix lead.
        let err = is_qualified_name(&format!("{}/a", rep('a', 254))).unwrap_err();
        assert_eq!(err, "prefix part must be no more than 253 bytes");
    }

    #[test]
    fn label_value_table() {
        let good = [
            "simple".to_string(),
            "now-with-dashes".to_string(),
            "1-starts-with-num".to_string(),
            "end-with-num-1".to_string(),
            "1234".to_string(),
            "Upper_Case.dots-1".to_string(),
            "a".to_string(),
            rep('a', 63),
            String::new(),
        ];
        for v in &good {
            assert_eq!(is_valid_label_value(v), Ok(()), "{v}");
            assert!(label_value_ok(v), "{v}");
        }
        let bad = [
            "nospecialchars%^=@".to_string(),
            "Tama-nui-te-rā.is.Māori.sun".to_string(),
            "\\backslashes\\are\\bad".to_string(),
            "-starts-with-dash".to_string(),
            "ends-with-dash-".to_string(),
            ".starts.with.dot".to_string(),
            "ends.with.dot.".to_string(),
            "with space".to_string(),
            "a/b".to_string(),
            "-5".to_string(),
            "_".to_string(),
            rep('a', 64),
        ];
        for v in &bad {
            assert!(is_valid_label_value(v).is_err(), "{v}");
            assert!(!label_value_ok(v), "{v}");
        }
        assert_eq!(is_valid_label_value(&rep('a', 64)).unwrap_err(), "must be no more than 63 bytes");
        assert_eq!(
            is_valid_label_value("-x").unwrap_err(),
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
    }

    #[test]
    fn hostile_lengths_are_linear_and_do_not_panic() {
        let long = rep('a', 1 << 20);
        assert!(is_qualified_name(&long).is_err());
        assert!(is_valid_label_value(&long).is_err());
        assert!(is_dns1123_subdomain(&long).is_err());
        let slashes = rep('/', 1 << 16);
        assert!(is_qualified_name(&slashes).is_err());
        assert!(!qualified_name_ok(&slashes));
        let dots = rep('.', 1 << 16);
        assert!(!dns1123_subdomain_ok(&dots));
    }

    #[test]
    fn port_names_hosts_and_path_segments() {
        assert!(is_valid_port_name("http").is_ok());
        assert!(is_valid_port_name("h2c-web").is_ok());
        assert_eq!(is_valid_port_name("8080").unwrap_err(), "must contain at least one letter (a-z)");
        assert_eq!(is_valid_port_name("web--x").unwrap_err(), "must not contain consecutive hyphens (-)");
        assert_eq!(is_valid_port_name("-web").unwrap_err(), "must not begin or end with a hyphen (-)");
        assert!(is_valid_port_name("Web").unwrap_err().starts_with("must contain only alpha-numeric"));
        assert!(is_valid_port_name("a-very-long-port-name").unwrap_err().starts_with("must be no more than 15 bytes"));
        assert!(is_wildcard_dns1123_subdomain("*.example.com").is_ok());
        assert!(is_wildcard_dns1123_subdomain("*.Example.com").is_err());
        assert!(is_wildcard_dns1123_subdomain("a.*.com").is_err());
        assert!(is_valid_port_num(65535).is_ok() && is_valid_port_num(0).is_err());
        assert_eq!(is_valid_path_segment_name(".."), Err("may not be '..'".to_string()));
        assert_eq!(is_valid_path_segment_name("a/b%c"), Err("may not contain '/'; may not contain '%'".to_string()));
        assert!(is_valid_path_segment_name("Deployment").is_ok());
    }
}
