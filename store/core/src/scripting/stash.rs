//! What a library puts aside while it walks nested tables: the tables it is in the middle
//! of, with a value each (an object's key waiting for its value, say). The first levels
//! stay in Rust; deeper ones go to a Lua table, since mlua can hold only so many values at
//! once (and C's stack lets a walk go 8000 levels deep).

use mlua::{Lua, Table, Value};

/// Levels kept in Rust.
const NEAR: usize = 256;

/// A stack of pairs of values.
#[derive(Default)]
pub struct Stash {
    /// The first [`NEAR`] levels.
    near: Vec<(Value, Value)>,
    /// The levels beyond: level `NEAR + i` at `2i + 1` and `2i + 2`.
    far: Option<Table>,
    /// How many levels there are.
    len: usize,
}

impl Stash {
    /// Puts `first` and `second` aside, on top.
    pub fn push(&mut self, lua: &Lua, first: Value, second: Value) -> mlua::Result<()> {
        if self.len < NEAR {
            self.near.push((first, second));
        } else {
            if self.far.is_none() {
                self.far = Some(lua.create_table()?);
            }
            if let Some(far) = &self.far {
                let at = 2 * (self.len - NEAR) as i64;
                far.raw_set(at + 1, first)?;
                far.raw_set(at + 2, second)?;
            }
        }
        self.len += 1;
        Ok(())
    }

    /// Takes back the pair on top (two nils when there is none).
    pub fn pop(&mut self) -> mlua::Result<(Value, Value)> {
        if self.len == 0 {
            return Ok((Value::Nil, Value::Nil));
        }
        self.len -= 1;
        if self.len < NEAR {
            return Ok(self.near.pop().unwrap_or((Value::Nil, Value::Nil)));
        }
        let Some(far) = &self.far else {
            return Ok((Value::Nil, Value::Nil));
        };
        let at = 2 * (self.len - NEAR) as i64;
        let pair = (far.raw_get(at + 1)?, far.raw_get(at + 2)?);
        far.raw_set(at + 1, Value::Nil)?;
        far.raw_set(at + 2, Value::Nil)?;
        Ok(pair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_what_was_pushed_at_any_depth() -> mlua::Result<()> {
        let lua = Lua::new();
        let mut stash = Stash::default();
        for i in 0..1000 {
            stash.push(
                &lua,
                Value::Integer(i),
                Value::String(lua.create_string(format!("v{i}"))?),
            )?;
        }
        for i in (0..1000).rev() {
            let (first, second) = stash.pop()?;
            assert_eq!(first, Value::Integer(i));
            assert_eq!(second.to_string()?, format!("v{i}"));
        }
        assert_eq!(stash.pop()?.0, Value::Nil);
        Ok(())
    }
}
