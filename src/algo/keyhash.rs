//! How an integer key id becomes the 64-bit digest a shard map routes by.
//!
//! Two hashes, chosen per sharded database:
//!
//! * [`KeyHash::XxHash64`]: `xxh64(id as 8 little-endian bytes, seed 0)`
//!   ([`key_digest`]), fast and the simulator's historical choice.
//! * [`KeyHash::Md5`]: the MD5 digest of the id written in decimal ASCII
//!   (`42` -> `md5("42")`), as a Python shard router does with
//!   `hashlib.md5(str(key_id).encode()).digest()`. Its first 8 bytes read
//!   big-endian are the digest, so the digest's most significant byte, the
//!   one a [`RangeMap`](super::ring::RangeMap) routes by, is `md5(key)[0]`.
//!
//! ```text
//!   id 42 ──"42"──▶ MD5 ──▶ a1 d0 c6 e8 3f 02 73 27 | 8d 46 …
//!                           └──── digest (u64, BE) ┘
//!                           └ 0xa1 = 161: the byte a RangeMap routes by
//! ```
//!
//! Neither depends on time, so neither takes a clock.

use ::md5::{Digest, Md5};

use super::ring::key_digest;

/// The hash that turns a key id into a shard-map digest.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum KeyHash {
    /// xxHash64 of the id's 8 little-endian bytes ([`key_digest`]).
    #[default]
    XxHash64,
    /// MD5 of the id's decimal string, first 8 bytes big-endian ([`md5_key_digest`]).
    Md5,
}

impl KeyHash {
    /// The digest of key id `key` under this hash.
    ///
    /// ```
    /// use scaletwin::algo::keyhash::KeyHash;
    /// use scaletwin::algo::ring::{RangeMap, ShardMap};
    ///
    /// // md5("42") = a1d0c6e8…: first byte 0xa1 lies in the third of four even ranges.
    /// let map = RangeMap::even(&[0, 1, 2, 3]).unwrap();
    /// assert_eq!(map.shard_for_digest(KeyHash::Md5.digest(42)), Some(2));
    /// ```
    #[inline]
    pub fn digest(self, key: u64) -> u64 {
        match self {
            KeyHash::XxHash64 => key_digest(key),
            KeyHash::Md5 => md5_key_digest(key),
        }
    }
}

/// The MD5 digest of `data`, all 16 bytes.
pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// The first 8 bytes of `md5(data)`, big-endian: byte 0 of the MD5 digest is
/// the most significant byte of the result.
pub fn md5_digest(data: &[u8]) -> u64 {
    let d = md5(data);
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first)
}

/// The MD5 digest of key id `key` written in decimal (`md5_digest(b"42")` for 42).
pub fn md5_key_digest(key: u64) -> u64 {
    // u64::MAX has 20 decimal digits.
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut k = key;
    loop {
        i -= 1;
        buf[i] = b'0' + (k % 10) as u8;
        k /= 10;
        if k == 0 {
            break;
        }
    }
    md5_digest(&buf[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc1321_vectors() {
        // RFC 1321, appendix A.5.
        assert_eq!(md5_digest(b""), 0xd41d_8cd9_8f00_b204);
        assert_eq!(md5_digest(b"abc"), 0x9001_5098_3cd2_4fb0);
    }

    #[test]
    fn decimal_key_string_is_hashed() {
        for k in [0u64, 9, 10, 42, 1_000_000, u64::MAX] {
            assert_eq!(md5_key_digest(k), md5_digest(k.to_string().as_bytes()));
        }
    }

    #[test]
    fn xxhash_variant_is_the_ring_key_digest() {
        assert_eq!(KeyHash::XxHash64.digest(7), key_digest(7));
        assert_eq!(KeyHash::default(), KeyHash::XxHash64);
    }
}
