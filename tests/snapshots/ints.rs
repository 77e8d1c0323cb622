/// Lexicons under `com`.
pub mod com {
    /// Lexicons under `com.example`.
    pub mod example {
        /// Lexicons under `com.example.ints`.
        pub mod ints {
            pub mod all {
                /*! An integer in every position a property can hold one.

 Generated from the lexicon `com.example.ints.all`.*/
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.example.ints.all";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/tests/lexicons/sets/com/example/ints/all.json"
                );
                /// An object inside `com.example.ints.all`.
                #[derive(Clone)]
                pub struct MainNested {
                    /// `n` (integer, optional, nullable: `None` when absent, `Some(None)` when `null`).
                    pub n: Option<Option<i64>>,
                    /// `ns` (array, optional: `None` when absent).
                    pub ns: Option<Vec<i64>>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl MainNested {
                    /// A value with every optional property absent (or at its lexicon default).
                    #[inline]
                    pub fn new() -> Self {
                        Self {
                            n: __None,
                            ns: __None,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "an object (MainNested)",
                        keys: &["n", "ns"],
                        record: __None,
                        keep_extra: true,
                        required: &[],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (__p::IntSlot<__Opt<i64>>, __p::IntSlot<Vec<i64>>),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (__p::IntSlot(f0), __p::IntSlot(f1)) = s;
                        __Some(Self {
                            n: f0,
                            ns: f1,
                            extra: extra,
                        })
                    }
                }
                impl ::core::default::Default for MainNested {
                    #[inline]
                    fn default() -> Self {
                        Self::new()
                    }
                }
                impl ::core::cmp::PartialEq for MainNested {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.n == other.n && self.ns == other.ns
                            && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for MainNested {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "MainNested", f)
                    }
                }
                impl __p::serde::Serialize for MainNested {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __None)
                            .optional("n", &self.n)
                            .optional("ns", &self.ns)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for MainNested {
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
                impl ::atlex::Validate for MainNested {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __Ok(())
                    }
                }
                /// `com.example.ints.all` (object)
                #[derive(Clone)]
                pub struct Main {
                    /// `plain` (integer, required).
                    pub plain: i64,
                    /// `opt` (integer, optional: `None` when absent).
                    pub opt: Option<i64>,
                    /// `def` (integer, optional: the lexicon default when absent).
                    pub def: i64,
                    /// `nul` (integer, required, nullable: `None` is `null`).
                    pub nul: Option<i64>,
                    /// `optNul` (integer, optional, nullable: `None` when absent, `Some(None)` when `null`).
                    pub opt_nul: Option<Option<i64>>,
                    /// `arr` (array, required).
                    pub arr: Vec<i64>,
                    /// `optArr` (array, optional: `None` when absent).
                    pub opt_arr: Option<Vec<i64>>,
                    /// `nulArr` (array, required, nullable: `None` is `null`).
                    pub nul_arr: Option<Vec<i64>>,
                    /// `optNulArr` (array, optional, nullable: `None` when absent, `Some(None)` when `null`).
                    pub opt_nul_arr: Option<Option<Vec<i64>>>,
                    /// `alias` (ref, required).
                    pub alias: super::super::super::super::com::example::ints::defs::Count,
                    /// `optAlias` (ref, optional: `None` when absent).
                    pub opt_alias: Option<
                        super::super::super::super::com::example::ints::defs::Count,
                    >,
                    /// `nulAlias` (ref, optional, nullable: `None` when absent, `Some(None)` when `null`).
                    pub nul_alias: Option<
                        Option<
                            super::super::super::super::com::example::ints::defs::Count,
                        >,
                    >,
                    /// `aliasArr` (array, optional: `None` when absent).
                    pub alias_arr: Option<
                        Vec<super::super::super::super::com::example::ints::defs::Count>,
                    >,
                    /// `arrAlias` (ref, optional: `None` when absent).
                    pub arr_alias: Option<
                        super::super::super::super::com::example::ints::defs::Counts,
                    >,
                    /// `arrAliasArr` (array, optional: `None` when absent).
                    pub arr_alias_arr: Option<
                        Vec<super::super::super::super::com::example::ints::defs::Counts>,
                    >,
                    /// `nested` (object, optional: `None` when absent).
                    pub nested: Option<MainNested>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                    /// Which defaulted properties were absent (not written back while unchanged).
                    #[doc(hidden)]
                    pub __absent: u64,
                }
                impl Main {
                    /// A value from its required properties (`plain`, `nul`, `arr`, `nul_arr`, `alias`); optional ones absent or at their default. Set others with `Main { field: value, ..Main::new(..) }`.
                    #[inline]
                    pub fn new(
                        plain: i64,
                        nul: Option<i64>,
                        arr: Vec<i64>,
                        nul_arr: Option<Vec<i64>>,
                        alias: super::super::super::super::com::example::ints::defs::Count,
                    ) -> Self {
                        Self {
                            plain,
                            opt: __None,
                            def: 3i64,
                            nul,
                            opt_nul: __None,
                            arr,
                            opt_arr: __None,
                            nul_arr,
                            opt_nul_arr: __None,
                            alias,
                            opt_alias: __None,
                            nul_alias: __None,
                            alias_arr: __None,
                            arr_alias: __None,
                            arr_alias_arr: __None,
                            nested: __None,
                            extra: __t::Extra::new(),
                            __absent: 1u64,
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "an object (Main)",
                        keys: &[
                            "plain",
                            "opt",
                            "def",
                            "nul",
                            "optNul",
                            "arr",
                            "optArr",
                            "nulArr",
                            "optNulArr",
                            "alias",
                            "optAlias",
                            "nulAlias",
                            "aliasArr",
                            "arrAlias",
                            "arrAliasArr",
                            "nested",
                        ],
                        record: __None,
                        keep_extra: true,
                        required: &[0, 3, 5, 7, 9],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (
                            (
                                __p::IntSlot<i64>,
                                __p::IntSlot<i64>,
                                __p::IntSlot<i64>,
                                __p::IntSlot<__Opt<i64>>,
                                __p::IntSlot<__Opt<i64>>,
                                __p::IntSlot<Vec<i64>>,
                                __p::IntSlot<Vec<i64>>,
                                __p::IntSlot<__Opt<Vec<i64>>>,
                                __p::IntSlot<__Opt<Vec<i64>>>,
                                __p::IntSlot<
                                    super::super::super::super::com::example::ints::defs::Count,
                                >,
                                __p::IntSlot<
                                    super::super::super::super::com::example::ints::defs::Count,
                                >,
                                __p::IntSlot<
                                    __Opt<
                                        super::super::super::super::com::example::ints::defs::Count,
                                    >,
                                >,
                            ),
                            (
                                __p::IntSlot<
                                    Vec<
                                        super::super::super::super::com::example::ints::defs::Count,
                                    >,
                                >,
                                __p::IntSlot<
                                    super::super::super::super::com::example::ints::defs::Counts,
                                >,
                                __p::IntSlot<
                                    Vec<
                                        super::super::super::super::com::example::ints::defs::Counts,
                                    >,
                                >,
                                __Opt<MainNested>,
                            ),
                        ),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (
                            (
                                __p::IntSlot(f0),
                                __p::IntSlot(f1),
                                __p::IntSlot(f2),
                                __p::IntSlot(f3),
                                __p::IntSlot(f4),
                                __p::IntSlot(f5),
                                __p::IntSlot(f6),
                                __p::IntSlot(f7),
                                __p::IntSlot(f8),
                                __p::IntSlot(f9),
                                __p::IntSlot(f10),
                                __p::IntSlot(f11),
                            ),
                            (
                                __p::IntSlot(f12),
                                __p::IntSlot(f13),
                                __p::IntSlot(f14),
                                f15,
                            ),
                        ) = s;
                        let absent: u64 = 0 | if f2.is_none() { 1u64 } else { 0 };
                        match (f0, f3, f5, f7, f9) {
                            (
                                __Some(f0),
                                __Some(f3),
                                __Some(f5),
                                __Some(f7),
                                __Some(f9),
                            ) => {
                                __Some(Self {
                                    plain: f0,
                                    opt: f1,
                                    def: match f2 {
                                        __Some(v) => v,
                                        __None => 3i64,
                                    },
                                    nul: f3,
                                    opt_nul: f4,
                                    arr: f5,
                                    opt_arr: f6,
                                    nul_arr: f7,
                                    opt_nul_arr: f8,
                                    alias: f9,
                                    opt_alias: f10,
                                    nul_alias: f11,
                                    alias_arr: f12,
                                    arr_alias: f13,
                                    arr_alias_arr: f14,
                                    nested: f15,
                                    extra: extra,
                                    __absent: absent,
                                })
                            }
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Main {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.plain == other.plain && self.opt == other.opt
                            && self.def == other.def && self.nul == other.nul
                            && self.opt_nul == other.opt_nul && self.arr == other.arr
                            && self.opt_arr == other.opt_arr
                            && self.nul_arr == other.nul_arr
                            && self.opt_nul_arr == other.opt_nul_arr
                            && self.alias == other.alias
                            && self.opt_alias == other.opt_alias
                            && self.nul_alias == other.nul_alias
                            && self.alias_arr == other.alias_arr
                            && self.arr_alias == other.arr_alias
                            && self.arr_alias_arr == other.arr_alias_arr
                            && self.nested == other.nested && self.extra == other.extra
                            && self.__absent == other.__absent
                    }
                }
                impl __fmt::Debug for Main {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Main", f)
                    }
                }
                impl __p::serde::Serialize for Main {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __None)
                            .field("plain", &self.plain)
                            .optional("opt", &self.opt)
                            .field_if(
                                "def",
                                &self.def,
                                self.__absent & 1u64 == 0 || self.def != 3i64,
                            )
                            .field("nul", &self.nul)
                            .optional("optNul", &self.opt_nul)
                            .field("arr", &self.arr)
                            .optional("optArr", &self.opt_arr)
                            .field("nulArr", &self.nul_arr)
                            .optional("optNulArr", &self.opt_nul_arr)
                            .field("alias", &self.alias)
                            .optional("optAlias", &self.opt_alias)
                            .optional("nulAlias", &self.nul_alias)
                            .optional("aliasArr", &self.alias_arr)
                            .optional("arrAlias", &self.arr_alias)
                            .optional("arrAliasArr", &self.arr_alias_arr)
                            .optional("nested", &self.nested)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Main {
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
                impl ::atlex::Validate for Main {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __p::check_fields(
                            &[
                                (
                                    "alias",
                                    &self.alias,
                                    &__p::Checks {
                                        minimum: __Some(0i64),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                (
                                    "optAlias",
                                    &self.opt_alias,
                                    &__p::Checks {
                                        minimum: __Some(0i64),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                (
                                    "nulAlias",
                                    &self.nul_alias,
                                    &__p::Checks {
                                        minimum: __Some(0i64),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                (
                                    "aliasArr",
                                    &self.alias_arr,
                                    &__p::Checks {
                                        items: __Some(
                                            &__p::Checks {
                                                minimum: __Some(0i64),
                                                ..__p::Checks::NONE
                                            },
                                        ),
                                        ..__p::Checks::NONE
                                    },
                                ),
                                ("nested", &self.nested, &__p::Checks::NONE),
                            ],
                        )
                    }
                }
            }
            pub mod defs {
                /*! Integer aliases: the referencing side sees `i64` and `Vec<i64>` only.

 Generated from the lexicon `com.example.ints.defs`.*/
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.example.ints.defs";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/tests/lexicons/sets/com/example/ints/defs.json"
                );
                /// `com.example.ints.defs#count` (integer)
                pub type Count = i64;
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                pub const __Count: __p::Checks = __p::Checks {
                    minimum: __Some(0i64),
                    ..__p::Checks::NONE
                };
                /// `com.example.ints.defs#counts` (array)
                pub type Counts = Vec<i64>;
            }
        }
    }
}
