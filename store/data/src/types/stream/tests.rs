use proptest::prelude::*;

use super::*;

const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;

fn small_nodes(entries: u64) -> EncodingLimits {
    EncodingLimits {
        stream_node_entries: entries,
        ..LIMITS
    }
}

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn ids(entries: Entries<'_>) -> Vec<StreamId> {
    entries.map(|entry| entry.id).collect()
}

fn add(stream: &mut Stream, at: StreamId, limits: &EncodingLimits) {
    let value = at.seq.to_string();
    stream
        .add(NewId::Exact(at), &[b"f", value.as_bytes()], 0, limits)
        .expect("IDs grow");
}

#[test]
fn ids_are_generated_as_redis_does() {
    let mut s = Stream::new();
    let pairs: &[&[u8]] = &[b"a", b"1"];
    assert_eq!(s.add(NewId::Auto, pairs, 1000, &LIMITS), Ok(id(1000, 0)));
    assert_eq!(s.add(NewId::Auto, pairs, 1000, &LIMITS), Ok(id(1000, 1)));
    // A clock that went back keeps counting on the last ID.
    assert_eq!(s.add(NewId::Auto, pairs, 900, &LIMITS), Ok(id(1000, 2)));
    assert_eq!(s.add(NewId::Ms(1000), pairs, 0, &LIMITS), Ok(id(1000, 3)));
    assert_eq!(s.add(NewId::Ms(2000), pairs, 0, &LIMITS), Ok(id(2000, 0)));
    assert_eq!(
        s.add(NewId::Ms(1500), pairs, 0, &LIMITS),
        Err(AddError::NotGreater)
    );
    assert_eq!(
        s.add(NewId::Exact(id(2000, 0)), pairs, 0, &LIMITS),
        Err(AddError::NotGreater)
    );
    assert_eq!(
        s.add(NewId::Exact(id(5, u64::MAX)), pairs, 0, &LIMITS),
        Err(AddError::NotGreater)
    );
    assert_eq!(
        s.add(NewId::Exact(id(3000, u64::MAX)), pairs, 0, &LIMITS),
        Ok(id(3000, u64::MAX))
    );
    assert_eq!(
        s.add(NewId::Ms(3000), pairs, 0, &LIMITS),
        Err(AddError::SequenceExhausted)
    );
    assert_eq!(s.add(NewId::Auto, pairs, 0, &LIMITS), Ok(id(3001, 0)));
    assert_eq!((s.len(), s.entries_added()), (7, 7));
    assert_eq!((s.first_id(), s.last_id()), (id(1000, 0), id(3001, 0)));
}

#[test]
fn nodes_end_where_redis_nodes_end() {
    let mut s = Stream::new();
    for n in 1..=250 {
        add(&mut s, id(n, 0), &LIMITS);
    }
    assert_eq!(s.node_count(), 3);
    // 4096 bytes: entries of 1000-byte values fill a node with four.
    let mut big = Stream::new();
    let value = vec![b'x'; 1000];
    for n in 1..=9 {
        big.add(NewId::Exact(id(n, 0)), &[b"f", &value], 0, &LIMITS)
            .expect("grows");
    }
    assert_eq!(big.node_sizes(), [4, 4, 1]);
}

#[test]
fn entries_keep_their_fields_whatever_the_node_master() {
    let mut s = Stream::new();
    let entries: [&[&[u8]]; 4] = [
        &[b"name", b"ann", b"age", b"30"],
        &[b"name", b"bob", b"age", b"41"],
        &[b"age", b"7", b"name", b"cy"],
        &[b"only", b""],
    ];
    for (n, pairs) in entries.iter().enumerate() {
        s.add(NewId::Exact(id(1, n as u64)), pairs, 0, &LIMITS)
            .expect("grows");
    }
    let read: Vec<Vec<Vec<u8>>> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|e| {
            e.fields()
                .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
                .collect()
        })
        .collect();
    let expected: Vec<Vec<Vec<u8>>> = entries
        .iter()
        .map(|pairs| pairs.iter().map(|b| b.to_vec()).collect())
        .collect();
    assert_eq!(read, expected);
}

#[test]
fn deleting_the_last_live_entry_of_a_node_removes_the_node() {
    let mut s = Stream::new();
    for n in 1..=5 {
        add(&mut s, id(n, 0), &small_nodes(2));
    }
    assert_eq!(s.node_count(), 3);
    assert!(s.delete(id(3, 0)));
    assert!(!s.delete(id(3, 0)));
    assert_eq!(s.node_count(), 3);
    assert!(s.delete(id(4, 0)));
    assert_eq!(s.node_count(), 2);
    assert!(s.delete(id(1, 0)));
    assert_eq!(s.first_id(), id(2, 0));
    assert_eq!(s.max_deleted_id(), id(4, 0));
    assert_eq!(
        ids(s.range(StreamId::MIN, StreamId::MAX, true)),
        [id(5, 0), id(2, 0)]
    );
}

#[test]
fn approximate_trimming_removes_whole_nodes_only() {
    let mut s = Stream::new();
    for n in 1..=10 {
        add(&mut s, id(n, 0), &small_nodes(3));
    }
    // Nodes: 1-3, 4-6, 7-9, 10.
    assert_eq!(s.trim(Trim::MaxLen(5), true, 0), 3);
    assert_eq!(s.len(), 7);
    assert_eq!(s.trim(Trim::MinId(id(9, 0)), true, 0), 3);
    assert_eq!(s.first_id(), id(7, 0));
    // Exact trimming goes inside the node.
    assert_eq!(s.trim(Trim::MinId(id(9, 0)), false, 0), 2);
    assert_eq!(
        ids(s.range(StreamId::MIN, StreamId::MAX, false)),
        [id(9, 0), id(10, 0)]
    );
    // LIMIT stops before a node that would pass it.
    let mut l = Stream::new();
    for n in 1..=10 {
        add(&mut l, id(n, 0), &small_nodes(3));
    }
    assert_eq!(l.trim(Trim::MaxLen(0), true, 5), 3);
}

#[test]
fn radix_tree_nodes_count_as_redis_counts_them() {
    let mut s = Stream::new();
    assert_eq!(s.radix_tree_nodes(), 1);
    add(&mut s, id(1, 0), &small_nodes(1));
    assert_eq!(s.radix_tree_nodes(), 2);
    // Two keys that differ in their last byte: the root's run, the branch, two leaves.
    add(&mut s, id(1, 1), &small_nodes(1));
    assert_eq!(s.radix_tree_nodes(), 4);
}

#[derive(Debug, Clone)]
enum Op {
    Add(u64, u64),
    Delete(u64, u64),
    TrimLen(u64, bool),
    TrimMin(u64, u64, bool),
    Range(u64, u64, u64, u64, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..40u64, 0..4u64).prop_map(|(ms, seq)| Op::Add(ms, seq)),
        2 => (0..40u64, 0..4u64).prop_map(|(ms, seq)| Op::Delete(ms, seq)),
        1 => (0..30u64, any::<bool>()).prop_map(|(len, approx)| Op::TrimLen(len, approx)),
        1 => (0..40u64, 0..4u64, any::<bool>()).prop_map(|(ms, seq, approx)| Op::TrimMin(ms, seq, approx)),
        2 => (0..40u64, 0..4u64, 0..40u64, 0..4u64, any::<bool>())
            .prop_map(|(a, b, c, d, rev)| Op::Range(a, b, c, d, rev)),
    ]
}

proptest! {
    #[test]
    fn behaves_like_an_ordered_map(ops in proptest::collection::vec(op(), 1..120), node in 1..6u64) {
        let limits = small_nodes(node);
        let mut stream = Stream::new();
        let mut model: BTreeMap<StreamId, String> = BTreeMap::new();
        let mut last = StreamId::MIN;
        for op in ops {
            match op {
                Op::Add(ms, seq) => {
                    let at = id(ms, seq);
                    let value = format!("{ms}.{seq}");
                    let added = stream.add(NewId::Exact(at), &[b"f", value.as_bytes()], 0, &limits);
                    if at > last {
                        prop_assert_eq!(added, Ok(at));
                        model.insert(at, value);
                        last = at;
                    } else {
                        prop_assert_eq!(added, Err(AddError::NotGreater));
                    }
                }
                Op::Delete(ms, seq) => {
                    let at = id(ms, seq);
                    prop_assert_eq!(stream.delete(at), model.remove(&at).is_some());
                }
                Op::TrimLen(max, approx) => {
                    let removed = stream.trim(Trim::MaxLen(max), approx, 0);
                    let exact = (model.len() as u64).saturating_sub(max);
                    prop_assert!(removed <= exact && (approx || removed == exact));
                    for _ in 0..removed {
                        model.pop_first();
                    }
                }
                Op::TrimMin(ms, seq, approx) => {
                    let min = id(ms, seq);
                    let removed = stream.trim(Trim::MinId(min), approx, 0);
                    let exact = model.range(..min).count() as u64;
                    prop_assert!(removed <= exact && (approx || removed == exact));
                    for _ in 0..removed {
                        model.pop_first();
                    }
                }
                Op::Range(a, b, c, d, rev) => {
                    let (start, end) = (id(a, b), id(c, d));
                    let mut expected: Vec<(StreamId, String)> = if start <= end {
                        model.range(start..=end).map(|(k, v)| (*k, v.clone())).collect()
                    } else {
                        Vec::new()
                    };
                    if rev {
                        expected.reverse();
                    }
                    let got: Vec<(StreamId, String)> = stream
                        .range(start, end, rev)
                        .map(|e| {
                            let (_, value) = e.fields().next().expect("one pair");
                            (e.id, String::from_utf8(value.to_vec()).expect("text"))
                        })
                        .collect();
                    prop_assert_eq!(got, expected);
                }
            }
            prop_assert_eq!(stream.len(), model.len() as u64);
            prop_assert_eq!(stream.first_id(), model.keys().next().copied().unwrap_or(StreamId::MIN));
            prop_assert_eq!(stream.last_id(), last);
            prop_assert!(stream.node_sizes().iter().all(|size| *size <= node));
            prop_assert_eq!(stream.heap_size(), stream.counted_heap_size());
        }
    }
}
