//! The words of a search, marked where they match in the list and the detail pane.
//!
//! A word of the text matches when it starts with a word of the query, compared as the search
//! index compares them: split where the index's tokenizer splits (white space and punctuation,
//! `_` included) and case folded. Diacritics are not folded here, so `cafe` finds
//! `café` but does not mark it: a missed mark, never a wrong one.

use std::ops::Range;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// The words of a query, lower-cased: what each word of a text is compared with.
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// The byte ranges of the words of `text` that start with one of `words`; only the matched
/// prefix is marked, as a reader looks for what they typed.
pub fn matches(text: &str, words: &[String]) -> Vec<Range<usize>> {
    if words.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = None;
    let check = |from: usize, to: usize, out: &mut Vec<Range<usize>>| {
        let word = text[from..to].to_lowercase();
        // The longest query word this text word starts with.
        if let Some(w) = words
            .iter()
            .filter(|w| word.starts_with(w.as_str()))
            .max_by_key(|w| w.len())
        {
            // Back to the original text's bytes: as many characters as the query word has.
            let n = w.chars().count();
            let end = text[from..to]
                .char_indices()
                .nth(n)
                .map_or(to, |(i, _)| from + i);
            out.push(from..end);
        }
    };
    for (i, c) in text.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                check(s, i, &mut out);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        check(s, text.len(), &mut out);
    }
    out
}

/// How a match is marked: black on yellow; in the list's selected row, whose highlight paints
/// the background, yellow letters underlined. Without colour, bold and underlined (reversed
/// would vanish in the selected row, which is reversed itself).
pub fn style(color: bool, selected: bool) -> Style {
    match (color, selected) {
        (true, false) => Style::default()
            .fg(Color::Black)
            .bg(Color::Yellow)
            .add_modifier(Modifier::BOLD),
        (true, true) => Style::default()
            .fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        (false, _) => Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    }
}

/// `line` with the matches of `words` marked in `mark`, each span split where a match starts
/// or ends.
pub fn mark<'a>(line: Line<'a>, words: &[String], mark: Style) -> Line<'a> {
    if words.is_empty() {
        return line;
    }
    let mut spans = Vec::with_capacity(line.spans.len());
    for span in line.spans {
        let found = matches(&span.content, words);
        if found.is_empty() {
            spans.push(span);
            continue;
        }
        let text = span.content.into_owned();
        let mut at = 0;
        for r in found {
            if r.start > at {
                spans.push(Span::styled(text[at..r.start].to_string(), span.style));
            }
            spans.push(Span::styled(
                text[r.clone()].to_string(),
                span.style.patch(mark),
            ));
            at = r.end;
        }
        if at < text.len() {
            spans.push(Span::styled(text[at..].to_string(), span.style));
        }
    }
    Line { spans, ..line }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked<'a>(text: &'a str, query: &str) -> Vec<&'a str> {
        let found = matches(text, &query_words(query));
        found.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn the_prefix_of_every_word_that_starts_with_a_query_word_is_marked() {
        assert_eq!(
            marked("Lock contention in the deploy-lock job", "lock cont"),
            ["Lock", "cont", "lock"]
        );
        assert_eq!(marked("Deployment froze", "d"), ["D"]);
        assert_eq!(
            marked("unlock", "lock"),
            Vec::<&str>::new(),
            "not inside a word"
        );
        assert_eq!(
            marked("snake_case", "case"),
            ["case"],
            "_ separates, as in the index"
        );
        assert_eq!(marked("ÉCOLE école", "éc"), ["ÉC", "éc"]);
        assert_eq!(marked("日本語のテキスト", "日本"), ["日本"]);
        assert!(marked("anything", "").is_empty());
        assert!(marked("anything", "*").is_empty());
    }

    #[test]
    fn a_line_keeps_its_text_and_styles_with_the_matches_marked() {
        let line = Line::from(vec![
            Span::raw("Disk "),
            Span::styled("full on host", Style::default().fg(Color::Red)),
        ]);
        let out = mark(line, &query_words("ful ho"), style(true, false));
        let text: String = out.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "Disk full on host");
        let hits: Vec<&str> = out
            .spans
            .iter()
            .filter(|s| s.style.bg == Some(Color::Yellow))
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(hits, ["ful", "ho"]);
        assert!(out.spans.iter().all(|s| s.content.is_empty()
            || s.style.fg == Some(Color::Red)
            || s.style.fg == Some(Color::Black)
            || s.content == "Disk "));
    }
}
