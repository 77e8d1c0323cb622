use crate::{at_identifier, err, nsid, record_key, SyntaxError};

/// The longest AT URI accepted, in bytes (8 KiB).
pub(crate) const MAX_LEN: usize = 8192;

/// Checks an `at-uri` in the restricted form Lexicon uses:
/// `at://AUTHORITY[/COLLECTION[/RKEY]]`.
///
/// The authority is a DID or a handle, the collection an NSID, the record key a valid
/// record key. No query, no fragment, no trailing slash, no empty or extra path segments; at
/// most 8 KiB in all.
pub fn at_uri(s: &str) -> Result<(), SyntaxError> {
    if s.len() > MAX_LEN {
        return err("an AT URI is at most 8192 characters long");
    }
    let Some(rest) = s.strip_prefix("at://") else {
        return err("an AT URI starts with \"at://\"");
    };
    if rest.contains('?') {
        return err("an AT URI in a lexicon can not have a query part");
    }
    if rest.contains('#') {
        return err("an AT URI in a lexicon can not have a fragment");
    }
    let mut parts = rest.splitn(4, '/');
    let authority = parts.next().unwrap_or_default();
    if authority.is_empty() {
        return err("an AT URI needs an authority (a DID or a handle) after \"at://\"");
    }
    if at_identifier(authority).is_err() {
        return err("the authority of an AT URI must be a valid DID or handle");
    }
    let Some(collection) = parts.next() else {
        return Ok(());
    };
    if collection.is_empty() {
        return err("an AT URI can not have an empty path segment or a trailing slash");
    }
    if nsid(collection).is_err() {
        return err("the collection of an AT URI must be a valid NSID");
    }
    let Some(rkey) = parts.next() else {
        return Ok(());
    };
    if rkey.is_empty() {
        return err("an AT URI can not have an empty path segment or a trailing slash");
    }
    if parts.next().is_some() {
        return err("an AT URI has at most two path segments: a collection and a record key");
    }
    if record_key(rkey).is_err() {
        return err("the record key of an AT URI must be a valid record key");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(at_uri("at://did:plc:abc/app.bsky.feed.post/3k2la").is_ok());
        assert!(at_uri("at://alice.test/app.bsky.feed.post").is_ok());
        assert!(at_uri("at://alice.test").is_ok());
        assert!(at_uri("at://alice.test/").is_err());
        assert!(at_uri("at://alice.test/app.bsky.feed.post/").is_err());
        assert!(at_uri("at://alice.test/app.bsky.feed.post/a/b").is_err());
        assert!(at_uri("at://alice.test/app.bsky.feed.post/a?x=1").is_err());
        assert!(at_uri("at://alice.test/app.bsky.feed.post/a#/text").is_err());
        assert!(at_uri("at://").is_err());
        assert!(at_uri("at:///app.bsky.feed.post").is_err());
        assert_eq!(
            at_uri("at://a.test/b.c.d/e/f").unwrap_err().reason(),
            "an AT URI has at most two path segments: a collection and a record key"
        );
    }

    #[test]
    fn length_limit() {
        let base = "at://did:plc:abc/app.bsky.feed.post/";
        // A record key is at most 512 characters, so a valid AT URI is far below 8 KiB; the
        // overall limit still applies first.
        let long = format!("{base}{}", "a".repeat(MAX_LEN));
        assert_eq!(
            at_uri(&long).unwrap_err().reason(),
            "an AT URI is at most 8192 characters long"
        );
        let rkey512 = format!("{base}{}", "a".repeat(512));
        assert!(at_uri(&rkey512).is_ok());
        let rkey513 = format!("{base}{}", "a".repeat(513));
        assert!(at_uri(&rkey513).is_err());
    }
}
