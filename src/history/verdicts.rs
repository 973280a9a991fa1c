//! What reading each stored report found, kept per audit id: a stored report does not change,
//! so it is inflated and checked once (size, JSON) and later requests serve it, or refuse it,
//! without inflating it again. Bounded: the most recent `MAX_VERDICTS` audits.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Audits whose verdict is kept.
const MAX_VERDICTS: usize = 256;

/// A stored report's verdict: its length inflated, or why it is unreadable.
pub(super) type Verdict = Result<u64, String>;

#[derive(Default)]
pub(super) struct Verdicts(Mutex<VecDeque<(String, Verdict)>>);

impl Verdicts {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Verdict)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn get(&self, audit_id: &str) -> Option<Verdict> {
        self.lock()
            .iter()
            .find(|(id, _)| id == audit_id)
            .map(|(_, v)| v.clone())
    }

    /// Keeps a verdict, forgetting the oldest beyond the bound.
    pub(super) fn put(&self, audit_id: &str, verdict: Verdict) {
        let mut kept = self.lock();
        kept.retain(|(id, _)| id != audit_id);
        kept.push_back((audit_id.to_string(), verdict));
        while kept.len() > MAX_VERDICTS {
            kept.pop_front();
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_recent_verdicts_are_kept_within_the_bound() {
        let verdicts = Verdicts::default();
        for i in 0..MAX_VERDICTS + 10 {
            verdicts.put(&format!("a{i}"), Ok(i as u64));
        }
        assert_eq!(verdicts.len(), MAX_VERDICTS);
        assert_eq!(verdicts.get("a0"), None, "the oldest is forgotten");
        assert_eq!(
            verdicts.get(&format!("a{}", MAX_VERDICTS + 9)),
            Some(Ok(MAX_VERDICTS as u64 + 9))
        );
        verdicts.put("bad", Err("not JSON".into()));
        assert_eq!(verdicts.get("bad"), Some(Err("not JSON".into())));
    }
}
