//! Deserializing a document into a Rust type, with the path and origin of
//! a bad value, and the keys the type has no field for.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};

use crate::document::Document;
use crate::error::Error;
use crate::value::{Node, Origin, Value, push_segment};

/// A key the typed config does not know, and where it was set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownKey {
    /// Dotted path.
    pub path: String,
    /// Where it was set.
    pub origin: Origin,
}

impl fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: unknown key `{}`", self.origin, self.path)
    }
}

/// Deserializes a document into `T`, listing the keys `T` ignores.
///
/// Keys are checked against the fields serde asks for when it
/// deserializes a struct; a struct with `#[serde(flatten)]` fields is read
/// as a map, so its keys are not checked.
pub fn deserialize<T: DeserializeOwned>(doc: &Document) -> Result<(T, Vec<UnknownKey>), Error> {
    let unknown = RefCell::new(Vec::new());
    let de = NodeDe {
        node: doc.root(),
        path: String::new(),
        unknown: &unknown,
    };
    match T::deserialize(de) {
        Ok(v) => {
            let mut keys = unknown.into_inner();
            keys.sort_by(|a, b| (&a.origin, &a.path).cmp(&(&b.origin, &b.path)));
            Ok((v, keys))
        }
        Err(e) => Err(Error::Deserialize {
            path: e.path.unwrap_or_default(),
            origin: e.origin,
            message: e.message,
        }),
    }
}

#[derive(Debug)]
struct DeError {
    message: String,
    path: Option<String>,
    origin: Option<Origin>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(msg: M) -> DeError {
        DeError {
            message: msg.to_string(),
            path: None,
            origin: None,
        }
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    unknown: &'a RefCell<Vec<UnknownKey>>,
}

impl<'a> NodeDe<'a> {
    /// Gives an error from below the position of this node, unless a
    /// deeper node already did.
    fn at<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|mut e| {
            if e.origin.is_none() {
                e.origin = Some(self.node.origin.clone());
                e.path = Some(self.path.clone());
            }
            e
        })
    }

    fn child(&self, node: &'a Node, key: &str) -> NodeDe<'a> {
        let mut path = self.path.clone();
        push_segment(&mut path, key);
        NodeDe {
            node,
            path,
            unknown: self.unknown,
        }
    }

    fn item(&self, node: &'a Node, i: usize) -> NodeDe<'a> {
        NodeDe {
            node,
            path: format!("{}[{i}]", self.path),
            unknown: self.unknown,
        }
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    visitor.visit_i64(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    visitor.visit_u64(v)
                } else {
                    visitor.visit_i128(*i)
                }
            }
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(Seq {
                de: &self,
                items: items.iter().enumerate(),
            }),
            Value::Map(m) => visitor.visit_map(MapDe {
                de: &self,
                iter: m.iter(),
                value: None,
            }),
        };
        self.at(r)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if let Value::Map(m) = &self.node.value {
            let mut unknown = self.unknown.borrow_mut();
            for (k, v) in m {
                if !fields.contains(&k.as_str()) {
                    let mut path = self.path.clone();
                    push_segment(&mut path, k);
                    unknown.push(UnknownKey {
                        path,
                        origin: v.origin.clone(),
                    });
                }
            }
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Map(m) if m.len() == 1 => match m.iter().next() {
                Some((k, v)) => visitor.visit_enum(Enum {
                    variant: k,
                    value: self.child(v, k),
                }),
                None => Err(de::Error::custom("expected an enum")),
            },
            other => Err(de::Error::custom(format!(
                "expected a string or a map of one key, found a {}",
                other.kind()
            ))),
        };
        self.at(r)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
    }
}

struct Seq<'a, 'b> {
    de: &'b NodeDe<'a>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_> {
    type Error = DeError;
    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, DeError> {
        match self.items.next() {
            Some((i, node)) => seed.deserialize(self.de.item(node, i)).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a, 'b> {
    de: &'b NodeDe<'a>,
    iter: std::collections::btree_map::Iter<'a, String, Node>,
    value: Option<(&'a String, &'a Node)>,
}

impl<'de> MapAccess<'de> for MapDe<'_, '_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some((k, v));
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        match self.value.take() {
            Some((k, v)) => seed.deserialize(self.de.child(v, k)),
            None => Err(de::Error::custom("value without a key")),
        }
    }
}

struct Enum<'a> {
    variant: &'a str,
    value: NodeDe<'a>,
}

impl<'de, 'a> EnumAccess<'de> for Enum<'a> {
    type Error = DeError;
    type Variant = NodeDe<'a>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, NodeDe<'a>), DeError> {
        let v = seed.deserialize(self.variant.into_deserializer())?;
        Ok((v, self.value))
    }
}

impl<'de> VariantAccess<'de> for NodeDe<'_> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        match self.node.value {
            Value::Null => Ok(()),
            _ => self.at(Err(de::Error::custom(
                "expected no value for a unit variant",
            ))),
        }
    }
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_struct("", fields, visitor)
    }
}
