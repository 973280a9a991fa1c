//! Name globs for policy selectors: `*` matches any run of characters, `?` one character.

/// Whether `text` matches `pattern` (case-sensitive, whole string).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A high-risk scope pattern: an exact scope name, or a prefix ending in `*`.
pub fn scope_matches(pattern: &str, scope: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => scope.starts_with(prefix),
        None => pattern == scope,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_match("Terraform*", "Terraform pipeline"));
        assert!(glob_match("*bot*", "Survey bot 3"));
        assert!(glob_match("Café ?ot", "Café Bot"));
        assert!(!glob_match("Terraform*", "My Terraform"));
        assert!(!glob_match("exact", "exactly"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn scope_patterns_are_exact_or_trailing_star() {
        assert!(scope_matches("users", "users"));
        assert!(!scope_matches("users", "users:readonly"));
        assert!(scope_matches("admin:*", "admin:oauth:read"));
        assert!(!scope_matches("admin:*", "administration"));
    }
}
