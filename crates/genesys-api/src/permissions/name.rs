//! Permission names: `domain:entity:action`, or a flat name such as `admin`.

/// The flat permission that grants everything (Master Admin).
pub const ADMIN: &str = "admin";

/// A permission as `(domain, entity, action)`; `None` for a flat one such as `admin`.
pub fn split(permission: &str) -> Option<(&str, &str, &str)> {
    let mut parts = permission.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(e), Some(a)) => Some((d, e, a)),
        _ => None,
    }
}

/// Whether a permission can change something: any action but `view`, or a flat one.
pub fn is_write(permission: &str) -> bool {
    match split(permission) {
        Some((_, _, action)) => action != "view",
        None => true,
    }
}
