/// Lexicons under `com`.
pub mod com {
    /// Lexicons under `com.example`.
    pub mod example {
        /// Lexicons under `com.example.base`.
        pub mod base {
            pub mod defs {
                //! Generated from the lexicon `com.example.base.defs`.
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.example.base.defs";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/tests/lexicons/sets/com/example/base/defs.json"
                );
                /// `com.example.base.defs#color` (string)
                #[derive(Clone, PartialEq, Hash)]
                pub enum Color {
                    /// `red`
                    Red,
                    /// `green`
                    Green,
                    /// A value the lexicon does not list.
                    Other(String),
                }
                impl ::core::cmp::Eq for Color {}
                impl __fmt::Debug for Color {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        match self {
                            Self::Red => f.write_str("Red"),
                            Self::Green => f.write_str("Green"),
                            Self::Other(s) => __p::debug_variant(f, "Other", s),
                        }
                    }
                }
                impl Color {
                    /// The value as written on the wire.
                    #[inline]
                    pub fn as_str(&self) -> &str {
                        match self {
                            Self::Red => "red",
                            Self::Green => "green",
                            Self::Other(s) => s.as_str(),
                        }
                    }
                    /// The variant for a value the lexicon lists.
                    #[inline]
                    pub fn known(s: &str) -> Option<Self> {
                        match s {
                            "red" => __Some(Self::Red),
                            "green" => __Some(Self::Green),
                            _ => __None,
                        }
                    }
                }
                impl ::core::convert::From<&str> for Color {
                    #[inline]
                    fn from(s: &str) -> Self {
                        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
                    }
                }
                impl ::core::convert::From<String> for Color {
                    #[inline]
                    fn from(s: String) -> Self {
                        Self::known(&s).unwrap_or(Self::Other(s))
                    }
                }
                impl ::core::str::FromStr for Color {
                    type Err = ::core::convert::Infallible;
                    #[inline]
                    fn from_str(s: &str) -> Result<Self, Self::Err> {
                        __Ok(Self::from(s))
                    }
                }
                impl ::core::convert::AsRef<str> for Color {
                    #[inline]
                    fn as_ref(&self) -> &str {
                        self.as_str()
                    }
                }
                impl __fmt::Display for Color {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
                impl __p::serde::Serialize for Color {
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Color {
                    fn deserialize<D: __p::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> Result<Self, D::Error> {
                        let s = <__p::Key<
                            'de,
                        > as __p::serde::Deserialize>::deserialize(deserializer)?;
                        __Ok(
                            match Self::known(s.as_str()) {
                                __Some(v) => v,
                                __None => Self::Other(s.into_string()),
                            },
                        )
                    }
                }
                impl ::atlex::Validate for Color {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __Ok(())
                    }
                }
                /// `com.example.base.defs#score` (integer)
                pub type Score = i64;
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                pub const __Score: __p::Checks = __p::Checks {
                    minimum: __Some(0i64),
                    maximum: __Some(10i64),
                    ..__p::Checks::NONE
                };
                /// `com.example.base.defs#shortText` (string)
                pub type ShortText = String;
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                pub const __ShortText: __p::Checks = __p::Checks {
                    max_length: __Some(5u64),
                    ..__p::Checks::NONE
                };
                /// `com.example.base.defs#tag` (object)
                #[derive(Clone)]
                pub struct Tag {
                    /// `name` (string, required).
                    pub name: String,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl Tag {
                    /// A value from its required properties (`name`); optional ones absent or at their default. Set others with `Tag { field: value, ..Tag::new(..) }`.
                    #[inline]
                    pub fn new(name: String) -> Self {
                        Self {
                            name,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "an object (Tag)",
                        keys: &["name"],
                        record: __None,
                        keep_extra: true,
                        required: &[0],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(s: (__Opt<String>,), extra: __t::Extra) -> __Opt<Self> {
                        let (f0,) = s;
                        match (f0,) {
                            (__Some(f0),) => __Some(Self { name: f0, extra: extra }),
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Tag {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.name == other.name && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for Tag {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Tag", f)
                    }
                }
                impl __p::serde::Serialize for Tag {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __None)
                            .field("name", &self.name)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Tag {
                    fn deserialize<D: __p::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> Result<Self, D::Error> {
                        __p::deserialize_object(
                            deserializer,
                            &Self::__INFO,
                            Self::__build,
                        )
                    }
                }
                impl ::atlex::Validate for Tag {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __p::check_fields(
                            &[
                                (
                                    "name",
                                    &self.name,
                                    &__p::Checks {
                                        max_length: __Some(80u64),
                                        max_graphemes: __Some(8u64),
                                        ..__p::Checks::NONE
                                    },
                                ),
                            ],
                        )
                    }
                }
                /// `com.example.base.defs#tagList` (array)
                pub type TagList = Vec<Tag>;
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                pub const __TagList: __p::Checks = __p::Checks {
                    max_length: __Some(2u64),
                    items: __Some(&__p::Checks::NONE),
                    ..__p::Checks::NONE
                };
            }
        }
    }
}
