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
                        let mut d = f.debug_struct("Input");
                        d.field("identifier", &self.identifier);
                        d.field("password", &::atlex::__private::Redacted);
                        d.field(
                            "auth_factor_token",
                            &self
                                .auth_factor_token
                                .as_ref()
                                .map(|_| ::atlex::__private::Redacted),
                        );
                        if !self.extra.is_empty() {
                            d.field("extra", &self.extra);
                        }
                        d.finish()
                    }
                }
                impl ::atlex::__private::ObjectFields for Input {
                    fn serialize_fields<M: ::atlex::__private::serde::ser::SerializeMap>(
                        &self,
                        map: &mut M,
                    ) -> ::core::result::Result<(), M::Error> {
                        map.serialize_entry("identifier", &self.identifier)?;
                        map.serialize_entry("password", &self.password)?;
                        ::atlex::__private::optional_entry(
                            map,
                            "authFactorToken",
                            &self.auth_factor_token,
                        )?;
                        for (k, v) in &self.extra {
                            map.serialize_entry(k, v)?;
                        }
                        ::core::result::Result::Ok(())
                    }
                }
                impl ::atlex::__private::serde::Serialize for Input {
                    fn serialize<S: ::atlex::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        use ::atlex::__private::serde::ser::SerializeMap as _;
                        let mut map = serializer
                            .serialize_map(::core::option::Option::None)?;
                        ::atlex::__private::ObjectFields::serialize_fields(
                            self,
                            &mut map,
                        )?;
                        map.end()
                    }
                }
                impl<'de> ::atlex::__private::serde::Deserialize<'de> for Input {
                    fn deserialize<D: ::atlex::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        struct Visitor;
                        impl<'de> ::atlex::__private::serde::de::Visitor<'de>
                        for Visitor {
                            type Value = Input;
                            fn expecting(
                                &self,
                                f: &mut ::core::fmt::Formatter<'_>,
                            ) -> ::core::fmt::Result {
                                f.write_str("an object (Input)")
                            }
                            fn visit_map<
                                A: ::atlex::__private::serde::de::MapAccess<'de>,
                            >(
                                self,
                                mut map: A,
                            ) -> ::core::result::Result<Input, A::Error> {
                                let mut f_identifier: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut f_password: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut f_auth_factor_token: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut extra = ::atlex::types::Extra::new();
                                while let ::core::option::Option::Some(key) = map
                                    .next_key::<::atlex::__private::Key<'de>>()?
                                {
                                    match key.as_str() {
                                        "identifier" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_identifier,
                                                "identifier",
                                            )?
                                        }
                                        "password" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_password,
                                                "password",
                                            )?
                                        }
                                        "authFactorToken" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_auth_factor_token,
                                                "authFactorToken",
                                            )?
                                        }
                                        "$type" => {
                                            map.next_value::<
                                                    ::atlex::__private::serde::de::IgnoredAny,
                                                >()?;
                                        }
                                        _ => {
                                            let value = map.next_value()?;
                                            extra.insert(key.into_string(), value);
                                        }
                                    }
                                }
                                ::core::result::Result::Ok(Input {
                                    identifier: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_identifier, "identifier")?,
                                    password: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_password, "password")?,
                                    auth_factor_token: f_auth_factor_token,
                                    extra: extra,
                                })
                            }
                        }
                        deserializer.deserialize_map(Visitor)
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
                impl ::atlex::__private::JsonPayload for Input {}
                /// If active=false, this optional field indicates a possible reason for why the account is not active. If active=false and no status is supplied, then the host makes no claim for why the repository is no longer being hosted.
                ///
                /// A string inside `com.atproto.server.createSession`.
                #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
                        let mut d = f.debug_struct("Output");
                        d.field("access_jwt", &::atlex::__private::Redacted);
                        d.field("refresh_jwt", &::atlex::__private::Redacted);
                        d.field("handle", &self.handle);
                        d.field("did", &self.did);
                        d.field("did_doc", &self.did_doc);
                        d.field("email", &self.email);
                        d.field("email_confirmed", &self.email_confirmed);
                        d.field("email_auth_factor", &self.email_auth_factor);
                        d.field("active", &self.active);
                        d.field("status", &self.status);
                        if !self.extra.is_empty() {
                            d.field("extra", &self.extra);
                        }
                        d.finish()
                    }
                }
                impl ::atlex::__private::ObjectFields for Output {
                    fn serialize_fields<M: ::atlex::__private::serde::ser::SerializeMap>(
                        &self,
                        map: &mut M,
                    ) -> ::core::result::Result<(), M::Error> {
                        map.serialize_entry("accessJwt", &self.access_jwt)?;
                        map.serialize_entry("refreshJwt", &self.refresh_jwt)?;
                        map.serialize_entry("handle", &self.handle)?;
                        map.serialize_entry("did", &self.did)?;
                        ::atlex::__private::optional_entry(
                            map,
                            "didDoc",
                            &self.did_doc,
                        )?;
                        ::atlex::__private::optional_entry(map, "email", &self.email)?;
                        ::atlex::__private::optional_entry(
                            map,
                            "emailConfirmed",
                            &self.email_confirmed,
                        )?;
                        ::atlex::__private::optional_entry(
                            map,
                            "emailAuthFactor",
                            &self.email_auth_factor,
                        )?;
                        ::atlex::__private::optional_entry(map, "active", &self.active)?;
                        ::atlex::__private::optional_entry(map, "status", &self.status)?;
                        for (k, v) in &self.extra {
                            map.serialize_entry(k, v)?;
                        }
                        ::core::result::Result::Ok(())
                    }
                }
                impl ::atlex::__private::serde::Serialize for Output {
                    fn serialize<S: ::atlex::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        use ::atlex::__private::serde::ser::SerializeMap as _;
                        let mut map = serializer
                            .serialize_map(::core::option::Option::None)?;
                        ::atlex::__private::ObjectFields::serialize_fields(
                            self,
                            &mut map,
                        )?;
                        map.end()
                    }
                }
                impl<'de> ::atlex::__private::serde::Deserialize<'de> for Output {
                    fn deserialize<D: ::atlex::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        struct Visitor;
                        impl<'de> ::atlex::__private::serde::de::Visitor<'de>
                        for Visitor {
                            type Value = Output;
                            fn expecting(
                                &self,
                                f: &mut ::core::fmt::Formatter<'_>,
                            ) -> ::core::fmt::Result {
                                f.write_str("an object (Output)")
                            }
                            fn visit_map<
                                A: ::atlex::__private::serde::de::MapAccess<'de>,
                            >(
                                self,
                                mut map: A,
                            ) -> ::core::result::Result<Output, A::Error> {
                                let mut f_access_jwt: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut f_refresh_jwt: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut f_handle: ::core::option::Option<
                                    ::atlex::types::Handle,
                                > = ::core::option::Option::None;
                                let mut f_did: ::core::option::Option<
                                    ::atlex::types::Did,
                                > = ::core::option::Option::None;
                                let mut f_did_doc: ::core::option::Option<
                                    ::atlex::types::Unknown,
                                > = ::core::option::Option::None;
                                let mut f_email: ::core::option::Option<
                                    ::std::string::String,
                                > = ::core::option::Option::None;
                                let mut f_email_confirmed: ::core::option::Option<bool> = ::core::option::Option::None;
                                let mut f_email_auth_factor: ::core::option::Option<bool> = ::core::option::Option::None;
                                let mut f_active: ::core::option::Option<bool> = ::core::option::Option::None;
                                let mut f_status: ::core::option::Option<OutputStatus> = ::core::option::Option::None;
                                let mut extra = ::atlex::types::Extra::new();
                                while let ::core::option::Option::Some(key) = map
                                    .next_key::<::atlex::__private::Key<'de>>()?
                                {
                                    match key.as_str() {
                                        "accessJwt" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_access_jwt,
                                                "accessJwt",
                                            )?
                                        }
                                        "refreshJwt" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_refresh_jwt,
                                                "refreshJwt",
                                            )?
                                        }
                                        "handle" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_handle,
                                                "handle",
                                            )?
                                        }
                                        "did" => {
                                            ::atlex::__private::next_field(&mut map, &mut f_did, "did")?
                                        }
                                        "didDoc" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_did_doc,
                                                "didDoc",
                                            )?
                                        }
                                        "email" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_email,
                                                "email",
                                            )?
                                        }
                                        "emailConfirmed" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_email_confirmed,
                                                "emailConfirmed",
                                            )?
                                        }
                                        "emailAuthFactor" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_email_auth_factor,
                                                "emailAuthFactor",
                                            )?
                                        }
                                        "active" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_active,
                                                "active",
                                            )?
                                        }
                                        "status" => {
                                            ::atlex::__private::next_field(
                                                &mut map,
                                                &mut f_status,
                                                "status",
                                            )?
                                        }
                                        "$type" => {
                                            map.next_value::<
                                                    ::atlex::__private::serde::de::IgnoredAny,
                                                >()?;
                                        }
                                        _ => {
                                            let value = map.next_value()?;
                                            extra.insert(key.into_string(), value);
                                        }
                                    }
                                }
                                ::core::result::Result::Ok(Output {
                                    access_jwt: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_access_jwt, "accessJwt")?,
                                    refresh_jwt: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_refresh_jwt, "refreshJwt")?,
                                    handle: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_handle, "handle")?,
                                    did: ::atlex::__private::required::<
                                        _,
                                        A::Error,
                                    >(f_did, "did")?,
                                    did_doc: f_did_doc,
                                    email: f_email,
                                    email_confirmed: f_email_confirmed,
                                    email_auth_factor: f_email_auth_factor,
                                    active: f_active,
                                    status: f_status,
                                    extra: extra,
                                })
                            }
                        }
                        deserializer.deserialize_map(Visitor)
                    }
                }
                impl ::atlex::Validate for Output {
                    #[inline]
                    fn validate(
                        &self,
                    ) -> ::core::result::Result<(), ::atlex::ValidationError> {
                        if let ::core::option::Option::Some(v) = &self.did_doc {
                            ::atlex::Validate::validate(v)
                                .map_err(|e| e.in_field("didDoc"))?;
                        }
                        if let ::core::option::Option::Some(v) = &self.status {
                            ::atlex::Validate::validate(v)
                                .map_err(|e| e.in_field("status"))?;
                        }
                        ::core::result::Result::Ok(())
                    }
                }
                impl ::atlex::__private::JsonPayload for Output {}
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
                #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
                pub async fn call(
                    client: &(impl ::atlex::xrpc::XrpcClient + ?Sized),
                    input: &Input,
                ) -> ::core::result::Result<Output, ::atlex::Error<Error>> {
                    ::atlex::__private::call_procedure::<
                        Method,
                    >(client, &::atlex::xrpc::NoParams {}, input)
                        .await
                }
            }
        }
    }
}
