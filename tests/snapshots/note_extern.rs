/// Lexicons under `com`.
pub mod com {
    /// Lexicons under `com.example`.
    pub mod example {
        /// Lexicons under `com.example.app`.
        pub mod app {
            pub mod note {
                //! Generated from the lexicon `com.example.app.note`.
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.example.app.note";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/tests/lexicons/sets/com/example/app/note.json"
                );
                /// A union inside `com.example.app.note`.
                ///
                /// Each variant's type converts into it (`From`), so a field takes `Some(value.into())`; except a type reached through `extern_paths` (it may be another variant's type under a second name): build that variant by hand, `Variant(Box::new(value))`.
                #[derive(Clone, PartialEq)]
                pub enum RecordAttachment {
                    /// `com.example.app.pin`
                    Pin(Box<super::super::super::super::com::example::app::pin::Record>),
                    /// `com.example.base.defs#tag`
                    DefsTag(Box<crate::base::com::example::base::defs::Tag>),
                    /// A variant this lexicon does not list, kept whole.
                    Unknown(__t::Unknown),
                }
                impl ::core::convert::From<
                    super::super::super::super::com::example::app::pin::Record,
                > for RecordAttachment {
                    #[inline]
                    fn from(
                        v: super::super::super::super::com::example::app::pin::Record,
                    ) -> Self {
                        Self::Pin(Box::new(v))
                    }
                }
                impl __fmt::Debug for RecordAttachment {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        match self {
                            Self::Pin(v) => __p::debug_variant(f, "Pin", v),
                            Self::DefsTag(v) => __p::debug_variant(f, "DefsTag", v),
                            Self::Unknown(v) => __p::debug_variant(f, "Unknown", v),
                        }
                    }
                }
                impl __p::serde::Serialize for RecordAttachment {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        match self {
                            Self::Pin(v) => {
                                __p::serialize_variant(
                                    &**v,
                                    "com.example.app.pin",
                                    serializer,
                                )
                            }
                            Self::DefsTag(v) => {
                                __p::serialize_variant(
                                    &**v,
                                    "com.example.base.defs#tag",
                                    serializer,
                                )
                            }
                            Self::Unknown(v) => {
                                __p::serde::Serialize::serialize(v, serializer)
                            }
                        }
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for RecordAttachment {
                    fn deserialize<D: __p::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> Result<Self, D::Error> {
                        __p::deserialize_union(deserializer)
                    }
                }
                impl __p::UnionTag for RecordAttachment {
                    fn from_tagged<'de, D: __p::serde::Deserializer<'de>>(
                        tag: &str,
                        d: D,
                    ) -> Result<Self, D::Error> {
                        match tag {
                            "com.example.app.pin" | "com.example.app.pin#main" => {
                                __p::variant(d, Self::Pin)
                            }
                            "com.example.base.defs#tag" => __p::variant(d, Self::DefsTag),
                            _ => __p::unknown_variant(d, Self::Unknown),
                        }
                    }
                }
                impl ::atlex::Validate for RecordAttachment {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        match self {
                            Self::Pin(v) => ::atlex::Validate::validate(&**v),
                            Self::DefsTag(v) => ::atlex::Validate::validate(&**v),
                            Self::Unknown(v) => ::atlex::Validate::validate(v),
                        }
                    }
                }
                /// The record `com.example.app.note` (key: `tid`).
                #[derive(Clone)]
                pub struct Record {
                    /// `text` (string, required).
                    pub text: String,
                    /// `createdAt` (string, required).
                    pub created_at: __t::Datetime,
                    /// `tags` (array, optional: `None` when absent).
                    pub tags: Option<Vec<crate::base::com::example::base::defs::Tag>>,
                    /// `color` (ref, optional, nullable: `None` when absent, `Some(None)` when `null`).
                    pub color: Option<
                        Option<crate::base::com::example::base::defs::Color>,
                    >,
                    /// `pinned` (ref, optional: `None` when absent).
                    pub pinned: Option<
                        super::super::super::super::com::example::app::pin::Record,
                    >,
                    /// `subtitle` (ref, optional: `None` when absent).
                    pub subtitle: Option<
                        crate::base::com::example::base::defs::ShortText,
                    >,
                    /// `score` (ref, optional: `None` when absent).
                    pub score: Option<crate::base::com::example::base::defs::Score>,
                    /// `moreTags` (ref, optional: `None` when absent).
                    pub more_tags: Option<
                        crate::base::com::example::base::defs::TagList,
                    >,
                    /// `scores` (array, optional: `None` when absent).
                    pub scores: Option<
                        Vec<crate::base::com::example::base::defs::Score>,
                    >,
                    /// `attachment` (union, optional: `None` when absent).
                    pub attachment: Option<RecordAttachment>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl Record {
                    /// A value from its required properties (`text`, `created_at`); optional ones absent or at their default. Set others with `Record { field: value, ..Record::new(..) }`.
                    #[inline]
                    pub fn new(text: String, created_at: __t::Datetime) -> Self {
                        Self {
                            text,
                            created_at,
                            tags: __None,
                            color: __None,
                            pinned: __None,
                            subtitle: __None,
                            score: __None,
                            more_tags: __None,
                            scores: __None,
                            attachment: __None,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "a com.example.app.note record",
                        keys: &[
                            "text",
                            "createdAt",
                            "tags",
                            "color",
                            "pinned",
                            "subtitle",
                            "score",
                            "moreTags",
                            "scores",
                            "attachment",
                        ],
                        record: __Some("com.example.app.note"),
                        keep_extra: true,
                        required: &[0, 1],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (
                            __Opt<String>,
                            __Opt<__t::Datetime>,
                            __p::IntSlot<
                                Vec<crate::base::com::example::base::defs::Tag>,
                            >,
                            __p::IntSlot<
                                __Opt<crate::base::com::example::base::defs::Color>,
                            >,
                            __Opt<
                                super::super::super::super::com::example::app::pin::Record,
                            >,
                            __p::IntSlot<
                                crate::base::com::example::base::defs::ShortText,
                            >,
                            __p::IntSlot<crate::base::com::example::base::defs::Score>,
                            __p::IntSlot<crate::base::com::example::base::defs::TagList>,
                            __p::IntSlot<
                                Vec<crate::base::com::example::base::defs::Score>,
                            >,
                            __Opt<RecordAttachment>,
                        ),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (
                            f0,
                            f1,
                            __p::IntSlot(f2),
                            __p::IntSlot(f3),
                            f4,
                            __p::IntSlot(f5),
                            __p::IntSlot(f6),
                            __p::IntSlot(f7),
                            __p::IntSlot(f8),
                            f9,
                        ) = s;
                        match (f0, f1) {
                            (__Some(f0), __Some(f1)) => {
                                __Some(Self {
                                    text: f0,
                                    created_at: f1,
                                    tags: f2,
                                    color: f3,
                                    pinned: f4,
                                    subtitle: f5,
                                    score: f6,
                                    more_tags: f7,
                                    scores: f8,
                                    attachment: f9,
                                    extra: extra,
                                })
                            }
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Record {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.text == other.text && self.created_at == other.created_at
                            && self.tags == other.tags && self.color == other.color
                            && self.pinned == other.pinned
                            && self.subtitle == other.subtitle
                            && self.score == other.score
                            && self.more_tags == other.more_tags
                            && self.scores == other.scores
                            && self.attachment == other.attachment
                            && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for Record {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Record", f)
                    }
                }
                impl __p::serde::Serialize for Record {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(
                                serializer,
                                __Some("com.example.app.note"),
                            )
                            .field("text", &self.text)
                            .field("createdAt", &self.created_at)
                            .optional("tags", &self.tags)
                            .optional("color", &self.color)
                            .optional("pinned", &self.pinned)
                            .optional("subtitle", &self.subtitle)
                            .optional("score", &self.score)
                            .optional("moreTags", &self.more_tags)
                            .optional("scores", &self.scores)
                            .optional("attachment", &self.attachment)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Record {
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
                impl ::atlex::Validate for Record {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __p::check_fields(
                            &[
                                (
                                    "text",
                                    &self.text,
                                    &__p::Checks {
                                        max_graphemes: __Some(10u64),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                (
                                    "tags",
                                    &self.tags,
                                    &__p::Checks {
                                        max_length: __Some(2u64),
                                        items: __Some(
                                            &const {
                                                #[allow(dead_code, non_upper_case_globals)]
                                                const __Tag: __p::Checks = __p::Checks::NONE;
                                                {
                                                    #[allow(unused_imports)]
                                                    use crate::base::com::example::base::defs::*;
                                                    __Tag
                                                }
                                            },
                                        ),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                (
                                    "color",
                                    &self.color,
                                    &const {
                                        #[allow(dead_code, non_upper_case_globals)]
                                        const __Color: __p::Checks = __p::Checks::NONE;
                                        {
                                            #[allow(unused_imports)]
                                            use crate::base::com::example::base::defs::*;
                                            __Color
                                        }
                                    },
                                ),
                                ("pinned", &self.pinned, &__p::Checks::NONE),
                                (
                                    "subtitle",
                                    &self.subtitle,
                                    &const {
                                        #[allow(dead_code, non_upper_case_globals)]
                                        const __ShortText: __p::Checks = __p::Checks::NONE;
                                        {
                                            #[allow(unused_imports)]
                                            use crate::base::com::example::base::defs::*;
                                            __ShortText
                                        }
                                    },
                                ),
                                (
                                    "score",
                                    &self.score,
                                    &const {
                                        #[allow(dead_code, non_upper_case_globals)]
                                        const __Score: __p::Checks = __p::Checks::NONE;
                                        {
                                            #[allow(unused_imports)]
                                            use crate::base::com::example::base::defs::*;
                                            __Score
                                        }
                                    },
                                ),
                                (
                                    "moreTags",
                                    &self.more_tags,
                                    &const {
                                        #[allow(dead_code, non_upper_case_globals)]
                                        const __TagList: __p::Checks = __p::Checks::NONE;
                                        {
                                            #[allow(unused_imports)]
                                            use crate::base::com::example::base::defs::*;
                                            __TagList
                                        }
                                    },
                                ),
                                (
                                    "scores",
                                    &self.scores,
                                    &__p::Checks {
                                        items: __Some(
                                            &const {
                                                #[allow(dead_code, non_upper_case_globals)]
                                                const __Score: __p::Checks = __p::Checks::NONE;
                                                {
                                                    #[allow(unused_imports)]
                                                    use crate::base::com::example::base::defs::*;
                                                    __Score
                                                }
                                            },
                                        ),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                ("attachment", &self.attachment, &__p::Checks::NONE),
                            ],
                        )
                    }
                }
                impl ::atlex::Record for Record {
                    const NSID: &'static str = "com.example.app.note";
                    const KEY: &'static str = "tid";
                }
                #[doc(hidden)]
                pub type Main = Record;
            }
            pub mod pin {
                //! Generated from the lexicon `com.example.app.pin`.
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.example.app.pin";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/tests/lexicons/sets/com/example/app/pin.json"
                );
                /// The record `com.example.app.pin` (key: `literal:self`).
                #[derive(Clone)]
                pub struct Record {
                    /// `subject` (string, required).
                    pub subject: __t::AtUri,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl Record {
                    /// A value from its required properties (`subject`); optional ones absent or at their default. Set others with `Record { field: value, ..Record::new(..) }`.
                    #[inline]
                    pub fn new(subject: __t::AtUri) -> Self {
                        Self {
                            subject,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "a com.example.app.pin record",
                        keys: &["subject"],
                        record: __Some("com.example.app.pin"),
                        keep_extra: true,
                        required: &[0],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (__Opt<__t::AtUri>,),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (f0,) = s;
                        match (f0,) {
                            (__Some(f0),) => __Some(Self { subject: f0, extra: extra }),
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Record {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.subject == other.subject && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for Record {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Record", f)
                    }
                }
                impl __p::serde::Serialize for Record {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __Some("com.example.app.pin"))
                            .field("subject", &self.subject)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Record {
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
                impl ::atlex::Validate for Record {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __Ok(())
                    }
                }
                impl ::atlex::Record for Record {
                    const NSID: &'static str = "com.example.app.pin";
                    const KEY: &'static str = "literal:self";
                }
                #[doc(hidden)]
                pub type Main = Record;
            }
        }
    }
}
/// Every record type of these lexicons, by collection: a record read where its
/// collection is only known at run time (a repository, the event stream) decodes into
/// its type, and a record of any other collection is kept whole.
#[derive(Clone, PartialEq)]
pub enum AnyRecord {
    /// A `com.example.app.note` record.
    ComExampleAppNote(::std::boxed::Box<com::example::app::note::Record>),
    /// A `com.example.app.pin` record.
    ComExampleAppPin(::std::boxed::Box<com::example::app::pin::Record>),
    /// A record of a collection these lexicons do not define.
    Unknown(::atlex::types::Unknown),
}
impl ::core::fmt::Debug for AnyRecord {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::ComExampleAppNote(r) => ::core::fmt::Debug::fmt(r, f),
            Self::ComExampleAppPin(r) => ::core::fmt::Debug::fmt(r, f),
            Self::Unknown(u) => ::core::fmt::Debug::fmt(u, f),
        }
    }
}
impl ::atlex::RecordSet for AnyRecord {
    fn read<X: ::atlex::RecordReader>(
        collection: &str,
        reader: X,
    ) -> ::core::result::Result<Self, X::Error> {
        ::core::result::Result::Ok(
            match collection {
                "com.example.app.note" => {
                    Self::ComExampleAppNote(::std::boxed::Box::new(reader.read()?))
                }
                "com.example.app.pin" => {
                    Self::ComExampleAppPin(::std::boxed::Box::new(reader.read()?))
                }
                _ => Self::Unknown(reader.read_unknown()?),
            },
        )
    }
}
