/// Lexicons under `com`.
pub mod com {
    /// Lexicons under `com.atproto`.
    pub mod atproto {
        /// Lexicons under `com.atproto.server`.
        pub mod server {
            pub mod create_session {
                //! Generated from the lexicon `com.atproto.server.createSession`.
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.atproto.server.createSession";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/runtime/lexicons/com/atproto/server/createSession.json"
                );
                /// Input of `com.atproto.server.createSession` (procedure), encoded as `application/json`.
                #[derive(Clone, PartialEq)]
                pub struct Input {
                    /// Handle or other identifier supported by the server for the authenticating user.
                    ///
                    /// `identifier` (string, required).
                    pub identifier: ::std::string::String,
                    /// `password` (string, required).
                    pub password: ::std::string::String,
                    /// `authFactorToken` (string, optional: `None` when absent).
                    pub auth_factor_token: ::core::option::Option<::std::string::String>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: ::atlex::types::Extra,
                }
                impl Input {
                    /// A value from its required properties (`identifier`, `password`); optional ones absent or at their default. Set others with `Input { field: value, ..Input::new(..) }`.
                    #[inline]
                    pub fn new(
                        identifier: ::std::string::String,
                        password: ::std::string::String,
                    ) -> Self {
                        Self {
                            identifier,
                            password,
                            auth_factor_token: ::core::option::Option::None,
                            extra: ::atlex::types::Extra::new(),
                        }
                    }
                }
                impl ::core::fmt::Debug for Input {
                    #[inline]
                    fn fmt(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        ::atlex::__private::debug_object(
                            f,
                            "Input",
                            &[
                                ("identifier", &self.identifier),
                                ("password", &::atlex::__private::Redacted),
                                (
                                    "auth_factor_token",
                                    &::atlex::__private::redact_opt(&self.auth_factor_token),
                                ),
                            ],
                            ::core::option::Option::Some(&self.extra),
                        )
                    }
                }
                impl ::atlex::__private::serde::Serialize for Input {
                    #[inline]
                    fn serialize<S: ::atlex::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        ::atlex::__private::serialize_object(
                            self,
                            ::core::option::Option::None,
                            serializer,
                        )
                    }
                }
                impl<'de> ::atlex::__private::serde::Deserialize<'de> for Input {
                    fn deserialize<D: ::atlex::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        ::atlex::__private::deserialize_object(deserializer)
                    }
                }
                impl ::atlex::__private::Object for Input {
                    const EXPECTING: &'static str = "an object (Input)";
                    const KEYS: &'static [&'static str] = &[
                        "identifier",
                        "password",
                        "authFactorToken",
                    ];
                    const REQUIRED: &'static [usize] = &[0, 1];
                    type Slots = (
                        ::core::option::Option<::std::string::String>,
                        ::core::option::Option<::std::string::String>,
                        ::core::option::Option<::std::string::String>,
                    );
                    #[inline]
                    fn read<'de, A: ::atlex::__private::serde::de::MapAccess<'de>>(
                        s: &mut Self::Slots,
                        i: usize,
                        map: &mut A,
                    ) -> ::core::result::Result<(), A::Error> {
                        match i {
                            0 => {
                                ::atlex::__private::next_field(map, &mut s.0, "identifier")
                            }
                            1 => {
                                ::atlex::__private::next_field(map, &mut s.1, "password")
                            }
                            _ => {
                                ::atlex::__private::next_field(
                                    map,
                                    &mut s.2,
                                    "authFactorToken",
                                )
                            }
                        }
                    }
                    #[inline]
                    fn build(
                        s: Self::Slots,
                        extra: ::atlex::types::Extra,
                    ) -> ::core::option::Option<Self> {
                        let (f0, f1, f2) = s;
                        match (f0, f1) {
                            (
                                ::core::option::Option::Some(f0),
                                ::core::option::Option::Some(f1),
                            ) => {
                                ::core::option::Option::Some(Self {
                                    identifier: f0,
                                    password: f1,
                                    auth_factor_token: f2,
                                    extra: extra,
                                })
                            }
                            _ => ::core::option::Option::None,
                        }
                    }
                    #[inline]
                    fn write<M: ::atlex::__private::serde::ser::SerializeMap>(
                        &self,
                        map: &mut M,
                    ) -> ::core::result::Result<(), M::Error> {
                        ::atlex::__private::Fields::new(map)
                            .field("identifier", &self.identifier)
                            .field("password", &self.password)
                            .optional("authFactorToken", &self.auth_factor_token)
                            .extra(&self.extra)
                    }
                }
                impl ::atlex::Validate for Input {
                    #[inline]
                    fn validate(
                        &self,
                    ) -> ::core::result::Result<(), ::atlex::ValidationError> {
                        ::core::result::Result::Ok(())
                    }
                }
                /// If active=false, this optional field indicates a possible reason for why the account is not active. If active=false and no status is supplied, then the host makes no claim for why the repository is no longer being hosted.
                ///
                /// A string inside `com.atproto.server.createSession`.
                #[derive(Debug, Clone, PartialEq, Eq, Hash)]
                pub enum OutputStatus {
                    /// `takendown`
                    Takendown,
                    /// `suspended`
                    Suspended,
                    /// `deactivated`
                    Deactivated,
                    /// A value the lexicon does not list.
                    Other(::std::string::String),
                }
                impl OutputStatus {
                    /// The value as written on the wire.
                    #[inline]
                    pub fn as_str(&self) -> &str {
                        match self {
                            Self::Takendown => "takendown",
                            Self::Suspended => "suspended",
                            Self::Deactivated => "deactivated",
                            Self::Other(s) => s.as_str(),
                        }
                    }
                    /// The variant for a value the lexicon lists.
                    #[inline]
                    pub fn known(s: &str) -> ::core::option::Option<Self> {
                        match s {
                            "takendown" => ::core::option::Option::Some(Self::Takendown),
                            "suspended" => ::core::option::Option::Some(Self::Suspended),
                            "deactivated" => {
                                ::core::option::Option::Some(Self::Deactivated)
                            }
                            _ => ::core::option::Option::None,
                        }
                    }
                }
                impl ::core::convert::From<&str> for OutputStatus {
                    #[inline]
                    fn from(s: &str) -> Self {
                        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
                    }
                }
                impl ::core::convert::From<::std::string::String> for OutputStatus {
                    #[inline]
                    fn from(s: ::std::string::String) -> Self {
                        Self::known(&s).unwrap_or(Self::Other(s))
                    }
                }
                impl ::core::str::FromStr for OutputStatus {
                    type Err = ::core::convert::Infallible;
                    #[inline]
                    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                        ::core::result::Result::Ok(Self::from(s))
                    }
                }
                impl ::core::convert::AsRef<str> for OutputStatus {
                    #[inline]
                    fn as_ref(&self) -> &str {
                        self.as_str()
                    }
                }
                impl ::core::fmt::Display for OutputStatus {
                    #[inline]
                    fn fmt(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
                impl ::atlex::__private::serde::Serialize for OutputStatus {
                    fn serialize<S: ::atlex::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }
                impl<'de> ::atlex::__private::serde::Deserialize<'de> for OutputStatus {
                    fn deserialize<D: ::atlex::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        let s = <::atlex::__private::Key<
                            'de,
                        > as ::atlex::__private::serde::Deserialize>::deserialize(
                            deserializer,
                        )?;
                        ::core::result::Result::Ok(
                            match Self::known(s.as_str()) {
                                ::core::option::Option::Some(v) => v,
                                ::core::option::Option::None => Self::Other(s.into_string()),
                            },
                        )
                    }
                }
                impl ::atlex::Validate for OutputStatus {
                    #[inline]
                    fn validate(
                        &self,
                    ) -> ::core::result::Result<(), ::atlex::ValidationError> {
                        ::core::result::Result::Ok(())
                    }
                }
                /// Output of `com.atproto.server.createSession` (procedure), encoded as `application/json`.
                #[derive(Clone, PartialEq)]
                pub struct Output {
                    /// `accessJwt` (string, required).
                    pub access_jwt: ::std::string::String,
                    /// `refreshJwt` (string, required).
                    pub refresh_jwt: ::std::string::String,
                    /// `handle` (string, required).
                    pub handle: ::atlex::types::Handle,
                    /// `did` (string, required).
                    pub did: ::atlex::types::Did,
                    /// `didDoc` (unknown, optional: `None` when absent).
                    pub did_doc: ::core::option::Option<::atlex::types::Unknown>,
                    /// `email` (string, optional: `None` when absent).
                    pub email: ::core::option::Option<::std::string::String>,
                    /// `emailConfirmed` (boolean, optional: `None` when absent).
                    pub email_confirmed: ::core::option::Option<bool>,
                    /// `emailAuthFactor` (boolean, optional: `None` when absent).
                    pub email_auth_factor: ::core::option::Option<bool>,
                    /// `active` (boolean, optional: `None` when absent).
                    pub active: ::core::option::Option<bool>,
                    /// If active=false, this optional field indicates a possible reason for why the account is not active. If active=false and no status is supplied, then the host makes no claim for why the repository is no longer being hosted.
                    ///
                    /// `status` (string, optional: `None` when absent).
                    pub status: ::core::option::Option<OutputStatus>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: ::atlex::types::Extra,
                }
                impl Output {
                    /// A value from its required properties (`access_jwt`, `refresh_jwt`, `handle`, `did`); optional ones absent or at their default. Set others with `Output { field: value, ..Output::new(..) }`.
                    #[inline]
                    pub fn new(
                        access_jwt: ::std::string::String,
                        refresh_jwt: ::std::string::String,
                        handle: ::atlex::types::Handle,
                        did: ::atlex::types::Did,
                    ) -> Self {
                        Self {
                            access_jwt,
                            refresh_jwt,
                            handle,
                            did,
                            did_doc: ::core::option::Option::None,
                            email: ::core::option::Option::None,
                            email_confirmed: ::core::option::Option::None,
                            email_auth_factor: ::core::option::Option::None,
                            active: ::core::option::Option::None,
                            status: ::core::option::Option::None,
                            extra: ::atlex::types::Extra::new(),
                        }
                    }
                }
                impl ::core::fmt::Debug for Output {
                    #[inline]
                    fn fmt(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        ::atlex::__private::debug_object(
                            f,
                            "Output",
                            &[
                                ("access_jwt", &::atlex::__private::Redacted),
                                ("refresh_jwt", &::atlex::__private::Redacted),
                                ("handle", &self.handle),
                                ("did", &self.did),
                                ("did_doc", &self.did_doc),
                                ("email", &self.email),
                                ("email_confirmed", &self.email_confirmed),
                                ("email_auth_factor", &self.email_auth_factor),
                                ("active", &self.active),
                                ("status", &self.status),
                            ],
                            ::core::option::Option::Some(&self.extra),
                        )
                    }
                }
                impl ::atlex::__private::serde::Serialize for Output {
                    #[inline]
                    fn serialize<S: ::atlex::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        ::atlex::__private::serialize_object(
                            self,
                            ::core::option::Option::None,
                            serializer,
                        )
                    }
                }
                impl<'de> ::atlex::__private::serde::Deserialize<'de> for Output {
                    fn deserialize<D: ::atlex::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        ::atlex::__private::deserialize_object(deserializer)
                    }
                }
                impl ::atlex::__private::Object for Output {
                    const EXPECTING: &'static str = "an object (Output)";
                    const KEYS: &'static [&'static str] = &[
                        "accessJwt",
                        "refreshJwt",
                        "handle",
                        "did",
                        "didDoc",
                        "email",
                        "emailConfirmed",
                        "emailAuthFactor",
                        "active",
                        "status",
                    ];
                    const REQUIRED: &'static [usize] = &[0, 1, 2, 3];
                    type Slots = (
                        ::core::option::Option<::std::string::String>,
                        ::core::option::Option<::std::string::String>,
                        ::core::option::Option<::atlex::types::Handle>,
                        ::core::option::Option<::atlex::types::Did>,
                        ::core::option::Option<::atlex::types::Unknown>,
                        ::core::option::Option<::std::string::String>,
                        ::core::option::Option<bool>,
                        ::core::option::Option<bool>,
                        ::core::option::Option<bool>,
                        ::core::option::Option<OutputStatus>,
                    );
                    #[inline]
                    fn read<'de, A: ::atlex::__private::serde::de::MapAccess<'de>>(
                        s: &mut Self::Slots,
                        i: usize,
                        map: &mut A,
                    ) -> ::core::result::Result<(), A::Error> {
                        match i {
                            0 => {
                                ::atlex::__private::next_field(map, &mut s.0, "accessJwt")
                            }
                            1 => {
                                ::atlex::__private::next_field(map, &mut s.1, "refreshJwt")
                            }
                            2 => ::atlex::__private::next_field(map, &mut s.2, "handle"),
                            3 => ::atlex::__private::next_field(map, &mut s.3, "did"),
                            4 => ::atlex::__private::next_field(map, &mut s.4, "didDoc"),
                            5 => ::atlex::__private::next_field(map, &mut s.5, "email"),
                            6 => {
                                ::atlex::__private::next_field(
                                    map,
                                    &mut s.6,
                                    "emailConfirmed",
                                )
                            }
                            7 => {
                                ::atlex::__private::next_field(
                                    map,
                                    &mut s.7,
                                    "emailAuthFactor",
                                )
                            }
                            8 => ::atlex::__private::next_field(map, &mut s.8, "active"),
                            _ => ::atlex::__private::next_field(map, &mut s.9, "status"),
                        }
                    }
                    #[inline]
                    fn build(
                        s: Self::Slots,
                        extra: ::atlex::types::Extra,
                    ) -> ::core::option::Option<Self> {
                        let (f0, f1, f2, f3, f4, f5, f6, f7, f8, f9) = s;
                        match (f0, f1, f2, f3) {
                            (
                                ::core::option::Option::Some(f0),
                                ::core::option::Option::Some(f1),
                                ::core::option::Option::Some(f2),
                                ::core::option::Option::Some(f3),
                            ) => {
                                ::core::option::Option::Some(Self {
                                    access_jwt: f0,
                                    refresh_jwt: f1,
                                    handle: f2,
                                    did: f3,
                                    did_doc: f4,
                                    email: f5,
                                    email_confirmed: f6,
                                    email_auth_factor: f7,
                                    active: f8,
                                    status: f9,
                                    extra: extra,
                                })
                            }
                            _ => ::core::option::Option::None,
                        }
                    }
                    #[inline]
                    fn write<M: ::atlex::__private::serde::ser::SerializeMap>(
                        &self,
                        map: &mut M,
                    ) -> ::core::result::Result<(), M::Error> {
                        ::atlex::__private::Fields::new(map)
                            .field("accessJwt", &self.access_jwt)
                            .field("refreshJwt", &self.refresh_jwt)
                            .field("handle", &self.handle)
                            .field("did", &self.did)
                            .optional("didDoc", &self.did_doc)
                            .optional("email", &self.email)
                            .optional("emailConfirmed", &self.email_confirmed)
                            .optional("emailAuthFactor", &self.email_auth_factor)
                            .optional("active", &self.active)
                            .optional("status", &self.status)
                            .extra(&self.extra)
                    }
                }
                impl ::atlex::Validate for Output {
                    #[inline]
                    fn validate(
                        &self,
                    ) -> ::core::result::Result<(), ::atlex::ValidationError> {
                        ::atlex::__private::check_fields(
                            &[
                                (
                                    "didDoc",
                                    &self.did_doc,
                                    &::atlex::__private::Checks::NONE,
                                ),
                                ("status", &self.status, &::atlex::__private::Checks::NONE),
                            ],
                        )
                    }
                }
                /// The errors `com.atproto.server.createSession` (procedure) declares.
                #[derive(Debug, Clone, PartialEq, Eq)]
                pub enum Error {
                    /// `AccountTakedown`, with the server's message if any.
                    AccountTakedown(::core::option::Option<::std::string::String>),
                    /// `AuthFactorTokenRequired`, with the server's message if any.
                    AuthFactorTokenRequired(
                        ::core::option::Option<::std::string::String>,
                    ),
                }
                impl ::atlex::xrpc::ErrorKind for Error {
                    #[inline]
                    fn from_parts(
                        name: &str,
                        message: ::core::option::Option<::std::string::String>,
                    ) -> ::core::option::Option<Self> {
                        match name {
                            "AccountTakedown" => {
                                ::core::option::Option::Some(Self::AccountTakedown(message))
                            }
                            "AuthFactorTokenRequired" => {
                                ::core::option::Option::Some(
                                    Self::AuthFactorTokenRequired(message),
                                )
                            }
                            _ => ::core::option::Option::None,
                        }
                    }
                    #[inline]
                    fn name(&self) -> &'static str {
                        match self {
                            Self::AccountTakedown(_) => "AccountTakedown",
                            Self::AuthFactorTokenRequired(_) => "AuthFactorTokenRequired",
                        }
                    }
                    #[inline]
                    fn message(&self) -> ::core::option::Option<&str> {
                        match self {
                            Self::AccountTakedown(m) => m.as_deref(),
                            Self::AuthFactorTokenRequired(m) => m.as_deref(),
                        }
                    }
                }
                impl ::core::fmt::Display for Error {
                    #[inline]
                    fn fmt(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        ::atlex::__private::fmt_error(self, f)
                    }
                }
                impl ::std::error::Error for Error {}
                /// Create an authentication session.
                ///
                /// The XRPC procedure `com.atproto.server.createSession`, for generic code such as the server router.
                #[derive(Debug, Clone, Copy)]
                pub struct Method;
                impl ::atlex::xrpc::Procedure for Method {
                    const NSID: &'static str = NSID;
                    type Params = ::atlex::xrpc::NoParams;
                    type Input = Input;
                    type Output = Output;
                    type Error = Error;
                }
                /// Create an authentication session.
                ///
                /// Calls `com.atproto.server.createSession`: validates the request (nothing is sent when it is invalid), sends it, decodes and validates the response, and maps declared errors to [`Error`].
                ///
                /// An `async fn` (written as a function returning a future): `call(..).await`.
                #[inline]
                pub fn call<'a>(
                    client: &'a (impl ::atlex::xrpc::XrpcClient + ?Sized),
                    input: &'a Input,
                ) -> impl ::core::future::Future<
                    Output = ::core::result::Result<Output, ::atlex::Error<Error>>,
                > + 'a {
                    ::atlex::__private::call_procedure::<
                        Method,
                    >(client, &::atlex::xrpc::NoParams {}, input)
                }
            }
        }
    }
}
