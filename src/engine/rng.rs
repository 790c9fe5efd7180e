//! Seeded random streams, one per purpose.
//!
//! Every stream is ChaCha8 keyed by the scenario's master seed, with the
//! ChaCha stream id set to a stable hash of a name ("arrivals",
//! "component/api/balance", ...). Adding a component adds a stream; it never
//! shifts the numbers another stream produces, which is what makes
//! comparisons between architectures use common random numbers.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random generator every stream uses.
pub type Rng = ChaCha8Rng;

/// A stable 64-bit hash of `name` (FNV-1a, then the SplitMix64 finalizer):
/// identical on every platform and Rust version.
pub fn stream_seed(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(h)
}

/// SplitMix64's output function: a strong 64-bit mixer.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream named `name` under master seed `seed`.
pub fn stream(seed: u64, name: &str) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream_seed(name));
    rng
}

/// A uniform float in the open interval (0, 1), never exactly 0 or 1.
#[inline]
pub(crate) fn unit_open(rng: &mut Rng) -> f64 {
    use rand::Rng as _;
    (top53(rng.next_u64()) + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The high 53 bits of `bits` as a float, exactly. Through `i64`: the value
/// fits, and a signed conversion is one instruction where an unsigned one
/// is several.
#[inline(always)]
pub(crate) fn top53(bits: u64) -> f64 {
    ((bits >> 11) as i64) as f64
}

/// A uniform integer in `0..n` (n > 0), by Lemire's multiply-shift (bias below 2^-32 for n < 2^32).
#[inline]
pub(crate) fn below(rng: &mut Rng, n: u64) -> u64 {
    use rand::Rng as _;
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn streams_are_stable_and_independent() {
        let a1: Vec<u64> = (0..4)
            .map({
                let mut r = stream(42, "arrivals");
                move |_| r.next_u64()
            })
            .collect();
        let a2: Vec<u64> = (0..4)
            .map({
                let mut r = stream(42, "arrivals");
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = stream(42, "component/api");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        // Platform stability: the hash of a name is a fixed number.
        assert_eq!(stream_seed("arrivals"), stream_seed("arrivals"));
        assert_ne!(stream_seed("a"), stream_seed("b"));
    }

    #[test]
    fn top53_is_the_unsigned_conversion() {
        for bits in [
            0,
            1,
            2047,
            2048,
            u64::MAX,
            u64::MAX - 2047,
            1 << 63,
            0x8000_0000_0000_07ff,
        ] {
            assert_eq!(top53(bits), (bits >> 11) as f64, "{bits:#x}");
        }
    }

    #[test]
    fn unit_open_stays_inside() {
        let mut r = stream(1, "x");
        for _ in 0..10_000 {
            let u = unit_open(&mut r);
            assert!(u > 0.0 && u < 1.0);
        }
        for _ in 0..10_000 {
            assert!(below(&mut r, 7) < 7);
        }
    }
}
