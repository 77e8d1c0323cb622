//! The `com.atproto.repo` and `com.atproto.sync` methods the typed operations use, generated
//! from their lexicons by atlex itself.

pub use apply::com::atproto::repo::apply_writes;
pub use create::com::atproto::repo::create_record;
pub use delete::com::atproto::repo::delete_record;
pub use get::com::atproto::repo::get_record;
pub use get_blob_m::com::atproto::sync::get_blob;
pub use get_repo_m::com::atproto::sync::get_repo;
pub use list::com::atproto::repo::list_records;
pub use put::com::atproto::repo::put_record;
pub use upload::com::atproto::repo::upload_blob;

mod create {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.createRecord",
        "defs": { "main": {
            "type": "procedure",
            "description": "Create a single new repository record. Requires auth, implemented by PDS.",
            "input": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["repo", "collection", "record"],
                "properties": {
                    "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo (aka, current account)." },
                    "collection": { "type": "string", "format": "nsid", "description": "The NSID of the record collection." },
                    "rkey": { "type": "string", "format": "record-key", "maxLength": 512, "description": "The Record Key." },
                    "validate": { "type": "boolean", "description": "Can be set to 'false' to skip Lexicon schema validation of record data, 'true' to require it, or leave unset to validate only for known Lexicons." },
                    "record": { "type": "unknown", "description": "The record itself. Must contain a $type field." },
                    "swapCommit": { "type": "string", "format": "cid", "description": "Compare and swap with the previous commit by CID." }
                } } },
            "output": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["uri", "cid"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "commit": { "type": "object", "required": ["cid", "rev"], "properties": {
                        "cid": { "type": "string", "format": "cid" },
                        "rev": { "type": "string", "format": "tid" } } },
                    "validationStatus": { "type": "string", "knownValues": ["valid", "unknown"] }
                } } },
            "errors": [{ "name": "InvalidSwap", "description": "Indicates that 'swapCommit' didn't match current repo commit." }]
        } }
    });
}

mod get {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.getRecord",
        "defs": { "main": {
            "type": "query",
            "description": "Get a single record from a repository. Does not require auth.",
            "parameters": { "type": "params", "required": ["repo", "collection", "rkey"], "properties": {
                "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo." },
                "collection": { "type": "string", "format": "nsid", "description": "The NSID of the record collection." },
                "rkey": { "type": "string", "format": "record-key", "description": "The Record Key." },
                "cid": { "type": "string", "format": "cid", "description": "The CID of the version of the record. If not specified, then return the most recent version." }
            } },
            "output": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["uri", "value"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "value": { "type": "unknown" }
                } } },
            "errors": [{ "name": "RecordNotFound" }]
        } }
    });
}

mod list {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.listRecords",
        "defs": {
            "main": {
                "type": "query",
                "description": "List a range of records in a repository, matching a specific collection. Does not require auth.",
                "parameters": { "type": "params", "required": ["repo", "collection"], "properties": {
                    "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo." },
                    "collection": { "type": "string", "format": "nsid", "description": "The NSID of the record type." },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50, "description": "The number of records to return." },
                    "cursor": { "type": "string" },
                    "reverse": { "type": "boolean", "description": "Flag to reverse the order of the returned records." }
                } },
                "output": { "encoding": "application/json", "schema": {
                    "type": "object",
                    "required": ["records"],
                    "properties": {
                        "cursor": { "type": "string" },
                        "records": { "type": "array", "items": { "type": "ref", "ref": "#record" } }
                    } } }
            },
            "record": {
                "type": "object",
                "required": ["uri", "cid", "value"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "value": { "type": "unknown" }
                }
            }
        }
    });
}

mod put {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.putRecord",
        "defs": { "main": {
            "type": "procedure",
            "description": "Write a repository record, creating or updating it as needed. Requires auth, implemented by PDS.",
            "input": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["repo", "collection", "rkey", "record"],
                "nullable": ["swapRecord"],
                "properties": {
                    "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo (aka, current account)." },
                    "collection": { "type": "string", "format": "nsid", "description": "The NSID of the record collection." },
                    "rkey": { "type": "string", "format": "record-key", "maxLength": 512, "description": "The Record Key." },
                    "validate": { "type": "boolean", "description": "Can be set to 'false' to skip Lexicon schema validation of record data, 'true' to require it, or leave unset to validate only for known Lexicons." },
                    "record": { "type": "unknown", "description": "The record to write." },
                    "swapRecord": { "type": "string", "format": "cid", "description": "Compare and swap with the previous record by CID. WARNING: nullable and optional field; may cause problems with golang implementation" },
                    "swapCommit": { "type": "string", "format": "cid", "description": "Compare and swap with the previous commit by CID." }
                } } },
            "output": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["uri", "cid"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "commit": { "type": "object", "required": ["cid", "rev"], "properties": {
                        "cid": { "type": "string", "format": "cid" },
                        "rev": { "type": "string", "format": "tid" } } },
                    "validationStatus": { "type": "string", "knownValues": ["valid", "unknown"] }
                } } },
            "errors": [{ "name": "InvalidSwap" }]
        } }
    });
}

mod delete {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.deleteRecord",
        "defs": { "main": {
            "type": "procedure",
            "description": "Delete a repository record, or ensure it doesn't exist. Requires auth, implemented by PDS.",
            "input": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["repo", "collection", "rkey"],
                "properties": {
                    "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo (aka, current account)." },
                    "collection": { "type": "string", "format": "nsid", "description": "The NSID of the record collection." },
                    "rkey": { "type": "string", "format": "record-key", "description": "The Record Key." },
                    "swapRecord": { "type": "string", "format": "cid", "description": "Compare and swap with the previous record by CID." },
                    "swapCommit": { "type": "string", "format": "cid", "description": "Compare and swap with the previous commit by CID." }
                } } },
            "output": { "encoding": "application/json", "schema": {
                "type": "object",
                "properties": {
                    "commit": { "type": "object", "required": ["cid", "rev"], "properties": {
                        "cid": { "type": "string", "format": "cid" },
                        "rev": { "type": "string", "format": "tid" } } }
                } } },
            "errors": [{ "name": "InvalidSwap" }]
        } }
    });
}

mod apply {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.applyWrites",
        "defs": {
            "main": {
                "type": "procedure",
                "description": "Apply a batch transaction of repository creates, updates, and deletes. Requires auth, implemented by PDS.",
                "input": { "encoding": "application/json", "schema": {
                    "type": "object",
                    "required": ["repo", "writes"],
                    "properties": {
                        "repo": { "type": "string", "format": "at-identifier", "description": "The handle or DID of the repo (aka, current account)." },
                        "validate": { "type": "boolean", "description": "Can be set to 'false' to skip Lexicon schema validation of record data across all operations, 'true' to require it, or leave unset to validate only for known Lexicons." },
                        "writes": { "type": "array", "items": { "type": "union", "refs": ["#create", "#update", "#delete"], "closed": true } },
                        "swapCommit": { "type": "string", "format": "cid", "description": "If provided, the entire operation will fail if the current repo commit CID does not match this value. Used to prevent conflicting repo mutations." }
                    } } },
                "output": { "encoding": "application/json", "schema": {
                    "type": "object",
                    "required": [],
                    "properties": {
                        "commit": { "type": "object", "required": ["cid", "rev"], "properties": {
                            "cid": { "type": "string", "format": "cid" },
                            "rev": { "type": "string", "format": "tid" } } },
                        "results": { "type": "array", "items": { "type": "union", "refs": ["#createResult", "#updateResult", "#deleteResult"], "closed": true } }
                    } } },
                "errors": [{ "name": "InvalidSwap", "description": "Indicates that the 'swapCommit' parameter did not match current commit." }]
            },
            "create": {
                "type": "object",
                "description": "Operation which creates a new record.",
                "required": ["collection", "value"],
                "properties": {
                    "collection": { "type": "string", "format": "nsid" },
                    "rkey": { "type": "string", "maxLength": 512, "format": "record-key", "description": "NOTE: maxLength is redundant with record-key format. Keeping it temporarily to ensure backwards compatibility." },
                    "value": { "type": "unknown" }
                }
            },
            "update": {
                "type": "object",
                "description": "Operation which updates an existing record.",
                "required": ["collection", "rkey", "value"],
                "properties": {
                    "collection": { "type": "string", "format": "nsid" },
                    "rkey": { "type": "string", "format": "record-key" },
                    "value": { "type": "unknown" }
                }
            },
            "delete": {
                "type": "object",
                "description": "Operation which deletes an existing record.",
                "required": ["collection", "rkey"],
                "properties": {
                    "collection": { "type": "string", "format": "nsid" },
                    "rkey": { "type": "string", "format": "record-key" }
                }
            },
            "createResult": {
                "type": "object",
                "required": ["uri", "cid"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "validationStatus": { "type": "string", "knownValues": ["valid", "unknown"] }
                }
            },
            "updateResult": {
                "type": "object",
                "required": ["uri", "cid"],
                "properties": {
                    "uri": { "type": "string", "format": "at-uri" },
                    "cid": { "type": "string", "format": "cid" },
                    "validationStatus": { "type": "string", "knownValues": ["valid", "unknown"] }
                }
            },
            "deleteResult": { "type": "object", "required": [], "properties": {} }
        }
    });
}

mod upload {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.repo.uploadBlob",
        "defs": { "main": {
            "type": "procedure",
            "description": "Upload a new blob, to be referenced from a repository record. Requires auth, implemented by PDS.",
            "input": { "encoding": "*/*" },
            "output": { "encoding": "application/json", "schema": {
                "type": "object",
                "required": ["blob"],
                "properties": { "blob": { "type": "blob" } }
            } }
        } }
    });
}

mod get_blob_m {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.sync.getBlob",
        "defs": { "main": {
            "type": "query",
            "description": "Get a blob associated with a given account. Returns the full blob as originally uploaded. Does not require auth; implemented by PDS.",
            "parameters": { "type": "params", "required": ["did", "cid"], "properties": {
                "did": { "type": "string", "format": "did", "description": "The DID of the account." },
                "cid": { "type": "string", "format": "cid", "description": "The CID of the blob to fetch" }
            } },
            "output": { "encoding": "*/*" },
            "errors": [
                { "name": "BlobNotFound" }, { "name": "RepoNotFound" }, { "name": "RepoTakendown" },
                { "name": "RepoSuspended" }, { "name": "RepoDeactivated" }
            ]
        } }
    });
}

mod get_repo_m {
    crate::lexicon!({
        "lexicon": 1,
        "id": "com.atproto.sync.getRepo",
        "defs": { "main": {
            "type": "query",
            "description": "Download a repository export as CAR file. Optionally only a 'diff' since a previous revision. Does not require auth; implemented by PDS.",
            "parameters": { "type": "params", "required": ["did"], "properties": {
                "did": { "type": "string", "format": "did", "description": "The DID of the repo." },
                "since": { "type": "string", "format": "tid", "description": "The revision ('rev') of the repo to create a diff from." }
            } },
            "output": { "encoding": "application/vnd.ipld.car" },
            "errors": [
                { "name": "RepoNotFound" }, { "name": "RepoTakendown" },
                { "name": "RepoSuspended" }, { "name": "RepoDeactivated" }
            ]
        } }
    });
}
