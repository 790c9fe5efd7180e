//! Fuzzing the scenario text: token-level mutations of every bundled
//! scenario (tokens deleted, duplicated or swapped, numbers and durations
//! replaced by extremes, stray characters inserted). Parsing and validation must never
//! panic, and a variant that validates must simulate, capped to a few
//! thousand requests, without panicking.
//!
//! The default case count fits CI (a few seconds) and its seed is fixed;
//! for a longer or fresh hunt set `PROPTEST_CASES` and `PROPTEST_RNG_SEED`,
//! e.g. `PROPTEST_CASES=20000 PROPTEST_RNG_SEED=random cargo test --release --test it fuzz_`.

use proptest::prelude::*;
use scaletwin::scenario::{check, parse};

/// The bundled scenarios' texts.
fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Splits RON text into tokens: strings, comments, numbers, words, single
/// punctuation characters and runs of white space. Concatenated they give
/// the text back.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '"' {
            let mut escaped = false;
            rest.char_indices()
                .skip(1)
                .find(|&(_, d)| {
                    let end = d == '"' && !escaped;
                    escaped = d == '\\' && !escaped;
                    end
                })
                .map_or(rest.len(), |(i, _)| i + 1)
        } else if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if c.is_whitespace() {
            rest.find(|d: char| !d.is_whitespace())
                .unwrap_or(rest.len())
        } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
            rest.find(|d: char| !(d.is_alphanumeric() || matches!(d, '_' | '.' | '-' | '+')))
                .unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

const EXTREMES: &[&str] = &[
    "0",
    "-1",
    "0.5",
    "1e308",
    "-1e308",
    "1e-300",
    "NaN",
    "inf",
    "4294967296",
    "18446744073709551616",
    "999999999999",
];
/// Extreme durations: a "1ns" probe period once flooded a run with a
/// billion events per simulated second.
const DURATIONS: &[&str] = &["\"0s\"", "\"1ns\"", "\"1us\"", "\"100000h\"", "\"-1s\""];
const STRAY: &[&str] = &[
    "\"", "(", ")", "{", "}", "[", "]", ",", ":", "\\", "/*", "\u{feff}", "\u{1b}", "é", "#", "r#",
];

/// One token-level mutation: (kind, position, choice).
#[derive(Clone, Debug)]
struct Mutation(u8, usize, usize);

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut t: Vec<String> = tokens(text).into_iter().map(str::to_owned).collect();
    for Mutation(kind, at, choice) in mutations {
        if t.is_empty() {
            break;
        }
        let i = at % t.len();
        match kind % 6 {
            0 => {
                t.remove(i);
            }
            1 => {
                let copy = t[i].clone();
                t.insert(i, copy);
            }
            2 => {
                let j = choice % t.len();
                t.swap(i, j);
            }
            3 => {
                // The next number token from i on gets an extreme value.
                if let Some(n) =
                    (i..t.len()).find(|&k| t[k].starts_with(|c: char| c.is_ascii_digit()))
                {
                    t[n] = EXTREMES[choice % EXTREMES.len()].to_owned();
                }
            }
            4 => {
                // The next duration from i on (a string starting with a
                // digit) gets an extreme value.
                if let Some(n) = (i..t.len()).find(|&k| {
                    t[k].starts_with('"') && t[k][1..].starts_with(|c: char| c.is_ascii_digit())
                }) {
                    t[n] = DURATIONS[choice % DURATIONS.len()].to_owned();
                }
            }
            _ => t.insert(i, STRAY[choice % STRAY.len()].to_owned()),
        }
    }
    t.concat()
}

/// Whether every number in `text` is of an everyday size. Until start-up
/// work and memory are bounded by a resource estimate (issue 11), a variant
/// holding e.g. a 10^12 key population is parsed and validated but not run.
fn everyday_numbers(text: &str) -> bool {
    tokens(text)
        .iter()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit() || c == '-'))
        .all(|t| {
            t.replace('_', "")
                .parse::<f64>()
                .map_or(true, |x| x.abs() <= 1e7)
        })
}

/// 256 cases from a fixed seed, so that CI runs the same cases every time
/// (a random seed once drew a spike past a shortened run's end, whose
/// thinning then ran for over ten minutes). `PROPTEST_CASES` and
/// `PROPTEST_RNG_SEED` (a number, or `random`), when set, are read by the
/// default config, for a longer or a fresh hunt.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: match std::env::var("PROPTEST_CASES") {
            Ok(_) => default.cases,
            Err(_) => 256,
        },
        rng_seed: match std::env::var("PROPTEST_RNG_SEED") {
            Ok(_) => default.rng_seed,
            Err(_) => proptest::test_runner::RngSeed::Fixed(15),
        },
        ..default
    }
}

#[test]
fn tokens_give_the_text_back() {
    for text in corpus() {
        assert_eq!(tokens(&text).concat(), text);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_mutated_scenarios_never_panic(
        file in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(
            (any::<u8>(), any::<usize>(), any::<usize>()).prop_map(|(k, a, c)| Mutation(k, a, c)),
            1..4,
        ),
    ) {
        let corpus = corpus();
        let text = mutate(&corpus[file.index(corpus.len())], &mutations);
        let Ok(scenario) = parse(&text, "fuzz.ron") else { return Ok(()) };
        if check(&scenario, &text, "fuzz.ron").is_err() || !everyday_numbers(&text) {
            return Ok(());
        }
        let short = scaletwin::sweep::prepare(&scenario, None, scenario.seed, 2_000);
        let two_hours = 7_200_000_000_000;
        if short.run.duration.nanos().0 > two_hours {
            return Ok(());
        }
        if let Ok(plan) = check(&short, "", "fuzz.ron") {
            scaletwin::simulate(&plan);
        }
    }
}
