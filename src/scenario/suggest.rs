//! "Did you mean": the valid name closest to a mistyped one, by edit distance.

/// The candidate nearest `found` when it is close enough to be a typo: at
/// most a third of its characters edited (at least one), ignoring case.
/// Ties go to the earliest candidate.
pub(crate) fn did_you_mean<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let found_lower = found.to_lowercase();
    let limit = (found.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != found)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&found_lower, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " did you mean \"x\"?" for names in quotes, or nothing.
pub(crate) fn hint<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(found, candidates).map_or_else(String::new, |c| format!(" did you mean \"{c}\"?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_close_name_is_suggested() {
        let fields = ["name", "replicas", "concurrency", "region"];
        assert_eq!(did_you_mean("replicaz", fields), Some("replicas"));
        assert_eq!(did_you_mean("concurency", fields), Some("concurrency"));
        assert_eq!(did_you_mean("Name", fields), Some("name"));
        assert_eq!(did_you_mean("colour", fields), None);
        assert_eq!(did_you_mean("x", ["y", "xy"]), Some("y"));
        assert_eq!(hint("redis", ["Redis"]), " did you mean \"Redis\"?");
        assert_eq!(hint("zzz", ["Redis"]), "");
    }
}
