//! Keyspace notifications (`notify-keyspace-events`): the event classes, the parameter's
//! text, and publishing one event on its two channels, `__keyspace@<db>__:<key>` (the
//! message is the event's name) and `__keyevent@<db>__:<event>` (the message is the key).
//!
//! Commands raise their events through `Ctx::notify` as they make each change, in Redis's
//! order; the data layer records what happens to keys outside a command's own steps (a key
//! created, expired, evicted, a read that missed: `radish_data::key_events`), and whoever
//! holds the data publishes those first whenever it publishes anything, and at the end of
//! every command and tick. The classes in force live in the `Keyspace` (read under the data
//! lock a command holds anyway): with notifications off a command pays one bit test per
//! event it could raise, and nothing is allocated or recorded.

use radish_data::key_events::KeyEvent;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: keys expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: keys evicted by `maxmemory`.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: reads of missing keys (not part of `A`).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events (radish has no modules; the class is accepted and kept).
pub const MODULE: u32 = 1 << 13;
/// `n`: keys created (not part of `A`).
pub const NEW: u32 = 1 << 14;
/// What `A` stands for: every class but key misses and new keys.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The classes written one by one when not all of [`ALL`] are on, in Redis's order
/// (`n` among them though `A` does not include it); `K`, `E` and `m` always come after.
const CLASSES: &[(char, u32)] = &[
    ('g', GENERIC),
    ('$', STRING),
    ('l', LIST),
    ('s', SET),
    ('h', HASH),
    ('z', ZSET),
    ('x', EXPIRED),
    ('e', EVICTED),
    ('t', STREAM),
    ('d', MODULE),
    ('n', NEW),
];

/// The flags a `notify-keyspace-events` value stands for; `None` if it holds a character
/// that is no class.
pub fn parse(classes: &str) -> Option<u32> {
    classes.chars().try_fold(0, |flags, c| {
        let bit = match c {
            'A' => ALL,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'm' => KEY_MISS,
            _ => CLASSES.iter().find(|(class, _)| *class == c)?.1,
        };
        Some(flags | bit)
    })
}

/// The text CONFIG GET shows for `flags`, as Redis writes it: `A` for all of [`ALL`] (then
/// without `n`, as Redis drops it there), else each class, then `K`, `E` and `m`.
pub fn to_text(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        out.extend(
            CLASSES
                .iter()
                .filter(|(_, bit)| flags & bit != 0)
                .map(|(c, _)| *c),
        );
    }
    for (bit, class) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            out.push(class);
        }
    }
    out
}

/// What the configuration keeps for `flags`: Redis's text, but with `n` kept after `A`
/// (Redis drops it from the text while the flag stays on), so that the flags can be read
/// back from it. [`shown`] gives Redis's text again.
pub fn to_stored(flags: u32) -> String {
    let mut text = to_text(flags);
    if flags & ALL == ALL && flags & NEW != 0 {
        text.insert(1, 'n');
    }
    text
}

/// The text CONFIG GET and CONFIG REWRITE show for a stored value.
pub fn shown(stored: &str) -> String {
    parse(stored).map(to_text).unwrap_or_default()
}

/// The flags that publish anything: none unless `K` or `E` is on, so that a configuration
/// naming classes without a channel costs nothing.
pub fn effective(flags: u32) -> u32 {
    if flags & (KEYSPACE | KEYEVENT) == 0 {
        0
    } else {
        flags
    }
}

/// The kinds of data-layer event `flags` asks the databases to record.
pub fn recorded_kinds(flags: u32) -> Vec<KeyEvent> {
    let flags = effective(flags);
    [
        (NEW, KeyEvent::New),
        (EXPIRED, KeyEvent::Expired),
        (EVICTED, KeyEvent::Evicted),
        (KEY_MISS, KeyEvent::Miss),
    ]
    .into_iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, kind)| kind)
    .collect()
}

/// The class and name of a data-layer event.
pub fn of_key_event(event: KeyEvent) -> (u32, &'static str) {
    match event {
        KeyEvent::New => (NEW, "new"),
        KeyEvent::Expired => (EXPIRED, "expired"),
        KeyEvent::Evicted => (EVICTED, "evicted"),
        KeyEvent::Miss => (KEY_MISS, "keymiss"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_as_redis_writes_it() {
        for (given, shown) in [
            ("", ""),
            ("KEA", "AKE"),
            ("AKEn", "AKE"),
            ("Kx", "xK"),
            ("Ee", "eE"),
            ("KEn", "nKE"),
            ("Kgm", "gKm"),
            ("mEK$lshzxetdg", "AKEm"),
            ("nE", "nE"),
            ("gg$", "g$"),
        ] {
            assert_eq!(parse(given).map(to_text).as_deref(), Some(shown), "{given}");
        }
        assert_eq!(parse("Kq"), None);
        // `n` stays on after `A`, though the text Redis shows drops it.
        assert_eq!(parse("AKEn").map(to_stored).as_deref(), Some("AnKE"));
        assert_eq!(parse("AnKE"), parse("AKEn"));
        assert_eq!(shown("AnKE"), "AKE");
        assert_eq!(parse("Kn").map(to_stored).as_deref(), Some("nK"));
        assert_eq!(parse("KEA").map(effective), Some(ALL | KEYSPACE | KEYEVENT));
        assert_eq!(parse("A").map(effective), Some(0));
    }
}
