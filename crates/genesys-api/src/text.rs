//! Text from outside made safe to keep, log and show: no control characters, bounded length.

/// `text` with control characters (NUL, ESC, newlines) turned into spaces, cut to `max_chars`
/// with an ellipsis when it was longer.
pub fn sanitize(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_spaces_and_long_text_is_cut() {
        assert_eq!(sanitize("a\0b\x1b[31mc\nd", 100), "a b [31mc d");
        assert_eq!(sanitize("ééééé", 3), "ééé…");
        assert_eq!(sanitize("abc", 3), "abc");
    }
}
