//! Strict JSON objects: one pass over a JWS header or JWT claims set that rejects duplicate member
//! names at any depth (RFC 7515 §5.2, RFC 7519 §4) and hands the caller the members it asks for.
//!
//! `JSON.parse` in JS keeps the last duplicate, so a document with duplicates could be read one way
//! here and another way by the application; rejecting them removes the ambiguity. Nesting depth is
//! bounded by serde_json's recursion limit (128).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why a document is not a strict JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all, trailing data, too deeply nested, or a number out of range.
    Syntax,
    /// Valid JSON, but not an object.
    NotObject,
    /// Some object in the document repeats a member name.
    DuplicateMember,
}

/// A member value as the checks need it; members the caller does not ask for are only validated.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A JSON number.
    Number(f64),
    /// A JSON string.
    String(Cow<'a, str>),
    /// A JSON array whose elements are all strings.
    Strings(Vec<Cow<'a, str>>),
    /// `true` or `false`.
    Bool(bool),
    /// Anything else: null, an object, or an array with a non-string element.
    Other,
}

/// Parses `bytes` as one JSON object. For each top-level member whose name `wanted` accepts,
/// calls `on_member(name, value)`; every member, wanted or not, is checked for duplicates.
pub fn parse_object<'a>(
    bytes: &'a [u8],
    wanted: impl Fn(&str) -> bool,
    mut on_member: impl FnMut(Cow<'a, str>, Value<'a>),
) -> Result<(), JsonError> {
    let rejection = Rejection::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = TopLevel { rejection: &rejection, wanted: &wanted, on_member: &mut on_member };
    match de.deserialize_any(top).and_then(|()| de.end()) {
        Ok(()) => Ok(()),
        Err(_) => Err(rejection.0.get().unwrap_or(JsonError::Syntax)),
    }
}

/// Why the parse was stopped, when it was our decision rather than a syntax error.
#[derive(Default)]
struct Rejection(Cell<Option<JsonError>>);

impl Rejection {
    fn reject<E: de::Error>(&self, why: JsonError) -> E {
        self.0.set(Some(why));
        E::custom("rejected")
    }
}

/// Tracks the member names of one object. Linear for small objects, hashed past 16 names, so a
/// hostile object with thousands of members costs linear time, not quadratic.
struct Names<'a> {
    small: Vec<Cow<'a, str>>,
    large: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Names<'a> {
    fn new() -> Self {
        Names { small: Vec::new(), large: None }
    }

    /// Records `name`; false when it was already there.
    fn insert(&mut self, name: Cow<'a, str>) -> bool {
        if let Some(set) = &mut self.large {
            return set.insert(name);
        }
        if self.small.contains(&name) {
            return false;
        }
        self.small.push(name);
        if self.small.len() > 16 {
            self.large = Some(self.small.drain(..).collect());
        }
        true
    }
}

/// Reads the members of an object, rejecting a repeated name; `each` reads one member's value.
fn read_members<'de, A: MapAccess<'de>>(
    rejection: &Rejection,
    mut map: A,
    mut each: impl FnMut(&mut A, Cow<'de, str>) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut names = Names::new();
    while let Some(name) = map.next_key_seed(NameSeed)? {
        if !names.insert(name.clone()) {
            return Err(rejection.reject(JsonError::DuplicateMember));
        }
        each(&mut map, name)?;
    }
    Ok(())
}

struct TopLevel<'r, W, F> {
    rejection: &'r Rejection,
    wanted: &'r W,
    on_member: &'r mut F,
}

impl<'de, W, F> Visitor<'de> for TopLevel<'_, W, F>
where
    W: Fn(&str) -> bool,
    F: FnMut(Cow<'de, str>, Value<'de>),
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let rejection = self.rejection;
        read_members(rejection, map, |map, name| {
            if (self.wanted)(&name) {
                let value = map.next_value_seed(ValueSeed(rejection))?;
                (self.on_member)(name, value);
            } else {
                map.next_value_seed(CheckedSeed(rejection))?;
            }
            Ok(())
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.rejection.reject(JsonError::NotObject))
    }
}

/// A member name, borrowed from the input unless it contains escapes.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// A value the caller asked for.
#[derive(Clone, Copy)]
struct ValueSeed<'r>(&'r Rejection);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(v as f64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Other)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut strings = Some(Vec::new());
        while let Some(element) = seq.next_element_seed(self)? {
            match (element, &mut strings) {
                (Value::String(s), Some(all)) => all.push(s),
                _ => strings = None,
            }
        }
        Ok(strings.map_or(Value::Other, Value::Strings))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value<'de>, A::Error> {
        CheckedSeed(self.0).visit_map(map)?;
        Ok(Value::Other)
    }
}

/// Any JSON value, only checked for duplicate member names.
#[derive(Clone, Copy)]
struct CheckedSeed<'r>(&'r Rejection);

impl<'de> DeserializeSeed<'de> for CheckedSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckedSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        read_members(self.0, map, |map, _| map.next_value_seed(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(json: &str) -> Result<Vec<(String, Value<'static>)>, JsonError> {
        let leaked: &'static [u8] = Box::leak(json.as_bytes().to_vec().into_boxed_slice());
        let mut out = Vec::new();
        parse_object(leaked, |_| true, |k, v| out.push((k.into_owned(), v)))?;
        Ok(out)
    }

    #[test]
    fn reads_numbers_strings_string_arrays_and_booleans() {
        let m = members(r#"{"n":1.5,"i":-2,"s":"x","a":["p","q"],"b":true,"o":{},"m":[1,"x"]}"#)
            .unwrap();
        assert_eq!(m[0].1, Value::Number(1.5));
        assert_eq!(m[1].1, Value::Number(-2.0));
        assert_eq!(m[2].1, Value::String("x".into()));
        assert_eq!(m[3].1, Value::Strings(vec!["p".into(), "q".into()]));
        assert_eq!(m[4].1, Value::Bool(true));
        assert_eq!(m[5].1, Value::Other);
        assert_eq!(m[6].1, Value::Other);
    }

    #[test]
    fn rejects_a_duplicate_top_level_member() {
        assert_eq!(members(r#"{"aud":"a","aud":"b"}"#), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn rejects_a_duplicate_member_spelled_with_an_escape() {
        assert_eq!(members(r#"{"aud":"a","a\u0075d":"b"}"#), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn rejects_a_duplicate_member_in_a_nested_object_or_array() {
        assert_eq!(members(r#"{"cnf":{"jkt":"a","jkt":"b"}}"#), Err(JsonError::DuplicateMember));
        assert_eq!(members(r#"{"x":[{"k":1,"k":2}]}"#), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn rejects_a_duplicate_among_many_members() {
        let body: Vec<String> = (0..100).map(|i| format!("\"m{i}\":{i}")).collect();
        let json = format!("{{{},\"m7\":0}}", body.join(","));
        assert_eq!(members(&json), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn rejects_documents_that_are_not_objects() {
        for doc in ["[]", "\"s\"", "null", "1", "true"] {
            assert_eq!(members(doc), Err(JsonError::NotObject), "{doc}");
        }
    }

    #[test]
    fn rejects_syntax_errors_and_trailing_data() {
        for doc in ["", "{", "{\"a\":}", "{} {}", "{\"a\":1e999}", "{'a':1}"] {
            assert_eq!(members(doc), Err(JsonError::Syntax), "{doc}");
        }
    }

    #[test]
    fn rejects_deep_nesting_without_overflowing_the_stack() {
        let json = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(members(&json), Err(JsonError::Syntax));
    }

    #[test]
    fn unwanted_members_are_checked_but_not_handed_over() {
        let mut seen = Vec::new();
        let r = parse_object(br#"{"a":1,"b":{"c":1,"c":2}}"#, |k| k == "a", |k, _| {
            seen.push(k.into_owned())
        });
        assert_eq!(r, Err(JsonError::DuplicateMember));
        assert_eq!(seen, ["a"]);
    }
}
