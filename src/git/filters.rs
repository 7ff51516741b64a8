//! git's end-of-line conversion on the way in (its "clean" direction), so that a file checked
//! out with CRLF by `core.autocrlf=true` (or a `text`/`eol` attribute) is compared and
//! committed as git would see it, not as a change of every line.
//!
//! Only the conversion git applies to text without a filter driver is done: `text`, `-text`,
//! `text=auto`, `eol=…` from the attributes, else `core.autocrlf` (`true` or `input`: auto).
//! Filter drivers (`filter=…`, such as LFS) and `ident` are not run; a file that has them is
//! compared byte for byte.

use std::borrow::Cow;
use std::path::Path;

use git2::{AttrCheckFlags, AttrValue};

use super::Repo;

/// How git treats a path's line endings when it is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crlf {
    /// Stored as it is.
    Binary,
    /// CRLF becomes LF.
    Text,
    /// CRLF becomes LF if the file looks like text and the committed version has no CRLF
    /// (git's safety for files committed with CRLF).
    Auto,
}

fn crlf_of(repo: &Repo, rel: &str) -> Crlf {
    let attr = |name| {
        repo.raw
            .get_attr_bytes(Path::new(rel), name, AttrCheckFlags::FILE_THEN_INDEX)
            .ok()
            .flatten()
            .map(<[u8]>::to_vec)
    };
    let text = attr("text");
    match AttrValue::from_bytes(text.as_deref()) {
        AttrValue::True => return Crlf::Text,
        AttrValue::False => return Crlf::Binary,
        AttrValue::String("auto") | AttrValue::Bytes(b"auto") => return Crlf::Auto,
        _ => {}
    }
    if attr("eol").is_some() {
        return Crlf::Text;
    }
    match repo.config_string("core.autocrlf").as_deref() {
        Some(v) if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("input") => Crlf::Auto,
        _ => Crlf::Binary,
    }
}

/// Whether `b` holds a CRLF, the only thing the conversion changes.
pub fn has_crlf(b: &[u8]) -> bool {
    b.windows(2).any(|w| w == b"\r\n")
}

/// `bytes` (the file at `rel` in the work tree) as git would store it, given what HEAD holds
/// there (`committed`, if anything).
pub fn cleaned<'a>(
    repo: &Repo,
    rel: &str,
    bytes: &'a [u8],
    committed: Option<&[u8]>,
) -> Cow<'a, [u8]> {
    if !has_crlf(bytes) {
        return Cow::Borrowed(bytes);
    }
    let convert = match crlf_of(repo, rel) {
        Crlf::Binary => false,
        Crlf::Text => true,
        Crlf::Auto => !bytes.contains(&0) && !committed.is_some_and(has_crlf),
    };
    if !convert {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(out)
}
