//! The `com.atproto.repo` and `com.atproto.sync` methods the typed operations use: the modules
//! of [`crate::lexicons`].

pub use crate::lexicons::com::atproto::repo::{
    apply_writes, create_record, delete_record, get_record, list_records, put_record, upload_blob,
};
pub use crate::lexicons::com::atproto::sync::{get_blob, get_repo};
