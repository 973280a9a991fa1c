//! A serde deserializer over a map of variable names to text, as the environment gives them:
//! each value is parsed by the field's own type, and a failure becomes an error naming the
//! variable (with a hint for the variables that have one).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapDeserializer;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::error::ConfigError;

/// What one value's type found wrong with it (the variable is added by `from_map`).
#[derive(Debug)]
pub(super) struct Problem(pub(super) String);

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Problem {}

impl de::Error for Problem {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Problem(msg.to_string())
    }
}

/// Advice added to any problem with these variables.
const HINTS: [(&str, &str); 3] = [
    (
        "SCOPEWATCH_MAX_REQUESTS_PER_MINUTE",
        " (the org allows 300 per token)",
    ),
    ("SCOPEWATCH_CHANGE_POLL", " (0 turns the change poll off)"),
    ("SCOPEWATCH_LISTEN", " (an address such as 0.0.0.0:8080)"),
];

/// `T` read from `values`, one field per variable.
pub(super) fn from_map<T: DeserializeOwned>(
    values: &BTreeMap<String, String>,
) -> Result<T, ConfigError> {
    let entries = values.iter().map(|(key, text)| {
        (
            key.clone(),
            Text {
                key: key.clone(),
                text: text.clone(),
            },
        )
    });
    T::deserialize(MapDeserializer::new(entries)).map_err(|problem: Keyed| {
        let hint = HINTS
            .iter()
            .find(|(key, _)| *key == problem.key)
            .map_or("", |(_, hint)| hint);
        ConfigError::invalid(problem.key, format!("{}{hint}", problem.problem))
    })
}

/// A problem with the variable it is about (empty while not yet known).
#[derive(Debug)]
struct Keyed {
    key: String,
    problem: Problem,
}

impl fmt::Display for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for Keyed {}

impl de::Error for Keyed {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Keyed {
            key: String::new(),
            problem: Problem(msg.to_string()),
        }
    }
}

/// One variable's text, deserialized as whatever its field asks for.
struct Text {
    key: String,
    text: String,
}

impl<'de> IntoDeserializer<'de, Keyed> for Text {
    type Deserializer = Text;

    fn into_deserializer(self) -> Text {
        self
    }
}

impl Text {
    fn keyed(&self, problem: Problem) -> Keyed {
        Keyed {
            key: self.key.clone(),
            problem,
        }
    }
}

impl<'de> de::Deserializer<'de> for Text {
    type Error = Keyed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Keyed> {
        let inner: de::value::StringDeserializer<Problem> = self.text.clone().into_deserializer();
        de::Deserializer::deserialize_any(inner, visitor).map_err(|p| self.keyed(p))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Keyed> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Keyed> {
        let inner: de::value::StringDeserializer<Problem> = self.text.clone().into_deserializer();
        visitor.visit_enum(inner).map_err(|p| self.keyed(p))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}
