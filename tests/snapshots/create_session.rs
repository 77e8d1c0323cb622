/// Lexicons under `com`.
pub mod com {
    /// Lexicons under `com.atproto`.
    pub mod atproto {
        /// Lexicons under `com.atproto.server`.
        pub mod server {
            pub mod create_session {
                //! Generated from the lexicon `com.atproto.server.createSession`.
                #[allow(unused_imports)]
                use ::atlex::__private::prelude::*;
                /// The NSID of this lexicon document.
                pub const NSID: &str = "com.atproto.server.createSession";
                /// The lexicon document's JSON text, as read at compile time.
                pub const LEXICON: &str = ::core::include_str!(
                    "$WORKSPACE/runtime/lexicons/com/atproto/server/createSession.json"
                );
                /// Input of `com.atproto.server.createSession` (procedure), encoded as `application/json`.
                #[derive(Clone)]
                pub struct Input {
                    /// Handle or other identifier supported by the server for the authenticating user.
                    ///
                    /// `identifier` (string, required).
                    pub identifier: String,
                    /// `password` (string, required).
                    pub password: String,
                    /// `authFactorToken` (string, optional: `None` when absent).
                    pub auth_factor_token: Option<String>,
                    /// When true, instead of throwing error for takendown accounts, a valid response with a narrow scoped token will be returned
                    ///
                    /// `allowTakendown` (boolean, optional: `None` when absent).
                    pub allow_takendown: Option<bool>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl Input {
                    /// A value from its required properties (`identifier`, `password`); optional ones absent or at their default. Set others with `Input { field: value, ..Input::new(..) }`.
                    #[inline]
                    pub fn new(identifier: String, password: String) -> Self {
                        Self {
                            identifier,
                            password,
                            auth_factor_token: __None,
                            allow_takendown: __None,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "an object (Input)",
                        keys: &[
                            "identifier",
                            "password",
                            "authFactorToken",
                            "allowTakendown",
                        ],
                        record: __None,
                        keep_extra: true,
                        required: &[0, 1],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (__Opt<String>, __Opt<String>, __Opt<String>, __Opt<bool>),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (f0, f1, f2, f3) = s;
                        match (f0, f1) {
                            (__Some(f0), __Some(f1)) => {
                                __Some(Self {
                                    identifier: f0,
                                    password: f1,
                                    auth_factor_token: f2,
                                    allow_takendown: f3,
                                    extra: extra,
                                })
                            }
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Input {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.identifier == other.identifier
                            && self.password == other.password
                            && self.auth_factor_token == other.auth_factor_token
                            && self.allow_takendown == other.allow_takendown
                            && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for Input {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Input", f)
                    }
                }
                impl __p::serde::Serialize for Input {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __None)
                            .field("identifier", &self.identifier)
                            .field("password", &self.password)
                            .optional("authFactorToken", &self.auth_factor_token)
                            .optional("allowTakendown", &self.allow_takendown)
                            .extra(&self.extra)
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for Input {
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
                impl ::atlex::Validate for Input {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __Ok(())
                    }
                }
                /// If active=false, this optional field indicates a possible reason for why the account is not active. If active=false and no status is supplied, then the host makes no claim for why the repository is no longer being hosted.
                ///
                /// A string inside `com.atproto.server.createSession`.
                #[derive(Clone, PartialEq, Hash)]
                pub enum OutputStatus {
                    /// `takendown`
                    Takendown,
                    /// `suspended`
                    Suspended,
                    /// `deactivated`
                    Deactivated,
                    /// A value the lexicon does not list.
                    Other(String),
                }
                impl ::core::cmp::Eq for OutputStatus {}
                impl __fmt::Debug for OutputStatus {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        match self {
                            Self::Takendown => f.write_str("Takendown"),
                            Self::Suspended => f.write_str("Suspended"),
                            Self::Deactivated => f.write_str("Deactivated"),
                            Self::Other(s) => __p::debug_variant(f, "Other", s),
                        }
                    }
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
                    pub fn known(s: &str) -> Option<Self> {
                        match s {
                            "takendown" => __Some(Self::Takendown),
                            "suspended" => __Some(Self::Suspended),
                            "deactivated" => __Some(Self::Deactivated),
                            _ => __None,
                        }
                    }
                }
                impl ::core::convert::From<&str> for OutputStatus {
                    #[inline]
                    fn from(s: &str) -> Self {
                        Self::known(s).unwrap_or_else(|| Self::Other(s.to_owned()))
                    }
                }
                impl ::core::convert::From<String> for OutputStatus {
                    #[inline]
                    fn from(s: String) -> Self {
                        Self::known(&s).unwrap_or(Self::Other(s))
                    }
                }
                impl ::core::str::FromStr for OutputStatus {
                    type Err = ::core::convert::Infallible;
                    #[inline]
                    fn from_str(s: &str) -> Result<Self, Self::Err> {
                        __Ok(Self::from(s))
                    }
                }
                impl ::core::convert::AsRef<str> for OutputStatus {
                    #[inline]
                    fn as_ref(&self) -> &str {
                        self.as_str()
                    }
                }
                impl __fmt::Display for OutputStatus {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
                impl __p::serde::Serialize for OutputStatus {
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        serializer.serialize_str(self.as_str())
                    }
                }
                impl<'de> __p::serde::Deserialize<'de> for OutputStatus {
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
                impl ::atlex::Validate for OutputStatus {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __Ok(())
                    }
                }
                /// Output of `com.atproto.server.createSession` (procedure), encoded as `application/json`.
                #[derive(Clone)]
                pub struct Output {
                    /// `accessJwt` (string, required).
                    pub access_jwt: String,
                    /// `refreshJwt` (string, required).
                    pub refresh_jwt: String,
                    /// `handle` (string, required).
                    pub handle: __t::Handle,
                    /// `did` (string, required).
                    pub did: __t::Did,
                    /// `didDoc` (unknown, optional: `None` when absent).
                    pub did_doc: Option<__t::Unknown>,
                    /// `email` (string, optional: `None` when absent).
                    pub email: Option<String>,
                    /// `emailConfirmed` (boolean, optional: `None` when absent).
                    pub email_confirmed: Option<bool>,
                    /// `emailAuthFactor` (boolean, optional: `None` when absent).
                    pub email_auth_factor: Option<bool>,
                    /// `active` (boolean, optional: `None` when absent).
                    pub active: Option<bool>,
                    /// If active=false, this optional field indicates a possible reason for why the account is not active. If active=false and no status is supplied, then the host makes no claim for why the repository is no longer being hosted.
                    ///
                    /// `status` (string, optional: `None` when absent).
                    pub status: Option<OutputStatus>,
                    /// Properties the lexicon does not define, kept so that writing the value back
                    /// loses nothing.
                    pub extra: __t::Extra,
                }
                impl Output {
                    /// A value from its required properties (`access_jwt`, `refresh_jwt`, `handle`, `did`); optional ones absent or at their default. Set others with `Output { field: value, ..Output::new(..) }`.
                    #[inline]
                    pub fn new(
                        access_jwt: String,
                        refresh_jwt: String,
                        handle: __t::Handle,
                        did: __t::Did,
                    ) -> Self {
                        Self {
                            access_jwt,
                            refresh_jwt,
                            handle,
                            did,
                            did_doc: __None,
                            email: __None,
                            email_confirmed: __None,
                            email_auth_factor: __None,
                            active: __None,
                            status: __None,
                            extra: __t::Extra::new(),
                        }
                    }
                    /// How the runtime reads this object.
                    const __INFO: __p::ObjectInfo = __p::ObjectInfo {
                        expecting: "an object (Output)",
                        keys: &[
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
                        ],
                        record: __None,
                        keep_extra: true,
                        required: &[0, 1, 2, 3],
                    };
                    /// The value from the slots read, or `None` when a required property is absent.
                    #[inline]
                    fn __build(
                        s: (
                            __Opt<String>,
                            __Opt<String>,
                            __Opt<__t::Handle>,
                            __Opt<__t::Did>,
                            __Opt<__t::Unknown>,
                            __Opt<String>,
                            __Opt<bool>,
                            __Opt<bool>,
                            __Opt<bool>,
                            __Opt<OutputStatus>,
                        ),
                        extra: __t::Extra,
                    ) -> __Opt<Self> {
                        let (f0, f1, f2, f3, f4, f5, f6, f7, f8, f9) = s;
                        match (f0, f1, f2, f3) {
                            (__Some(f0), __Some(f1), __Some(f2), __Some(f3)) => {
                                __Some(Self {
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
                            _ => __None,
                        }
                    }
                }
                impl ::core::cmp::PartialEq for Output {
                    #[inline]
                    fn eq(&self, other: &Self) -> bool {
                        self.access_jwt == other.access_jwt
                            && self.refresh_jwt == other.refresh_jwt
                            && self.handle == other.handle && self.did == other.did
                            && self.did_doc == other.did_doc && self.email == other.email
                            && self.email_confirmed == other.email_confirmed
                            && self.email_auth_factor == other.email_auth_factor
                            && self.active == other.active && self.status == other.status
                            && self.extra == other.extra
                    }
                }
                impl __fmt::Debug for Output {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::debug_object(self, "Output", f)
                    }
                }
                impl __p::serde::Serialize for Output {
                    #[inline]
                    fn serialize<S: __p::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> Result<S::Ok, S::Error> {
                        __p::ObjectWriter::new(serializer, __None)
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
                impl<'de> __p::serde::Deserialize<'de> for Output {
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
                impl ::atlex::Validate for Output {
                    #[inline]
                    fn validate(&self) -> Result<(), ::atlex::ValidationError> {
                        __p::check_fields(
                            &[
                                ("didDoc", &self.did_doc, &__p::Checks::NONE),
                                ("status", &self.status, &__p::Checks::NONE),
                            ],
                        )
                    }
                }
                /// The errors `com.atproto.server.createSession` (procedure) declares.
                #[derive(Clone, PartialEq)]
                pub enum Error {
                    /// `AccountTakedown`, with the server's message if any.
                    AccountTakedown(Option<String>),
                    /// `AuthFactorTokenRequired`, with the server's message if any.
                    AuthFactorTokenRequired(Option<String>),
                }
                impl ::atlex::xrpc::ErrorKind for Error {
                    #[inline]
                    fn from_parts(name: &str, message: Option<String>) -> Option<Self> {
                        match name {
                            "AccountTakedown" => __Some(Self::AccountTakedown(message)),
                            "AuthFactorTokenRequired" => {
                                __Some(Self::AuthFactorTokenRequired(message))
                            }
                            _ => __None,
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
                    fn message(&self) -> Option<&str> {
                        match self {
                            Self::AccountTakedown(m) => m.as_deref(),
                            Self::AuthFactorTokenRequired(m) => m.as_deref(),
                        }
                    }
                }
                impl __fmt::Debug for Error {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        match self {
                            Self::AccountTakedown(m) => {
                                __p::debug_variant(f, "AccountTakedown", m)
                            }
                            Self::AuthFactorTokenRequired(m) => {
                                __p::debug_variant(f, "AuthFactorTokenRequired", m)
                            }
                        }
                    }
                }
                impl ::core::cmp::Eq for Error {}
                impl __fmt::Display for Error {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        __p::fmt_error(self, f)
                    }
                }
                impl ::std::error::Error for Error {}
                /// Create an authentication session.
                ///
                /// The XRPC procedure `com.atproto.server.createSession`, for generic code such as the server router.
                #[derive(Clone, Copy)]
                pub struct Method;
                impl __fmt::Debug for Method {
                    #[inline]
                    fn fmt(&self, f: &mut __fmt::Formatter<'_>) -> __fmt::Result {
                        f.write_str("Method")
                    }
                }
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
                    Output = Result<Output, ::atlex::Error<Error>>,
                > + 'a {
                    __p::call_procedure::<
                        Method,
                    >(client, &::atlex::xrpc::NoParams {}, input)
                }
            }
        }
    }
}
