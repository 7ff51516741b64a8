//! Property tests (a short fuzzing run on every `cargo test`): the markdown reader, the slug
//! and the sanitiser never panic, and keep their promises on arbitrary input.
//! Longer runs: `PROPTEST_CASES=100000 cargo test --test integration fuzz::`.

use lore::learning::limits;
use lore::parse::parse;
use lore::sanitize::{clean_block, clean_line, display_block, display_line, is_clean, json_safe};
use lore::slug::slug;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

/// Text biased towards what breaks things: escapes, controls, markdown markers, wide chars.
fn nasty() -> impl Strategy<Value = String> {
    let atoms = prop::collection::vec(
        prop_oneof![
            Just("\u{1b}[".to_string()),
            Just("\u{1b}]".to_string()),
            Just("\u{7}".to_string()),
            Just("\u{9b}".to_string()),
            Just("\u{202e}".to_string()),
            Just("\n## Summary\n".to_string()),
            Just("**Domain**: ".to_string()),
            Just("---\n".to_string()),
            Just("# ".to_string()),
            Just("\r\n".to_string()),
            Just("测试".to_string()),
            Just("👩‍💻".to_string()),
            any::<String>(),
            "[ -~]{0,20}",
        ],
        0..24,
    );
    atoms.prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_reader_never_panics_and_its_fields_are_clean(text in nasty(), dir in "(failures|successes|x)") {
        let p = parse(&text, &format!("memory/{dir}/f.md"));
        prop_assert!(is_clean(&p.title) && !p.title.contains('\n'));
        prop_assert!(p.title.chars().count() <= limits::TITLE);
        if let Some(d) = &p.domain {
            prop_assert!(is_clean(d) && d.chars().count() <= limits::DOMAIN);
        }
        prop_assert!(p.tags.iter().all(|t| is_clean(t)));
        prop_assert!(p.kind.is_some());
        // Deterministic: the same text gives the same fields.
        prop_assert_eq!(parse(&text, &format!("memory/{dir}/f.md")), p);
    }

    #[test]
    fn slugs_are_safe_file_names(title in nasty()) {
        let s = slug(&title);
        prop_assert!(!s.is_empty() && s.len() <= 100);
        prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
        prop_assert_eq!(slug(&title), s);
    }

    #[test]
    fn cleaning_and_escaping_leave_nothing_a_terminal_interprets(text in nasty()) {
        let line = clean_line(&text);
        prop_assert!(is_clean(&line) && !line.contains('\n') && !line.contains('\t'));
        prop_assert_eq!(line.trim(), line.as_str());
        let block = clean_block(&text);
        prop_assert!(is_clean(&block) && !block.contains('\r'));
        // Cleaning is idempotent.
        prop_assert_eq!(clean_block(&block), block.clone());
        prop_assert!(is_clean(&display_line(&text)) && !display_line(&text).contains('\n'));
        prop_assert!(is_clean(&display_block(&text)));
        let json = json_safe(&serde_json::to_string(&text).unwrap());
        prop_assert!(is_clean(&json));
        let back: String = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, text);
    }
}
