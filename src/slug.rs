//! File names: `YYYYMMDD_<slug>.md`, as the script names them, minus its two defects
//! (an empty slug, and overwriting a same-day twin — see [`candidate`]).

/// The script's maximum slug length.
pub const MAX_SLUG: usize = 100;

/// Lower-cases, turns spaces into `-`, keeps only ASCII letters, digits and `-`, collapses and
/// trims dashes, cuts to [`MAX_SLUG`]. A title with no ASCII letter or digit gets `t-<hash>`
/// (eight hex digits of the title's git blob hash), never an empty name.
pub fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len().min(MAX_SLUG));
    for c in title.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c == ' ' { '-' } else { c };
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if c == '-' && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_SLUG {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        let hash = crate::git::hash_blob(title.as_bytes()).to_string();
        format!("t-{}", &hash[..8])
    } else {
        out.to_string()
    }
}

/// The `n`th candidate name for a slug on a date: `20251201_slug.md`, then `20251201_slug-2.md`…
pub fn candidate(date: &str, slug: &str, n: u32) -> String {
    if n <= 1 {
        format!("{date}_{slug}.md")
    } else {
        format!("{date}_{slug}-{n}.md")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_the_script_but_tidy() {
        assert_eq!(
            slug("Fixed git lock contention in record scripts"),
            "fixed-git-lock-contention-in-record-scripts"
        );
        assert_eq!(
            slug("EdgeCase3: multiline summary"),
            "edgecase3-multiline-summary"
        );
        assert_eq!(slug("测试失败 Chinese test"), "chinese-test");
        assert_eq!(slug("../../etc/passwd"), "etcpasswd");
        assert_eq!(slug("C:\\x"), "cx");
    }

    #[test]
    fn never_empty_and_stable() {
        let a = slug("测试失败");
        assert!(a.starts_with("t-") && a.len() == 10, "{a}");
        assert_eq!(a, slug("测试失败"));
        assert_ne!(a, slug("失败"));
        assert!(slug("---").starts_with("t-"));
    }

    #[test]
    fn bounded() {
        for title in ["ab ".repeat(200), "x".repeat(500), "a ".repeat(300)] {
            let s = slug(&title);
            assert!(
                s.len() <= MAX_SLUG && s.len() >= MAX_SLUG - 1,
                "{} chars",
                s.len()
            );
            assert!(!s.ends_with('-') && !s.starts_with('-'));
        }
    }

    #[test]
    fn numbered_candidates() {
        assert_eq!(candidate("20251201", "a", 1), "20251201_a.md");
        assert_eq!(candidate("20251201", "a", 3), "20251201_a-3.md");
    }
}
