//! The immutable bulk of the gate's index: every registrable domain accessed here, as one
//! flat open-addressing table of 64-bit slots beside the names themselves, for exact answers.
//!
//! Layout, for n domains of average length L (5 M × ~20 B in the bench):
//! - `arena`: the names, each as one length byte and its bytes (L + 1 bytes);
//! - `slots`: a power-of-two table at most 3/4 full (8 M slots for 5 M names), each slot
//!   empty or one name's 32-bit fingerprint and its 32-bit offset in `arena`, packed in a
//!   `u64` (8 bytes a slot, 10.7–21 bytes a name, 13.4 B at 5 M).
//!
//! That is L + 15 bytes a domain at 5 M (~35 B), with no pointer per name and no per-name
//! allocation. A lookup hashes the host once (keyed SipHash), takes its top bits as the
//! home slot and probes forward (about 2.5 slots for a filed name, 8.5 for an unfiled one,
//! contiguous: one or two cache lines), and compares the name only on an equal
//! fingerprint, so a collision can never admit an unfiled domain. A lookup so touches two
//! places in memory: the slot's cache line and, for a candidate, the name in the arena.
//! This replaced a sorted array of hashes with a directory and a separate offsets array,
//! whose lookups touched four places (directory, hashes, offsets, name): on a 5 M index,
//! where every one is a cache and TLB miss, the lookup was 11 % of the gate's CPU under
//! load (perf, docs/edge.md).
//!
//! Why not the alternatives: a `HashSet<Box<str>>` costs ~16 B of pointer and length,
//! ~16–32 B of allocator overhead and ~1 B of control per name on top of the bytes (~60–70 B
//! each, over the 64 B budget, and a third miss per lookup); an `fst` is smaller but takes
//! sorted input and ~3–5 s to build for 5 M and is slower per lookup; fingerprints alone
//! would answer "filed" for a colliding unfiled name and could not export the list.
//! The hash key is random per process (`RandomState`), so nobody can aim names at one run.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Why the index could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the names take more than 4 GiB")]
    TooLarge,
}

/// An empty slot (no name has offset `u32::MAX`: the arena is kept shorter).
const EMPTY: u64 = u64::MAX;

/// Collects names, then places them into a [`Frozen`] index.
#[derive(Debug)]
pub struct Builder {
    hasher: RandomState,
    arena: Vec<u8>,
    entries: Vec<(u64, u32)>,
    too_large: bool,
}

impl Builder {
    pub fn new(hasher: RandomState) -> Builder {
        Builder {
            hasher,
            arena: Vec::new(),
            entries: Vec::new(),
            too_large: false,
        }
    }

    /// With room for `n` names of about `avg_len` bytes.
    pub fn with_capacity(hasher: RandomState, n: usize, avg_len: usize) -> Builder {
        let mut b = Builder::new(hasher);
        b.arena.reserve(n.saturating_mul(avg_len + 1));
        b.entries.reserve(n);
        b
    }

    /// Adds a normalised name (at most 253 bytes; longer ones are not domains and skipped).
    pub fn push(&mut self, name: &str) {
        let Ok(len) = u8::try_from(name.len()) else {
            return;
        };
        let offset = match u32::try_from(self.arena.len()) {
            Ok(o) if o < u32::MAX => o,
            _ => {
                self.too_large = true;
                return;
            }
        };
        self.arena.push(len);
        self.arena.extend_from_slice(name.as_bytes());
        self.entries.push((self.hasher.hash_one(name), offset));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Places every name in the table (one linear pass; the same name twice, not expected
    /// as the table's key is the name, is kept once).
    pub fn build(self) -> Result<Frozen, BuildError> {
        if self.too_large {
            return Err(BuildError::TooLarge);
        }
        let Builder {
            hasher,
            mut arena,
            entries,
            ..
        } = self;
        arena.shrink_to_fit();
        let bits = table_bits(entries.len());
        let mask = (1usize << bits) - 1;
        let mut slots = vec![EMPTY; 1usize << bits];
        let mut len = 0usize;
        for (h, offset) in entries {
            let fp = fingerprint(h);
            let mut i = home(h, bits);
            loop {
                let Some(slot) = slots.get_mut(i) else {
                    return Err(BuildError::TooLarge);
                };
                if *slot == EMPTY {
                    *slot = (u64::from(fp) << 32) | u64::from(offset);
                    len += 1;
                    break;
                }
                let held = *slot;
                if (held >> 32) as u32 == fp
                    && name_at(&arena, held as u32) == name_at(&arena, offset)
                {
                    break;
                }
                i = (i + 1) & mask;
            }
        }
        Ok(Frozen {
            hasher,
            bits,
            slots,
            arena,
            len,
        })
    }
}

/// Slots for `n` names: a power of two, at most 3/4 full, at least 16.
fn table_bits(n: usize) -> u32 {
    let want = n.saturating_add(n / 3).saturating_add(1).max(16);
    want.next_power_of_two().trailing_zeros()
}

/// The home slot: the hash's top `bits` bits.
fn home(hash: u64, bits: u32) -> usize {
    usize::try_from(hash >> (64 - bits)).unwrap_or(0)
}

/// The hash's low 32 bits, independent of the (top) bits that chose the slot.
fn fingerprint(hash: u64) -> u32 {
    hash as u32
}

fn name_at(arena: &[u8], offset: u32) -> &[u8] {
    let start = offset as usize;
    let len = arena.get(start).copied().unwrap_or(0) as usize;
    arena.get(start + 1..start + 1 + len).unwrap_or(&[])
}

/// The immutable index. See the module documentation.
#[derive(Debug, Clone)]
pub struct Frozen {
    hasher: RandomState,
    bits: u32,
    slots: Vec<u64>,
    arena: Vec<u8>,
    len: usize,
}

impl Frozen {
    pub fn empty(hasher: RandomState) -> Frozen {
        Frozen {
            hasher,
            bits: 4,
            slots: vec![EMPTY; 16],
            arena: Vec::new(),
            len: 0,
        }
    }

    pub fn hasher(&self) -> &RandomState {
        &self.hasher
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `name` (normalised) is in the index.
    pub fn contains(&self, name: &str) -> bool {
        let h = self.hasher.hash_one(name);
        let fp = fingerprint(h);
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = home(h, self.bits);
        // The table is never full, so an empty slot ends every probe; the bound is a guard.
        for _ in 0..self.slots.len() {
            let Some(&slot) = self.slots.get(i) else {
                return false;
            };
            if slot == EMPTY {
                return false;
            }
            if (slot >> 32) as u32 == fp && name_at(&self.arena, slot as u32) == name.as_bytes() {
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }

    /// Every name, in table (hash) order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|&&s| s != EMPTY)
            .filter_map(|&s| std::str::from_utf8(name_at(&self.arena, s as u32)).ok())
    }

    /// Bytes held by the index's own buffers.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.slots.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(names: &[&str]) -> Frozen {
        let mut b = Builder::new(RandomState::new());
        for n in names {
            b.push(n);
        }
        b.build().unwrap()
    }

    #[test]
    fn exact_membership() {
        let names: Vec<String> = (0..10_000).map(|i| format!("site{i}.com.cn")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let f = build(&refs);
        assert_eq!(f.len(), 10_000);
        for n in &names {
            assert!(f.contains(n), "{n}");
        }
        for i in 10_000..20_000 {
            assert!(!f.contains(&format!("site{i}.com.cn")));
        }
        assert!(!f.contains("site1.com"));
        assert!(!f.contains(""));
        let mut listed: Vec<&str> = f.names().collect();
        listed.sort_unstable();
        let mut expected = refs.clone();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn a_table_three_quarters_full_answers_exactly() {
        // The most names 16 384 slots take: the longest probes the table ever has, and
        // runs that wrap past the last slot.
        let names: Vec<String> = (0..12_287).map(|i| format!("w{i}.cn")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let f = build(&refs);
        assert_eq!(f.slots.len(), 16_384);
        assert_eq!(f.len(), 12_287);
        assert!(names.iter().all(|n| f.contains(n)));
        assert!((12_287..40_000).all(|i| !f.contains(&format!("w{i}.cn"))));
        assert_eq!(f.names().count(), 12_287);
    }

    #[test]
    fn empty_and_duplicates() {
        let f = Frozen::empty(RandomState::new());
        assert!(!f.contains("example.com"));
        let f = build(&[]);
        assert!(f.is_empty());
        assert!(!f.contains("example.com"));
        let f = build(&["a.cn", "a.cn", "b.cn"]);
        assert_eq!(f.len(), 2);
        assert!(f.contains("a.cn") && f.contains("b.cn"));
    }

    #[test]
    fn under_the_memory_budget() {
        let n = 200_000;
        let mut b = Builder::new(RandomState::new());
        for i in 0..n {
            b.push(&format!("shop-{i:07}.example-{}.com.cn", i % 97));
        }
        let f = b.build().unwrap();
        let per_domain = f.heap_bytes() as f64 / n as f64;
        assert!(per_domain <= 64.0, "{per_domain} B per domain");
    }
}
