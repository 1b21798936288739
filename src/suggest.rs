//! "Did you mean ...?" suggestions for misspelled names (fields, kinds, plugins, resources).

/// Returns ` (did you mean "x"?)` for the closest candidate within a small edit distance, or
/// an empty string. Ties go to the first candidate, so results are stable.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(input, candidates) {
        Some(c) => format!(" (did you mean {c:?}?)"),
        None => String::new(),
    }
}

/// The closest candidate: case-insensitive equality first, then the smallest
/// Damerau-Levenshtein distance, within a third of the input's length (at least 1, at most 3).
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_ascii_lowercase();
    let limit = (input.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let d = if c.to_ascii_lowercase() == lower {
            0
        } else {
            strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase())
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let fields = ["replicas", "selector", "template", "strategy"];
        assert_eq!(closest("replica", fields), Some("replicas"));
        assert_eq!(closest("Replicas", fields), Some("replicas"));
        assert_eq!(closest("tempalte", fields), Some("template"));
        assert_eq!(closest("zzz", fields), None);
        assert_eq!(did_you_mean("cpus", ["cpu", "memory"]), " (did you mean \"cpu\"?)");
        assert_eq!(did_you_mean("xyz", ["cpu"]), "");
    }
}
