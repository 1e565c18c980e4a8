//! "Did you mean …?": the closest known name to a misspelt one.

/// A help line suggesting the known name closest to `wrong`, if one is close.
pub fn did_you_mean<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(wrong, known).map(|name| format!("did you mean '{name}'?"))
}

/// The known name closest to `wrong`, if it is close enough to be a typo.
pub fn closest<'a>(wrong: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|name| (strsim::jaro_winkler(wrong, name), name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let states = ["referred", "preparation", "conference"];
        assert_eq!(closest("preperation", states), Some("preparation"));
        assert_eq!(closest("confrence", states), Some("conference"));
        assert_eq!(closest("monitoring", states), None);
    }
}
