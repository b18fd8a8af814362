//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO.
//!
//! Bit 0 is the most significant bit of the first byte. Reads treat a missing key, and every
//! byte past the end of a string, as zero bits. Arguments are checked, keys looked up and types
//! checked in the order Redis 7.0's bitops.c does, since that order decides which error (or
//! which early reply) a client sees: BITCOUNT, for one, answers 0 for a missing key before it
//! looks at its range arguments.
//!
//! Writes build the new string and store it like SETRANGE does: a string changed by a bit
//! command is always `raw`, and keeps its TTL. A write that changes nothing stores nothing, so
//! it neither counts as a change nor touches WATCHed keys, as in Redis.

use radish_data::CompactBytes;
use radish_data::{Db, Entry, Millis};
use radish_data::{StringOrigin, StringValue, Value};

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, range, Command, GetKeys, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("setbit", 4, setbit)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::Bitmap, "2.2.0", "Sets or clears the bit at offset in the string value stored at key"),
    Command::new("getbit", 3, getbit)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Bitmap, "2.2.0", "Returns the bit value at offset in the string value stored at key"),
    Command::new("bitcount", -2, bitcount)
        .flags(flags!(READONLY))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Bitmap, "2.6.0", "Count set bits in a string"),
    Command::new("bitpos", -3, bitpos)
        .flags(flags!(READONLY))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Bitmap, "2.8.7", "Find first bit set or clear in a string"),
    Command::new("bitop", -4, bitop)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(BITMAP))
        .keys(&[range(2, 0, 1, key!(OW | UPDATE)), range(3, -1, 1, key!(RO | ACCESS))])
        .doc(Group::Bitmap, "2.6.0", "Perform bitwise operations between strings"),
    Command::new("bitfield", -2, bitfield)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE | VARIABLE_FLAGS)).note("This command allows both access and modification of the key")])
        .get_keys(GetKeys::Bitfield)
        .doc(Group::Bitmap, "3.2.0", "Perform arbitrary bitfield integer operations on strings"),
    Command::new("bitfield_ro", -2, bitfield_ro)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(BITMAP))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Bitmap, "6.0.0", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD"),
];

const OFFSET_ERROR: Error = Error::Static("ERR bit offset is not an integer or out of range");
const BIT_VALUE_ERROR: Error = Error::Static("ERR bit is not an integer or out of range");
const TYPE_ERROR: Error = Error::Static(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);

// --- Shared helpers --------------------------------------------------------------------------

/// The argument as C sees it: Redis compares keywords with `strcasecmp` and reads some
/// numbers with `strlen`, which both stop at the first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |end| &arg[..end])
}

/// The string in `entry`, or WRONGTYPE.
fn as_string(entry: &Entry) -> Result<&[u8]> {
    match &entry.value {
        Value::String(s) => Ok(&s.bytes),
        _ => Err(Error::WrongType),
    }
}

/// The bytes at `key` for a read command (counts a keyspace hit or miss): `None` if missing,
/// WRONGTYPE if not a string.
fn read_bytes<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d [u8]>> {
    db.read(key, now).map(as_string).transpose()
}

/// Parses a bit offset as Redis's `getBitOffsetFromArgument`: a non-negative integer whose
/// byte lies within `proto-max-bulk-len`. With `field_bits`, `#n` means `n * field_bits`
/// (BITFIELD), multiplied with C's wrap-around on overflow.
fn parse_offset(ctx: &Ctx<'_, '_>, arg: &[u8], field_bits: Option<u32>) -> Result<u64> {
    let (digits, scale) = match (arg.first(), field_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = parse_int(digits)
        .map_err(|_| OFFSET_ERROR)?
        .wrapping_mul(scale);
    let limit = ctx.server.config().get_int("proto-max-bulk-len");
    if offset < 0 || (offset >> 3) >= limit {
        return Err(OFFSET_ERROR);
    }
    Ok(offset as u64)
}

/// Bit `offset` of `bytes` (0 past the end).
fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let byte = bytes.get((offset >> 3) as usize).copied().unwrap_or(0);
    byte & (0x80 >> (offset & 7)) != 0
}

/// Sets bit `offset` of `bytes`, which must be long enough.
fn set_bit_at(bytes: &mut [u8], offset: u64, on: bool) {
    let mask = 0x80 >> (offset & 7);
    let byte = &mut bytes[(offset >> 3) as usize];
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
}

/// A string to write bits into, as Redis's `lookupStringForBitCommand` makes it: the old
/// bytes, zero-padded so that bit `max_bit` exists.
struct Bitmap {
    bytes: Vec<u8>,
    /// The key was created, or its string grew: the string must be stored whatever happens.
    resized: bool,
}

/// Looks `key` up for a write (no keyspace hit or miss, as Redis's `lookupKeyWrite`) and
/// returns its bytes padded to hold bit `max_bit`; WRONGTYPE if it is not a string.
fn bitmap_for_write(db: &mut Db, key: &[u8], max_bit: u64, now: Millis) -> Result<Bitmap> {
    let needed = (max_bit >> 3) as usize + 1;
    let mut bytes = match db.get(key, now) {
        Some(entry) => as_string(entry)?.to_vec(),
        None => Vec::new(),
    };
    let resized = bytes.len() < needed;
    if resized {
        bytes.resize(needed, 0);
    }
    Ok(Bitmap { bytes, resized })
}

/// Stores `bytes` at `key` as a string changed in place (`raw`), keeping its TTL.
fn store_bitmap(db: &mut Db, key: &[u8], bytes: Vec<u8>, now: Millis) {
    let value = Value::String(StringValue {
        bytes: CompactBytes::from_vec(bytes),
        origin: StringOrigin::Modified,
    });
    match db.get_mut(key, now) {
        Some(entry) => entry.value = value,
        None => db.insert(key, value, 0, now),
    }
}

/// Turns Redis's inclusive `start..=end` range (negative counts from the end) over `total`
/// units into positions, clamped as BITCOUNT and BITPOS do; `None` when empty.
fn clamp_range(start: i64, end: i64, total: i64) -> Option<(u64, u64)> {
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }
        .max(0)
        .min(total - 1);
    (start <= end).then_some((start as u64, end as u64))
}

/// Parses a BIT or BYTE range unit: true for BIT.
fn parse_unit(arg: &[u8]) -> Result<bool> {
    let unit = c_str(arg);
    if is(unit, "bit") {
        Ok(true)
    } else if is(unit, "byte") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

// --- SETBIT, GETBIT ------------------------------------------------------------------------

fn setbit(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let offset = parse_offset(ctx, args[2], None)?;
    let on = match parse_int(args[3]) {
        Ok(0) => false,
        Ok(1) => true,
        _ => return Err(BIT_VALUE_ERROR),
    };
    let key = args[1];
    let (db, reply, now) = ctx.parts();
    // Looked at before copying it: a bit that is already right changes nothing.
    let (was_on, fits) = match db.get(key, now) {
        Some(entry) => {
            let bytes = as_string(entry)?;
            (bit_at(bytes, offset), (offset >> 3) < bytes.len() as u64)
        }
        None => (false, false),
    };
    reply.integer(i64::from(was_on));
    if fits && was_on == on {
        // Redis only marks the key as accessed.
        db.touch(key, now);
        return Ok(());
    }
    let needed = (offset >> 3) as usize + 1;
    if db.peek(key).is_some() {
        // In place: a SETBIT on a large bitmap costs one bit, not a copy of the string.
        super::strings::change_in_place(db, key, now, needed, |bytes| {
            set_bit_at(bytes, offset, on)
        });
    } else {
        let mut bytes = vec![0; needed];
        set_bit_at(&mut bytes, offset, on);
        store_bitmap(db, key, bytes, now);
    }
    ctx.notify(events::STRING, "setbit", key);
    ctx.dirty(1);
    Ok(())
}

fn getbit(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let offset = parse_offset(ctx, args[2], None)?;
    let (db, reply, now) = ctx.parts();
    let on = read_bytes(db, args[1], now)?.is_some_and(|bytes| bit_at(bytes, offset));
    reply.integer(i64::from(on));
    Ok(())
}

// --- BITCOUNT, BITPOS ------------------------------------------------------------------------

/// Number of set bits from bit `first` to bit `last` (inclusive) of `bytes`, both in range.
fn count_bits(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (first_byte, last_byte) = ((first >> 3) as usize, (last >> 3) as usize);
    let whole: u64 = bytes[first_byte..=last_byte]
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    // Take back the bits of the edge bytes that lie outside the range.
    let before = !(0xFFu32 >> (first & 7)) as u8;
    let after = (0xFFu32 >> ((last & 7) + 1)) as u8;
    let outside =
        (bytes[first_byte] & before).count_ones() + (bytes[last_byte] & after).count_ones();
    whole - u64::from(outside)
}

fn bitcount(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    // Redis answers a missing key before it reads the range.
    let Some(bytes) = read_bytes(db, args[1], now)? else {
        reply.integer(0);
        return Ok(());
    };
    let len = bytes.len() as i64;
    let range = match args.len() {
        2 => clamp_range(0, -1, len).map(|(s, e)| (s * 8, e * 8 + 7)),
        4 | 5 => {
            let start = parse_int(args[2])?;
            let end = parse_int(args[3])?;
            // Checked before the unit, on the raw arguments.
            if start < 0 && end < 0 && start > end {
                reply.integer(0);
                return Ok(());
            }
            let in_bits = args.len() == 5 && parse_unit(args[4])?;
            if in_bits {
                clamp_range(start, end, len * 8)
            } else {
                clamp_range(start, end, len).map(|(s, e)| (s * 8, e * 8 + 7))
            }
        }
        _ => return Err(Error::Syntax),
    };
    let count = range.map_or(0, |(first, last)| count_bits(bytes, first, last));
    reply.integer(count as i64);
    Ok(())
}

/// The first bit equal to `bit` from bit `first` to bit `last` (inclusive) of `bytes`.
fn find_bit(bytes: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    // Whole bytes that cannot hold the bit are skipped at once.
    let skip = if bit { 0x00 } else { 0xFF };
    let mut offset = first;
    while offset <= last {
        if offset & 7 == 0 && offset + 7 <= last && bytes[(offset >> 3) as usize] == skip {
            offset += 8;
            continue;
        }
        if bit_at(bytes, offset) == bit {
            return Some(offset);
        }
        offset += 1;
    }
    None
}

fn bitpos(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let bit = match parse_int(args[2])? {
        0 => false,
        1 => true,
        _ => return Err(Error::Static("ERR The bit argument must be 1 or 0.")),
    };
    let (db, reply, now) = ctx.parts();
    // A missing key is an endless run of zeros.
    let Some(bytes) = read_bytes(db, args[1], now)? else {
        reply.integer(if bit { -1 } else { 0 });
        return Ok(());
    };
    let len = bytes.len() as i64;
    let (start, end, in_bits) = match args.len() {
        3 => (0, -1, false),
        4..=6 => {
            let start = parse_int(args[3])?;
            // Redis reads the unit before the end.
            let in_bits = args.len() == 6 && parse_unit(args[5])?;
            let end = match args.get(4) {
                Some(end) => parse_int(end)?,
                None => -1,
            };
            (start, end, in_bits)
        }
        _ => return Err(Error::Syntax),
    };
    let end_given = args.len() >= 5;
    let range = if in_bits {
        clamp_range(start, end, len * 8)
    } else {
        clamp_range(start, end, len).map(|(s, e)| (s * 8, e * 8 + 7))
    };
    // An empty range holds neither a 0 nor a 1.
    let Some((first, last)) = range else {
        reply.integer(-1);
        return Ok(());
    };
    let position = match find_bit(bytes, bit, first, last) {
        Some(position) => position as i64,
        // With no end given the string counts as padded with zeros on the right, so the first
        // clear bit of an all-ones string is the one just past it.
        None if !bit && !end_given => (last + 1) as i64,
        None => -1,
    };
    reply.integer(position);
    Ok(())
}

// --- BITOP ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let name = c_str(args[1]);
    let op = if is(name, "and") {
        BitOp::And
    } else if is(name, "or") {
        BitOp::Or
    } else if is(name, "xor") {
        BitOp::Xor
    } else if is(name, "not") {
        BitOp::Not
    } else {
        return Err(Error::Syntax);
    };
    if op == BitOp::Not && args.len() != 4 {
        return Err(Error::Static(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let now = ctx.now;
    let db = ctx.db();
    // Missing keys are empty strings; the first key of another type stops the command.
    let mut sources: Vec<Vec<u8>> = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(
            read_bytes(db, key, now)?
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
        );
    }
    let len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let target = args[2];
    if len == 0 {
        // An empty result deletes the target.
        let deleted = db.remove(target).is_some();
        if deleted {
            ctx.notify(events::GENERIC, "del", target);
        }
        ctx.reply.integer(0);
        ctx.dirty(u64::from(deleted));
        return Ok(());
    }
    let mut result = vec![0u8; len];
    for (i, out) in result.iter_mut().enumerate() {
        // Shorter strings count as padded with zero bytes.
        let mut bytes = sources.iter().map(|s| s.get(i).copied().unwrap_or(0));
        let first = bytes.next().unwrap_or(0);
        *out = match op {
            BitOp::And => bytes.fold(first, |acc, b| acc & b),
            BitOp::Or => bytes.fold(first, |acc, b| acc | b),
            BitOp::Xor => bytes.fold(first, |acc, b| acc ^ b),
            BitOp::Not => !first,
        };
    }
    // Like SET: replaces any value and TTL; the result is always `raw`.
    let value = Value::String(StringValue {
        bytes: CompactBytes::from_vec(result),
        origin: StringOrigin::Modified,
    });
    db.insert(target, value, 0, now);
    ctx.notify(events::STRING, "set", target);
    ctx.reply.integer(len as i64);
    ctx.dirty(1);
    Ok(())
}

// --- BITFIELD ------------------------------------------------------------------------------

/// What BITFIELD does when a SET or INCRBY does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Keep the low bits (two's complement for signed fields).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Write nothing and reply null.
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// One BITFIELD operation, with the OVERFLOW mode in force where it appears.
#[derive(Debug, Clone, Copy)]
struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

/// Parses a field type, `i1`..`i64` or `u1`..`u63` (a u64 could not be replied as an
/// integer). The letter is case-sensitive, as in Redis.
fn parse_type(arg: &[u8]) -> Result<(bool, u32)> {
    let text = c_str(arg);
    let signed = match text.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(TYPE_ERROR),
    };
    let max = if signed { 64 } else { 63 };
    match parse_int(&text[1..]) {
        Ok(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(TYPE_ERROR),
    }
}

/// Parses every BITFIELD operation, in order, before anything runs.
fn parse_fields(ctx: &Ctx<'_, '_>, args: &[&[u8]]) -> Result<Vec<Field>> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let name = c_str(args[i]);
        let left = args.len() - i - 1;
        let is_get = is(name, "get") && left >= 2;
        let is_set = is(name, "set") && left >= 3;
        let is_incrby = is(name, "incrby") && left >= 3;
        if is(name, "overflow") && left >= 1 {
            let mode = c_str(args[i + 1]);
            overflow = if is(mode, "wrap") {
                Overflow::Wrap
            } else if is(mode, "sat") {
                Overflow::Sat
            } else if is(mode, "fail") {
                Overflow::Fail
            } else {
                return Err(Error::Static("ERR Invalid OVERFLOW type specified"));
            };
            i += 2;
            continue;
        }
        if !(is_get || is_set || is_incrby) {
            return Err(Error::Syntax);
        }
        let (signed, bits) = parse_type(args[i + 1])?;
        let offset = parse_offset(ctx, args[i + 2], Some(bits))?;
        let op = if is_get {
            FieldOp::Get
        } else {
            let value = parse_int(args[i + 3])?;
            if is_set {
                FieldOp::Set(value)
            } else {
                FieldOp::IncrBy(value)
            }
        };
        fields.push(Field {
            op,
            signed,
            bits,
            offset,
            overflow,
        });
        i += if is_get { 3 } else { 4 };
    }
    Ok(fields)
}

/// The low `bits` bits of `value` as the field reads them: sign-extended if `signed`.
fn sign_extend(value: u64, bits: u32, signed: bool) -> i64 {
    let negative = signed && bits < 64 && (value >> (bits - 1)) & 1 == 1;
    if negative {
        (value | (u64::MAX << bits)) as i64
    } else {
        value as i64
    }
}

/// Reads the `bits`-bit field at `offset` (zero past the end), sign-extended if `signed`.
fn read_field(bytes: &[u8], offset: u64, bits: u32, signed: bool) -> i64 {
    let mut value: u64 = 0;
    for i in 0..u64::from(bits) {
        value = (value << 1) | u64::from(bit_at(bytes, offset + i));
    }
    sign_extend(value, bits, signed)
}

/// Writes the low `bits` bits of `value` at `offset`; `bytes` must be long enough.
fn write_field(bytes: &mut [u8], offset: u64, bits: u32, value: i64) {
    for i in 0..bits {
        let on = ((value as u64) >> (bits - 1 - i)) & 1 == 1;
        set_bit_at(bytes, offset + u64::from(i), on);
    }
}

/// Adds `incr` to `value` in a field of `bits` bits, as Redis's overflow checks do: `None`
/// if the result does not fit and `overflow` is FAIL, else the value to store.
///
/// For unsigned fields `value` is taken as the 64 bits of a `u64`, so a negative SET value
/// is a huge number that saturates to the maximum, as in Redis.
fn add_in_field(value: i64, incr: i64, bits: u32, signed: bool, overflow: Overflow) -> Option<i64> {
    let (min, max, start) = if signed {
        let max = (1i128 << (bits - 1)) - 1;
        (-max - 1, max, i128::from(value))
    } else {
        (0, (1i128 << bits) - 1, i128::from(value as u64))
    };
    let sum = start + i128::from(incr);
    if (min..=max).contains(&sum) {
        return Some(sum as i64);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > max { max } else { min } as i64),
        Overflow::Wrap => {
            // Two's complement: the sum's low bits, read back as the field would.
            let low = (sum as u64) & (u64::MAX >> (64 - bits));
            Some(sign_extend(low, bits, signed))
        }
    }
}

fn bitfield(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], read_only: bool) -> Result {
    let fields = parse_fields(ctx, args)?;
    let key = args[1];
    let highest_write = fields
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + u64::from(f.bits) - 1)
        .max();
    let (db, reply, now) = ctx.parts();
    let Some(highest_write) = highest_write else {
        // Only GETs: a read of the key as it is.
        let bytes = read_bytes(db, key, now)?.unwrap_or_default();
        reply.array(fields.len());
        for field in &fields {
            reply.integer(read_field(bytes, field.offset, field.bits, field.signed));
        }
        return Ok(());
    };
    if read_only {
        return Err(Error::Static(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let mut bitmap = bitmap_for_write(db, key, highest_write, now)?;
    reply.array(fields.len());
    let mut changes = 0;
    for field in &fields {
        let old = read_field(&bitmap.bytes, field.offset, field.bits, field.signed);
        let (stored, replied) = match field.op {
            FieldOp::Get => {
                reply.integer(old);
                continue;
            }
            FieldOp::Set(value) => {
                let stored = add_in_field(value, 0, field.bits, field.signed, field.overflow);
                (stored, old)
            }
            FieldOp::IncrBy(incr) => {
                let stored = add_in_field(old, incr, field.bits, field.signed, field.overflow);
                (stored, stored.unwrap_or(0))
            }
        };
        let Some(stored) = stored else {
            reply.null();
            continue;
        };
        reply.integer(replied);
        write_field(&mut bitmap.bytes, field.offset, field.bits, stored);
        // Redis counts every write to a new or grown string, else only real changes.
        if bitmap.resized || stored != old {
            changes += 1;
        }
    }
    if bitmap.resized || changes > 0 {
        // A new or grown string is stored even when every write failed, as in Redis.
        store_bitmap(db, key, bitmap.bytes, now);
    } else {
        db.touch(key, now);
    }
    if changes > 0 {
        ctx.notify(events::STRING, "setbit", key);
    }
    ctx.dirty(changes);
    Ok(())
}
