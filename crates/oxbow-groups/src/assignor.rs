//! Server-side assignors of the KIP-848 consumer protocol, after Kafka's
//! `UniformAssignor` and `RangeAssignor` (`group.consumer.assignors`).
//! Pure functions: members with their subscriptions (as topic ids) and
//! current target partitions in, one target assignment per member out.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

/// Partitions by topic id.
pub type Assignment = BTreeMap<Uuid, BTreeSet<i32>>;

/// Names accepted in `group.consumer.assignors` and as `serverAssignor`.
pub const ASSIGNOR_NAMES: &[&str] = &["uniform", "range"];

/// One member as an assignor sees it.
pub struct MemberSpec<'a> {
    pub member_id: &'a str,
    pub subscribed: BTreeSet<Uuid>,
    /// The member's partitions in the previous target assignment (for stickiness).
    pub current: Option<&'a Assignment>,
}

/// Runs the named assignor; `topics` maps every subscribed topic id to its partition count.
pub fn assign(name: &str, members: &[MemberSpec<'_>], topics: &BTreeMap<Uuid, i32>) -> BTreeMap<String, Assignment> {
    match name {
        "range" => range(members, topics),
        _ => uniform(members, topics),
    }
}

/// Spreads partitions so no member has more than one more than any other
/// member subscribed to the same partition, keeping partitions where they
/// were whenever that balance allows.
pub fn uniform(members: &[MemberSpec<'_>], topics: &BTreeMap<Uuid, i32>) -> BTreeMap<String, Assignment> {
    let valid = |m: &MemberSpec<'_>, t: &Uuid, p: i32| {
        m.subscribed.contains(t) && topics.get(t).is_some_and(|count| p >= 0 && p < *count)
    };
    let mut owner: BTreeMap<(Uuid, i32), usize> = BTreeMap::new();
    let mut counts = vec![0usize; members.len()];
    // 1. Keep what each member had, if it still exists and is still subscribed.
    for (i, m) in members.iter().enumerate() {
        for (t, ps) in m.current.into_iter().flatten() {
            for p in ps {
                if valid(m, t, *p) && !owner.contains_key(&(*t, *p)) {
                    owner.insert((*t, *p), i);
                    counts[i] += 1;
                }
            }
        }
    }
    // 2. Give every unowned partition to the least loaded subscriber.
    for (t, count) in topics {
        for p in 0..*count {
            if owner.contains_key(&(*t, p)) {
                continue;
            }
            let least = (0..members.len()).filter(|i| members[*i].subscribed.contains(t)).min_by_key(|i| counts[*i]);
            if let Some(i) = least {
                owner.insert((*t, p), i);
                counts[i] += 1;
            }
        }
    }
    // 3. Move partitions from heavy to light subscribers until balanced. Each
    //    move lowers the sum of squared counts, so this ends.
    loop {
        let mut moved = false;
        let keys: Vec<(Uuid, i32)> = owner.keys().copied().collect();
        for key in keys {
            let from = owner[&key];
            let lightest =
                (0..members.len()).filter(|i| members[*i].subscribed.contains(&key.0)).min_by_key(|i| counts[*i]);
            if let Some(to) = lightest {
                if counts[to] + 1 < counts[from] {
                    owner.insert(key, to);
                    counts[from] -= 1;
                    counts[to] += 1;
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    collect(members, owner)
}

/// Per topic, contiguous ranges of partitions to the subscribers in member id order.
pub fn range(members: &[MemberSpec<'_>], topics: &BTreeMap<Uuid, i32>) -> BTreeMap<String, Assignment> {
    let mut owner = BTreeMap::new();
    for (t, count) in topics {
        let mut subs: Vec<usize> = (0..members.len()).filter(|i| members[*i].subscribed.contains(t)).collect();
        if subs.is_empty() {
            continue;
        }
        subs.sort_by_key(|i| members[*i].member_id);
        let (each, extra) = (*count as usize / subs.len(), *count as usize % subs.len());
        let mut next = 0i32;
        for (rank, i) in subs.iter().enumerate() {
            let n = each + usize::from(rank < extra);
            for _ in 0..n {
                owner.insert((*t, next), *i);
                next += 1;
            }
        }
        debug_assert_eq!(next, *count);
    }
    collect(members, owner)
}

fn collect(members: &[MemberSpec<'_>], owner: BTreeMap<(Uuid, i32), usize>) -> BTreeMap<String, Assignment> {
    let mut out: BTreeMap<String, Assignment> =
        members.iter().map(|m| (m.member_id.to_string(), Assignment::new())).collect();
    for ((t, p), i) in owner {
        out.entry(members[i].member_id.to_string()).or_default().entry(t).or_default().insert(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(id: &'a str, topics: &[Uuid], current: Option<&'a Assignment>) -> MemberSpec<'a> {
        MemberSpec { member_id: id, subscribed: topics.iter().copied().collect(), current }
    }

    fn sizes(a: &BTreeMap<String, Assignment>) -> Vec<usize> {
        a.values().map(|x| x.values().map(|s| s.len()).sum()).collect()
    }

    fn all_once(a: &BTreeMap<String, Assignment>, topics: &BTreeMap<Uuid, i32>) {
        let mut seen = BTreeSet::new();
        for x in a.values() {
            for (t, ps) in x {
                for p in ps {
                    assert!(seen.insert((*t, *p)), "{t} {p} assigned twice");
                }
            }
        }
        assert_eq!(seen.len() as i32, topics.values().sum::<i32>());
    }

    #[test]
    fn uniform_balances_and_sticks() {
        let t = Uuid::from_u128(1);
        let topics = BTreeMap::from([(t, 12)]);
        let first = uniform(&[spec("a", &[t], None), spec("b", &[t], None), spec("c", &[t], None)], &topics);
        assert_eq!(sizes(&first), vec![4, 4, 4]);
        all_once(&first, &topics);
        // c leaves, d joins: a and b keep all they had.
        let members = [spec("a", &[t], Some(&first["a"])), spec("b", &[t], Some(&first["b"])), spec("d", &[t], None)];
        let second = uniform(&members, &topics);
        assert_eq!(second["a"], first["a"]);
        assert_eq!(second["b"], first["b"]);
        assert_eq!(second["d"], first["c"]);
        // Two members: 6 each, each keeps its 4.
        let third = uniform(&[spec("a", &[t], Some(&second["a"])), spec("b", &[t], Some(&second["b"]))], &topics);
        assert_eq!(sizes(&third), vec![6, 6]);
        assert!(third["a"][&t].is_superset(&second["a"][&t]));
        all_once(&third, &topics);
    }

    #[test]
    fn uniform_respects_heterogeneous_subscriptions() {
        let (t1, t2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let topics = BTreeMap::from([(t1, 3), (t2, 3)]);
        let out = uniform(&[spec("a", &[t1], None), spec("b", &[t1, t2], None)], &topics);
        all_once(&out, &topics);
        assert!(!out["a"].contains_key(&t2));
        assert_eq!(sizes(&out), vec![3, 3]);
    }

    #[test]
    fn range_gives_contiguous_ranges() {
        let t = Uuid::from_u128(1);
        let topics = BTreeMap::from([(t, 5)]);
        let out = range(&[spec("b", &[t], None), spec("a", &[t], None)], &topics);
        assert_eq!(out["a"][&t], BTreeSet::from([0, 1, 2]));
        assert_eq!(out["b"][&t], BTreeSet::from([3, 4]));
    }
}
