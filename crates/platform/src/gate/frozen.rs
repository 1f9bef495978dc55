//! The immutable bulk of the gate's index: every registrable domain accessed here, as
//! 64-bit hashes in sorted order beside the names themselves, for exact answers.
//!
//! Layout, for n domains of average length L (5 M × ~20 B in the bench):
//! - `arena`: the names, each as one length byte and its bytes (L + 1 bytes);
//! - `hashes`: the keyed SipHash of each name, sorted (8 bytes);
//! - `offsets`: where each hash's name starts in `arena`, in the same order (4 bytes);
//! - `directory`: for each value of the top `bits` bits of a hash, the first index in
//!   `hashes` with that prefix (4 bytes per bucket, about 8 domains per bucket: < 1 byte
//!   per domain).
//!
//! That is L + 14 bytes a domain (~34 B), with no pointer per name and no per-name
//! allocation. A lookup hashes the host once, reads one directory slot, scans a bucket of
//! about 8 sorted hashes, and compares the name only on an equal hash, so a hash collision
//! can never admit an unfiled domain. Why not the alternatives: a `HashSet<Box<str>>` costs
//! ~16 B of pointer and length, ~16–32 B of allocator overhead and ~1 B of control per name
//! on top of the bytes (~60–70 B each, over the 64 B budget); an `fst` is smaller but takes
//! sorted input and ~3–5 s to build for 5 M and is slower per lookup; hashes alone (8 B)
//! would answer "filed" for a colliding unfiled name and could not export the list.
//! The hash key is random per process (`RandomState`), so nobody can aim names at one bucket.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// Why the index could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the names take more than 4 GiB")]
    TooLarge,
}

/// Collects names, then sorts them into a [`Frozen`] index.
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
        let Ok(offset) = u32::try_from(self.arena.len()) else {
            self.too_large = true;
            return;
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

    /// Sorts the names by hash into a [`Frozen`] index: a counting sort on the top bits
    /// (which gives the directory), then each bucket of about 8 sorted on its own, so 5 M
    /// names cost two linear passes instead of one large comparison sort.
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
        let n = entries.len();
        let bits = directory_bits(n);
        let buckets = 1usize << bits;
        // starts[b]: where bucket b begins in hash order (starts[buckets] = n).
        let mut starts = vec![0usize; buckets + 1];
        for &(h, _) in &entries {
            if let Some(c) = starts.get_mut(bucket_of(h, bits) + 1) {
                *c += 1;
            }
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        let mut hashes = vec![0u64; n];
        let mut offsets = vec![0u32; n];
        let mut next = starts.clone();
        for (h, o) in entries {
            if let Some(slot) = next.get_mut(bucket_of(h, bits)) {
                hashes[*slot] = h;
                offsets[*slot] = o;
                *slot += 1;
            }
        }
        drop(next);
        // Each bucket sorted by (hash, offset) and compacted in place: the same name twice
        // (not expected: the table's key is the name) is kept once.
        let mut directory = Vec::with_capacity(buckets + 1);
        let mut scratch: Vec<(u64, u32)> = Vec::new();
        let mut out = 0usize;
        for b in 0..buckets {
            let (lo, hi) = (starts[b], starts[b + 1]);
            scratch.clear();
            scratch.extend(
                hashes[lo..hi]
                    .iter()
                    .copied()
                    .zip(offsets[lo..hi].iter().copied()),
            );
            scratch.sort_unstable();
            scratch.dedup_by(|a, b| a.0 == b.0 && name_at(&arena, a.1) == name_at(&arena, b.1));
            directory.push(u32::try_from(out).map_err(|_| BuildError::TooLarge)?);
            // out ≤ lo: writing never overtakes the buckets still to be read.
            for &(h, o) in &scratch {
                hashes[out] = h;
                offsets[out] = o;
                out += 1;
            }
        }
        directory.push(u32::try_from(out).map_err(|_| BuildError::TooLarge)?);
        hashes.truncate(out);
        offsets.truncate(out);
        Ok(Frozen {
            hasher,
            bits,
            directory,
            hashes,
            offsets,
            arena,
        })
    }
}

/// About 8 hashes per bucket, at least 16 buckets.
fn directory_bits(n: usize) -> u32 {
    let per_bucket = (n / 8).max(16);
    usize::BITS - per_bucket.leading_zeros() - 1
}

fn bucket_of(hash: u64, bits: u32) -> usize {
    // bits ≤ 29 for anything that fits in u32 offsets.
    usize::try_from(hash >> (64 - bits)).unwrap_or(usize::MAX)
}

fn name_at(arena: &[u8], offset: u32) -> &[u8] {
    let start = offset as usize;
    let len = arena.get(start).copied().unwrap_or(0) as usize;
    arena.get(start + 1..start + 1 + len).unwrap_or(&[])
}

/// The sorted, immutable index. See the module documentation.
#[derive(Debug, Clone)]
pub struct Frozen {
    hasher: RandomState,
    bits: u32,
    directory: Vec<u32>,
    hashes: Vec<u64>,
    offsets: Vec<u32>,
    arena: Vec<u8>,
}

impl Frozen {
    pub fn empty(hasher: RandomState) -> Frozen {
        Frozen {
            hasher,
            bits: 4,
            directory: vec![0; 17],
            hashes: Vec::new(),
            offsets: Vec::new(),
            arena: Vec::new(),
        }
    }

    pub fn hasher(&self) -> &RandomState {
        &self.hasher
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether `name` (normalised) is in the index.
    pub fn contains(&self, name: &str) -> bool {
        let h = self.hasher.hash_one(name);
        let b = bucket_of(h, self.bits);
        let (Some(&lo), Some(&hi)) = (self.directory.get(b), self.directory.get(b + 1)) else {
            return false;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let Some(bucket) = self.hashes.get(lo..hi) else {
            return false;
        };
        let start = bucket.partition_point(|&x| x < h);
        bucket[start..]
            .iter()
            .take_while(|&&x| x == h)
            .enumerate()
            .any(|(k, _)| {
                self.offsets
                    .get(lo + start + k)
                    .is_some_and(|&o| name_at(&self.arena, o) == name.as_bytes())
            })
    }

    /// Every name, in hash order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.offsets
            .iter()
            .filter_map(|&o| std::str::from_utf8(name_at(&self.arena, o)).ok())
    }

    /// Bytes held by the index's own buffers.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.hashes.capacity() * 8
            + self.offsets.capacity() * 4
            + self.directory.capacity() * 4
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
