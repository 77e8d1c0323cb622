// `lex:` goes before an NSID only: @atproto/lexicon keeps `lex:#label` as written and finds no
// definition under it, so it is refused, in a ref and in a union alike.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.labeled",
    "defs": {
        "main": {
            "type": "object",
            "properties": {
                "label": { "type": "ref", "ref": "lex:#label" },
                "embed": { "type": "union", "refs": ["lex:com.example.labeled#label", "lex:"] }
            }
        },
        "label": { "type": "object", "properties": {} }
    }
});

fn main() {}
