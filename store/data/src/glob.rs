//! Glob patterns as Redis's `stringmatchlen` reads them (KEYS, SCAN MATCH, CONFIG GET,
//! PSUBSCRIBE): `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape.

enum Token {
    Star,
    Any,
    Class { negate: bool, items: Vec<ClassItem> },
    Literal(u8),
}

enum ClassItem {
    /// A single byte; escaped ones compare case-sensitively even in nocase mode, as in Redis.
    Byte {
        byte: u8,
        escaped: bool,
    },
    Range(u8, u8),
}

fn parse(pattern: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {
                if !matches!(tokens.last(), Some(Token::Star)) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            b'?' => {
                tokens.push(Token::Any);
                i += 1;
            }
            b'[' => {
                i += 1;
                let negate = pattern.get(i) == Some(&b'^');
                if negate {
                    i += 1;
                }
                let mut items = Vec::new();
                // An unterminated class simply ends with the pattern.
                while i < pattern.len() && pattern[i] != b']' {
                    if pattern[i] == b'\\' && i + 1 < pattern.len() {
                        items.push(ClassItem::Byte {
                            byte: pattern[i + 1],
                            escaped: true,
                        });
                        i += 2;
                    } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
                        let (a, b) = (pattern[i], pattern[i + 2]);
                        items.push(ClassItem::Range(a.min(b), a.max(b)));
                        i += 3;
                    } else {
                        items.push(ClassItem::Byte {
                            byte: pattern[i],
                            escaped: false,
                        });
                        i += 1;
                    }
                }
                i += 1; // the `]`
                tokens.push(Token::Class { negate, items });
            }
            b'\\' if i + 1 < pattern.len() => {
                tokens.push(Token::Literal(pattern[i + 1]));
                i += 2;
            }
            byte => {
                tokens.push(Token::Literal(byte));
                i += 1;
            }
        }
    }
    tokens
}

fn matches_one(token: &Token, c: u8, nocase: bool) -> bool {
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    match token {
        Token::Star => true,
        Token::Any => true,
        Token::Literal(b) => fold(*b) == fold(c),
        Token::Class { negate, items } => {
            let hit = items.iter().any(|item| match *item {
                ClassItem::Byte { byte, escaped } => {
                    if escaped {
                        byte == c
                    } else {
                        fold(byte) == fold(c)
                    }
                }
                ClassItem::Range(lo, hi) => {
                    let (lo, hi, c) = (fold(lo), fold(hi), fold(c));
                    lo.min(hi) <= c && c <= lo.max(hi)
                }
            });
            hit != *negate
        }
    }
}

/// True if `text` matches the glob `pattern`. Every token but `*` consumes exactly one byte,
/// so greedy matching with backtracking to the last `*` is exact and O(len × pattern).
pub fn glob_match(pattern: &[u8], text: &[u8], nocase: bool) -> bool {
    Pattern::new(pattern).matches(text, nocase)
}

/// A parsed glob pattern, to match many strings against.
pub struct Pattern {
    tokens: Vec<Token>,
    match_all: bool,
}

impl Pattern {
    /// Parses `pattern`.
    pub fn new(pattern: &[u8]) -> Pattern {
        let tokens = parse(pattern);
        let match_all = matches!(tokens.as_slice(), [Token::Star]);
        Pattern { tokens, match_all }
    }

    /// True for the empty pattern.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// True if `text` matches.
    pub fn matches(&self, text: &[u8], nocase: bool) -> bool {
        if self.match_all {
            return true;
        }
        let tokens = &self.tokens;
        let (mut t, mut s) = (0, 0);
        let mut backtrack: Option<(usize, usize)> = None;
        loop {
            if t < tokens.len() {
                if let Token::Star = tokens[t] {
                    backtrack = Some((t, s));
                    t += 1;
                    continue;
                }
                if s < text.len() && matches_one(&tokens[t], text[s], nocase) {
                    t += 1;
                    s += 1;
                    continue;
                }
            } else if s == text.len() {
                return true;
            }
            match backtrack {
                Some((star, from)) if from < text.len() => {
                    backtrack = Some((star, from + 1));
                    t = star + 1;
                    s = from + 1;
                }
                _ => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn redis_glob_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hbllo", true),
            ("h[a-b]llo", "hcllo", false),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("a*", "ba", false),
            ("[abc", "b", true),
            ("key:*", "key:1", true),
            ("\\", "\\", true),
            ("[\\]]", "]", true),
        ];
        for &(pattern, text, expected) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), text.as_bytes(), false),
                expected,
                "{pattern} ~ {text}"
            );
        }
        assert!(glob_match(b"SAVE", b"save", true));
        assert!(!glob_match(b"SAVE", b"save", false));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = vec![b'a'; 10_000];
        let pattern = "*a".repeat(50) + "b";
        assert!(!glob_match(pattern.as_bytes(), &text, false));
    }
}
