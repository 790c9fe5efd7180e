//! MD5 range sharding against a known-answer table: key ids routed exactly
//! as a router doing `hashlib.md5(str(id).encode()).digest()[0]` against
//! byte ranges routes them.

use scaletwin::algo::keyhash::{md5, md5_key_digest, KeyHash};
use scaletwin::algo::ring::{ByteRange, RangeMap, ShardMap};

/// `md5(str(k))[0]` for k in 0..32, from
/// `python3 -c 'import hashlib; print([hashlib.md5(str(k).encode()).digest()[0] for k in range(32)])'`.
const MD5_FIRST_BYTE: [u8; 32] = [
    207, 196, 200, 236, 168, 228, 22, 143, 201, 69, 211, 101, 194, 197, 170, 155, 199, 112, 111,
    31, 152, 60, 182, 55, 31, 142, 78, 2, 51, 110, 52, 193,
];

/// Full digests from `hashlib.md5(b"...").hexdigest()`.
const MD5_HEX: [(&str, &str); 3] = [
    ("42", "a1d0c6e83f027327d8461063f4ac58a6"),
    ("1000", "a9b7ba70783b617e9998dc4dd82eb3c5"),
    ("123456", "e10adc3949ba59abbe56e057f20f883e"),
];

fn hex(d: [u8; 16]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn md5_digests_match_python_hashlib() {
    for (text, want) in MD5_HEX {
        assert_eq!(hex(md5(text.as_bytes())), want, "md5({text:?})");
        let id: u64 = text.parse().unwrap();
        assert_eq!(format!("{:016x}", md5_key_digest(id)), want[..16]);
    }
}

#[test]
fn even_md5_ranges_route_ids_by_the_first_digest_byte() {
    let map = RangeMap::even(&[0, 1, 2, 3]).unwrap();
    for (id, &byte) in MD5_FIRST_BYTE.iter().enumerate() {
        // Even ranges of 64 bytes: 0x00..=0x3f -> 0, 0x40..=0x7f -> 1, ...
        let want = u32::from(byte) / 64;
        assert_eq!(
            map.shard_for_digest(KeyHash::Md5.digest(id as u64)),
            Some(want),
            "id {id}, md5 first byte {byte}"
        );
    }
}

#[test]
fn uneven_md5_ranges_route_ids_as_the_ranges_say() {
    // A router with a hot range split off: 0x00..=0x7f, 0x80..=0xbf, 0xc0..=0xcf, 0xd0..=0xff.
    let ranges = [
        ByteRange {
            start: 0x00,
            end: 0x7f,
            shard: 0,
        },
        ByteRange {
            start: 0x80,
            end: 0xbf,
            shard: 1,
        },
        ByteRange {
            start: 0xc0,
            end: 0xcf,
            shard: 2,
        },
        ByteRange {
            start: 0xd0,
            end: 0xff,
            shard: 3,
        },
    ];
    let map = RangeMap::from_ranges(&ranges).unwrap();
    let routed: Vec<u32> = (0..32u64)
        .map(|id| map.shard_for_digest(KeyHash::Md5.digest(id)).unwrap())
        .collect();
    let expected: Vec<u32> = MD5_FIRST_BYTE
        .iter()
        .map(|&b| match b {
            0x00..=0x7f => 0,
            0x80..=0xbf => 1,
            0xc0..=0xcf => 2,
            _ => 3,
        })
        .collect();
    assert_eq!(routed, expected);
    // By hand for the first few: 207=0xcf -> 2, 196=0xc4 -> 2, 236=0xec -> 3, 22 -> 0.
    assert_eq!(&routed[..7], &[2, 2, 2, 3, 1, 3, 0]);
}

#[test]
fn the_xxhash_option_routes_differently() {
    let map = RangeMap::even(&[0, 1, 2, 3]).unwrap();
    let route = |h: KeyHash| -> Vec<u32> {
        (0..32u64)
            .map(|id| map.shard_for_digest(h.digest(id)).unwrap())
            .collect()
    };
    assert_ne!(route(KeyHash::Md5), route(KeyHash::XxHash64));
    assert_eq!(
        route(KeyHash::XxHash64),
        (0..32u64)
            .map(|id| map.shard_for(id).unwrap())
            .collect::<Vec<_>>()
    );
}
