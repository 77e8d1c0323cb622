//! Integers read from JSON take a float with no fractional part (`4.0` is 4, as the data model
//! allows) and refuse any other float (`4.5`), in every position a generated type holds one:
//! plain, optional, defaulted, nullable, optional and nullable, arrays of each, through refs to
//! integer aliases (in the same invocation and through `extern_paths`), and in nested objects.
#![deny(warnings)]

use serde_json::{json, Value};

/// Everything in one invocation.
mod in_set {
    atlex::lexicon!("lexicons/sets/com/example/ints");
}

/// The aliases on their own, then the object referring to them through `extern_paths`: the
/// referencing side does not know they are integers.
mod aliases {
    atlex::lexicon!("lexicons/sets/com/example/ints/defs.json");
}

mod through_extern {
    atlex::lexicon! {
        path = "lexicons/sets/com/example/ints/all.json",
        extern_paths = { "com.example.ints.defs" = crate::aliases::com::example::ints::defs },
    }
}

/// The required properties, each at a plain integer value.
fn base() -> Value {
    json!({ "plain": 1, "nul": 1, "arr": [1], "nulArr": [1], "alias": 1 })
}

/// `base()` with `property` set to `value`, read as `$ty` and written back; or the read error.
macro_rules! round_trip {
    ($ty:ty, $property:expr, $value:expr) => {{
        let mut input = base();
        input[$property] = $value.clone();
        serde_json::from_value::<$ty>(input)
            .map(|v| {
                atlex::Validate::validate(&v).expect("the value is valid");
                serde_json::to_value(&v).unwrap()[$property].clone()
            })
            .map_err(|e| e.to_string())
    }};
}

/// `property` set to `lax` (integers written as `4.0`) reads as `exact` (the same with `4`),
/// and set to `bad` (a float with a fraction in one place) is refused, by the object generated
/// with its refs in the same invocation and by the one whose refs go through `extern_paths`.
fn check(property: &str, lax: Value, exact: Value, bad: Value) {
    type InSet = in_set::com::example::ints::all::Main;
    type Extern = through_extern::com::example::ints::all::Main;
    assert_eq!(
        round_trip!(InSet, property, exact),
        Ok(exact.clone()),
        "{property}: exact"
    );
    assert_eq!(
        round_trip!(InSet, property, lax),
        Ok(exact.clone()),
        "{property}: {lax}"
    );
    let err = round_trip!(InSet, property, bad).expect_err(&format!("{property}: {bad}"));
    assert!(err.contains("4.5"), "{property}: {err}");
    assert_eq!(
        round_trip!(Extern, property, lax),
        Ok(exact.clone()),
        "{property}: {lax} (extern)"
    );
    let err = round_trip!(Extern, property, bad).expect_err(&format!("{property}: {bad} (extern)"));
    assert!(err.contains("4.5"), "{property}: {err}");
}

/// One test per position: the property, the value with `4.0`, the value read, the value refused.
macro_rules! positions {
    ($($test:ident: $property:literal, $lax:tt, $exact:tt, $bad:tt;)*) => {$(
        #[test]
        fn $test() {
            check($property, json!($lax), json!($exact), json!($bad));
        }
    )*};
}

positions! {
    plain: "plain", 4.0, 4, 4.5;
    optional: "opt", 4.0, 4, 4.5;
    defaulted: "def", 4.0, 4, 4.5;
    nullable: "nul", 4.0, 4, 4.5;
    optional_nullable: "optNul", 4.0, 4, 4.5;
    array: "arr", [4.0, 5], [4, 5], [4, 4.5];
    optional_array: "optArr", [4.0, 5], [4, 5], [4, 4.5];
    nullable_array: "nulArr", [4.0, 5], [4, 5], [4, 4.5];
    optional_nullable_array: "optNulArr", [4.0, 5], [4, 5], [4, 4.5];
    alias: "alias", 4.0, 4, 4.5;
    optional_alias: "optAlias", 4.0, 4, 4.5;
    nullable_alias: "nulAlias", 4.0, 4, 4.5;
    array_of_aliases: "aliasArr", [4.0, 5], [4, 5], [4, 4.5];
    array_alias: "arrAlias", [4.0, 5], [4, 5], [4, 4.5];
    array_of_array_aliases: "arrAliasArr", [[4.0], [5]], [[4], [5]], [[4], [4.5]];
    nested_object: "nested", {"n": 4.0, "ns": [4.0]}, {"n": 4, "ns": [4]}, {"n": 4, "ns": [4.5]};
}

#[test]
fn null_and_absent_stay_apart() {
    type InSet = in_set::com::example::ints::all::Main;
    for property in ["nul", "nulArr", "nulAlias", "optNul", "optNulArr"] {
        assert_eq!(
            round_trip!(InSet, property, Value::Null),
            Ok(Value::Null),
            "{property}"
        );
    }
    let v: InSet = serde_json::from_value(base()).unwrap();
    assert_eq!((v.opt_nul, v.opt_nul_arr, v.nul_alias), (None, None, None));
    assert_eq!(v.def, 3);
}

#[test]
fn constraints_still_apply_to_integers_read_from_floats() {
    type Extern = through_extern::com::example::ints::all::Main;
    let mut input = base();
    input["alias"] = json!(-1.0);
    let v: Extern = serde_json::from_value(input).unwrap();
    let err = atlex::Validate::validate(&v).unwrap_err();
    assert_eq!(err.to_string(), "`alias` is -1, less than minimum 0");
}
