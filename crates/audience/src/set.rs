//! A set of customers as the index keeps it: a roaring bitmap, and — for a set dense enough that
//! reading it word by word beats walking its containers — a plain bitset copy kept in step with it.
//!
//! Why the copy: combining two dense roaring bitmaps is fast, but the moment a result thins out below
//! 4,096 members per 65,536 ids roaring rewrites it as sorted arrays, member by member, and on ten
//! million customers that rewriting is most of a count. A count over dense sets instead reads their
//! words block by block and never builds an intermediate set at all (see `fused.rs`).

use roaring::RoaringBitmap;

/// A set gets a bitset copy when it holds at least one customer in this many of the id range.
pub const MIRROR_ONE_IN: u64 = 64;

#[derive(Debug, Clone, Default)]
pub struct Set {
    bits: RoaringBitmap,
    /// The same members as bits of 64-bit words (id `i` is bit `i % 64` of word `i / 64`); may be
    /// shorter than the id range, missing words being empty.
    words: Option<Vec<u64>>,
}

impl From<RoaringBitmap> for Set {
    fn from(bits: RoaringBitmap) -> Self {
        Self { bits, words: None }
    }
}

impl Set {
    pub fn bits(&self) -> &RoaringBitmap {
        &self.bits
    }

    pub fn words(&self) -> Option<&[u64]> {
        self.words.as_deref()
    }

    pub fn len(&self) -> u64 {
        self.bits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    pub fn insert(&mut self, id: u32) -> bool {
        if let Some(w) = &mut self.words {
            let i = (id / 64) as usize;
            if i >= w.len() {
                // Grow with headroom: new customers arrive one by one at the top of the id range.
                w.resize((i + 1).next_power_of_two(), 0);
            }
            w[i] |= 1 << (id % 64);
        }
        self.bits.insert(id)
    }

    pub fn remove(&mut self, id: u32) -> bool {
        if let Some(w) = &mut self.words
            && let Some(word) = w.get_mut((id / 64) as usize)
        {
            *word &= !(1 << (id % 64));
        }
        self.bits.remove(id)
    }

    /// Keeps a bitset copy if the set holds at least one id in [`MIRROR_ONE_IN`] of `range_words` × 64
    /// ids (or `force`), and drops it otherwise.
    pub fn mirror(&mut self, range_words: usize, force: bool) {
        let dense = self.bits.len().saturating_mul(MIRROR_ONE_IN) >= range_words as u64 * 64;
        if !(dense || force) || self.bits.is_empty() {
            self.words = None;
            return;
        }
        if self.words.is_some() {
            return;
        }
        self.words = Some(scatter(&self.bits, range_words));
    }

    /// Bytes held: the roaring bitmap as serialized, and the bitset copy.
    pub fn size_bytes(&self) -> usize {
        self.bits.serialized_size() + self.words.as_ref().map_or(0, |w| w.capacity() * 8)
    }
}

/// The members of `bits` as a bitset of at least `words` words.
pub fn scatter(bits: &RoaringBitmap, words: usize) -> Vec<u64> {
    let need = bits.max().map_or(0, |m| (m / 64) as usize + 1);
    let mut w = vec![0u64; words.max(need)];
    for id in bits {
        w[(id / 64) as usize] |= 1 << (id % 64);
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_follows_every_change() {
        let mut s = Set::from((0..1000u32).step_by(3).collect::<RoaringBitmap>());
        s.mirror(16, false);
        assert!(s.words().is_some(), "one in three is dense");
        s.insert(5000);
        s.remove(3);
        s.insert(1);
        let w = s.words().unwrap();
        let from_words: RoaringBitmap =
            (0..(w.len() * 64) as u32).filter(|i| w[(i / 64) as usize] >> (i % 64) & 1 == 1).collect();
        assert_eq!(&from_words, s.bits());
        let mut sparse = Set::from([7u32, 900_000].into_iter().collect::<RoaringBitmap>());
        sparse.mirror(900_000 / 64 + 1, false);
        assert!(sparse.words().is_none());
    }
}
