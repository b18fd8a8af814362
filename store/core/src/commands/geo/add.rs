//! GEOADD: ZADD with scores computed from positions.

use radish_data::geo::hash::score_of;

use super::{keyword, parse_position};
use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;

/// `GEOADD key [NX|XX] [CH] longitude latitude member ...`. As Redis does, it checks its
/// options and every position, then runs ZADD with the options and the scores, and logs
/// that ZADD rather than itself, so that a replay needs no geohashing.
pub(super) fn geoadd(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (mut nx, mut xx) = (false, false);
    let mut zadd_args: Vec<Vec<u8>> = vec![b"zadd".to_vec(), args[1].to_vec()];
    let mut first = 2;
    while let Some(arg) = args.get(first) {
        let option = if keyword(arg, "nx") {
            nx = true;
            "nx"
        } else if keyword(arg, "xx") {
            xx = true;
            "xx"
        } else if keyword(arg, "ch") {
            "ch"
        } else {
            break;
        };
        // Given to ZADD as sent, as Redis does, unless a NUL byte ends the keyword early:
        // radish's ZADD compares whole arguments, Redis's stop there too.
        let given = if arg.contains(&0) {
            option.as_bytes()
        } else {
            arg
        };
        zadd_args.push(given.to_vec());
        first += 1;
    }
    let triples = &args[first..];
    if triples.len() % 3 != 0 || (xx && nx) {
        return Err(Error::Syntax);
    }
    for triple in triples.chunks(3) {
        let [longitude, latitude] = parse_position(triple)?;
        // The position is within the limits, so it encodes.
        let score = score_of(longitude, latitude).ok_or(Error::NotFloat)?;
        zadd_args.push(score.to_string().into_bytes());
        zadd_args.push(triple[2].to_vec());
    }
    let zadd = ctx
        .commands
        .lookup(b"zadd")
        .ok_or(Error::Static("ERR unknown command 'zadd'"))?;
    let borrowed: Vec<&[u8]> = zadd_args.iter().map(Vec::as_slice).collect();
    (zadd.handler)(ctx, &borrowed)?;
    ctx.propagate(&zadd_args);
    Ok(())
}
