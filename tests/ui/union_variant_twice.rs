// One definition listed twice in a union under two spellings (`#label` and the same ref with
// the document's NSID and the `lex:` scheme) is one variant listed twice.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.labeled",
    "defs": {
        "main": {
            "type": "object",
            "properties": {
                "embed": { "type": "union", "refs": ["#label", "lex:com.example.labeled#label"] }
            }
        },
        "label": { "type": "object", "properties": {} }
    }
});

fn main() {}
