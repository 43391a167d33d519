//! What it takes to turn one set of tags into another, for the services that tag.

use std::collections::BTreeMap;

/// The change from `have` to `want`: keys to remove, and tags to add or overwrite.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagChange {
    pub remove: Vec<String>,
    pub set: BTreeMap<String, String>,
}

/// Compares two tag sets.
pub fn change(have: &BTreeMap<String, String>, want: &BTreeMap<String, String>) -> TagChange {
    TagChange {
        remove: have
            .keys()
            .filter(|k| !want.contains_key(*k))
            .cloned()
            .collect(),
        set: want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_missing_and_sets_new_or_changed() {
        let have = BTreeMap::from([
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ]);
        let want = BTreeMap::from([
            ("b".to_owned(), "3".to_owned()),
            ("c".to_owned(), "4".to_owned()),
        ]);
        let c = change(&have, &want);
        assert_eq!(c.remove, vec!["a".to_owned()]);
        assert_eq!(
            c.set,
            BTreeMap::from([
                ("b".to_owned(), "3".to_owned()),
                ("c".to_owned(), "4".to_owned())
            ])
        );
        assert_eq!(change(&want, &want), TagChange::default());
    }
}
