// A mistake inside inline JSON: the error points at the offending token.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.counter",
    "defs": {
        "main": {
            "type": "object",
            "properties": {
                "count": { "type": "integer", "minimum": "0" }
            }
        }
    }
});

fn main() {}
