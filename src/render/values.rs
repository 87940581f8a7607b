//! The two kinds of values the render stage builds with [`object!`] and [`json_object!`]:
//!
//! - [`context`]: page contexts, in Tera's own values. Their maps and lists are shared
//!   (`Arc`), so a card built once (a case study's, an opportunity's, a link to a city) goes
//!   into every page that lists it for the price of a reference count, and reaches the
//!   template without being converted. Built as JSON, every page copied its cards, then
//!   converted the whole context into Tera's values: a fifth of the CPU time at 1,000 case
//!   studies.
//! - [`json`]: the open-data files (`atlas.json`, `villes.geojson`), in `serde_json`'s values,
//!   whose maps keep their keys sorted: the files' bytes must not depend on a hash seed.
//!
//! Both give a value the same meaning: a number is an unsigned integer when it is one (a
//! negative one is signed), a float that is not finite is null, and a value that converts
//! into neither is serialised, as `json!` does.

/// Page contexts, in Tera's values.
pub(crate) mod context {
    pub(crate) use tera::Value;
    use tera::value::Key;

    /// The map an [`object!`] is built in.
    pub(crate) type Map = tera::Map;

    pub(crate) fn map() -> Map {
        Map::default()
    }

    pub(crate) fn insert(map: &mut Map, key: &'static str, value: Value) {
        map.insert(Key::Str(key), value);
    }

    pub(crate) fn object(map: Map) -> Value {
        Value::from(map)
    }

    pub(crate) fn null() -> Value {
        Value::none()
    }

    /// A value on its way into [`object!`]: moved when it converts into a context value
    /// ([`IntoContext`]), serialised otherwise. The choice is made by method resolution (the
    /// "autoref specialisation" of dtolnay's case studies): `ContextValue(v).context_value()`
    /// finds [`ByMove`], which takes `self`, when `T: IntoContext`; only if it does not apply
    /// is the receiver borrowed, which finds [`BySerde`].
    pub(crate) struct ContextValue<T>(pub T);

    pub(crate) trait ByMove {
        fn context_value(self) -> Value;
    }

    impl<T: IntoContext> ByMove for ContextValue<T> {
        fn context_value(self) -> Value {
            self.0.into_context()
        }
    }

    pub(crate) trait BySerde {
        fn context_value(&self) -> Value;
    }

    impl<T: serde::Serialize> BySerde for ContextValue<T> {
        fn context_value(&self) -> Value {
            // Through `serde_json`, so that an enum or a borrowed value means what it meant in
            // a JSON context (a float that is not finite is null). A value that cannot be
            // serialised (a map with non-string keys) becomes null: none of ours can.
            from_json(serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null))
        }
    }

    /// What moves into a page context without being serialised.
    pub(crate) trait IntoContext {
        fn into_context(self) -> Value;
    }

    impl IntoContext for Value {
        fn into_context(self) -> Value {
            self
        }
    }

    /// A borrowed value is shared, not serialised (which would copy it and escape its safe
    /// strings).
    impl IntoContext for &Value {
        fn into_context(self) -> Value {
            self.clone()
        }
    }

    impl IntoContext for serde_json::Value {
        fn into_context(self) -> Value {
            from_json(self)
        }
    }

    impl IntoContext for String {
        fn into_context(self) -> Value {
            Value::from(self.as_str())
        }
    }

    impl IntoContext for &str {
        fn into_context(self) -> Value {
            Value::from(self)
        }
    }

    impl IntoContext for &String {
        fn into_context(self) -> Value {
            Value::from(self.as_str())
        }
    }

    impl IntoContext for bool {
        fn into_context(self) -> Value {
            Value::from(self)
        }
    }

    macro_rules! unsigned {
        ($($t:ty),*) => {$(
            impl IntoContext for $t {
                fn into_context(self) -> Value {
                    Value::from(self as u64)
                }
            }
        )*};
    }
    unsigned!(u8, u16, u32, u64, usize);

    macro_rules! signed {
        ($($t:ty),*) => {$(
            impl IntoContext for $t {
                fn into_context(self) -> Value {
                    match u64::try_from(self) {
                        Ok(unsigned) => Value::from(unsigned),
                        Err(_) => Value::from(self as i64),
                    }
                }
            }
        )*};
    }
    signed!(i8, i16, i32, i64, isize);

    impl IntoContext for f64 {
        fn into_context(self) -> Value {
            if self.is_finite() {
                Value::from(self)
            } else {
                Value::none()
            }
        }
    }

    impl IntoContext for f32 {
        fn into_context(self) -> Value {
            f64::from(self).into_context()
        }
    }

    impl<T: IntoContext> IntoContext for Option<T> {
        fn into_context(self) -> Value {
            self.map_or_else(Value::none, IntoContext::into_context)
        }
    }

    impl<T: IntoContext> IntoContext for Vec<T> {
        fn into_context(self) -> Value {
            Value::from(
                self.into_iter()
                    .map(IntoContext::into_context)
                    .collect::<Vec<Value>>(),
            )
        }
    }

    /// A JSON value as a context value: the same value as `tera::Value::from_serializable`
    /// (same number types, strings to escape), without going through serde.
    pub(crate) fn from_json(value: serde_json::Value) -> Value {
        use serde_json::Value as Json;
        match value {
            Json::Null => Value::none(),
            Json::Bool(b) => b.into(),
            Json::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => u.into(),
                (None, Some(i)) => i.into(),
                (None, None) => n.as_f64().unwrap_or(f64::NAN).into(),
            },
            Json::String(s) => s.as_str().into(),
            Json::Array(items) => items.into_iter().map(from_json).collect::<Vec<_>>().into(),
            Json::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (key, item) in map {
                    out.insert(Key::from(key), from_json(item));
                }
                Value::from(out)
            }
        }
    }

    /// `target` (a map) with `entries` set. A card taken from the memo shares its map with
    /// every page that lists it: the map is copied first, its values still shared.
    pub(crate) fn set<const N: usize>(target: &mut Value, entries: [(&'static str, Value); N]) {
        let mut map = std::mem::replace(target, Value::none())
            .into_map()
            .unwrap_or_default();
        for (key, value) in entries {
            map.insert(Key::Str(key), value);
        }
        *target = Value::from(map);
    }

    /// The value at `key` of a map.
    pub(crate) fn field<'v>(value: &'v Value, key: &'static str) -> Option<&'v Value> {
        value.as_map()?.get(&Key::Str(key))
    }

    /// How many values `value` holds, itself included: the size of a context, to render the
    /// biggest pages first.
    pub(crate) fn size(value: &Value) -> usize {
        1 + if let Some(items) = value.as_array() {
            items.iter().map(size).sum()
        } else if let Some(map) = value.as_map() {
            map.values().map(size).sum()
        } else {
            0
        }
    }
}

/// Open-data files, in `serde_json`'s values (sorted keys).
pub(crate) mod json {
    pub(crate) use serde_json::Value;

    pub(crate) type Map = serde_json::Map<String, Value>;

    pub(crate) fn map() -> Map {
        Map::new()
    }

    pub(crate) fn insert(map: &mut Map, key: &'static str, value: Value) {
        map.insert(String::from(key), value);
    }

    pub(crate) fn object(map: Map) -> Value {
        Value::Object(map)
    }

    // For a `null` written in a `json_object!`; none of the open-data files has one today.
    #[allow(dead_code)]
    pub(crate) fn null() -> Value {
        Value::Null
    }

    /// As [`super::context::ContextValue`], for JSON: moved when it converts into a `Value`
    /// (`From`), serialised otherwise.
    pub(crate) struct ContextValue<T>(pub T);

    pub(crate) trait ByMove {
        fn context_value(self) -> Value;
    }

    impl<T: Into<Value>> ByMove for ContextValue<T> {
        fn context_value(self) -> Value {
            self.0.into()
        }
    }

    pub(crate) trait BySerde {
        fn context_value(&self) -> Value;
    }

    impl<T: serde::Serialize> BySerde for ContextValue<T> {
        fn context_value(&self) -> Value {
            serde_json::to_value(&self.0).unwrap_or(Value::Null)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::context::{self, IntoContext, Value};

    #[test]
    fn numbers_mean_what_they_meant_in_json() {
        assert_eq!(3i32.into_context(), Value::from(3u64));
        assert!(3i32.into_context().is_u64());
        assert!((-3i64).into_context().is_i64());
        assert_eq!(0.25f64.into_context(), Value::from(0.25));
        assert!(f64::NAN.into_context().is_none());
        assert!(f64::INFINITY.into_context().is_none());
        assert!(None::<u64>.into_context().is_none());
        let json = serde_json::json!({"n": -2, "u": 7, "f": 1.5, "s": "x", "l": [null, true]});
        assert_eq!(
            context::from_json(json.clone()),
            Value::from_serializable(&json)
        );
    }

    #[test]
    fn setting_a_field_of_a_shared_card_leaves_the_card_as_it_was() {
        let card = object!({"titre": "Une étude", "villes": ["apt"]});
        let mut copy = card.clone();
        context::set(&mut copy, [("ville", "gordes".into_context())]);
        assert_eq!(context::field(&copy, "ville"), Some(&Value::from("gordes")));
        assert_eq!(context::field(&card, "ville"), None);
        assert_eq!(
            context::field(&copy, "titre"),
            context::field(&card, "titre")
        );
    }

    #[test]
    fn the_size_of_a_context_counts_every_value() {
        assert_eq!(context::size(&Value::none()), 1);
        assert_eq!(
            context::size(&object!({"a": [1, 2], "b": null, "c": {}})),
            6
        );
        // A listing of many cards weighs more than a page of a few fields.
        let listing = object!({"cas": (0..100).map(|i| object!({"titre": i})).collect::<Vec<_>>()});
        assert!(context::size(&listing) > context::size(&object!({"titre": "x", "ville": "y"})));
    }
}
