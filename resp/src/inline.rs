//! Splitting an inline command line into arguments, as Redis's `sdssplitargs` does.

use bytes::Bytes;

use crate::error::Error;

/// Splits one inline command line (without its line ending) into arguments.
///
/// Arguments are separated by spaces, tabs, `\r` or `\n`. `"double quotes"` take the escapes
/// `\n \r \t \b \a \\ \"` and `\xHH`; `'single quotes'` take only `\'`. A closing quote must be
/// followed by a space or the end of the line. A NUL byte ends the line, as in C. Unquoted
/// arguments are slices of `line`; quoted ones are new buffers.
pub fn split_inline(line: &Bytes) -> Result<Vec<Bytes>, Error> {
    let bytes = &line[..];
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while is_space(at(i)) {
            i += 1;
        }
        if at(i) == 0 {
            return Ok(args);
        }
        let start = i;
        let mut owned: Option<Vec<u8>> = None;
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let c = at(i);
            if in_double {
                if c == b'\\' && at(i + 1) == b'x' && hex(at(i + 2)).is_some() {
                    if let (Some(hi), Some(lo)) = (hex(at(i + 2)), hex(at(i + 3))) {
                        push(&mut owned, bytes, start, i, hi * 16 + lo);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(i + 1) != 0 {
                    let escaped = match at(i + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    };
                    push(&mut owned, bytes, start, i, escaped);
                    i += 2;
                } else if c == b'"' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return Err(Error::UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return Err(Error::UnbalancedQuotes);
                } else {
                    push(&mut owned, bytes, start, i, c);
                    i += 1;
                }
            } else if in_single {
                if c == b'\\' && at(i + 1) == b'\'' {
                    push(&mut owned, bytes, start, i, b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if at(i + 1) != 0 && !is_space(at(i + 1)) {
                        return Err(Error::UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else if c == 0 {
                    return Err(Error::UnbalancedQuotes);
                } else {
                    push(&mut owned, bytes, start, i, c);
                    i += 1;
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' | b'\'' => {
                        // From here on the argument differs from the input: copy what came before.
                        owned.get_or_insert_with(|| bytes[start..i].to_vec());
                        in_double = c == b'"';
                        in_single = c == b'\'';
                        i += 1;
                    }
                    _ => {
                        if let Some(arg) = owned.as_mut() {
                            arg.push(c);
                        }
                        i += 1;
                    }
                }
            }
        }
        args.push(match owned {
            Some(arg) => Bytes::from(arg),
            None => line.slice(start..i),
        });
    }
}

/// Appends `byte` to the argument being built, switching from borrowing to owning if needed.
fn push(owned: &mut Option<Vec<u8>>, bytes: &[u8], start: usize, i: usize, byte: u8) {
    owned
        .get_or_insert_with(|| bytes[start..i].to_vec())
        .push(byte);
}

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        split_inline(&Bytes::copy_from_slice(line))
            .map(|args| args.into_iter().map(|a| a.to_vec()).collect())
    }

    #[test]
    fn splits_like_sdssplitargs() {
        let ok: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"   ", &[]),
            (b"PING", &[b"PING"]),
            (b"  set  k   v ", &[b"set", b"k", b"v"]),
            (b"set k \"a b\"", &[b"set", b"k", b"a b"]),
            (b"set k \"\\x41\\n\\\"\"", &[b"set", b"k", b"A\n\""]),
            (b"set k \"\\xZZ\"", &[b"set", b"k", b"xZZ"]),
            (b"set k 'it\\'s'", &[b"set", b"k", b"it's"]),
            (b"set k 'a\\nb'", &[b"set", b"k", b"a\\nb"]),
            (b"a\"b c\" d", &[b"ab c", b"d"]),
            (b"\"\"", &[b""]),
            (b"a\tb", &[b"a", b"b"]),
            (b"a\x00b c", &[b"a"]),
        ];
        for (line, expected) in ok {
            let got = split(line).unwrap();
            let expected: Vec<Vec<u8>> = expected.iter().map(|a| a.to_vec()).collect();
            assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        for line in [
            &b"set k \"v"[..],
            b"set k 'v",
            b"\"a\"b",
            b"'a'b",
            b"a\"b c\"d",
            b"\"a\\\"",
        ] {
            assert_eq!(split(line), Err(Error::UnbalancedQuotes), "{line:?}");
        }
    }
}
