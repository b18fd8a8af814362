//! The `rename-command` directives in force: which name a client must send for each command.

use std::collections::HashMap;

/// What a command name a client sends stands for on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renamed<'a> {
    /// The name is not renamed: look it up as sent.
    AsSent,
    /// A new name for the command of this (lower-case) original name.
    To(&'a [u8]),
    /// The name was renamed away or removed: no command.
    Removed,
}

/// The `rename-command` directives, fixed at start-up. Empty (and free to consult) unless the
/// configuration renames something.
#[derive(Debug, Default)]
pub struct Renames(HashMap<Vec<u8>, Option<Vec<u8>>>);

impl Renames {
    /// Builds the table from `(command, new name)` pairs in the order the configuration gave
    /// them; an empty new name removes the command. The configuration checked that each
    /// command existed when its directive was read.
    pub fn new(pairs: &[(String, String)]) -> Renames {
        let mut table = HashMap::new();
        for (original, new_name) in pairs {
            let original = original.to_ascii_lowercase().into_bytes();
            // A directive renames what the name means after the ones before it.
            let target = match table.get(&original) {
                Some(Some(target)) => Some(Vec::clone(target)),
                Some(None) => None,
                None => Some(original.clone()),
            };
            let Some(target) = target else {
                continue;
            };
            // The old name stops working unless a later rename gives it back.
            table.insert(original, None);
            if !new_name.is_empty() {
                table.insert(new_name.to_ascii_lowercase().into_bytes(), Some(target));
            }
        }
        Renames(table)
    }

    /// What `name` (in any case) stands for.
    #[inline]
    pub fn resolve(&self, name: &[u8]) -> Renamed<'_> {
        if self.0.is_empty() {
            return Renamed::AsSent;
        }
        match self.0.get(&name.to_ascii_lowercase()) {
            None => Renamed::AsSent,
            Some(Some(original)) => Renamed::To(original),
            Some(None) => Renamed::Removed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn renamed_and_removed_names_resolve_as_the_directives_say() {
        let renames = Renames::new(&pairs(&[("GET", "fetch"), ("del", "")]));
        assert_eq!(renames.resolve(b"FETCH"), Renamed::To(b"get"));
        assert_eq!(renames.resolve(b"get"), Renamed::Removed);
        assert_eq!(renames.resolve(b"DEL"), Renamed::Removed);
        assert_eq!(renames.resolve(b"set"), Renamed::AsSent);
        assert_eq!(Renames::default().resolve(b"get"), Renamed::AsSent);
    }

    #[test]
    fn later_directives_apply_to_what_earlier_ones_made() {
        // Renaming a command to itself keeps it; renaming a new name again moves it on.
        let renames = Renames::new(&pairs(&[("get", "get"), ("set", "put"), ("put", "store")]));
        assert_eq!(renames.resolve(b"get"), Renamed::To(b"get"));
        assert_eq!(renames.resolve(b"put"), Renamed::Removed);
        assert_eq!(renames.resolve(b"store"), Renamed::To(b"set"));
        assert_eq!(renames.resolve(b"set"), Renamed::Removed);
    }
}
