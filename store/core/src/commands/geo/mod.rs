//! Geospatial commands: GEOADD, GEOPOS, GEODIST, GEOHASH, and the searches GEORADIUS,
//! GEORADIUSBYMEMBER (and their `_RO` forms), GEOSEARCH and GEOSEARCHSTORE.
//!
//! A geospatial index is a sorted set whose scores are 52-bit geohashes (the math is the data
//! layer's `radish_data::geo`): GEOADD runs ZADD with the scores it computed, and is logged
//! as that ZADD, as Redis rewrites it; the other commands read any sorted set. Arguments
//! are checked, and keys looked up, in the order Redis 7.0's geo.c does, since that order
//! decides which error (or which early reply) a client sees. Keywords and units are compared
//! as C strings, as Redis's `strcasecmp` compares them: a NUL byte ends them.

mod add;
mod members;
mod options;
mod search;

use radish_data::geo::{unit_in_meters, valid_position};
use radish_data::long_double::LongDouble;
use radish_data::types::zset::score::parse_score;
use radish_data::types::zset::SortedSet;
use radish_data::Value;
use radish_data::{Db, Millis};

use crate::error::{Error, Result};
use crate::exec::command::{acl, after_keyword, flags, key, range, Command, Group};
use crate::exec::reply::Reply;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("geoadd", -5, add::geoadd)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Geo, "3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set"),
    Command::new("geodist", -4, members::geodist)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "3.2.0", "Returns the distance between two members of a geospatial index"),
    Command::new("geohash", -2, members::geohash)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "3.2.0", "Returns members of a geospatial index as standard geohash strings"),
    Command::new("geopos", -2, members::geopos)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "3.2.0", "Returns longitude and latitude of members of a geospatial index"),
    // The STORE keys' specs find them; Redis's georadiusGetKeys is only its fallback.
    Command::new("georadius", -6, search::georadius)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(GEO))
        .keys(&[
            range(1, 0, 1, key!(RO | ACCESS)),
            after_keyword("STORE", 6, (0, 1, 0), key!(OW | UPDATE)),
            after_keyword("STOREDIST", 6, (0, 1, 0), key!(OW | UPDATE)),
        ])
        .doc(Group::Geo, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"),
    Command::new("georadiusbymember", -5, search::georadiusbymember)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(GEO))
        .keys(&[
            range(1, 0, 1, key!(RO | ACCESS)),
            after_keyword("STORE", 5, (0, 1, 0), key!(OW | UPDATE)),
            after_keyword("STOREDIST", 5, (0, 1, 0), key!(OW | UPDATE)),
        ])
        .doc(Group::Geo, "3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"),
    Command::new("georadius_ro", -6, search::georadius_ro)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "3.2.10", "A read-only variant for GEORADIUS"),
    Command::new("georadiusbymember_ro", -5, search::georadiusbymember_ro)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "3.2.10", "A read-only variant for GEORADIUSBYMEMBER"),
    Command::new("geosearch", -7, search::geosearch)
        .flags(flags!(READONLY))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."),
    Command::new("geosearchstore", -8, search::geosearchstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(GEO))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), range(2, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Geo, "6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."),
];

const UNSUPPORTED_UNIT: Error =
    Error::Static("ERR unsupported unit provided. please use M, KM, FT, MI");

/// The argument as C's string functions see it: up to its first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or(arg)
}

/// True if `arg` is the keyword `word` for Redis's `strcasecmp`.
fn keyword(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// Parses a number as Redis's `getDoubleFromObjectOrReply`, failing with `error`.
fn parse_double(arg: &[u8], error: Error) -> Result<f64> {
    parse_score(arg).ok_or(error)
}

/// Parses a longitude and a latitude (Redis's `extractLongLatOrReply`): two numbers, then
/// the WGS84 limits.
fn parse_position(args: &[&[u8]]) -> Result<[f64; 2]> {
    let longitude = parse_double(args[0], Error::NotFloat)?;
    let latitude = parse_double(args[1], Error::NotFloat)?;
    if !valid_position(longitude, latitude) {
        return Err(Error::Message(format!(
            "ERR invalid longitude,latitude pair {longitude:.6},{latitude:.6}"
        )));
    }
    Ok([longitude, latitude])
}

/// Meters in a unit argument, or Redis's error.
fn parse_unit(arg: &[u8]) -> Result<f64> {
    unit_in_meters(arg).ok_or(UNSUPPORTED_UNIT)
}

/// The sorted set at `key` for a read command (a keyspace hit or miss, as Redis's
/// `lookupKeyRead`): `None` if missing, WRONGTYPE if not a sorted set.
fn read_zset<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d SortedSet>> {
    match db.read(key, now).map(|entry| &entry.value) {
        None => Ok(None),
        Some(Value::SortedSet(zset)) => Ok(Some(zset)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Writes a coordinate as Redis's `addReplyHumanLongDouble`: `%.17Lf` without trailing
/// zeros, as a bulk string in RESP2 and a double in RESP3.
fn write_coordinate(reply: &mut Reply<'_>, value: f64) {
    reply.double_text(LongDouble::from_f64(value).to_human().as_bytes());
}

/// Writes a position as GEOPOS and WITHCOORD do: `[longitude, latitude]`.
fn write_position(reply: &mut Reply<'_>, [longitude, latitude]: [f64; 2]) {
    reply.array(2);
    write_coordinate(reply, longitude);
    write_coordinate(reply, latitude);
}
