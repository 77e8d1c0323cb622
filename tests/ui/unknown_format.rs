// `"format": "date-time"`: the lexicon format is "datetime".
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/unknown_format.json");

fn main() {}
