//! Per-record tolerance: a list of records is decoded one record at a time, each from its own
//! raw slice, so one record that does not parse is skipped and counted instead of failing the
//! page (and, after the retries, the audit). Only the envelope around the records can fail.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Skipped records named in a warning; the rest are counted.
const MAX_NAMED: usize = 5;
/// Characters kept of an upstream id or name in a warning.
const MAX_ID_CHARS: usize = 64;
/// The largest record read, in bytes of JSON: a larger one is not decoded and fails its
/// listing (`Records::oversized`). The largest real records are roles of thousands of
/// permission policies, well under this.
pub(crate) const MAX_RECORD_BYTES: usize = 4 << 20;

/// Skipped records kept whole (id, name, reason) in a listing; the rest are only counted.
const MAX_KEPT: usize = 10_000;
/// Characters kept of why a record did not parse.
const MAX_REASON_CHARS: usize = 160;

/// The records that did not parse: how many, who the first few were, and (for listings) each
/// one's id, name and reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub(crate) count: u64,
    /// `id` or `id ("name")` of the first `MAX_NAMED` skipped records that have an id.
    named: Vec<String>,
    /// The first `MAX_KEPT` records of a listing that did not parse, in listing order.
    pub(crate) records: Vec<SkippedRecord>,
}

/// One record that did not parse: its id and name when it had them as text, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedRecord {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) reason: String,
}

impl Skipped {
    /// Counts one record that did not parse, and names it while the list is short.
    pub(crate) fn add(&mut self, raw: &RawValue) {
        self.count += 1;
        if self.named.len() < MAX_NAMED
            && let Some(who) = identify(raw)
        {
            self.named.push(who);
        }
    }

    /// `add`, keeping the record's id, name and the reason it did not parse.
    fn add_kept(&mut self, raw: &RawValue, error: &serde_json::Error) {
        self.add(raw);
        if self.records.len() < MAX_KEPT {
            let (id, name) = who(raw);
            self.records.push(SkippedRecord {
                id,
                name,
                reason: reason(raw, error),
            });
        }
    }

    /// Adds another page's skipped records.
    pub(crate) fn merge(&mut self, other: Skipped) {
        self.count += other.count;
        let room = MAX_NAMED.saturating_sub(self.named.len());
        self.named.extend(other.named.into_iter().take(room));
        let room = MAX_KEPT.saturating_sub(self.records.len());
        self.records.extend(other.records.into_iter().take(room));
    }

    /// The report's warning, if any record was skipped: `what` names the records (`OAuth
    /// clients`), `consequence` what skipping them means.
    pub(crate) fn warning(&self, what: &str, endpoint: &str, consequence: &str) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let mut text = format!(
            "{} unreadable {what} skipped from {endpoint} ({consequence})",
            self.count
        );
        if !self.named.is_empty() {
            text.push_str(": ");
            text.push_str(&self.named.join(", "));
            let unnamed = self.count - self.named.len() as u64;
            if unnamed > 0 {
                text.push_str(&format!(" and {unnamed} more"));
            }
        }
        Some(text)
    }
}

/// Who a record that did not parse is: its `id` (and `name`) when it is an object with a
/// string id. Only failed records pay for this second look.
fn identify(raw: &RawValue) -> Option<String> {
    let (id, name) = who(raw);
    let id = id?;
    Some(match name {
        Some(name) => format!("{id} (\"{name}\")"),
        None => id,
    })
}

/// The record's `id` and `name` when they are non-empty text, sanitized and bounded.
fn who(raw: &RawValue) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct Who {
        id: Option<serde_json::Value>,
        name: Option<serde_json::Value>,
    }
    let Ok(who) = serde_json::from_str::<Who>(raw.get()) else {
        return (None, None);
    };
    let text = |value: Option<serde_json::Value>| {
        value
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
            .map(|text| genesys_api::text::sanitize(text, MAX_ID_CHARS))
    };
    (text(who.id), text(who.name))
}

/// Why a record did not parse, in words that never repeat its values: serde's message with
/// every quoted value blanked (a value may be anything a tenant typed), and where in the record.
fn reason(raw: &RawValue, error: &serde_json::Error) -> String {
    if !raw.get().trim_start().starts_with('{') {
        return "the record is not an object".into();
    }
    let message = error.to_string();
    // serde_json ends its message with ` at line L column C`: the column is kept apart.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(text, _)| text);
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || (c == '`' && !out.ends_with("field `")) {
                    quote = Some(c);
                }
            }
        }
    }
    let text = format!("{out} (column {} of the record)", error.column());
    genesys_api::text::sanitize(&text, MAX_REASON_CHARS)
}

/// A list of records decoded one by one: the ones that parse, and the ones skipped. `null`
/// and an absent list are an empty list.
#[derive(Debug)]
pub(crate) struct Records<T> {
    pub(crate) items: Vec<T>,
    pub(crate) skipped: Skipped,
    /// Bytes of JSON of the records kept: what the listing's budget counts.
    pub(crate) bytes: usize,
    /// Records over `MAX_RECORD_BYTES`, never decoded: the listing fails naming the bound.
    pub(crate) oversized: u64,
}

impl<T> Default for Records<T> {
    fn default() -> Self {
        Records {
            items: Vec::new(),
            skipped: Skipped::default(),
            bytes: 0,
            oversized: 0,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Records<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_option(EachRecord(PhantomData))
    }
}

/// Reads a list record by record, each from its own raw slice.
struct EachRecord<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for EachRecord<T> {
    type Value = Records<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records or null")
    }

    fn visit_none<E>(self) -> Result<Records<T>, E> {
        Ok(Records::default())
    }

    fn visit_unit<E>(self) -> Result<Records<T>, E> {
        Ok(Records::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Records<T>, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Records<T>, A::Error> {
        let mut records = Records::default();
        // A record's raw slice is its own document: its parse error cannot leave the list's
        // parser in the middle of a value.
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let len = raw.get().len();
            if len > MAX_RECORD_BYTES {
                records.oversized += 1;
                continue;
            }
            match serde_json::from_str::<T>(raw.get()) {
                Ok(item) => {
                    records.items.push(item);
                    records.bytes += len;
                }
                Err(error) => records.skipped.add_kept(&raw, &error),
            }
        }
        Ok(records)
    }
}

/// One page of a listing with its records decoded one by one; its paging fields as
/// `EntityListing`'s.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound = "T: DeserializeOwned")]
pub(crate) struct Page<T> {
    #[serde(default)]
    pub(crate) entities: Records<T>,
    #[serde(default)]
    pub(crate) page_number: Option<u64>,
    #[serde(default)]
    pub(crate) page_count: Option<u64>,
    #[serde(default)]
    pub(crate) next_uri: Option<String>,
}

#[cfg(test)]
mod tests {
    use genesys_api::models::OAuthClient;

    use super::*;

    #[test]
    fn a_record_that_does_not_parse_is_skipped_and_named_and_the_rest_are_kept() {
        let page: Page<OAuthClient> = serde_json::from_str(
            r#"{"entities":[
                {"id":"a","name":"A","authorizedGrantType":"CLIENT-CREDENTIALS"},
                {"id":"b","name":"B\u001b[31m","authorizedGrantType":42},
                "not an object",
                {"id":"c","name":"C","authorizedGrantType":"TOKEN"}
            ],"pageNumber":1,"pageCount":1}"#,
        )
        .unwrap();
        let ids: Vec<&str> = page.entities.items.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "c"]);
        assert_eq!(page.entities.skipped.count, 2);
        let warning = page
            .entities
            .skipped
            .warning("OAuth clients", "/api/v2/oauth/clients", "not judged")
            .unwrap();
        assert_eq!(
            warning,
            "2 unreadable OAuth clients skipped from /api/v2/oauth/clients (not judged): \
             b (\"B [31m\") and 1 more"
        );
    }

    #[test]
    fn null_or_absent_entities_are_an_empty_page_and_a_broken_envelope_is_an_error() {
        for body in [r#"{"entities":null}"#, r#"{"pageNumber":1}"#] {
            let page: Page<OAuthClient> = serde_json::from_str(body).unwrap();
            assert!(page.entities.items.is_empty());
            assert_eq!(page.entities.skipped, Skipped::default());
        }
        assert!(serde_json::from_str::<Page<OAuthClient>>(r#"["entities"]"#).is_err());
        assert!(serde_json::from_str::<Page<OAuthClient>>(r#"{"entities":{}}"#).is_err());
        assert!(serde_json::from_str::<Page<OAuthClient>>(r#"{"entities":[{"id":"#).is_err());
    }

    #[test]
    fn only_a_handful_are_named_and_merged_pages_keep_the_bound() {
        let raw = |id: &str| RawValue::from_string(format!(r#"{{"id":"{id}"}}"#)).unwrap();
        let mut first = Skipped::default();
        for i in 0..4 {
            first.add(&raw(&format!("p1-{i}")));
        }
        let mut second = Skipped::default();
        for i in 0..4 {
            second.add(&raw(&format!("p2-{i}")));
        }
        second.add(&RawValue::from_string("17".into()).unwrap());
        first.merge(second);
        assert_eq!(first.count, 9);
        let warning = first.warning("roles", "/r", "x").unwrap();
        assert!(
            warning.ends_with(": p1-0, p1-1, p1-2, p1-3, p2-0 and 4 more"),
            "{warning}"
        );
    }

    #[test]
    fn each_skipped_record_of_a_listing_is_kept_with_why_and_never_its_values() {
        let page: Page<OAuthClient> = serde_json::from_str(
            r#"{"entities":[
                {"id":"a","name":"A","authorizedGrantType":"CLIENT-CREDENTIALS"},
                {"id":"b","name":"B","authorizedGrantType":"CODE","accessTokenValiditySeconds":"s3cr3t-ish"},
                {"id":"c"},
                [1,2],
                {"id":7,"name":"","authorizedGrantType":42}
            ]}"#,
        )
        .unwrap();
        let kept = &page.entities.skipped.records;
        let ids: Vec<Option<&str>> = kept.iter().map(|r| r.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("b"), Some("c"), None, None]);
        assert_eq!(kept[0].name.as_deref(), Some("B"));
        assert!(
            kept[0]
                .reason
                .starts_with("invalid type: string \"…\", expected i64 (column "),
            "{}",
            kept[0].reason
        );
        assert!(!kept[0].reason.contains("s3cr3t"));
        assert!(
            kept[1].reason.starts_with("missing field `name`"),
            "{}",
            kept[1].reason
        );
        assert_eq!(kept[2].reason, "the record is not an object");
        assert!(kept[3].reason.contains("integer `…`"), "{}", kept[3].reason);
    }
}
