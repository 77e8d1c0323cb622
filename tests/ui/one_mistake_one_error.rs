// A property whose schema is wrong is still a property: `required` naming it and a ref to a
// broken definition add no errors of their own.
atlex::lexicon!({
    "lexicon": 1,
    "id": "com.example.once",
    "defs": {
        "main": {
            "type": "object",
            "required": ["v", "w"],
            "properties": {
                "v": { "type": "strng" },
                "w": { "type": "ref", "ref": "#broken" }
            }
        },
        "broken": { "type": "objekt" }
    }
});

fn main() {}
