//! A map with a fixed capacity whose entries expire at a deadline: the DPoP replay cache (one
//! `jti` per entry until its proof can no longer be accepted), and a verified-token cache.
//!
//! Time is an argument, in whatever unit the caller uses for deadlines (epoch seconds for DPoP).
//! An entry is live while `now < deadline`. The map never holds more than its capacity: when it is
//! full, an insertion first drops the expired entries, then the entry whose deadline comes first.
//! Entries are indexed by deadline, so that drop starts at the front and costs O(log n) per entry;
//! when deadlines are set a fixed window after each entry's creation, as for DPoP proofs, the
//! entry whose deadline comes first is the oldest.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// One entry: its value, deadline and insertion number (which breaks ties between deadlines).
struct Slot<V> {
    value: V,
    deadline: i64,
    seq: u64,
}

/// A bounded map with deadlines. See the module documentation.
pub struct Expiring<K, V> {
    capacity: usize,
    entries: HashMap<K, Slot<V>>,
    by_deadline: BTreeMap<(i64, u64), K>,
    next_seq: u64,
}

/// What [`Expiring::insert_new`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// The key was absent (or expired) and is now held.
    New,
    /// A live entry already has this key; it was left as it was.
    Present,
}

impl<K: Hash + Eq + Clone, V> Expiring<K, V> {
    /// An empty map that holds at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Expiring { capacity: capacity.max(1), entries: HashMap::new(), by_deadline: BTreeMap::new(), next_seq: 0 }
    }

    /// The most entries the map holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many entries are held, expired ones not yet dropped included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, when its entry is live at `now`.
    pub fn get(&self, key: &K, now: i64) -> Option<&V> {
        self.entries.get(key).filter(|slot| now < slot.deadline).map(|slot| &slot.value)
    }

    /// Holds `value` under `key` until `deadline`, replacing any entry with that key.
    pub fn insert(&mut self, key: K, value: V, deadline: i64, now: i64) {
        self.remove(&key);
        self.make_room(now);
        self.hold(key, value, deadline);
    }

    /// Holds `value` under `key` until `deadline`, unless a live entry already has that key: the
    /// check and the insertion are one step, so two callers cannot both see the key as new.
    pub fn insert_new(&mut self, key: K, value: V, deadline: i64, now: i64) -> Inserted {
        if self.get(&key, now).is_some() {
            return Inserted::Present;
        }
        self.insert(key, value, deadline, now);
        Inserted::New
    }

    /// Removes the entry of `key`, live or expired, and returns its value.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.entries.remove(key)?;
        self.by_deadline.remove(&(slot.deadline, slot.seq));
        Some(slot.value)
    }

    /// Drops every entry that has expired at `now`.
    pub fn purge(&mut self, now: i64) {
        while let Some(entry) = self.by_deadline.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.entries.remove(&key);
        }
    }

    /// Frees one place when the map is full: expired entries first, else the first deadline.
    fn make_room(&mut self, now: i64) {
        if self.entries.len() < self.capacity {
            return;
        }
        self.purge(now);
        while self.entries.len() >= self.capacity {
            let Some((_, key)) = self.by_deadline.pop_first() else { break };
            self.entries.remove(&key);
        }
    }

    fn hold(&mut self, key: K, value: V, deadline: i64) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.by_deadline.insert((deadline, seq), key.clone());
        self.entries.insert(key, Slot { value, deadline, seq });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_live_until_its_deadline() {
        let mut map = Expiring::new(4);
        map.insert("a", 1, 100, 0);
        assert_eq!(map.get(&"a", 99), Some(&1));
        assert_eq!(map.get(&"a", 100), None);
        assert_eq!(map.get(&"b", 0), None);
    }

    #[test]
    fn insert_new_refuses_a_live_key_and_accepts_an_expired_one() {
        let mut map = Expiring::new(4);
        assert_eq!(map.insert_new("jti", (), 10, 0), Inserted::New);
        assert_eq!(map.insert_new("jti", (), 20, 9), Inserted::Present);
        assert_eq!(map.insert_new("jti", (), 20, 10), Inserted::New);
        assert_eq!(map.get(&"jti", 19), Some(&()));
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn a_full_map_drops_expired_entries_before_live_ones() {
        let mut map = Expiring::new(3);
        map.insert("old-but-live", 1, 1_000, 0);
        map.insert("expired-1", 2, 5, 0);
        map.insert("expired-2", 3, 6, 0);
        map.insert("new", 4, 1_000, 10);
        assert_eq!(map.len(), 2);
        assert_eq!(map.get(&"old-but-live", 10), Some(&1));
        assert_eq!(map.get(&"new", 10), Some(&4));
    }

    #[test]
    fn a_full_map_of_live_entries_drops_the_one_whose_deadline_comes_first() {
        let mut map = Expiring::new(3);
        map.insert("second", 2, 200, 0);
        map.insert("first", 1, 100, 0);
        map.insert("third", 3, 300, 0);
        map.insert("fourth", 4, 400, 0);
        assert_eq!(map.get(&"first", 0), None);
        assert_eq!([map.get(&"second", 0), map.get(&"third", 0), map.get(&"fourth", 0)], [Some(&2), Some(&3), Some(&4)]);
    }

    #[test]
    fn equal_deadlines_drop_the_oldest_insertion_first() {
        let mut map = Expiring::new(2);
        map.insert("a", (), 50, 0);
        map.insert("b", (), 50, 0);
        map.insert("c", (), 50, 0);
        assert_eq!(map.get(&"a", 0), None);
        assert!(map.get(&"b", 0).is_some() && map.get(&"c", 0).is_some());
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let mut map = Expiring::new(64);
        for i in 0..10_000i64 {
            map.insert(i, (), 1_000 + (i * 7919) % 500, i / 100);
            assert!(map.len() <= 64);
        }
        assert_eq!(map.len(), 64);
        assert_eq!(map.by_deadline.len(), 64);
    }

    #[test]
    fn replacing_a_key_keeps_one_entry_and_its_new_deadline() {
        let mut map = Expiring::new(2);
        map.insert("k", 1, 10, 0);
        map.insert("k", 2, 30, 0);
        assert_eq!((map.len(), map.by_deadline.len()), (1, 1));
        assert_eq!(map.get(&"k", 20), Some(&2));
        assert_eq!(map.remove(&"k"), Some(2));
        assert!(map.is_empty());
    }

    #[test]
    fn purge_drops_exactly_the_expired_entries() {
        let mut map = Expiring::new(8);
        for (key, deadline) in [("a", 5), ("b", 10), ("c", 15)] {
            map.insert(key, (), deadline, 0);
        }
        map.purge(10);
        assert_eq!(map.len(), 1);
        assert!(map.get(&"c", 10).is_some());
    }

    #[test]
    fn a_zero_capacity_still_holds_one_entry() {
        let mut map = Expiring::new(0);
        map.insert("a", (), 10, 0);
        assert_eq!((map.capacity(), map.len()), (1, 1));
    }
}
