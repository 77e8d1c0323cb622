// A trailing comma inside inline JSON: JSON does not allow one.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.ping",
    "defs": {
        "main": {
            "type": "query",
            "output": {
                "encoding": "application/json",
                "schema": { "type": "object", "properties": {}, }
            }
        }
    }
});

fn main() {}
