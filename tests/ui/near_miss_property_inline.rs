// A property that is a near miss of one the lexicon language defines there (`requried` for
// `required`) is refused at its key; an unknown property that is not (a subscription's
// `subprotocol` from a newer version of the language, a tool's `x-origin`) is ignored, as the
// reference validators ignore it.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.stream",
    "defs": {
        "main": {
            "type": "subscription",
            "subprotocol": "xrpc.v1.json",
            "message": { "schema": { "type": "union", "refs": ["#event"] } }
        },
        "event": {
            "type": "object",
            "x-origin": "generated",
            "requried": ["seq"],
            "properties": { "seq": { "type": "integer" } }
        }
    }
});

fn main() {}
