//! Two rules for untrusted text, applied everywhere.
//!
//! **Input** ([`clean_block`], [`clean_line`]): what a user or script gives `lore record` is
//! *stripped*, the same rule later versions of `record-failure.sh` apply: whole ANSI escape
//! sequences (CSI, OSC, DCS and two-byte escapes) are removed, then every remaining C0 control
//! except tab and newline, DEL, every C1 control (U+0080–U+009F) and the bidirectional embedding,
//! override and isolate controls (U+202A–U+202E, U+2066–U+2069). CRLF becomes LF. Single-line
//! fields (title, domain, tags) also turn newlines and tabs into spaces and are trimmed, so a
//! title can never inject a markdown heading.
//!
//! **Output** ([`display_line`], [`display_block`]): text read back from a store may come from
//! another tool or a pulled remote, so before it reaches a terminal every such character is
//! *escaped visibly* (`\e`, `\x07`, `\u{202e}`) instead of being interpreted; so are the
//! zero-width characters input strips (`\u{200b}`) and the Unicode line separators. The index
//! keeps what it reads from a file lore did not write escaped the same way ([`visible_line`]),
//! so the list, the detail pane, `lore list` and the JSON all show one thing: a hostile entry
//! looks hostile everywhere.

/// Characters that must never reach a terminal raw.
fn is_dangerous(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t' || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Strips escape sequences and control characters from multi-line input.
pub fn clean_block(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI and OSC introducers start sequences as well.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            c if is_dangerous(c) || is_invisible(c) => {}
            // Unicode's line and paragraph separators look like a space in most places and
            // like a line break in some: one meaning, a space.
            '\u{2028}' | '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Zero-width characters that hide inside a word (`Admin\u{200b}Test` reads as `AdminTest`)
/// and serve no text: the zero-width space, the word joiner and a byte-order mark out of place.
/// The zero-width joiner and non-joiner stay: emoji sequences and Persian and Indic scripts
/// need them.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Strips like [`clean_block`], folds newlines and tabs into spaces and trims.
pub fn clean_line(input: &str) -> String {
    let block = clean_block(input);
    let folded: String = block
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect();
    folded.trim().to_string()
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: a CSI (`ESC [`), a string (`ESC ]`, `ESC P`, `ESC ^`, `ESC _`) or a two-byte escape.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | '^' | '_' | 'X') => {
            chars.next();
            skip_string(chars);
        }
        Some(c) if ('\u{20}'..='\u{7e}').contains(c) => {
            // Intermediate bytes, then one final byte.
            while let Some(&c) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    break;
                }
            }
        }
        _ => {}
    }
}

/// CSI parameters and intermediates up to and including the final byte (0x40–0x7E).
fn skip_csi(chars: &mut Chars<'_>) {
    while let Some(&c) = chars.peek() {
        if ('\u{20}'..='\u{3f}').contains(&c) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                chars.next();
            }
            break;
        }
    }
}

/// An OSC/DCS string runs to BEL, ST (`ESC \` or U+009C), or a newline (never eat a line).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{7}' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                chars.next();
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            '\n' => return,
            _ => {
                chars.next();
            }
        }
    }
}

/// Characters that show as nothing (or as a line break in some places): never interpreted by
/// a terminal, but hiding in a word all the same. Output writes them out.
fn is_hidden(c: char) -> bool {
    is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Text from a file lore did not write, kept for showing later (the index's title, domain and
/// tags of such a file): on one line, trimmed, and escaped as [`display_line`] escapes, so that
/// a hostile entry reads the same in the list as in its file (`Admin\e]0;…`), where stripping
/// it would make it look harmless. What lore itself writes was cleaned on input and is kept
/// as it is.
pub fn visible_line(input: &str) -> String {
    let folded: String = input
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\t' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    display_line(folded.trim())
}

/// [`visible_line`] for a block: its lines kept (CRLF read as LF).
pub fn visible_block(input: &str) -> String {
    display_block(&input.replace("\r\n", "\n"))
}

/// Escapes anything a terminal would interpret, keeping newlines and tabs.
pub fn display_block(s: &str) -> String {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// Escapes anything a terminal would interpret, newlines and tabs included: for one-line fields.
pub fn display_line(s: &str) -> String {
    escape_with(s, |_| false)
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> String {
    let escaped = |c: char| (is_dangerous(c) || is_hidden(c) || c == '\n' || c == '\t') && !keep(c);
    if !s.chars().any(escaped) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !escaped(c) {
            out.push(c);
            continue;
        }
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

/// JSON text with every character a terminal could interpret, and every hidden one, written as
/// a `\uXXXX` escape. (`serde_json` escapes C0 controls already, but not C1 controls, bidi
/// overrides or zero-width characters.)
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_dangerous(c) || is_hidden(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// True when `s` holds nothing that [`display_block`] would escape.
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(|c| is_dangerous(c) || is_hidden(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sequences_whole() {
        assert_eq!(clean_line("\u{1b}[31mRED\u{1b}[0m"), "RED");
        assert_eq!(clean_line("a\u{1b}]0;pwned\u{7}b"), "ab");
        assert_eq!(clean_line("a\u{1b}]52;c;ZXZpbA==\u{1b}\\b"), "ab");
        assert_eq!(clean_line("x\u{9b}2Jy"), "xy");
        assert_eq!(clean_line("Test\u{7}BELL"), "TestBELL");
        assert_eq!(clean_line("a\u{202e}b\u{0}c"), "abc");
    }

    #[test]
    fn line_folds_newlines_block_keeps_them() {
        assert_eq!(clean_line(" Title\n## Injected\t"), "Title ## Injected");
        assert_eq!(clean_block("one\r\ntwo\rthree\n"), "one\ntwo\nthree\n");
    }

    #[test]
    fn zero_width_characters_go_and_line_separators_become_spaces() {
        assert_eq!(clean_line("Admin\u{200b}Test"), "AdminTest");
        assert_eq!(clean_line("\u{feff}word\u{2060}joined"), "wordjoined");
        assert_eq!(clean_line("one\u{2028}two\u{2029}three"), "one two three");
        assert_eq!(clean_block("a\u{2028}b\nc\u{200b}"), "a b\nc");
        // What scripts and emoji need stays.
        let kept = "👩\u{200d}💻 می\u{200c}خواهم";
        assert_eq!(clean_line(kept), kept);
    }

    #[test]
    fn keeps_ordinary_unicode() {
        let s = "测试 ✅ مرحبا 👩‍💻";
        assert_eq!(clean_line(s), s);
        assert_eq!(display_line(s), s);
    }

    #[test]
    fn display_escapes_visibly() {
        assert_eq!(display_line("a\u{1b}[2Jb\nc"), "a\\e[2Jb\\nc");
        assert_eq!(
            display_block("a\u{9b}b\u{202e}c\nd"),
            "a\\x9bb\\u{202e}c\nd"
        );
        assert!(is_clean(&display_line("\u{7}\u{1b}\u{202e}\u{9b}")));
    }

    #[test]
    fn json_safe_escapes_c1_and_bidi() {
        let j = serde_json::to_string("a\u{9b}\u{202e}\u{1b}").unwrap();
        let safe = json_safe(&j);
        assert!(is_clean(&safe));
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "a\u{9b}\u{202e}\u{1b}");
    }
}
