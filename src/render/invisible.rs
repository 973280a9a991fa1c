//! Characters a reader cannot see but a program acts on: every Unicode format character
//! (category Cf: soft hyphen, bidi marks, embeddings, overrides and isolates, zero-width and
//! word-joining characters, invisible operators, tags, the BOM) and the line and paragraph
//! separators. Each sink decides what to write instead; this only says which they are.

/// Whether `c` is invisible or reorders text: a format character (Unicode 15 category Cf)
/// or U+2028/U+2029, which end a line for some readers and not for others.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_characters_the_second_hostile_test_used_are_invisible() {
        for c in [
            '\u{061C}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{180E}',
            '\u{00AD}',
            '\u{202E}',
            '\u{2067}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{E0041}',
            '\u{2028}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn visible_text_is_not() {
        for c in "aZ09 -_.é漢Ωعשׁ€\u{2065}\u{00A0}".chars() {
            assert!(!is_invisible(c), "U+{:04X}", c as u32);
        }
    }
}
