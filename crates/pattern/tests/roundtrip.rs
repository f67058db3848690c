//! Property: for generated syntax trees, `parse(print(ast)) == ast`.

use concord_pattern::{
    Comparison, ComparisonExpr, Literal, Number, ObjectPath, ObservationExpr, Operator, PathStep,
    Pattern, Qualifier, Timestamp,
};
use proptest::prelude::*;

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Years 0000..9999 in nanoseconds, any sub-second precision.
    (-62_167_219_200_i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| {
        Timestamp::from_unix_nanos(i128::from(s) * 1_000_000_000 + i128::from(n)).unwrap()
    })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Int),
        (-1e12f64..1e12).prop_map(Literal::Float),
        ".{0,12}".prop_map(Literal::Str),
        any::<bool>().prop_map(Literal::Bool),
        timestamp().prop_map(Literal::Timestamp),
        proptest::collection::vec(any::<u8>(), 1..8).prop_map(Literal::Binary),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Literal::Hex),
    ]
}

fn path() -> impl Strategy<Value = ObjectPath> {
    let step = prop_oneof![
        "[a-z_][a-z0-9_-]{0,8}|AND|true|SHA-256".prop_map(PathStep::Key),
        (-5i64..50).prop_map(PathStep::Index),
        Just(PathStep::AnyIndex),
    ];
    (
        "[a-z][a-z0-9-]{0,10}".prop_filter("not a boolean", |t| t != "true" && t != "false"),
        "[a-zA-Z_][a-zA-Z0-9_ ]{0,8}",
        proptest::collection::vec(step, 0..4),
    )
        .prop_map(|(t, first, rest)| {
            let mut steps = vec![PathStep::Key(first)];
            steps.extend(rest);
            ObjectPath {
                object_type: t,
                steps,
            }
        })
}

fn comparison() -> impl Strategy<Value = ComparisonExpr> {
    let nonbool = || literal().prop_filter("orderable", |l| !matches!(l, Literal::Bool(_)));
    let op = prop_oneof![
        literal().prop_map(Operator::Eq),
        literal().prop_map(Operator::Ne),
        nonbool().prop_map(Operator::Lt),
        nonbool().prop_map(Operator::Ge),
        proptest::collection::vec(literal(), 0..4).prop_map(Operator::In),
        "[a-z%_.']{0,8}".prop_map(Operator::Like),
        "[a-z.]{0,8}".prop_map(Operator::Matches),
        Just(Operator::IsSubset("10.0.0.0/8".into())),
        Just(Operator::Exists),
    ];
    (path(), any::<bool>(), op).prop_map(|(path, negated, op)| {
        let negated = negated && op != Operator::Exists;
        ComparisonExpr::Comparison(Comparison { path, negated, op })
    })
}

fn comparison_expr() -> impl Strategy<Value = ComparisonExpr> {
    comparison().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
            proptest::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
        ]
    })
}

fn qualifier() -> impl Strategy<Value = Qualifier> {
    prop_oneof![
        (1u64..10_000).prop_map(|n| Qualifier::Within(Number::Int(n))),
        (0.001f64..1e6).prop_map(|f| Qualifier::Within(Number::Float(f))),
        (1u64..100).prop_map(Qualifier::Repeats),
        (timestamp(), timestamp()).prop_map(|(a, b)| Qualifier::StartStop(a.min(b), a.max(b))),
    ]
}

fn observation_expr() -> impl Strategy<Value = ObservationExpr> {
    comparison_expr()
        .prop_map(ObservationExpr::Observation)
        .prop_recursive(4, 16, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::And),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::Or),
                proptest::collection::vec(inner.clone(), 2..4)
                    .prop_map(ObservationExpr::FollowedBy),
                (inner, qualifier()).prop_map(|(e, q)| ObservationExpr::Qualified(Box::new(e), q)),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn print_then_parse_is_identity(expr in observation_expr()) {
        let ast = Pattern { expr };
        let text = ast.to_string();
        let parsed = concord_pattern::parse(&text);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&ast), "text: {}, parsed: {:?}", text, parsed);
    }
}
