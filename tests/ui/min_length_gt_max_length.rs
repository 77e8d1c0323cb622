// `minLength` 10 is greater than `maxLength` 5.
atlex::lexicon!("${ATLEX_UI_DIR}/ui/lexicons/min_length_gt_max_length.json");

fn main() {}
