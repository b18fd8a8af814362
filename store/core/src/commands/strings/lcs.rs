//! LCS: the longest common subsequence of two strings, with its length or the matching
//! runs (IDX), computed as Redis 7.0 does.

use radish_data::Value;

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;

pub(super) fn lcs(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let db = ctx.db();
    let a = db.read(args[1], now).map(|e| e.value.clone());
    let b = db.read(args[2], now).map(|e| e.value.clone());
    let to_bytes = |v: Option<Value>| -> Option<Vec<u8>> {
        match v {
            None => Some(Vec::new()),
            Some(Value::String(s)) => Some(s.bytes.to_vec()),
            Some(_) => None,
        }
    };
    let (Some(a), Some(b)) = (to_bytes(a), to_bytes(b)) else {
        return Err(Error::Static(
            "ERR The specified keys must contain string values",
        ));
    };
    let (mut want_idx, mut want_len, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let opt = args[i];
        if is(opt, "idx") {
            want_idx = true;
        } else if is(opt, "len") {
            want_len = true;
        } else if is(opt, "withmatchlen") {
            with_match_len = true;
        } else if is(opt, "minmatchlen") && i + 1 < args.len() {
            min_match_len = parse_int(args[i + 1])?.max(0);
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if want_idx && want_len {
        return Err(Error::Static(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let cells = (a.len() as u128 + 1) * (b.len() as u128 + 1);
    let limit = ctx.server.config().get_int("proto-max-bulk-len").max(0) as u128;
    if cells * 4 > limit {
        return Err(Error::Static(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = LcsTable::new(&a, &b);
    let reply = &mut ctx.reply;
    if want_len && !want_idx {
        reply.integer(table.get(a.len(), b.len()) as i64);
        return Ok(());
    }
    let (common, matches) = table.walk(&a, &b);
    if !want_idx {
        reply.bulk(&common);
        return Ok(());
    }
    let kept: Vec<_> = matches
        .into_iter()
        .filter(|m| min_match_len == 0 || m.len() as i64 >= min_match_len)
        .collect();
    reply.map(2);
    reply.bulk(b"matches");
    reply.array(kept.len());
    for m in &kept {
        reply.array(if with_match_len { 3 } else { 2 });
        reply.array(2);
        reply.integer(m.a.0 as i64);
        reply.integer(m.a.1 as i64);
        reply.array(2);
        reply.integer(m.b.0 as i64);
        reply.integer(m.b.1 as i64);
        if with_match_len {
            reply.integer(m.len() as i64);
        }
    }
    reply.bulk(b"len");
    reply.integer(table.get(a.len(), b.len()) as i64);
    Ok(())
}

/// The dynamic-programming table of LCS lengths of every pair of prefixes.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

/// One common run: inclusive ranges in each string.
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

impl LcsMatch {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

impl LcsTable {
    fn new(a: &[u8], b: &[u8]) -> LcsTable {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        LcsTable { cells, width }
    }

    fn get(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks back from the end as Redis does, collecting the common string and its runs
    /// (last run first).
    fn walk(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<LcsMatch>) {
        let mut common = vec![0u8; self.get(a.len(), b.len()) as usize];
        let mut idx = common.len();
        let mut matches = Vec::new();
        let mut current: Option<LcsMatch> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                common[idx - 1] = a[i - 1];
                match &mut current {
                    None => {
                        current = Some(LcsMatch {
                            a: (i - 1, i - 1),
                            b: (j - 1, j - 1),
                        })
                    }
                    Some(run) if run.a.0 == i && run.b.0 == j => {
                        run.a.0 -= 1;
                        run.b.0 -= 1;
                    }
                    Some(_) => emit = true,
                }
                if let Some(run) = &current {
                    if run.a.0 == 0 || run.b.0 == 0 {
                        emit = true;
                    }
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.get(i - 1, j) > self.get(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                if current.is_some() {
                    emit = true;
                }
            }
            if emit {
                if let Some(run) = current.take() {
                    matches.push(run);
                }
            }
        }
        (common, matches)
    }
}
