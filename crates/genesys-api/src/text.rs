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

/// An error with its causes on one line, `outer: inner: innermost`, for logs and messages. A
/// cause the text already ends with is not said twice (some errors repeat their cause).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
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

    #[test]
    fn an_error_is_written_with_every_cause() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot read the file")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(with_causes(&e), "cannot read the file: disk on fire");
    }
}
