//! Parsing a search's arguments, in the order Redis's `georadiusGeneric` reads them: the
//! fixed arguments of GEORADIUS and GEORADIUSBYMEMBER, then every option left to right
//! (FROMMEMBER looks its member up as soon as it is read), then the checks of how options
//! combine.

use radish_data::geo::area::{Form, Shape};
use radish_data::geo::hash::decode_score;
use radish_data::types::zset::SortedSet;

use super::{keyword, parse_double, parse_position, parse_unit};
use crate::error::{Error, Result};
use crate::exec::args::parse_int;

const NOT_DECODED: Error = Error::Static("ERR could not decode requested zset member");

/// The search commands, which share one parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// GEORADIUS: around a position; STORE and STOREDIST allowed.
    Radius,
    /// GEORADIUS_RO.
    RadiusRo,
    /// GEORADIUSBYMEMBER: around a member; STORE and STOREDIST allowed.
    ByMember,
    /// GEORADIUSBYMEMBER_RO.
    ByMemberRo,
    /// GEOSEARCH: FROM* and BY* options.
    Search,
    /// GEOSEARCHSTORE: GEOSEARCH into a destination, STOREDIST allowed.
    SearchStore,
}

impl Variant {
    /// The GEOSEARCH forms.
    fn is_search(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    /// The GEORADIUS forms that take STORE and STOREDIST.
    fn takes_store(self) -> bool {
        matches!(self, Variant::Radius | Variant::ByMember)
    }

    /// Where the source key is.
    pub(super) fn source_index(self) -> usize {
        match self {
            Variant::SearchStore => 2,
            _ => 1,
        }
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sort {
    /// As found.
    None,
    /// Nearest first.
    Asc,
    /// Farthest first.
    Desc,
}

/// A parsed search.
#[derive(Debug, Clone)]
pub(super) struct Query<'a> {
    /// What to look for; `None` only when the source is missing and GEORADIUSBYMEMBER's
    /// member could not be looked up.
    pub(super) shape: Option<Shape>,
    /// Where to store the results instead of replying them.
    pub(super) store: Option<&'a [u8]>,
    /// Store distances rather than geohashes as scores.
    pub(super) store_dist: bool,
    /// WITHDIST.
    pub(super) with_dist: bool,
    /// WITHHASH.
    pub(super) with_hash: bool,
    /// WITHCOORD.
    pub(super) with_coord: bool,
    /// ASC or DESC.
    pub(super) sort: Sort,
    /// COUNT's value; 0 for none.
    pub(super) count: i64,
    /// ANY: stop at COUNT results.
    pub(super) any: bool,
}

/// The position of `member`, or Redis's error when the set does not have it.
fn member_position(zset: &SortedSet, member: &[u8]) -> Result<[f64; 2]> {
    zset.score(member).map(decode_score).ok_or(NOT_DECODED)
}

/// A radius and its unit (Redis's `extractDistanceOrReply`): `(meters per unit, radius)`.
fn parse_radius(args: &[&[u8]]) -> Result<(f64, f64)> {
    let radius = parse_double(args[0], Error::Static("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(Error::Static("ERR radius cannot be negative"));
    }
    Ok((parse_unit(args[1])?, radius))
}

/// A box's width, height and unit (Redis's `extractBoxOrReply`).
fn parse_box(args: &[&[u8]]) -> Result<(f64, Form)> {
    let width = parse_double(args[0], Error::Static("ERR need numeric width"))?;
    let height = parse_double(args[1], Error::Static("ERR need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(Error::Static("ERR height or width cannot be negative"));
    }
    Ok((parse_unit(args[2])?, Form::Box { width, height }))
}

/// Parses a search command's arguments; `zset` is its source, already looked up, which
/// FROMMEMBER and GEORADIUSBYMEMBER read their member from.
pub(super) fn parse<'a>(
    args: &[&'a [u8]],
    variant: Variant,
    zset: Option<&SortedSet>,
) -> Result<Query<'a>> {
    let mut center = None;
    let mut size: Option<(f64, Form)> = None;
    let mut store = None;
    let base = match variant {
        Variant::Radius | Variant::RadiusRo => {
            center = Some(parse_position(&args[2..4])?);
            let (conversion, radius) = parse_radius(&args[4..6])?;
            size = Some((conversion, Form::Circle { radius }));
            6
        }
        Variant::ByMember | Variant::ByMemberRo => {
            // Without a source the member is not looked up, nor the radius read: only the
            // options are, to know which empty reply to give.
            if let Some(zset) = zset {
                center = Some(member_position(zset, args[2])?);
                let (conversion, radius) = parse_radius(&args[3..5])?;
                size = Some((conversion, Form::Circle { radius }));
            }
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => {
            store = Some(args[1]);
            3
        }
    };

    let mut query = Query {
        shape: None,
        store,
        store_dist: false,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: Sort::None,
        count: 0,
        any: false,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let search = variant.is_search();
    let options = &args[base.min(args.len())..];
    let remaining = options.len();
    let mut i = 0;
    while i < remaining {
        let arg = options[i];
        if keyword(arg, "withdist") {
            query.with_dist = true;
        } else if keyword(arg, "withhash") {
            query.with_hash = true;
        } else if keyword(arg, "withcoord") {
            query.with_coord = true;
        } else if keyword(arg, "any") {
            query.any = true;
        } else if keyword(arg, "asc") {
            query.sort = Sort::Asc;
        } else if keyword(arg, "desc") {
            query.sort = Sort::Desc;
        } else if keyword(arg, "count") && i + 1 < remaining {
            query.count = parse_int(options[i + 1])?;
            if query.count <= 0 {
                return Err(Error::Static("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if keyword(arg, "store") && i + 1 < remaining && variant.takes_store() {
            query.store = Some(options[i + 1]);
            query.store_dist = false;
            i += 1;
        } else if keyword(arg, "storedist") && i + 1 < remaining && variant.takes_store() {
            query.store = Some(options[i + 1]);
            query.store_dist = true;
            i += 1;
        } else if keyword(arg, "storedist") && variant == Variant::SearchStore {
            query.store_dist = true;
        } else if keyword(arg, "frommember") && i + 1 < remaining && search && !from_lonlat {
            if let Some(zset) = zset {
                center = Some(member_position(zset, options[i + 1])?);
            }
            from_member = true;
            i += 1;
        } else if keyword(arg, "fromlonlat") && i + 2 < remaining && search && !from_member {
            center = Some(parse_position(&options[i + 1..i + 3])?);
            from_lonlat = true;
            i += 2;
        } else if keyword(arg, "byradius") && i + 2 < remaining && search && !by_box {
            let (conversion, radius) = parse_radius(&options[i + 1..i + 3])?;
            size = Some((conversion, Form::Circle { radius }));
            by_radius = true;
            i += 2;
        } else if keyword(arg, "bybox") && i + 3 < remaining && search && !by_radius {
            size = Some(parse_box(&options[i + 1..i + 4])?);
            by_box = true;
            i += 3;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }

    if query.store.is_some() && (query.with_dist || query.with_hash || query.with_coord) {
        let what = match variant {
            Variant::SearchStore => "GEOSEARCHSTORE",
            _ => "STORE option in GEORADIUS",
        };
        return Err(Error::Message(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    // Redis names the command as the client spelled it.
    let name = String::from_utf8_lossy(args[0]);
    if search && !(from_member || from_lonlat) {
        return Err(Error::Message(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if search && !(by_radius || by_box) {
        return Err(Error::Message(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if query.any && query.count == 0 {
        return Err(Error::Static(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    if let (Some(center), Some((conversion, form))) = (center, size) {
        query.shape = Some(Shape {
            center,
            conversion,
            form,
        });
    }
    Ok(query)
}
